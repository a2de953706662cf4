//! A real WebSocket client for the black-box tests.

use crate::helpers::TestApp;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long a test waits for one frame before failing.
pub const WAIT: Duration = Duration::from_secs(10);

impl TestApp {
    pub fn ws_url(&self) -> String {
        format!("{}/ws", self.address.replacen("http", "ws", 1))
    }

    pub fn agent_ws_url(&self) -> String {
        format!("{}/agent", self.ws_url())
    }

    /// Connects to `/ws` with `Authorization: Bearer`.
    pub async fn ws(&self, token: &str) -> Socket {
        connect_bearer(&self.ws_url(), token).await
    }

    /// Connects to `/ws/agent` with `Authorization: Bearer <agent token>`.
    pub async fn agent_ws(&self, agent_token: &str) -> Socket {
        connect_bearer(&self.agent_ws_url(), agent_token).await
    }
}

/// Connects to `url` with `Authorization: Bearer <token>`.
pub async fn connect_bearer(url: &str, token: &str) -> Socket {
    let mut request = url.into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

pub async fn send(socket: &mut Socket, frame: Value) {
    socket.send(Message::text(frame.to_string())).await.unwrap();
}

/// The next JSON frame (protocol pings and pongs skipped).
pub async fn next(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a frame in time")
            .unwrap()
            .unwrap();
        match message {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a text frame, got {other:?}"),
        }
    }
}

/// Frames until one of `kind` arrives; returns it.
pub async fn next_of(socket: &mut Socket, kind: &str) -> Value {
    loop {
        let frame = next(socket).await;
        if frame["type"] == kind {
            return frame;
        }
    }
}

/// Reads until the server closes; returns the close code and reason, once
/// the close handshake is complete (the client's answer sent, the server
/// gone), as a browser does.
pub async fn closed(socket: &mut Socket) -> (CloseCode, String) {
    let close = loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("a close in time");
        match message {
            Some(Ok(Message::Close(Some(frame)))) => break (frame.code, frame.reason.to_string()),
            Some(Ok(Message::Close(None))) => break (CloseCode::Status, String::new()),
            None => return (CloseCode::Status, String::new()),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("socket failed before a close: {error}"),
        }
    };
    let end = tokio::time::timeout(WAIT, socket.next())
        .await
        .expect("the server ends the connection after the close handshake");
    assert!(end.is_none(), "nothing after a close: {end:?}");
    close
}

/// Joins `room` (with `since`) and collects the replayed events up to the
/// `joined` frame.
pub async fn join(socket: &mut Socket, room: &str, since: Option<i64>) -> (Vec<Value>, Value) {
    let mut frame = serde_json::json!({"type": "join", "room": room});
    if let Some(since) = since {
        frame["since"] = since.into();
    }
    send(socket, frame).await;
    let mut replayed = Vec::new();
    loop {
        let frame = next(socket).await;
        match frame["type"].as_str() {
            Some("joined") => return (replayed, frame),
            Some("event") => replayed.push(frame),
            Some("presence") => {}
            _ => panic!("unexpected frame while joining: {frame}"),
        }
    }
}
