//! `/health/live` and `/health/ready`.

use crate::error::ApiError;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;
use utoipa::ToSchema;

/// How long one dependency may take to answer a readiness check.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Health report.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthBody {
    /// `ok`.
    #[schema(example = "ok")]
    pub status: &'static str,
    /// Each dependency and `ok` (readiness only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub checks: BTreeMap<&'static str, String>,
}

/// 200 while the process runs.
#[utoipa::path(get, path = "/health/live", tag = "operations",
    responses((status = 200, description = "Alive", body = HealthBody)))]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(HealthBody {
        status: "ok",
        checks: BTreeMap::new(),
    })
}

/// 200 when every dependency answers; 503 naming those that don't.
#[utoipa::path(get, path = "/health/ready", tag = "operations",
    responses(
        (status = 200, description = "Ready", body = HealthBody),
        (status = 503, description = "A dependency is down; `detail` names it", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut checks = BTreeMap::new();
    let mut failed = Vec::new();
    for dependency in &state.dependencies {
        let outcome = match actix_web::rt::time::timeout(CHECK_TIMEOUT, dependency.check()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(reason),
            Err(_) => Err(format!("no answer within {CHECK_TIMEOUT:?}")),
        };
        match outcome {
            Ok(()) => {
                checks.insert(dependency.name(), "ok".to_owned());
            }
            Err(reason) => {
                tracing::warn!(dependency = dependency.name(), %reason, "readiness check failed");
                failed.push(format!("{}: {reason}", dependency.name()));
            }
        }
    }
    if failed.is_empty() {
        Ok(HttpResponse::Ok().json(HealthBody {
            status: "ok",
            checks,
        }))
    } else {
        Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            format!("not ready: {}", failed.join("; ")),
        ))
    }
}
