//! The OpenTelemetry trace pipeline: an OTLP/HTTP exporter behind the batch
//! span processor, the service's resource, a sampler that keeps request
//! traces only, and W3C trace-context propagation.

use super::TelemetryError;
use super::export_client::BlockingClient;
use crate::config::{DEFAULT_SERVICE_NAME, OtelSettings, OtlpProtocol};
use opentelemetry::trace::{Link, SpanKind, TraceContextExt, TraceId, TraceState, TracerProvider};
use opentelemetry::{Context, Key, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    Config, SamplingDecision, SamplingResult, SdkTracerProvider, ShouldSample,
};
use tracing::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::registry::LookupSpan;

/// Builds the exporter and the tracer provider, and installs the W3C
/// `traceparent` / `tracestate` propagator that the request span reads.
/// The batch processor reads `OTEL_BSP_*`, the sampler `OTEL_TRACES_SAMPLER`
/// and `OTEL_TRACES_SAMPLER_ARG`, the exporter `OTEL_EXPORTER_OTLP_HEADERS`
/// and `OTEL_EXPORTER_OTLP_COMPRESSION` (gzip).
///
/// # Errors
/// When the exporter refuses its configuration.
pub(super) fn pipeline(settings: &OtelSettings) -> Result<SdkTracerProvider, TelemetryError> {
    let protocol = match settings.protocol {
        OtlpProtocol::HttpProtobuf => Protocol::HttpBinary,
        OtlpProtocol::HttpJson => Protocol::HttpJson,
    };
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(BlockingClient::new(settings.timeout)?)
        .with_endpoint(settings.traces_endpoint.as_str())
        .with_protocol(protocol)
        .with_timeout(settings.timeout)
        .build()?;
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_sampler(RequestTraces(Config::default().sampler))
        .with_resource(resource(settings.service_name.as_deref()))
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    Ok(provider)
}

/// The layer turning `tracing` spans at INFO and above into OpenTelemetry
/// spans (`RUST_LOG` filters log lines only).
pub(super) fn layer<S>(provider: &SdkTracerProvider) -> impl Layer<S> + use<S>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
{
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("backend-api"))
        .with_threads(false)
        .with_filter(LevelFilter::INFO)
}

/// `service.name` (`OTEL_SERVICE_NAME`, else a `service.name` in
/// `OTEL_RESOURCE_ATTRIBUTES`, else `backend-api`), `service.version`, and
/// the attributes of `OTEL_RESOURCE_ATTRIBUTES`.
fn resource(service_name: Option<&str>) -> Resource {
    let name = service_name.map_or_else(
        || {
            Resource::builder()
                .build()
                .get(&Key::from_static_str("service.name"))
                .map(|name| name.to_string())
                .filter(|name| !name.starts_with("unknown_service"))
                .unwrap_or_else(|| DEFAULT_SERVICE_NAME.to_owned())
        },
        str::to_owned,
    );
    Resource::builder()
        .with_service_name(name)
        .with_attribute(KeyValue::new("service.version", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The configured sampler, applied to traces a request began (a server
/// span, or a caller's `traceparent`). A root span of background work (the
/// relay polling the event log twice a second, the janitor) is dropped: it
/// would be a stream of one-span traces nobody asked for.
#[derive(Debug, Clone)]
struct RequestTraces(Box<dyn ShouldSample>);

impl ShouldSample for RequestTraces {
    fn should_sample(
        &self,
        parent: Option<&Context>,
        trace_id: TraceId,
        name: &str,
        kind: &SpanKind,
        attributes: &[KeyValue],
        links: &[Link],
    ) -> SamplingResult {
        let has_parent = parent.is_some_and(Context::has_active_span);
        if !has_parent && *kind != SpanKind::Server {
            return SamplingResult {
                decision: SamplingDecision::Drop,
                attributes: Vec::new(),
                trace_state: TraceState::default(),
            };
        }
        self.0
            .should_sample(parent, trace_id, name, kind, attributes, links)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags};
    use opentelemetry_sdk::trace::Sampler;

    fn decide(parent: Option<&Context>, kind: SpanKind) -> SamplingDecision {
        RequestTraces(Box::new(Sampler::ParentBased(Box::new(Sampler::AlwaysOn))))
            .should_sample(parent, TraceId::from(7), "span", &kind, &[], &[])
            .decision
    }

    #[test]
    fn request_traces_are_kept_and_background_roots_dropped() {
        assert_eq!(
            decide(None, SpanKind::Server),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(decide(None, SpanKind::Internal), SamplingDecision::Drop);
        let caller = Context::new().with_remote_span_context(SpanContext::new(
            TraceId::from(1),
            SpanId::from(2),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        ));
        assert_eq!(
            decide(Some(&caller), SpanKind::Internal),
            SamplingDecision::RecordAndSample
        );
        assert_eq!(
            decide(Some(&Context::new()), SpanKind::Internal),
            SamplingDecision::Drop
        );
    }
}
