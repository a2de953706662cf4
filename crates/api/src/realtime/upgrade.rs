//! `GET /ws`: authenticate, register with the hub, upgrade.

use super::Realtime;
use super::hub::Admitted;
use super::session::{self, Connection};
use super::socket;
use super::takeover::{HandedOver, Takeover};
use crate::error::ApiError;
use crate::extract::bearer_token;
use crate::middleware::link_to_request;
use crate::state::AppState;
use actix_http::ws;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};

/// Where the access token came from.
pub(super) enum TokenSource {
    Header,
    Query,
    Subprotocol,
}

/// Checks the WebSocket handshake of `req` and makes its `101`, answering
/// with the `bearer` subprotocol when the token came as one (browsers
/// require the answer); [`taken_over`] completes it.
///
/// # Errors
/// 400 `bad_request` for a request that is no WebSocket handshake.
pub(super) fn handshake(req: &HttpRequest, source: &TokenSource) -> Result<HttpResponse, ApiError> {
    let not_handshake = |why: &dyn std::fmt::Display| {
        ApiError::bad_request(format!("not a WebSocket handshake: {why}"))
    };
    let mut response = ws::handshake(req.head()).map_err(|error| not_handshake(&error))?;
    if req.extensions().get::<HandedOver>().is_none() {
        return Err(not_handshake(&"a handshake request has no body"));
    }
    if matches!(source, TokenSource::Subprotocol) {
        response.insert_header((header::SEC_WEBSOCKET_PROTOCOL, "bearer"));
    }
    Ok(HttpResponse::from(response.finish()).map_into_boxed_body())
}

/// How long a client refused for having too many open sockets is told to
/// wait (`Retry-After`, like every 429): a socket frees up whenever one of
/// the user's closes.
const SOCKETS_RETRY_AFTER_SECS: u64 = 1;

/// 429 `rate_limited` for an upgrade (or a stream) over `WS_MAX_CONNECTIONS_PER_USER`,
/// with `Retry-After`.
pub(super) fn too_many_sockets() -> HttpResponse {
    let mut response = HttpResponse::from_error(ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        "too many open sockets for this user",
    ));
    response.headers_mut().insert(
        header::RETRY_AFTER,
        header::HeaderValue::from(SOCKETS_RETRY_AFTER_SECS),
    );
    response
}

/// Puts `takeover` in `response`, the `101` of [`handshake`].
pub(super) fn taken_over(mut response: HttpResponse, takeover: Takeover) -> HttpResponse {
    response.extensions_mut().insert(takeover);
    response
}

/// The token of an upgrade: `Authorization: Bearer`, `?access_token=`, or
/// the subprotocol pair `bearer, <token>`.
pub(super) fn upgrade_token(req: &HttpRequest) -> Option<(String, TokenSource)> {
    if let Some(token) = bearer_token(req) {
        return Some((token.to_owned(), TokenSource::Header));
    }
    let query =
        web::Query::<std::collections::HashMap<String, String>>::from_query(req.query_string())
            .ok();
    if let Some(token) = query
        .and_then(|q| q.get("access_token").cloned())
        .filter(|t| !t.is_empty())
    {
        return Some((token, TokenSource::Query));
    }
    let protocols = req
        .headers()
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?;
    let mut parts = protocols.split(',').map(str::trim);
    match (parts.next(), parts.next()) {
        (Some("bearer"), Some(token)) if !token.is_empty() => {
            Some((token.to_owned(), TokenSource::Subprotocol))
        }
        _ => None,
    }
}

/// Upgrades to a WebSocket for a user with a valid access token. No valid
/// token → 401; over `WS_MAX_CONNECTIONS_PER_USER` → 429.
///
/// The protocol (frames, rooms, replay) is described in `docs/realtime.md`.
///
/// # Errors
/// 401 `unauthorized`, 429 `rate_limited`, 400 for a request that is no
/// WebSocket handshake.
#[utoipa::path(get, path = "/ws", tag = "realtime",
    description = "Upgrades to a WebSocket (JSON text frames: join/leave/publish/ping from the client; joined/event/message/presence/pong/error from the server). Authenticate with `Authorization: Bearer`, `?access_token=` or the subprotocols `bearer, <token>` (answered with `Sec-WebSocket-Protocol: bearer`). Rooms: `items`, `item:<id>`, `agents`, `agent:<id>`, `chat:<name>`; `join` with `since` replays from the event log. See docs/realtime.md.",
    security(("bearer" = [])),
    params(("access_token" = Option<String>, Query, description = "The access token, for browsers that cannot set headers")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many open sockets for this user, or over the rate limit", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn ws(
    req: HttpRequest,
    state: web::Data<AppState>,
    realtime: web::Data<Realtime>,
) -> Result<HttpResponse, ApiError> {
    let (token, source) =
        upgrade_token(&req).ok_or_else(|| ApiError::unauthorized("an access token is required"))?;
    let principal = state.auth.authenticate(&token).await?;
    tracing::Span::current().record("user_id", tracing::field::display(principal.user_id));
    let user = state.users.me(&principal).await?;
    let response = handshake(&req, &source)?;
    let display_name = user.display_name.as_str().to_owned();
    let admitted = realtime
        .hub
        .admit(principal, display_name, realtime.config.send_queue);
    let Some(Admitted { id, queue, close }) = admitted.await else {
        return Ok(too_many_sockets());
    };
    let connection = Connection {
        principal,
        id,
        realtime: realtime.get_ref().clone(),
        items: state.items.clone(),
        agents: state.agents.clone(),
        close,
    };
    let span = tracing::info_span!(
        parent: None,
        "websocket",
        conn_id = id,
        user_id = %principal.user_id,
        otel.kind = tracing::field::Empty,
    );
    link_to_request(&span, &req);
    let takeover = socket::takeover(Some(queue), span, move |outgoing, incoming| {
        session::run(connection, outgoing, incoming)
    });
    Ok(taken_over(response, takeover))
}
