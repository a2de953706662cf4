//! OpenTelemetry on the request span, when spans are exported
//! ([`ApiConfig::export_traces`]): the caller's W3C `traceparent` /
//! `tracestate` become the span's parent, and the span is named and kinded
//! for trace viewers (`GET /api/v1/items/{id}`, server). Only the
//! `opentelemetry` API is used here; the server installs the propagator.

use crate::state::ApiConfig;
use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{HeaderMap, HeaderName};
use actix_web::web;
use opentelemetry::propagation::Extractor;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Whether spans are exported for this application.
pub fn exports_traces(req: &HttpRequest) -> bool {
    req.app_data::<web::Data<ApiConfig>>()
        .is_some_and(|config| config.export_traces)
}

/// Prepares the request span, before it is first entered: its name, its
/// kind, and the caller's trace as its parent. The span must declare the
/// fields `otel.name` and `otel.kind`.
pub fn adopt_caller_trace(span: &tracing::Span, req: &ServiceRequest) {
    let name = match req.match_pattern() {
        Some(route) => format!("{} {route}", req.method()),
        None => req.method().to_string(),
    };
    span.record("otel.name", name.as_str());
    span.record("otel.kind", "server");
    if req.headers().contains_key("traceparent") {
        let caller = opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.extract(&Headers(req.headers()))
        });
        // Fails only when no OpenTelemetry layer is installed: nothing to do.
        drop(span.set_parent(caller));
    }
}

/// Starts `span`, a long-lived connection's, as the root of its own trace
/// with a link to the request that opened it. As a child it would hold the
/// upgrade request's span open, and stretch its duration, until the socket
/// closed. The span must declare the field `otel.kind`.
pub fn link_to_request(span: &tracing::Span, req: &HttpRequest) {
    span.follows_from(tracing::Span::current());
    if exports_traces(req) {
        span.record("otel.kind", "server");
    }
}

/// Request headers as an OpenTelemetry carrier.
struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
}
