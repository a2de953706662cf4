//! Metrics: the process-wide Prometheus recorder and `/metrics`.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;

/// The process-wide Prometheus recorder: the `metrics` facade has one global
/// recorder, so it is installed once and every `Application` in the process
/// (tests start several) renders from it.
pub fn prometheus() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full("http_request_duration_seconds".to_owned()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ],
                )
                .map_or_else(
                    |_| PrometheusBuilder::new().build_recorder(),
                    PrometheusBuilder::build_recorder,
                );
            let handle = recorder.handle();
            // Fails only when another recorder is installed; then this one
            // renders nothing, which is visible and harmless.
            drop(metrics::set_global_recorder(recorder));
            handle
        })
        .clone()
}

/// `/metrics`: the recorder's exposition plus the database pool's gauges
/// and the count of log lines dropped on a full queue.
pub struct Metrics {
    handle: PrometheusHandle,
    db: infra::Db,
}

impl Metrics {
    /// Metrics for a server on `db`.
    pub fn new(db: infra::Db) -> Self {
        Self {
            handle: prometheus(),
            db,
        }
    }
}

impl api::metrics::MetricsSource for Metrics {
    fn render(&self) -> String {
        let (in_use, idle) = self.db.pool_usage();
        #[allow(clippy::cast_precision_loss)]
        {
            metrics::gauge!("db_pool_connections", "state" => "in_use").set(in_use as f64);
            metrics::gauge!("db_pool_connections", "state" => "idle").set(idle as f64);
        }
        metrics::counter!("log_lines_dropped_total").absolute(super::lines::dropped());
        self.handle.run_upkeep();
        self.handle.render()
    }
}
