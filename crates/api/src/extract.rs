//! Extractors and body configuration: bearer authentication, client
//! address, and problem+json answers for every malformed input.

use crate::error::ApiError;
use crate::state::{ApiConfig, AppState};
use actix_web::dev::Payload;
use actix_web::error::{JsonPayloadError, UrlencodedError};
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use domain::FieldError;
use domain::model::{ClientInfo, Principal};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::net::IpAddr;

/// The caller of a request that needs a valid, unrevoked access token.
#[derive(Debug, Clone, Copy)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = bearer_token(req).map(str::to_owned);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal(&"application state missing"))?;
            let token =
                token.ok_or_else(|| ApiError::unauthorized("a bearer token is required"))?;
            let principal = state.auth.authenticate(&token).await?;
            tracing::Span::current().record("user_id", tracing::field::display(principal.user_id));
            Ok(Self(principal))
        })
    }
}

/// The token of an `Authorization: Bearer <token>` header.
pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// The user agent and client address of a request. The address is the
/// peer's, or — when the peer is a trusted proxy — the right-most address
/// of `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_info(req: &HttpRequest, config: &ApiConfig) -> ClientInfo {
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    ClientInfo::new(user_agent, client_ip(req, config).map(|ip| ip.to_string()))
}

/// The client's address: the peer's, or — behind a trusted proxy — the
/// right-most `X-Forwarded-For` address that is no trusted proxy.
pub fn client_ip(req: &HttpRequest, config: &ApiConfig) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = |ip: &IpAddr| config.trusted_proxies.iter().any(|net| net.contains(ip));
    if !trusted(&peer) {
        return Some(peer);
    }
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|part| part.trim().parse::<IpAddr>().ok())
        .collect::<Vec<_>>();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted(ip))
        .or(Some(peer))
}

/// JSON bodies: 415 for another content type, 413 over the limit, 400 for
/// malformed JSON, 422 for well-formed JSON of the wrong shape.
pub fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type_required(true)
        .content_type(|mime| mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json"))
        .error_handler(move |err, _| json_error(err, limit).into())
}

fn json_error(err: JsonPayloadError, limit: usize) -> ApiError {
    match err {
        JsonPayloadError::ContentType => ApiError::unsupported_media_type("application/json"),
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            ApiError::payload_too_large(limit)
        }
        JsonPayloadError::Deserialize(e) => serde_error(&e),
        other => ApiError::bad_request(format!("the body could not be read: {other}")),
    }
}

/// Maps a serde_json error: syntax → 400, wrong shape → 422 on the field.
pub fn serde_error(err: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match err.classify() {
        Category::Data => {
            let text = err.to_string();
            let field = text
                .split('`')
                .nth(1)
                .filter(|_| text.starts_with("missing field") || text.starts_with("unknown field"))
                .unwrap_or("body");
            let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
            ApiError::validation(vec![FieldError::new(field, message)])
        }
        _ => ApiError::bad_request(format!("malformed JSON: {err}")),
    }
}

/// A JSON body that must be an object. serde's derived structs also
/// accept an array of their fields in order (`[null, null]`), which no
/// client means: read the body as an object first (anything else is 422,
/// like any other wrong shape), then as `T`. The body is read as bytes,
/// so its nesting is checked before it is parsed ([`json_depth`]).
///
/// [`json_depth`]: crate::middleware::json_depth
#[derive(Debug)]
pub struct JsonObject<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonObject<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, actix_web::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = is_json_content(req);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::unsupported_media_type("application/json").into());
            }
            Ok(Self(json_object(&body.await?)?))
        })
    }
}

impl<T> std::ops::Deref for JsonObject<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// Whether the request says its body is JSON (`application/json` or
/// `application/*+json`).
pub fn is_json_content(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|mime| {
            let mime = mime.trim().to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
}

/// Parses the body of a JSON write (`POST`, `PUT`, `PATCH`) read as bytes:
/// the media type first, then the JSON object.
///
/// # Errors
/// 415 when the body is not declared JSON; else as [`json_object`].
pub fn json_body<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if !is_json_content(req) {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    json_object(body)
}

/// Parses `body` as a JSON object, then as `T` (see [`JsonObject`]).
///
/// # Errors
/// 400 for malformed or too deeply nested JSON, 422 for anything but an
/// object of `T`'s shape.
pub fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    crate::middleware::json_depth::check(body)?;
    let object = serde_json::from_slice::<Map<String, Value>>(body).map_err(|e| serde_error(&e))?;
    from_object(object)
}

/// Parses `body` as any JSON value.
///
/// # Errors
/// 400 for malformed or too deeply nested JSON.
pub fn json_value(body: &[u8]) -> Result<Value, ApiError> {
    crate::middleware::json_depth::check(body)?;
    serde_json::from_slice(body).map_err(|e| serde_error(&e))
}

/// Deserializes the object as `T`; a wrong shape is a 422 on the field's
/// path in the body (`name`, `password.new`, `tags[0]`), a missing field
/// on its own path.
fn from_object<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (path.as_str(), missing) {
            (".", Some(name)) => name.to_owned(),
            (parent, Some(name)) => format!("{parent}.{name}"),
            (".", None) => return serde_error(&inner),
            (path, None) => path.to_owned(),
        };
        ApiError::validation(vec![FieldError::new(field, message)])
    })
}

/// Form bodies (`/auth/token`): 415, 413 or 400.
pub fn form_config(limit: usize) -> web::FormConfig {
    web::FormConfig::default()
        .limit(limit)
        .error_handler(move |err, _| {
            match err {
                UrlencodedError::ContentType => {
                    ApiError::unsupported_media_type("application/x-www-form-urlencoded")
                }
                UrlencodedError::Overflow { .. } => ApiError::payload_too_large(limit),
                other => {
                    ApiError::oauth("invalid_request", format!("malformed form body: {other}"))
                }
            }
            .into()
        })
}

/// Query strings: 400 with the reason.
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default()
        .error_handler(|err, _| ApiError::bad_request(format!("bad query parameter: {err}")).into())
}

/// Path segments: 400 for a malformed id.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _| {
        ApiError::bad_request(format!("malformed path parameter: {err}")).into()
    })
}

/// Raw bodies (and anything else read as bytes): 413 over the limit.
pub fn payload_config(limit: usize) -> web::PayloadConfig {
    web::PayloadConfig::new(limit)
}
