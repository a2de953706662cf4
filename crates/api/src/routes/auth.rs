//! `/api/v1/auth/*`: register, login, the OAuth2 token endpoint, refresh,
//! logout and sessions.

use super::browser;
use crate::dto::{SessionBody, TokenPairBody, UserBody};
use crate::error::ApiError;
use crate::extract::{Authenticated, JsonObject, bearer_token, client_info};
use crate::openapi::problem_sets;
use crate::problem::Problem;
use crate::state::{ApiConfig, AppState};
use actix_web::FromRequest;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::FieldError;
use domain::model::{DisplayName, Email, Password, SessionId};
use domain::services::RegisterInput;
use serde::Deserialize;
use utoipa::ToSchema;

/// Body of `POST /auth/register`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// Any valid address; stored in lower case.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// 8–128 characters.
    #[schema(example = "correct horse battery")]
    pub password: String,
    /// Optional, at most 200 characters.
    pub display_name: Option<String>,
}

impl RegisterRequest {
    fn try_into_domain(self) -> Result<RegisterInput, ApiError> {
        let email = Email::parse(&self.email);
        let password = Password::parse(&self.password);
        let display_name = self
            .display_name
            .as_deref()
            .map(DisplayName::parse)
            .transpose();
        match (email, password, display_name) {
            (Ok(email), Ok(password), Ok(display_name)) => Ok(RegisterInput {
                email,
                password,
                display_name,
            }),
            (email, password, display_name) => Err(ApiError::validation(
                [email.err(), password.err(), display_name.err()]
                    .into_iter()
                    .flatten()
                    .collect(),
            )),
        }
    }
}

/// Body of `POST /auth/login`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    /// The account's email.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// Its password.
    #[schema(example = "correct horse battery")]
    pub password: String,
}

/// Body of `POST /auth/refresh`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token of the latest pair.
    pub refresh_token: String,
}

/// Form of `POST /auth/token` (RFC 6749 password and refresh grants).
#[derive(Debug, Deserialize, ToSchema)]
pub struct TokenRequest {
    /// `password` or `refresh_token`.
    pub grant_type: Option<String>,
    /// The email (password grant).
    pub username: Option<String>,
    /// The password (password grant).
    pub password: Option<String>,
    /// The refresh token (refresh grant).
    pub refresh_token: Option<String>,
    /// Ignored.
    pub scope: Option<String>,
}

/// Registers an account and mails it a verification link.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Registered", body = UserBody),
        (status = 409, description = "Email already registered", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::InvalidField, problem_sets::MalformedJson,
    ))]
pub async fn register(
    state: web::Data<AppState>,
    body: JsonObject<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0.try_into_domain()?;
    let user = state.accounts.register(input).await?;
    Ok(HttpResponse::Created().json(UserBody::from(user)))
}

/// Logs in with email and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPairBody),
        (status = 401, description = "Bad credentials", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Account disabled, or `email_unverified` while REQUIRE_VERIFIED_EMAIL=true", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::InvalidField, problem_sets::MalformedJson,
    ))]
pub async fn login(
    state: web::Data<AppState>,
    config: web::Data<ApiConfig>,
    req: HttpRequest,
    body: JsonObject<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = Email::parse(&body.email)?;
    let password = Password::candidate(&body.password, "password")?;
    let pair = state
        .auth
        .login(&email, &password, client_info(&req, &config))
        .await?;
    Ok(browser::pair_response(&req, pair, &state.auth, &config))
}

/// The OAuth2 token endpoint (password and refresh_token grants), so
/// standard OAuth2 clients and Swagger UI's "Authorize" work.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "auth",
    request_body(content = TokenRequest, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "Signed in", body = TokenPairBody),
        (status = 400, description = "`invalid_grant`, `unsupported_grant_type` or a malformed request (RFC 6749 §5.2)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not a form", body = Problem, content_type = "application/problem+json"),
        problem_sets::AccountDisabled,
    ))]
pub async fn token(
    state: web::Data<AppState>,
    config: web::Data<ApiConfig>,
    req: HttpRequest,
    form: web::Form<TokenRequest>,
) -> Result<HttpResponse, ApiError> {
    let form = form.into_inner();
    let invalid_grant = |detail: &str| ApiError::oauth("invalid_grant", detail);
    let pair = match form.grant_type.as_deref() {
        Some("password") => {
            let (Some(username), Some(password)) = (form.username, form.password) else {
                return Err(ApiError::oauth(
                    "invalid_request",
                    "username and password are required",
                ));
            };
            let email = Email::parse(&username)
                .map_err(|_| invalid_grant("invalid username or password"))?;
            let password = Password::candidate(&password, "password")
                .map_err(|_| invalid_grant("invalid username or password"))?;
            let client = client_info(&req, &config);
            state
                .auth
                .login(&email, &password, client)
                .await
                .map_err(|e| match e {
                    domain::ServiceError::InvalidCredentials => {
                        invalid_grant("invalid username or password")
                    }
                    other => other.into(),
                })?
        }
        Some("refresh_token") => {
            let Some(refresh_token) = form.refresh_token else {
                return Err(ApiError::oauth(
                    "invalid_request",
                    "refresh_token is required",
                ));
            };
            state
                .auth
                .refresh(&refresh_token)
                .await
                .map_err(|e| match e {
                    domain::ServiceError::InvalidRefreshToken => {
                        invalid_grant("the refresh token is invalid, expired or revoked")
                    }
                    other => other.into(),
                })?
        }
        Some(_) => {
            return Err(ApiError::oauth(
                "unsupported_grant_type",
                "grant_type must be password or refresh_token",
            ));
        }
        None => return Err(ApiError::oauth("invalid_request", "grant_type is required")),
    };
    Ok(TokenPairBody::response(pair))
}

/// Exchanges a refresh token for a new pair (the old token is spent).
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "Rotated", body = TokenPairBody),
        (status = 401, description = "Invalid, expired, reused or revoked refresh token", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::InvalidField, problem_sets::MalformedJson,
    ))]
pub async fn refresh(
    state: web::Data<AppState>,
    config: web::Data<ApiConfig>,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Browser mode: no body, the refresh token in its cookie.
    if body.iter().all(u8::is_ascii_whitespace) {
        // No cookie either: a page of another site (SameSite=Strict
        // cookies don't travel cross-site), or a signed-out browser.
        let token = browser::refresh_cookie(&req, &state.auth)?.ok_or_else(|| {
            ApiError::unauthorized(
                "no refresh_token in the body and no refresh cookie; a page on another site gets no cookie and must use bearer mode",
            )
        })?;
        let pair = state.auth.refresh(&token).await?;
        return Ok(browser::respond(pair, &state.auth, &config));
    }
    let body: RefreshRequest = crate::extract::json_body(&req, &body)?;
    if body.refresh_token.len() > 512 {
        return Err(FieldError::new("refresh_token", "must be at most 512 characters").into());
    }
    let pair = state.auth.refresh(&body.refresh_token).await?;
    Ok(browser::pair_response(&req, pair, &state.auth, &config))
}

/// Revokes the caller's session: its access and refresh tokens stop
/// working at once.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Logged out"),
        problem_sets::Unauthenticated,
    ))]
pub async fn logout(
    state: web::Data<AppState>,
    config: web::Data<ApiConfig>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if bearer_token(&req).is_none() {
        // Browser mode: the refresh cookie (with its CSRF token) is enough.
        let token = browser::refresh_cookie(&req, &state.auth)?.ok_or_else(|| {
            ApiError::unauthorized("a bearer token or the refresh cookie is required")
        })?;
        state.auth.logout_by_refresh_token(&token).await?;
        return Ok(browser::logged_out(&config));
    }
    let caller = Authenticated::from_request(&req, &mut actix_web::dev::Payload::None).await?;
    state.auth.logout(&caller.0).await?;
    Ok(browser::logged_out(&config))
}

/// The caller's live sessions.
#[utoipa::path(get, path = "/api/v1/auth/sessions", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Live sessions, `current` on the caller's", body = [SessionBody]),
        problem_sets::Unauthenticated,
    ))]
pub async fn sessions(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let sessions = state.auth.sessions(&caller.0).await?;
    let body: Vec<SessionBody> = sessions.into_iter().map(SessionBody::from).collect();
    Ok(HttpResponse::Ok().json(body))
}

/// Revokes one of the caller's sessions.
#[utoipa::path(delete, path = "/api/v1/auth/sessions/{id}", tag = "auth",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such live session of the caller", body = Problem, content_type = "application/problem+json"),
        problem_sets::Unauthenticated, problem_sets::MalformedId,
    ))]
pub async fn revoke_session(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .revoke_session(&caller.0, SessionId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
