//! The REST rate limits, as a middleware inside CORS: a preflight is
//! answered by CORS before it gets here (it never counts), and a 429
//! passes out through CORS, so a browser sees the 429 and its
//! `Retry-After` rather than a CORS failure.

use crate::extract::{bearer_token, client_ip};
use crate::middleware::rate_limit::Limited;
use crate::state::{ApiConfig, AppState};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse, web};
use std::net::{IpAddr, Ipv4Addr};

/// Counts the request against its limit; over it, answers 429 with
/// `Retry-After` (the outer middleware writes the problem document).
///
/// # Errors
/// The inner service's.
pub async fn rate_limit(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    match rate_limited(&req) {
        Some(wait) => {
            let seconds = crate::middleware::rate_limit::retry_after(wait);
            let refusal = HttpResponse::TooManyRequests()
                .insert_header((header::RETRY_AFTER, seconds.to_string()))
                .finish();
            Ok(req.into_response(refusal))
        }
        None => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_boxed_body),
    }
}

/// How long the caller must wait, when the request is over its limit.
fn rate_limited(req: &ServiceRequest) -> Option<std::time::Duration> {
    let limited = Limited::for_path(req.path());
    if limited == Limited::No {
        return None;
    }
    let state = req.app_data::<web::Data<AppState>>()?;
    let limits = state.rate_limits.as_ref()?;
    let config = req.app_data::<web::Data<ApiConfig>>()?;
    let ip = client_ip(req.request(), config).unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    let user = bearer_token(req.request()).and_then(|token| state.auth.token_subject(token));
    let refused = limits.check(limited, ip, user.map(|u| u.0)).err();
    if refused.is_some() {
        crate::metrics::rate_limited(match limited {
            Limited::Auth => "auth",
            _ => "api",
        });
    }
    refused
}
