//! CORS from `CORS_ORIGINS` (none by default). The middleware sits inside
//! the request middleware and outside everything that may refuse a request
//! (the rate limits, the body deadline, the routes), so every answer to an
//! allowed origin — a 429, a 413, a 404 — carries its headers, and a
//! preflight is answered before any limit counts it.

use actix_cors::Cors;
use actix_web::http::header::HeaderMap;
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

/// Removes what `actix-cors` adds to every response, allowed origin or
/// not (`Access-Control-Allow-Credentials`, `-Expose-Headers`), from an
/// answer that allows no origin: those headers mean nothing without
/// `Access-Control-Allow-Origin`, and probes read them as a misconfiguration.
pub fn strip_without_origin(headers: &mut HeaderMap) {
    if !headers.contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN) {
        headers.remove(header::ACCESS_CONTROL_ALLOW_CREDENTIALS);
        headers.remove(header::ACCESS_CONTROL_EXPOSE_HEADERS);
    }
}
