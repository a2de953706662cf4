//! `/api/v1/auth/email/*` and `/api/v1/auth/password/*`: the flows whose
//! second half is a link in a mail (verification, reset, email change).

use crate::dto::UserBody;
use crate::error::ApiError;
use crate::extract::{Authenticated, JsonObject};
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use domain::model::{Email, Password};
use serde::Deserialize;
use std::time::Duration;
use utoipa::ToSchema;

/// `POST /auth/password/forgot` answers no sooner than this after it
/// arrived, whether or not the address has an account (longer than the
/// work takes, so the time tells nothing).
pub const FORGOT_ANSWER_AFTER: Duration = Duration::from_millis(300);

/// Body of `POST /auth/email/verify` and `POST /auth/email/confirm`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LinkTokenRequest {
    /// The token from the link's fragment (`#token=…`).
    pub token: String,
}

/// Body of `POST /auth/password/forgot`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ForgotPasswordRequest {
    /// The account's address.
    #[schema(example = "ada@example.com")]
    pub email: String,
}

/// Body of `POST /auth/password/reset`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResetPasswordRequest {
    /// The token from the link's fragment (`#token=…`).
    pub token: String,
    /// The new password, 8–128 characters.
    pub password: String,
}

/// Mails the caller a new verification link (at most one a minute).
#[utoipa::path(post, path = "/api/v1/auth/email/verify/request", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "A link is on its way"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "A link was sent less than a minute ago", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn request_verification(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    state.accounts.request_verification(&caller.0).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Proves the account's address with the token of a verification link.
#[utoipa::path(post, path = "/api/v1/auth/email/verify", tag = "auth",
    request_body = LinkTokenRequest,
    responses(
        (status = 200, description = "Verified", body = UserBody),
        (status = 400, description = "`invalid_token`: unknown, expired or used; or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: JsonObject<LinkTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.verify_email(&body.0.token).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

/// Mails a reset link when the address has an account; the answer and its
/// time are the same either way.
#[utoipa::path(post, path = "/api/v1/auth/password/forgot", tag = "auth",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "A link is on its way if the address has an account"),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn forgot_password(
    state: web::Data<AppState>,
    body: JsonObject<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.0.email).map_err(|e| ApiError::validation(vec![e]))?;
    // Both paths do the same work (see the service); the answer also waits
    // for a fixed moment so that what differs (one write transaction) and
    // the machine's load don't show in its time.
    let answer_at = actix_web::rt::time::Instant::now() + FORGOT_ANSWER_AFTER;
    let outcome = state.accounts.forgot_password(&email).await;
    actix_web::rt::time::sleep_until(answer_at).await;
    outcome?;
    Ok(HttpResponse::Accepted().finish())
}

/// Sets a new password with the token of a reset link; every session of
/// the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password/reset", tag = "auth",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "Password set; every session revoked"),
        (status = 400, description = "`invalid_token`: unknown, expired or used; or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn reset_password(
    state: web::Data<AppState>,
    body: JsonObject<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let password = Password::parse(&body.0.password).map_err(|e| ApiError::validation(vec![e]))?;
    state
        .accounts
        .reset_password(&body.0.token, &password)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Moves the account to its pending address with the token of a
/// confirmation link.
#[utoipa::path(post, path = "/api/v1/auth/email/confirm", tag = "auth",
    request_body = LinkTokenRequest,
    responses(
        (status = 200, description = "The address changed", body = UserBody),
        (status = 400, description = "`invalid_token`: unknown, expired or used; or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The address was registered meanwhile", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn confirm_email(
    state: web::Data<AppState>,
    body: JsonObject<LinkTokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let user = state.accounts.confirm_email(&body.0.token).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}
