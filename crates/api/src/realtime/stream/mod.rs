//! `GET /api/v1/stream`: the rooms of the WebSocket API as server-sent
//! events, for clients that can't use WebSockets (`EventSource`, proxies
//! that drop upgrades). A stream is a hub member like a socket, with the
//! same rooms, visibility, replay and limits; only its encoding differs.

mod body;
pub mod cursor;
pub mod events;

use super::Realtime;
use super::hub::Admitted;
use super::joining::authorized;
use super::rooms::Room;
use super::session::MAX_ROOMS;
use super::upgrade::too_many_sockets;
use crate::error::ApiError;
use crate::extract::bearer_token;
use crate::state::AppState;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use body::Member;
use cursor::Cursor;
use serde::Deserialize;

/// The query of `GET /api/v1/stream`.
#[derive(Debug, Deserialize)]
struct StreamQuery {
    rooms: Option<String>,
    since: Option<String>,
    access_token: Option<String>,
}

/// Streams rooms as server-sent events.
///
/// # Errors
/// 401 `unauthorized` without a valid token, 400 `bad_request` for a bad
/// `rooms`, `since` or `Last-Event-ID`, 403 `forbidden` for a room the
/// caller may not see, 429 `rate_limited` over
/// `WS_MAX_CONNECTIONS_PER_USER`, 503 while shutting down.
#[utoipa::path(get, path = "/api/v1/stream", tag = "realtime",
    description = "The rooms of the WebSocket API as server-sent events (`text/event-stream`), for `EventSource` and proxies that drop upgrades: the same rooms, visibility, replay and `resync_required`. Each event's `id` holds the latest seq of every joined room with events (`items:46,agents:12`); a reconnecting `EventSource` sends it back as `Last-Event-ID` and resumes with no gap and no duplicate (`since` does the same explicitly). Events: the logged events by name (`item.updated`, …) with `data: {room, seq, data}`, `message`, `presence`, `agent.heartbeat`, `resync_required` (`{room}`), `joined` (`{room, seq}`) and, when the server ends the stream, `close` (`{reason}`). A comment line every `WS_PING_SECS`. Counts toward `WS_MAX_CONNECTIONS_PER_USER`. The events are described in `/asyncapi.json`; see docs/realtime.md.",
    security(("bearer" = [])),
    params(
        ("rooms" = String, Query, description = "Comma-separated rooms: `items`, `item:<id>`, `agents`, `agent:<id>`, `chat:<name>`", example = "items,agents,chat:lobby"),
        ("since" = Option<String>, Query, description = "Replay after these seqs, per room", example = "items:41,agents:3"),
        ("access_token" = Option<String>, Query, description = "The access token, for `EventSource` (which can't set headers); never logged"),
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last event received; wins over `since` for the rooms it names"),
    ),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream", body = String),
        (status = 400, description = "A bad `rooms`, `since` or `Last-Event-ID`", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 403, description = "A room the caller may not see", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many open sockets and streams for this user, or over the rate limit", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 503, description = "The server is shutting down", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn stream(
    req: HttpRequest,
    state: web::Data<AppState>,
    realtime: web::Data<Realtime>,
) -> Result<HttpResponse, ApiError> {
    let query = web::Query::<StreamQuery>::from_query(req.query_string())
        .map_err(|_| ApiError::bad_request("malformed query string"))?
        .into_inner();
    let token = bearer_token(&req)
        .map(str::to_owned)
        .or(query.access_token.filter(|t| !t.is_empty()))
        .ok_or_else(|| ApiError::unauthorized("an access token is required"))?;
    let principal = state.auth.authenticate(&token).await?;
    tracing::Span::current().record("user_id", tracing::field::display(principal.user_id));
    let rooms = rooms(query.rooms.as_deref().unwrap_or_default())?;
    let since = Cursor::parse(query.since.as_deref().unwrap_or_default(), "since")?;
    if let Some(stray) = since
        .rooms()
        .find(|r| !rooms.iter().any(|room| room.name() == *r))
    {
        return Err(ApiError::bad_request(format!(
            "since: `{stray}` is not in `rooms`"
        )));
    }
    let resumed = match req.headers().get("last-event-id") {
        Some(value) => Cursor::parse(
            value
                .to_str()
                .map_err(|_| ApiError::bad_request("Last-Event-ID: not text"))?,
            "Last-Event-ID",
        )?,
        None => Cursor::default(),
    };
    let mut joins = Vec::with_capacity(rooms.len());
    for room in rooms {
        let name = room.name();
        if authorized(&state.items, &state.agents, &principal, &name)
            .await
            .is_none()
        {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                format!("you may not join `{name}`"),
            ));
        }
        let position = resumed.get(&name).or_else(|| since.get(&name));
        joins.push((room, position));
    }
    if state.draining.is_draining() {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "the server is shutting down",
        ));
    }
    let user = state.users.me(&principal).await?;
    let display_name = user.display_name.as_str().to_owned();
    let admitted = realtime
        .hub
        .admit(principal, display_name, realtime.config.send_queue);
    let Some(Admitted { id, queue, close }) = admitted.await else {
        return Ok(too_many_sockets());
    };
    let member = Member {
        id,
        principal,
        realtime: realtime.get_ref().clone(),
        queue,
        close,
    };
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body::body(member, joins)))
}

/// Parses `rooms` (comma-separated, at least one, at most [`MAX_ROOMS`];
/// a room named twice is joined once).
fn rooms(text: &str) -> Result<Vec<Room>, ApiError> {
    if text.is_empty() {
        return Err(ApiError::bad_request(
            "rooms: required, e.g. `items,agents,chat:lobby`",
        ));
    }
    let mut rooms: Vec<Room> = Vec::new();
    for name in text.split(',') {
        let room = Room::parse(name)
            .ok_or_else(|| ApiError::bad_request(format!("rooms: `{name}` is not a room")))?;
        if !rooms.contains(&room) {
            rooms.push(room);
        }
    }
    if rooms.len() > MAX_ROOMS {
        return Err(ApiError::bad_request(format!(
            "rooms: at most {MAX_ROOMS} rooms"
        )));
    }
    Ok(rooms)
}
