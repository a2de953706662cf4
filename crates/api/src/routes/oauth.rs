//! `/api/v1/auth/oauth/{provider}/*`: sign-in through an outside identity
//! provider. `authorize` sends the browser to the provider with `state`,
//! PKCE and `nonce`, and binds the request to the browser with an
//! `HttpOnly; SameSite=Lax` cookie; `callback` turns the provider's answer
//! into a token pair, as a password login does.

use crate::dto::TokenPairBody;
use crate::error::ApiError;
use crate::extract::client_info;
use crate::problem::Problem;
use crate::state::{ApiConfig, AppState};
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::model::TokenPair;
use domain::services::{OAuthCallback, STATE_TTL};
use serde::Deserialize;
use utoipa::IntoParams;

/// The browser-binding cookie: its value's hash is stored with the state.
pub const BINDING_COOKIE: &str = "oauth_binding";
/// Where the binding cookie is sent.
const OAUTH_PATH: &str = "/api/v1/auth/oauth";
/// Longest `code` or `state` accepted.
const MAX_PARAM_LEN: usize = 2048;

/// The query of the provider's redirect back.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The authorization code.
    pub code: Option<String>,
    /// The `state` sent with the authorization request.
    pub state: Option<String>,
    /// Set instead of `code` when the provider refused (RFC 6749 §4.1.2.1).
    pub error: Option<String>,
}

/// The configured providers' names (`OAUTH_PROVIDERS`), for a sign-in
/// page's buttons; each signs in at `oauth/{provider}/authorize`.
#[utoipa::path(get, path = "/api/v1/auth/providers", tag = "auth",
    responses(
        (status = 200, description = "The names of the configured providers, in configuration order (empty when none)",
            body = Vec<String>, example = json!(["acme-id"])),
    ))]
pub async fn providers(config: web::Data<ApiConfig>) -> HttpResponse {
    HttpResponse::Ok().json(&config.oauth_providers)
}

/// Starts a sign-in: 302 to the provider.
#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/authorize", tag = "auth",
    params(("provider" = String, Path, description = "A provider name of `OAUTH_PROVIDERS`")),
    responses(
        (status = 302, description = "To the provider, with `state`, PKCE (S256) and, for OpenID Connect, `nonce`; sets the `oauth_binding` cookie",
            headers(("Location" = String, description = "The provider's authorization URL"))),
        (status = 400, description = "No usable `Host` to build the callback URL from", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown provider", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider is unreachable (discovery failed)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn authorize(
    state: web::Data<AppState>,
    config: web::Data<ApiConfig>,
    req: HttpRequest,
    provider: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    state.oauth.provider(&provider)?;
    let binding = req.cookie(BINDING_COOKIE).map(|c| c.value().to_owned());
    let fallback = callback_url(&req, &config, &provider)?;
    let start = state
        .oauth
        .start(&provider, binding.as_deref(), &fallback)
        .await?;
    let cookie = Cookie::build(BINDING_COOKIE, start.binding.as_str().to_owned())
        .path(OAUTH_PATH)
        .http_only(true)
        .secure(config.production)
        // Lax: sent on the top-level redirect back from the provider.
        .same_site(SameSite::Lax)
        .max_age(CookieDuration::seconds(STATE_TTL.whole_seconds()))
        .finish();
    Ok(HttpResponse::Found()
        .insert_header((header::LOCATION, start.redirect_to))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .cookie(cookie)
        .finish())
}

/// This server's callback URL for `provider`, from the request's `Host`
/// (used when `OAUTH_<NAME>_REDIRECT_URL` is not set; a forged `Host` only
/// yields a URL the provider refuses, as it is not registered there).
fn callback_url(req: &HttpRequest, config: &ApiConfig, provider: &str) -> Result<String, ApiError> {
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|host| {
            !host.is_empty()
                && host.bytes().all(|b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
                })
        })
        .ok_or_else(|| ApiError::bad_request("a valid Host header is required"))?;
    let scheme = if config.production { "https" } else { "http" };
    Ok(format!("{scheme}://{host}{OAUTH_PATH}/{provider}/callback"))
}

/// Completes a sign-in: the provider's redirect back.
#[utoipa::path(get, path = "/api/v1/auth/oauth/{provider}/callback", tag = "auth",
    params(("provider" = String, Path, description = "A provider name of `OAUTH_PROVIDERS`"), CallbackQuery),
    responses(
        (status = 200, description = "Signed in (the linked account, or a new one)", body = TokenPairBody),
        (status = 302, description = "With `OAUTH_SUCCESS_REDIRECT` set: to it, the pair in the fragment (`#access_token=…&refresh_token=…&token_type=Bearer&expires_in=…`)",
            headers(("Location" = String, description = "The front end's URL with the tokens in the fragment"))),
        (status = 400, description = "Missing, unknown, used, expired or foreign `state`; a refused `code`; an ID token failing verification; no email from the provider", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The linked account is disabled", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Unknown provider", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An account with the provider's email exists and is not linked (never linked automatically)", body = Problem, content_type = "application/problem+json"),
        (status = 502, description = "The provider is unreachable or failing; nothing was created", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn callback(
    state: web::Data<AppState>,
    config: web::Data<ApiConfig>,
    req: HttpRequest,
    provider: web::Path<String>,
    query: web::Query<CallbackQuery>,
) -> Result<HttpResponse, ApiError> {
    // An unknown provider is a 404 whatever the query holds.
    state.oauth.provider(&provider)?;
    let query = query.into_inner();
    if let Some(error) = query.error.as_deref() {
        let error = if error.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            error
        } else {
            "an error"
        };
        return Err(ApiError::bad_request(format!(
            "the provider refused the sign-in: {error}"
        )));
    }
    let param = |value: Option<String>, name: &str| {
        value
            .filter(|v| !v.is_empty() && v.len() <= MAX_PARAM_LEN)
            .ok_or_else(|| ApiError::bad_request(format!("{name} is required (1-2048 characters)")))
    };
    let code = param(query.code, "code")?;
    let oauth_state = param(query.state, "state")?;
    let binding = req.cookie(BINDING_COOKIE);
    let pair = state
        .oauth
        .complete(
            OAuthCallback {
                provider: &provider,
                code: &code,
                state: &oauth_state,
                binding: binding.as_ref().map(Cookie::value),
            },
            client_info(&req, &config),
        )
        .await?;
    Ok(match &config.oauth_success_redirect {
        Some(front_end) => redirect_with_tokens(front_end, &pair),
        None => TokenPairBody::response(pair),
    })
}

/// A 302 to the front end with the pair in the fragment, which browsers
/// never send to any server.
fn redirect_with_tokens(front_end: &str, pair: &TokenPair) -> HttpResponse {
    let expires_in = pair.expires_in.to_string();
    let fragment = serde_urlencoded::to_string([
        ("access_token", pair.access_token.as_str()),
        ("refresh_token", pair.refresh_token.as_str()),
        ("token_type", "Bearer"),
        ("expires_in", expires_in.as_str()),
    ])
    .unwrap_or_default();
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("{front_end}#{fragment}")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .finish()
}
