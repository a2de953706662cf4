//! The responses every owned, versioned resource (items, agents) gives:
//! its representation with an `ETag`, 304 for a conditional GET that
//! names the current version, and the stored 201 of an idempotent create.

use crate::error::ApiError;
use crate::routes::support::etag::{etag, if_none_match};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use domain::ports::StoredResponse;
use serde::Serialize;

/// 200 with `body`, the resource at `version`, and its `ETag`.
pub fn ok_with_etag(version: i64, body: impl Serialize) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::ETAG, etag(version)))
        .json(body)
}

/// The answer to a GET of the resource at `version`: 304 with its `ETag`
/// when `If-None-Match` names it, else as [`ok_with_etag`].
///
/// # Errors
/// 400 when `If-None-Match` is not ASCII.
pub fn ok_unless_not_modified(
    req: &HttpRequest,
    version: i64,
    body: impl Serialize,
) -> Result<HttpResponse, ApiError> {
    if if_none_match(req, version)? {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(version)))
            .finish());
    }
    Ok(ok_with_etag(version, body))
}

/// Whether a created body holds a secret shown only once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secrecy {
    /// Nothing secret: cacheable, stored as is for a replay.
    Public,
    /// A secret (an agent token): `Cache-Control: no-store`, and stored
    /// sealed for a replay.
    Secret,
}

/// The 201 of a create, kept for an idempotent replay: `Location`, `ETag`
/// (version `version`) and the JSON `body`.
///
/// # Errors
/// 500 when `body` cannot be serialized.
pub fn created(
    location: String,
    version: i64,
    body: &impl Serialize,
    secrecy: Secrecy,
) -> Result<StoredResponse, ApiError> {
    let mut headers = vec![
        (header::LOCATION.to_string(), location),
        (header::ETAG.to_string(), etag(version)),
        (
            header::CONTENT_TYPE.to_string(),
            "application/json".to_owned(),
        ),
    ];
    let secret = secrecy == Secrecy::Secret;
    if secret {
        headers.push((header::CACHE_CONTROL.to_string(), "no-store".to_owned()));
    }
    Ok(StoredResponse {
        status: 201,
        headers,
        body: serde_json::to_vec(body).map_err(|e| ApiError::internal(&e))?,
        secret,
    })
}
