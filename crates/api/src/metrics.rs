//! Metrics, recorded through the `metrics` facade; the server installs a
//! Prometheus recorder and serves it at `/metrics`.

use crate::state::AppState;
use actix_web::{HttpResponse, web};
use std::time::Duration;

/// Renders the current metrics in the Prometheus text format.
pub trait MetricsSource: Send + Sync {
    /// The exposition text.
    fn render(&self) -> String;
}

/// `http_requests_total` and `http_request_duration_seconds`, labelled by
/// method, route template (never the raw path) and status.
pub fn request_finished(method: &str, route: &str, status: u16, latency: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels).record(latency.as_secs_f64());
}

/// A request refused by a rate limit.
pub fn rate_limited(limit: &'static str) {
    metrics::counter!("rate_limited_requests_total", "limit" => limit).increment(1);
}

/// The number of open WebSocket connections changed.
pub fn websocket_connections(open: usize) {
    #[allow(clippy::cast_precision_loss)]
    metrics::gauge!("websocket_connections").set(open as f64);
}

/// Events this instance's sequencer released from the log to its hub.
pub fn events_published(count: usize) {
    metrics::counter!("events_published_total").increment(count as u64);
}

/// Event frames queued for sockets.
pub fn events_delivered(count: usize) {
    metrics::counter!("events_delivered_total").increment(count as u64);
}

/// A connection closed as a slow consumer.
pub fn slow_consumer_closed() {
    metrics::counter!("websocket_slow_consumer_disconnects_total").increment(1);
}

/// `GET /metrics`: Prometheus text format.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")))]
pub async fn scrape(state: web::Data<AppState>) -> HttpResponse {
    let body = state
        .metrics
        .as_ref()
        .map(|m| m.render())
        .unwrap_or_default();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(body)
}
