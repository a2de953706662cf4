//! The JSON frames of the WebSocket protocol. Server frames are serialized
//! once into a `ByteString` whose bytes every recipient shares.

use bytestring::ByteString;
use domain::model::{CommandId, JsonObject, Timestamp};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// A frame from the client.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// Join a room, replaying events after `since`.
    Join {
        /// The room.
        room: String,
        /// Replay events with a higher seq first.
        #[serde(default)]
        since: Option<i64>,
    },
    /// Leave a room.
    Leave {
        /// The room.
        room: String,
    },
    /// Send a chat message to a room one has joined.
    Publish {
        /// The room.
        room: String,
        /// The message.
        #[serde(default)]
        #[schema(value_type = Value)]
        data: Value,
    },
    /// Ask for a `pong` carrying the same id.
    Ping {
        /// Echoed back.
        #[serde(default)]
        #[schema(value_type = Value)]
        id: Value,
    },
}

impl ClientFrame {
    /// Parses a text frame; on failure, says which frame type it claimed to
    /// be (for the error's `ref`).
    pub fn parse(text: &str) -> Result<Self, String> {
        parse(text)
    }
}

/// Parses a client's text frame, which must be one JSON object (serde would
/// read a struct from an array too); on failure, says which frame type it
/// claimed to be (for the error's `ref`), or `frame`.
pub fn parse<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    let object = text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{');
    match serde_json::from_str(text) {
        Ok(frame) if object => Ok(frame),
        _ => Err(serde_json::from_str::<Value>(text)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_owned))
            .unwrap_or_else(|| "frame".to_owned())),
    }
}

/// A member as presence frames show it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct Member {
    /// The user.
    pub user_id: uuid::Uuid,
    /// Their display name.
    pub display_name: String,
}

/// A frame from the server. Encoded once per broadcast; every recipient
/// shares the bytes.
#[derive(Debug, Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// The room is joined; `seq` is its latest event's (after any replay).
    Joined {
        /// The room.
        room: &'a str,
        /// The room's latest seq (0 for a chat room).
        seq: i64,
    },
    /// An event of a room: logged (with `seq`) or live only
    /// (`agent.heartbeat`, without).
    Event {
        /// The room.
        room: &'a str,
        /// Its seq in the log; absent for a live-only event.
        #[serde(skip_serializing_if = "Option::is_none")]
        seq: Option<i64>,
        /// `item.created`, `item.updated`, `agent.heartbeat`, …
        event: &'a str,
        /// The resource (an `Item`, an `Agent`) or the heartbeat.
        #[schema(value_type = Object)]
        data: &'a Value,
    },
    /// A chat message.
    Message {
        /// The chat room.
        room: &'a str,
        /// The sender's user id.
        from: uuid::Uuid,
        /// What was published.
        #[schema(value_type = Value)]
        data: &'a Value,
    },
    /// Who joined and who left a chat room.
    Presence {
        /// The chat room.
        room: &'a str,
        /// Users now present.
        #[schema(value_type = Vec<Member>)]
        joins: &'a [Member],
        /// Users gone.
        #[schema(value_type = Vec<Member>)]
        leaves: &'a [Member],
    },
    /// The answer to a `ping`.
    Pong {
        /// The ping's id.
        #[schema(value_type = Value)]
        id: &'a Value,
    },
    /// A command for the agent (`/ws/agent` only), sent again on every
    /// (re)connection until it is acknowledged.
    Command {
        /// The command's id: an agent ignores one it already has.
        #[schema(value_type = uuid::Uuid)]
        id: CommandId,
        /// What to run.
        name: &'a str,
        /// Its arguments.
        #[schema(value_type = Object)]
        args: &'a JsonObject,
        /// When it times out without a result (RFC 3339).
        #[schema(value_type = Option<String>, format = DateTime)]
        deadline_at: Option<Timestamp>,
    },
    /// The command `id` was cancelled: the agent stops it (`/ws/agent`
    /// only).
    Cancel {
        /// The command.
        #[schema(value_type = uuid::Uuid)]
        id: CommandId,
    },
    /// A refused frame or join, or `resync_required`; the connection stays.
    Error {
        /// `bad_request`, `forbidden`, `rate_limited`, `resync_required`, `unavailable`.
        code: &'a str,
        /// For people.
        message: &'a str,
        /// The room or the frame type it is about.
        r#ref: &'a str,
    },
}

impl ServerFrame<'_> {
    /// The frame as JSON text.
    pub fn encode(&self) -> ByteString {
        ByteString::from(serde_json::to_string(self).unwrap_or_default())
    }
}

/// `{"type":"joined","room":…,"seq":…}`.
pub fn joined(room: &str, seq: i64) -> ByteString {
    ServerFrame::Joined { room, seq }.encode()
}

/// `{"type":"event","room":…,"seq":…,"event":…,"data":…}`.
pub fn event(room: &str, seq: i64, kind: &str, data: &Value) -> ByteString {
    ServerFrame::Event {
        room,
        seq: Some(seq),
        event: kind,
        data,
    }
    .encode()
}

/// `{"type":"event","room":…,"event":…,"data":…}`: a live-only event, no seq.
pub fn live_event(room: &str, kind: &str, data: &Value) -> ByteString {
    ServerFrame::Event {
        room,
        seq: None,
        event: kind,
        data,
    }
    .encode()
}

/// `{"type":"message","room":…,"from":…,"data":…}`.
pub fn message(room: &str, from: uuid::Uuid, data: &Value) -> ByteString {
    ServerFrame::Message { room, from, data }.encode()
}

/// `{"type":"presence","room":…,"joins":[…],"leaves":[…]}`.
pub fn presence(room: &str, joins: &[Member], leaves: &[Member]) -> ByteString {
    ServerFrame::Presence {
        room,
        joins,
        leaves,
    }
    .encode()
}

/// `{"type":"pong","id":…}`.
pub fn pong(id: &Value) -> ByteString {
    ServerFrame::Pong { id }.encode()
}

/// `{"type":"error","code":…,"message":…,"ref":…}`.
pub fn error(code: &str, message: &str, reference: &str) -> ByteString {
    ServerFrame::Error {
        code,
        message,
        r#ref: reference,
    }
    .encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_frames_parse_and_name_their_type_on_failure() {
        assert!(matches!(
            ClientFrame::parse(r#"{"type":"join","room":"items","since":4}"#),
            Ok(ClientFrame::Join { since: Some(4), .. })
        ));
        assert_eq!(
            ClientFrame::parse(r#"{"type":"join"}"#).err().as_deref(),
            Some("join")
        );
        assert_eq!(
            ClientFrame::parse("not json").err().as_deref(),
            Some("frame")
        );
        assert_eq!(
            ClientFrame::parse(r#"{"type":"dance"}"#).err().as_deref(),
            Some("dance")
        );
        for not_an_object in [r#"["join", "items"]"#, r#""join""#, "7", "null"] {
            assert_eq!(
                ClientFrame::parse(not_an_object).err().as_deref(),
                Some("frame"),
                "{not_an_object}"
            );
        }
        assert!(ClientFrame::parse(" \n{\"type\":\"ping\"}").is_ok());
    }

    #[test]
    fn server_frames_have_the_documented_shape() {
        let frame: Value =
            serde_json::from_str(&event("items", 46, "item.updated", &json!({"a": 1})))
                .expect("json");
        assert_eq!(
            frame,
            json!({"type": "event", "room": "items", "seq": 46, "event": "item.updated", "data": {"a": 1}})
        );
        let frame: Value = serde_json::from_str(&error("forbidden", "no", "x")).expect("json");
        assert_eq!(frame["ref"], "x");
    }
}
