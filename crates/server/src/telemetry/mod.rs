//! Telemetry, set up in one place: log lines (pretty or JSON, filtered by
//! `RUST_LOG`, written to stderr by a background thread), OpenTelemetry trace export when an OTLP endpoint is
//! configured, and the Prometheus metrics of `/metrics`.

mod export_client;
mod lines;
mod metrics;
mod otel;

pub use metrics::{Metrics, prometheus};

use crate::config::{LogFormat, OtelSettings};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Why telemetry could not be set up: the trace exporter was refused.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The HTTP client of the OTLP exporter could not be built.
    #[error("the OTLP exporter's HTTP client could not be built")]
    HttpClient(#[source] reqwest::Error),
    /// The OTLP span exporter refused its configuration.
    #[error("the OTLP span exporter could not be built")]
    Exporter(#[from] opentelemetry_otlp::ExporterBuildError),
}

/// What [`init`] installed that needs an orderly end: the log writer's
/// thread and the trace pipeline, when export is on.
#[must_use = "call `shutdown` at exit, or the lines and spans still buffered are lost"]
#[derive(Debug)]
pub struct Telemetry {
    lines: WorkerGuard,
    traces: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported over OTLP.
    pub fn exports_traces(&self) -> bool {
        self.traces.is_some()
    }

    /// Exports the spans still buffered and stops the exporter (blocking,
    /// for at most the export timeout), then writes the log lines still
    /// queued (for at most a second). Call it after the server stopped,
    /// outside the async runtime.
    pub fn shutdown(self) {
        if let Some(provider) = self.traces
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing traces at exit failed");
        }
        drop(self.lines);
    }
}

/// Installs the global subscriber: log lines filtered by `filter`
/// (`RUST_LOG`), pretty or JSON, queued for a background thread that
/// writes them to stderr (see [`lines`]), where a span's fields (request id, route,
/// status, latency) are on every line logged inside it; and, with `otel`,
/// an OpenTelemetry layer exporting spans at INFO and above (whatever
/// `RUST_LOG` says) over OTLP. Without `otel` nothing of OpenTelemetry is
/// installed.
///
/// # Errors
/// When the OTLP exporter can't be built from `otel` and the `OTEL_*`
/// environment.
pub fn init(
    format: LogFormat,
    filter: &str,
    otel: Option<&OtelSettings>,
) -> Result<Telemetry, TelemetryError> {
    let traces = otel.map(otel::pipeline).transpose()?;
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let (writer, guard) = lines::writer();
    let lines = tracing_subscriber::fmt::layer()
        .with_span_events(FmtSpan::NONE)
        .with_writer(writer.clone());
    let lines = match format {
        LogFormat::Json => lines.json().flatten_event(true).with_filter(filter).boxed(),
        LogFormat::Pretty => lines.compact().with_filter(filter).boxed(),
    };
    let result = tracing_subscriber::registry()
        .with(lines)
        .with(traces.as_ref().map(otel::layer))
        .try_init();
    // A subscriber may already be installed (tests); that one stays, and
    // its writer's drops are not ours to count.
    if result.is_ok() {
        lines::count_drops(&writer);
    }
    Ok(Telemetry {
        lines: guard,
        traces,
    })
}
