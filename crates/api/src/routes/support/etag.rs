//! ETags (`"<version>"`), `If-Match` and `If-None-Match`.

use crate::error::ApiError;
use actix_web::HttpRequest;
use actix_web::http::header::{self, HeaderName};

/// The ETag of a resource at `version`.
pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The versions an `If-Match` / `If-None-Match` header names.
enum Condition {
    /// `*`.
    Any,
    /// A list of entity tags; non-numeric ones can match nothing.
    Versions(Vec<Option<i64>>),
}

fn condition(req: &HttpRequest, name: &HeaderName) -> Result<Option<Condition>, ApiError> {
    let Some(value) = req.headers().get(name) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::bad_request(format!("{name} must be ASCII")))?
        .trim();
    if text == "*" {
        return Ok(Some(Condition::Any));
    }
    let versions = text
        .split(',')
        .map(|tag| {
            let tag = tag.trim();
            let tag = tag.strip_prefix("W/").unwrap_or(tag);
            tag.trim_matches('"').parse::<i64>().ok()
        })
        .collect();
    Ok(Some(Condition::Versions(versions)))
}

/// The version `If-Match` requires: `Ok(None)` when absent or `*`;
/// `Ok(Some(v))` for one tag. A tag that is no version of ours (or several
/// tags) can never match the single current version the database checks,
/// so it is mapped to an impossible version and answers 412.
///
/// # Errors
/// 400 when the header is not ASCII.
pub fn if_match(req: &HttpRequest) -> Result<Option<i64>, ApiError> {
    Ok(match condition(req, &header::IF_MATCH)? {
        None | Some(Condition::Any) => None,
        Some(Condition::Versions(versions)) => match versions.as_slice() {
            [Some(version)] => Some(*version),
            _ => Some(-1),
        },
    })
}

/// Whether `If-None-Match` matches `version` (then a GET answers 304).
///
/// # Errors
/// 400 when the header is not ASCII.
pub fn if_none_match(req: &HttpRequest, version: i64) -> Result<bool, ApiError> {
    Ok(match condition(req, &header::IF_NONE_MATCH)? {
        None => false,
        Some(Condition::Any) => true,
        Some(Condition::Versions(versions)) => versions.contains(&Some(version)),
    })
}
