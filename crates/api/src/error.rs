//! `ApiError`: every failure a handler or extractor can answer with. The
//! request middleware turns it into an RFC 9457 problem document.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use domain::services::OAuthError;
use domain::{FieldError, ServiceError};
use std::fmt;

/// An HTTP error with the problem `code` of API.md's table.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The stable machine-readable code.
    pub code: &'static str,
    /// A sentence for humans; never internals.
    pub detail: String,
    /// Per-field validation errors.
    pub errors: Vec<FieldError>,
    /// RFC 6749 `error` (token endpoint only).
    pub oauth_error: Option<&'static str>,
}

impl ApiError {
    /// An error with `status`, `code` and `detail`.
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            oauth_error: None,
        }
    }

    /// 400 `bad_request`.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", detail)
    }

    /// 401 `unauthorized`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    /// 404 `not_found`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", detail)
    }

    /// 408 `request_timeout`: the body took longer than `limit` to
    /// arrive. The answer closes the connection.
    pub fn request_timeout(limit: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the request body did not arrive within {} seconds",
                limit.as_secs()
            ),
        )
    }

    /// 413 `payload_too_large`.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("the body is over the limit of {limit} bytes"),
        )
    }

    /// 415 `unsupported_media_type`.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("the body must be {expected}"),
        )
    }

    /// 422 `validation_failed` listing each field.
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let detail = errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                detail,
            )
        }
    }

    /// 500 `internal`, logging `cause` (the client sees a generic sentence).
    pub fn internal(cause: &dyn fmt::Debug) -> Self {
        tracing::error!(cause = ?cause, "request failed unexpectedly");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed to handle the request",
        )
    }

    /// 400 with `code` and RFC 6749 `error` both `oauth_error`.
    pub fn oauth(oauth_error: &'static str, detail: impl Into<String>) -> Self {
        let code = match oauth_error {
            "invalid_grant" | "unsupported_grant_type" => oauth_error,
            _ => "bad_request",
        };
        Self {
            oauth_error: Some(oauth_error),
            ..Self::new(StatusCode::BAD_REQUEST, code, detail)
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status.as_u16(), self.code, self.detail)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    /// The status and headers only: the request middleware writes the
    /// problem body, because only it knows the request id.
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        if self.status == StatusCode::REQUEST_TIMEOUT {
            response.force_close();
        }
        if self.oauth_error.is_some() {
            response.insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
        }
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            // The service-level limits are per minute.
            response.insert_header((header::RETRY_AFTER, HeaderValue::from_static("60")));
        }
        response.finish()
    }
}

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Invalid(errors) => Self::validation(errors),
            ServiceError::InvalidCredentials => Self::unauthorized("invalid email or password"),
            ServiceError::InvalidRefreshToken | ServiceError::Unauthorized => {
                Self::unauthorized(err.to_string())
            }
            ServiceError::Forbidden(why) => Self::new(StatusCode::FORBIDDEN, "forbidden", why),
            ServiceError::NotFound => Self::not_found("no such resource"),
            ServiceError::PreconditionFailed => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "precondition_failed",
                err.to_string(),
            ),
            ServiceError::Conflict(why) => Self::new(StatusCode::CONFLICT, "conflict", why),
            ServiceError::InvalidToken => {
                Self::new(StatusCode::BAD_REQUEST, "invalid_token", err.to_string())
            }
            ServiceError::EmailUnverified => {
                Self::new(StatusCode::FORBIDDEN, "email_unverified", err.to_string())
            }
            ServiceError::TooManyRequests(why) => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", why)
            }
            ServiceError::Unexpected(cause) => Self::internal(&cause),
        }
    }
}

impl From<OAuthError> for ApiError {
    fn from(err: OAuthError) -> Self {
        match err {
            OAuthError::UnknownProvider => Self::not_found(err.to_string()),
            OAuthError::InvalidState
            | OAuthError::Rejected(_)
            | OAuthError::NoEmail
            | OAuthError::InvalidEmail => Self::bad_request(err.to_string()),
            OAuthError::EmailTaken => Self::new(StatusCode::CONFLICT, "conflict", err.to_string()),
            OAuthError::Disabled => Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string()),
            OAuthError::ProviderUnavailable(cause) => {
                tracing::warn!(cause = format!("{cause:#}"), "an OAuth provider failed");
                Self::new(
                    StatusCode::BAD_GATEWAY,
                    "bad_gateway",
                    "the identity provider is unavailable; try again later",
                )
            }
            OAuthError::Unexpected(cause) => Self::internal(&cause),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(err: FieldError) -> Self {
        Self::validation(vec![err])
    }
}

/// The `code` for a status when no handler chose one (actix's own errors,
/// unknown routes, wrong methods).
pub fn code_for_status(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        408 => "request_timeout",
        409 => "conflict",
        412 => "precondition_failed",
        413 => "payload_too_large",
        415 => "unsupported_media_type",
        422 => "validation_failed",
        429 => "rate_limited",
        502 => "bad_gateway",
        503 => "unavailable",
        400..=499 => "bad_request",
        _ => "internal",
    }
}
