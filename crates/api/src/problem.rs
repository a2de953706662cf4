//! The RFC 9457 problem document every 4xx/5xx body is.

use crate::error::{ApiError, code_for_status};
use actix_web::http::StatusCode;
use domain::FieldError;
use serde::Serialize;
use utoipa::ToSchema;

/// `application/problem+json`.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document with this API's `code` and `request_id`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`.
    #[serde(rename = "type")]
    #[schema(example = "about:blank")]
    pub kind: &'static str,
    /// The status's reason phrase.
    #[schema(example = "Unprocessable Entity")]
    pub title: String,
    /// The HTTP status.
    #[schema(example = 422)]
    pub status: u16,
    /// Stable machine-readable code (`validation_failed`, `not_found`, …).
    #[schema(example = "validation_failed")]
    pub code: String,
    /// What went wrong, for humans.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per invalid field (422).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// RFC 6749 `error` (token endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// RFC 6749 `error_description` (token endpoint).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_description: Option<String>,
    /// The request's `X-Request-Id`.
    pub request_id: String,
}

/// One invalid field.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    /// The field's name.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl From<&FieldError> for ProblemField {
    fn from(err: &FieldError) -> Self {
        Self {
            field: err.field.clone(),
            message: err.message.clone(),
        }
    }
}

impl Problem {
    /// The document for `error`.
    pub fn from_api_error(error: &ApiError, request_id: &str) -> Self {
        let oauth = error.oauth_error.map(str::to_owned);
        Self {
            error_description: oauth.as_ref().map(|_| error.detail.clone()),
            error: oauth,
            errors: error.errors.iter().map(ProblemField::from).collect(),
            ..Self::bare(
                error.status,
                error.code,
                Some(error.detail.clone()),
                request_id,
            )
        }
    }

    /// The document for a status no handler described.
    pub fn from_status(status: StatusCode, detail: Option<String>, request_id: &str) -> Self {
        Self::bare(status, code_for_status(status), detail, request_id)
    }

    fn bare(status: StatusCode, code: &str, detail: Option<String>, request_id: &str) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            code: code.to_owned(),
            detail,
            errors: Vec::new(),
            error: None,
            error_description: None,
            request_id: request_id.to_owned(),
        }
    }
}
