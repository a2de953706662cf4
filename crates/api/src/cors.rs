//! CORS from `CORS_ORIGINS` (none by default).

use actix_cors::Cors;
use actix_web::http::{Method, header};

/// Allows the configured origins with credentials (browser cookie mode),
/// the API's methods and headers, and exposes `ETag`, `Location`,
/// `X-Request-Id`, `Retry-After` and `Idempotent-Replayed` to scripts.
/// A request from another origin is served without CORS headers (so the
/// browser withholds the response) rather than refused.
pub fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("x-csrf-token"),
            header::HeaderName::from_static("x-auth-mode"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .supports_credentials()
        .block_on_origin_mismatch(false)
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}
