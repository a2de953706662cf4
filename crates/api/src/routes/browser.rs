//! Browser mode (`X-Auth-Mode: cookie`): the refresh token lives in an
//! `HttpOnly; SameSite=Strict; Path=/api/v1/auth` cookie instead of the
//! body, with a readable `csrf_token` cookie (double-submit) that `refresh`
//! and `logout` must echo in `X-CSRF-Token`. The CSRF token is an HMAC of
//! the refresh token under `SECRET_KEY`: bound to that session, so a token
//! from another session (planted as a cookie by a sibling subdomain, say)
//! is refused.

use crate::dto::TokenPairBody;
use crate::error::ApiError;
use crate::state::ApiConfig;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use domain::model::TokenPair;
use domain::services::AuthService;
use serde::Serialize;
use utoipa::ToSchema;

/// The refresh-token cookie.
pub const REFRESH_COOKIE: &str = "refresh_token";
/// The readable CSRF cookie.
pub const CSRF_COOKIE: &str = "csrf_token";
/// Where the refresh cookie is sent.
const REFRESH_PATH: &str = "/api/v1/auth";

/// The token pair in browser mode: no `refresh_token` (it is in the
/// cookie), the CSRF token instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct BrowserTokenBody {
    /// The JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Echo it in `X-CSRF-Token` on `refresh` and `logout`.
    pub csrf_token: String,
}

/// Whether the request asks for browser mode.
pub fn requested(req: &HttpRequest) -> bool {
    req.headers()
        .get("x-auth-mode")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("cookie"))
}

/// The refresh token from the cookie, once the CSRF header matches both
/// the CSRF cookie and the refresh token; `None` when there is no refresh
/// cookie.
///
/// # Errors
/// 403 `forbidden` when `X-CSRF-Token` is missing, differs from the
/// cookie, or belongs to another session.
pub fn refresh_cookie(req: &HttpRequest, auth: &AuthService) -> Result<Option<String>, ApiError> {
    let Some(refresh) = req.cookie(REFRESH_COOKIE) else {
        return Ok(None);
    };
    let cookie = req.cookie(CSRF_COOKIE);
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    match (cookie, header) {
        (Some(cookie), Some(header))
            if !header.is_empty()
                && cookie.value() == header
                && same(header, &auth.csrf_token(refresh.value())) =>
        {
            Ok(Some(refresh.value().to_owned()))
        }
        _ => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "X-CSRF-Token must equal the csrf_token cookie of this session",
        )),
    }
}

/// Compares in time independent of where the texts differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn cookie(name: &'static str, value: String, config: &ApiConfig, refresh: bool) -> Cookie<'static> {
    let max_age = CookieDuration::seconds(
        i64::try_from(config.refresh_cookie_ttl.as_secs()).unwrap_or(i64::MAX),
    );
    let mut cookie = Cookie::build(name, value)
        .path(if refresh { REFRESH_PATH } else { "/" })
        .secure(config.production)
        .same_site(SameSite::Strict)
        .max_age(max_age)
        .finish();
    cookie.set_http_only(refresh);
    cookie
}

/// A 200 with the pair in browser mode: the refresh token and its CSRF
/// token as cookies, the CSRF token in the body too.
pub fn respond(pair: TokenPair, auth: &AuthService, config: &ApiConfig) -> HttpResponse {
    let refresh = pair.refresh_token.as_str().to_owned();
    let csrf = auth.csrf_token(&refresh);
    let mut response = no_store(HttpResponse::Ok());
    response
        .cookie(cookie(REFRESH_COOKIE, refresh, config, true))
        .cookie(cookie(CSRF_COOKIE, csrf.clone(), config, false))
        .json(BrowserTokenBody {
            access_token: pair.access_token,
            token_type: "Bearer",
            expires_in: pair.expires_in,
            csrf_token: csrf,
        })
}

/// A 204 that also clears the browser-mode cookies.
pub fn logged_out(config: &ApiConfig) -> HttpResponse {
    let mut response = HttpResponse::NoContent();
    for (name, refresh) in [(REFRESH_COOKIE, true), (CSRF_COOKIE, false)] {
        let mut gone = cookie(name, String::new(), config, refresh);
        gone.make_removal();
        response.cookie(gone);
    }
    response.finish()
}

/// The pair in the mode the request asked for.
pub fn pair_response(
    req: &HttpRequest,
    pair: TokenPair,
    auth: &AuthService,
    config: &ApiConfig,
) -> HttpResponse {
    if requested(req) {
        respond(pair, auth, config)
    } else {
        TokenPairBody::response(pair)
    }
}

fn no_store(mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
    builder
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")));
    builder
}
