//! The JSON frames of the WebSocket protocol. Server frames are serialized
//! once into a `ByteString` whose bytes every recipient shares.

use bytestring::ByteString;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A frame from the client.
#[derive(Debug, Deserialize)]
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
        data: Value,
    },
    /// Ask for a `pong` carrying the same id.
    Ping {
        /// Echoed back.
        #[serde(default)]
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
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Member {
    /// The user.
    pub user_id: uuid::Uuid,
    /// Their display name.
    pub display_name: String,
}

fn encode<T: Serialize>(frame: &T) -> ByteString {
    ByteString::from(serde_json::to_string(frame).unwrap_or_default())
}

/// `{"type":"joined","room":…,"seq":…}`.
pub fn joined(room: &str, seq: i64) -> ByteString {
    #[derive(Serialize)]
    struct Joined<'a> {
        r#type: &'static str,
        room: &'a str,
        seq: i64,
    }
    encode(&Joined {
        r#type: "joined",
        room,
        seq,
    })
}

/// `{"type":"event","room":…,"seq":…,"event":…,"data":…}`.
pub fn event(room: &str, seq: i64, kind: &str, data: &Value) -> ByteString {
    #[derive(Serialize)]
    struct Event<'a> {
        r#type: &'static str,
        room: &'a str,
        seq: i64,
        event: &'a str,
        data: &'a Value,
    }
    encode(&Event {
        r#type: "event",
        room,
        seq,
        event: kind,
        data,
    })
}

/// `{"type":"event","room":…,"event":…,"data":…}`: a live-only event, no seq.
pub fn live_event(room: &str, kind: &str, data: &Value) -> ByteString {
    #[derive(Serialize)]
    struct Event<'a> {
        r#type: &'static str,
        room: &'a str,
        event: &'a str,
        data: &'a Value,
    }
    encode(&Event {
        r#type: "event",
        room,
        event: kind,
        data,
    })
}

/// `{"type":"message","room":…,"from":…,"data":…}`.
pub fn message(room: &str, from: uuid::Uuid, data: &Value) -> ByteString {
    #[derive(Serialize)]
    struct Message<'a> {
        r#type: &'static str,
        room: &'a str,
        from: uuid::Uuid,
        data: &'a Value,
    }
    encode(&Message {
        r#type: "message",
        room,
        from,
        data,
    })
}

/// `{"type":"presence","room":…,"joins":[…],"leaves":[…]}`.
pub fn presence(room: &str, joins: &[Member], leaves: &[Member]) -> ByteString {
    #[derive(Serialize)]
    struct Presence<'a> {
        r#type: &'static str,
        room: &'a str,
        joins: &'a [Member],
        leaves: &'a [Member],
    }
    encode(&Presence {
        r#type: "presence",
        room,
        joins,
        leaves,
    })
}

/// `{"type":"pong","id":…}`.
pub fn pong(id: &Value) -> ByteString {
    #[derive(Serialize)]
    struct Pong<'a> {
        r#type: &'static str,
        id: &'a Value,
    }
    encode(&Pong { r#type: "pong", id })
}

/// `{"type":"error","code":…,"message":…,"ref":…}`.
pub fn error(code: &str, message: &str, reference: &str) -> ByteString {
    #[derive(Serialize)]
    struct Error<'a> {
        r#type: &'static str,
        code: &'a str,
        message: &'a str,
        r#ref: &'a str,
    }
    encode(&Error {
        r#type: "error",
        code,
        message,
        r#ref: reference,
    })
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
