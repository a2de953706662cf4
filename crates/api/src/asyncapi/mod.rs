//! The AsyncAPI 3 description of the real-time API — `/ws`, `/ws/agent`
//! and the event stream — served at `/asyncapi.json`. Every message's
//! payload is the JSON schema of the Rust type the server decodes or
//! encodes (derived with `utoipa::ToSchema`), one message per variant of
//! the frame enums, so a new frame type appears here by itself.

use crate::realtime::agent::AgentFrame;
use crate::realtime::frames::{ClientFrame, Member, ServerFrame};
use crate::realtime::stream::events::{Closing, Resync};
use actix_web::HttpResponse;
use serde_json::{Map, Value, json};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;
use utoipa::{PartialSchema, ToSchema};

/// The server frames an agent receives.
const AGENT_SERVER_FRAMES: [&str; 4] = ["command", "cancel", "pong", "error"];
/// The server frames only agents get.
const AGENT_ONLY_FRAMES: [&str; 2] = ["command", "cancel"];
/// The server frames that become stream events (`pong` and `error` don't:
/// a stream sends nothing back and is refused before it starts).
const STREAM_FRAMES: [&str; 4] = ["joined", "event", "message", "presence"];

/// `GET /asyncapi.json`.
pub async fn serve() -> HttpResponse {
    HttpResponse::Ok().json(document())
}

/// A JSON value of `schema`.
fn json_of(schema: RefOr<Schema>) -> Value {
    serde_json::to_value(schema).unwrap_or_default()
}

/// Each variant of an internally tagged enum's schema, by its `type` tag.
fn variants(schema: RefOr<Schema>) -> Vec<(String, Value)> {
    let schema = json_of(schema);
    let Some(variants) = schema.get("oneOf").and_then(Value::as_array) else {
        return Vec::new();
    };
    variants
        .iter()
        .filter_map(|variant| {
            let tag = variant.pointer("/properties/type/enum/0")?.as_str()?;
            Some((tag.to_owned(), variant.clone()))
        })
        .collect()
}

/// A variant's schema as a stream event's `data`: without `type` (the
/// event's name says it) and `event` (the event is named after it).
fn without_tag(mut schema: Value) -> Value {
    for field in ["type", "event"] {
        if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
            properties.remove(field);
        }
        if let Some(required) = schema.get_mut("required").and_then(Value::as_array_mut) {
            required.retain(|name| name != field);
        }
    }
    schema
}

/// A message named `name` with `payload`.
fn message(name: &str, summary: &str, payload: Value) -> Value {
    json!({"name": name, "summary": summary, "contentType": "application/json", "payload": payload})
}

/// The channel's messages and the operation lists of each direction.
struct Channel {
    messages: Map<String, Value>,
    receive: Vec<String>,
    send: Vec<String>,
}

impl Channel {
    fn new() -> Self {
        Self {
            messages: Map::new(),
            receive: Vec::new(),
            send: Vec::new(),
        }
    }

    /// Adds a message the server receives (`receive`) or sends.
    fn add(&mut self, key: String, receive: bool, message: Value) {
        self.messages.insert(key.clone(), message);
        if receive {
            self.receive.push(key);
        } else {
            self.send.push(key);
        }
    }
}

/// The AsyncAPI 3 document.
pub fn document() -> Value {
    let server_frames = variants(ServerFrame::schema());
    let mut ws = Channel::new();
    for (tag, payload) in variants(ClientFrame::schema()) {
        ws.add(
            format!("client.{tag}"),
            true,
            message(&tag, "from the client", payload),
        );
    }
    for (tag, payload) in server_frames
        .iter()
        .filter(|(t, _)| !AGENT_ONLY_FRAMES.contains(&t.as_str()))
    {
        ws.add(
            format!("server.{tag}"),
            false,
            message(tag, "from the server", payload.clone()),
        );
    }
    let mut agent = Channel::new();
    for (tag, payload) in variants(AgentFrame::schema()) {
        agent.add(
            format!("agent.{tag}"),
            true,
            message(&tag, "from the agent", payload),
        );
    }
    for (tag, payload) in server_frames
        .iter()
        .filter(|(t, _)| AGENT_SERVER_FRAMES.contains(&t.as_str()))
    {
        agent.add(
            format!("server.{tag}"),
            false,
            message(tag, "from the server", payload.clone()),
        );
    }
    let mut stream = Channel::new();
    for (tag, payload) in server_frames
        .iter()
        .filter(|(t, _)| STREAM_FRAMES.contains(&t.as_str()))
    {
        let summary = if tag == "event" {
            "`event:` the event's own name (`item.updated`, `agent.heartbeat`, …); `id:` the stream's position when it has a seq"
        } else {
            "`event:` this name"
        };
        stream.add(
            format!("stream.{tag}"),
            false,
            message(tag, summary, without_tag(payload.clone())),
        );
    }
    stream.add(
        "stream.resync_required".to_owned(),
        false,
        message(
            "resync_required",
            "`event:` this name",
            json_of(Resync::schema()),
        ),
    );
    stream.add(
        "stream.close".to_owned(),
        false,
        message(
            "close",
            "`event:` this name; the stream ends",
            json_of(Closing::schema()),
        ),
    );

    let mut schemas = vec![(Member::name().into_owned(), Member::schema())];
    ServerFrame::schemas(&mut schemas);
    let schemas: Map<String, Value> = schemas
        .into_iter()
        .map(|(name, schema)| (name, json_of(schema)))
        .collect();
    let mut channels = Map::new();
    let mut operations = Map::new();
    for (id, address, title, channel) in [
        (
            "ws",
            "/ws",
            "The WebSocket of users: rooms, events, chat",
            ws,
        ),
        (
            "wsAgent",
            "/ws/agent",
            "The WebSocket of an agent: heartbeats",
            agent,
        ),
        (
            "stream",
            "/api/v1/stream",
            "Server-sent events (`text/event-stream`): the rooms of `/ws` for `EventSource`; each event's `data` is the payload below",
            stream,
        ),
    ] {
        for (action, keys) in [("receive", &channel.receive), ("send", &channel.send)] {
            if keys.is_empty() {
                continue;
            }
            let refs: Vec<Value> = keys
                .iter()
                .map(|key| json!({"$ref": format!("#/channels/{id}/messages/{key}")}))
                .collect();
            operations.insert(
                format!("{id}.{action}"),
                json!({
                    "action": action,
                    "channel": {"$ref": format!("#/channels/{id}")},
                    "messages": refs,
                }),
            );
        }
        channels.insert(
            id.to_owned(),
            json!({"address": address, "title": title, "messages": channel.messages}),
        );
    }
    json!({
        "asyncapi": "3.1.0",
        "info": {
            "title": "backend-api real time",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "The WebSocket gateways `/ws` (users) and `/ws/agent` (agents), and the event stream `/api/v1/stream`, described from the server's side: it receives the client's frames and sends its own. Authentication, rooms, replay and closes: docs/realtime.md. The REST API: `/openapi.json`.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"schemas": schemas},
    })
}

#[cfg(test)]
mod tests;
