//! Every frame type of the enums is a message of its channels.

use super::*;
use crate::realtime::stream::events::OWN_EVENTS;
use domain::model::{CommandId, JsonObject};

/// Every variant's `type` tag. A new variant breaks the build here
/// until it is listed: the test below then checks the document has it.
fn client_tag(frame: &ClientFrame) -> &'static str {
    match frame {
        ClientFrame::Join { .. } => "join",
        ClientFrame::Leave { .. } => "leave",
        ClientFrame::Publish { .. } => "publish",
        ClientFrame::Ping { .. } => "ping",
    }
}

fn agent_tag(frame: &AgentFrame) -> &'static str {
    match frame {
        AgentFrame::Heartbeat { .. } => "heartbeat",
        AgentFrame::Ping { .. } => "ping",
        AgentFrame::Ack { .. } => "ack",
        AgentFrame::Progress { .. } => "progress",
        AgentFrame::Result { .. } => "result",
    }
}

fn server_tag(frame: &ServerFrame<'_>) -> &'static str {
    match frame {
        ServerFrame::Joined { .. } => "joined",
        ServerFrame::Event { .. } => "event",
        ServerFrame::Message { .. } => "message",
        ServerFrame::Presence { .. } => "presence",
        ServerFrame::Pong { .. } => "pong",
        ServerFrame::Command { .. } => "command",
        ServerFrame::Cancel { .. } => "cancel",
        ServerFrame::Error { .. } => "error",
    }
}

/// One frame of each variant.
fn samples() -> (Vec<ClientFrame>, Vec<AgentFrame>, Vec<ServerFrame<'static>>) {
    let (room, data) = ("items".to_owned(), Value::Null);
    let client = vec![
        ClientFrame::Join {
            room: room.clone(),
            since: None,
        },
        ClientFrame::Leave { room: room.clone() },
        ClientFrame::Publish {
            room,
            data: data.clone(),
        },
        ClientFrame::Ping { id: data.clone() },
    ];
    let agent = vec![
        AgentFrame::Heartbeat {
            status: data.clone(),
        },
        AgentFrame::Ping { id: data.clone() },
        AgentFrame::Ack { id: "x".into() },
        AgentFrame::Progress {
            id: "x".into(),
            data: data.clone(),
        },
        AgentFrame::Result {
            id: "x".into(),
            ok: true,
            data: None,
            error: None,
        },
    ];
    static NULL: Value = Value::Null;
    static ARGS: std::sync::LazyLock<JsonObject> = std::sync::LazyLock::new(JsonObject::default);
    let server = vec![
        ServerFrame::Joined {
            room: "items",
            seq: 0,
        },
        ServerFrame::Event {
            room: "items",
            seq: None,
            event: "item.created",
            data: &NULL,
        },
        ServerFrame::Message {
            room: "chat:x",
            from: uuid::Uuid::nil(),
            data: &NULL,
        },
        ServerFrame::Presence {
            room: "chat:x",
            joins: &[],
            leaves: &[],
        },
        ServerFrame::Pong { id: &NULL },
        ServerFrame::Command {
            id: CommandId(uuid::Uuid::nil()),
            name: "echo",
            args: &ARGS,
            deadline_at: None,
        },
        ServerFrame::Cancel {
            id: CommandId(uuid::Uuid::nil()),
        },
        ServerFrame::Error {
            code: "x",
            message: "x",
            r#ref: "x",
        },
    ];
    (client, agent, server)
}

fn message_names(doc: &Value, channel: &str) -> Vec<String> {
    doc["channels"][channel]["messages"]
        .as_object()
        .expect("messages")
        .values()
        .map(|m| m["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn every_frame_type_is_a_message_of_its_channels() {
    let doc = document();
    let (client, agent, server) = samples();
    let ws = message_names(&doc, "ws");
    let agent_ws = message_names(&doc, "wsAgent");
    let stream = message_names(&doc, "stream");
    for tag in client.iter().map(client_tag) {
        assert!(ws.contains(&tag.to_owned()), "/ws lacks {tag}");
    }
    for tag in agent.iter().map(agent_tag) {
        assert!(agent_ws.contains(&tag.to_owned()), "/ws/agent lacks {tag}");
    }
    for frame in &server {
        let tag = server_tag(frame);
        let encoded: Value = serde_json::from_str(&frame.encode()).expect("json");
        assert_eq!(encoded["type"], tag, "the tag is what the server sends");
        let agent_only = AGENT_ONLY_FRAMES.contains(&tag);
        assert_eq!(ws.contains(&tag.to_owned()), !agent_only, "/ws: {tag}");
        if AGENT_SERVER_FRAMES.contains(&tag) {
            assert!(agent_ws.contains(&tag.to_owned()), "/ws/agent lacks {tag}");
        }
        let streamed = STREAM_FRAMES.contains(&tag) || stream.contains(&tag.to_owned());
        assert_eq!(streamed, STREAM_FRAMES.contains(&tag), "stream: {tag}");
    }
    for tag in STREAM_FRAMES.iter().chain(OWN_EVENTS.iter()) {
        assert!(
            stream.contains(&(*tag).to_owned()),
            "the stream lacks {tag}"
        );
    }
    let counts = (ws.len(), agent_ws.len(), stream.len());
    assert_eq!(
        counts,
        (
            client.len() + server.len() - AGENT_ONLY_FRAMES.len(),
            agent.len() + AGENT_SERVER_FRAMES.len(),
            6
        ),
        "no stray message"
    );
}
