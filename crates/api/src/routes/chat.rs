//! `POST /api/v1/chat/{name}/messages`: a chat message over plain HTTP,
//! published exactly as a socket's `publish` (on every instance).

use crate::error::ApiError;
use crate::extract::{Authenticated, JsonObject};
use crate::realtime::Realtime;
use crate::realtime::rooms::Room;
use crate::realtime::session::MAX_FRAME;
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A chat message.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatMessageRequest {
    /// The message: any JSON value, at most 64 KiB as JSON text (the
    /// frame limit of the socket).
    #[schema(value_type = Value, example = json!({"text": "hi"}))]
    pub data: Value,
}

/// Publishes `{data}` to `chat:<name>`: members there (sockets and streams,
/// on every instance) receive `message` with `from` the caller. The caller
/// need not be a member.
///
/// # Errors
/// 400 for a name that is no chat room name, 413 when `data` is over
/// 64 KiB, 422 without `data`, 401 without a valid token.
#[utoipa::path(post, path = "/api/v1/chat/{name}/messages", tag = "realtime",
    security(("bearer" = [])),
    params(("name" = String, Path, description = "The chat room's name (after `chat:`): 1-100 characters, no control characters")),
    request_body = ChatMessageRequest,
    responses(
        (status = 202, description = "Published to the room's members"),
        (status = 400, description = "Not a chat room name, or malformed JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid access token", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such route (a name holding `/`)", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 413, description = "`data` over 64 KiB, or the body over the limit", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No `data`", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn publish(
    Authenticated(principal): Authenticated,
    name: web::Path<String>,
    body: JsonObject<ChatMessageRequest>,
    realtime: web::Data<Realtime>,
) -> Result<HttpResponse, ApiError> {
    let room = match Room::parse(&format!("chat:{name}")) {
        Some(room @ Room::Chat(_)) => room,
        _ => return Err(ApiError::bad_request("not a chat room name")),
    };
    let data = body.0.data;
    if serde_json::to_string(&data).map_or(0, |text| text.len()) > MAX_FRAME {
        return Err(ApiError::payload_too_large(MAX_FRAME));
    }
    realtime.hub.say(principal.user_id, room.name(), data);
    Ok(HttpResponse::Accepted().finish())
}
