//! What a client may send on a socket: frames refused on their header
//! (size, reserved bits) before their payload is buffered, frames that are
//! no JSON object, and the per-user and per-connection caps.

use crate::binary::Binary;
use crate::helpers::{Backend, PASSWORD, spawn_app};
use crate::realtime::raw_upgrade;
use crate::ws::{WAIT, join, next, next_of, send};
use futures_util::SinkExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Stdio;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const MASK: [u8; 4] = [9, 8, 7, 6];

/// An upgraded `/ws` connection to the server at `address`, as a raw TCP
/// socket past the `101`.
async fn raw_socket(address: &str, access: &str) -> BufReader<TcpStream> {
    let bearer = format!("authorization: Bearer {access}\r\n");
    let mut socket = BufReader::new(raw_upgrade(address, "/ws", &bearer).await);
    let mut line = String::new();
    socket.read_line(&mut line).await.unwrap();
    assert!(line.starts_with("HTTP/1.1 101"), "{line}");
    while line != "\r\n" {
        line.clear();
        socket.read_line(&mut line).await.unwrap();
    }
    socket
}

/// A masked client frame header: `first` (FIN, RSV, opcode) and a payload
/// of `length` bytes, in the shortest length form.
fn header(first: u8, length: u64) -> Vec<u8> {
    let mut bytes = vec![first];
    match length {
        0..=125 => bytes.push(0x80 | u8::try_from(length).unwrap()),
        126..=0xffff => {
            bytes.push(0x80 | 126);
            bytes.extend_from_slice(&u16::try_from(length).unwrap().to_be_bytes());
        }
        _ => {
            bytes.push(0x80 | 127);
            bytes.extend_from_slice(&length.to_be_bytes());
        }
    }
    bytes.extend_from_slice(&MASK);
    bytes
}

/// A whole masked client frame.
fn frame(first: u8, payload: &[u8]) -> Vec<u8> {
    let mut bytes = header(first, u64::try_from(payload.len()).unwrap());
    bytes.extend(payload.iter().zip(MASK.iter().cycle()).map(|(b, m)| b ^ m));
    bytes
}

/// Reads server frames until the close; returns its status code (`None`
/// for a close without one, or the connection's end without a close).
async fn close_code(socket: &mut BufReader<TcpStream>) -> Option<u16> {
    let read = async {
        loop {
            let mut head = [0; 2];
            if socket.read_exact(&mut head).await.is_err() {
                return None;
            }
            let length = match head[1] & 0x7f {
                126 => usize::from(socket.read_u16().await.unwrap()),
                127 => usize::try_from(socket.read_u64().await.unwrap()).unwrap(),
                short => usize::from(short),
            };
            let mut payload = vec![0; length];
            socket.read_exact(&mut payload).await.unwrap();
            if head[0] & 0x0f == 0x8 {
                return payload
                    .first_chunk::<2>()
                    .map(|code| u16::from_be_bytes(*code));
            }
        }
    };
    tokio::time::timeout(WAIT, read)
        .await
        .expect("a close in time, without sending the rest of the frame")
}

#[tokio::test]
async fn oversized_frames_are_refused_on_their_header() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    // A declared length far past 64 KiB, then only a little of the payload.
    for length in [1 << 40, 1 << 20, 64 * 1024 + 1] {
        let mut socket = raw_socket(&app.address, &ada).await;
        socket.write_all(&header(0x81, length)).await.unwrap();
        socket.write_all(&[b'a'; 1024]).await.unwrap();
        assert_eq!(close_code(&mut socket).await, Some(1009), "{length}");
    }
    // Continued frames whose running total passes 64 KiB.
    let mut socket = raw_socket(&app.address, &ada).await;
    socket
        .write_all(&frame(0x01, &[b'a'; 60 * 1024]))
        .await
        .unwrap();
    socket.write_all(&header(0x80, 8 * 1024)).await.unwrap();
    socket.write_all(&[b'a'; 100]).await.unwrap();
    assert_eq!(close_code(&mut socket).await, Some(1009));
    app.cleanup().await;
}

#[tokio::test]
async fn malformed_headers_close_with_1002_and_log_no_error() {
    let server = Binary::start(&[("LOG_FORMAT", "json")], Stdio::piped()).await;
    let credentials = json!({"email": "ada@example.com", "password": PASSWORD});
    server
        .post_json("/api/v1/auth/register", &credentials, None)
        .await;
    let pair = server.login(&credentials).await;
    let ada = pair["access_token"].as_str().unwrap();
    // RSV1 set (no extension was negotiated); a ping without FIN.
    for first in [0xc1, 0x09] {
        let mut socket = raw_socket(&server.base, ada).await;
        socket.write_all(&frame(first, b"{}")).await.unwrap();
        assert_eq!(close_code(&mut socket).await, Some(1002), "{first:#x}");
    }
    let logs = server.terminate_and_read_stderr().await;
    assert!(logs.contains("request finished"), "the logs were captured");
    let errors: Vec<&str> = logs
        .lines()
        .filter(|line| line.contains(r#""level":"ERROR""#))
        .collect();
    assert!(
        errors.is_empty(),
        "a client's mistake logged as an error: {errors:?}"
    );
}

#[tokio::test]
async fn frames_that_are_no_json_object_are_malformed() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let owner = app.access_token("bob@example.com").await;
    let agent: Value = app
        .post_json("/api/v1/agents", &json!({"name": "probe"}), Some(&owner))
        .await
        .json()
        .await
        .unwrap();
    let mut user = app.ws(&ada).await;
    let mut probe = app.agent_ws(agent["token"].as_str().unwrap()).await;
    for socket in [&mut user, &mut probe] {
        for text in [r#"["join", "items"]"#, r#"["ping", 1]"#, r#""ping""#, "7"] {
            socket.send(Message::text(text)).await.unwrap();
            let error = next(socket).await;
            assert_eq!(
                (error["type"].as_str(), error["code"].as_str()),
                (Some("error"), Some("bad_request")),
                "{text}: {error}"
            );
            assert_eq!(error["ref"], "frame");
        }
        send(socket, json!({"type": "ping", "id": 1})).await;
        assert_eq!(next(socket).await["type"], "pong", "still open");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn the_socket_cap_answers_with_retry_after() {
    let app = spawn_app(Backend::Sqlite, &[("WS_MAX_CONNECTIONS_PER_USER", "1")])
        .await
        .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let _open = app.ws(&ada).await;
    let mut request = app.ws_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {ada}").parse().unwrap());
    let response = match tokio_tungstenite::connect_async(request).await.unwrap_err() {
        tokio_tungstenite::tungstenite::Error::Http(response) => response,
        other => panic!("expected a 429, got {other:?}"),
    };
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn a_connection_is_in_at_most_100_rooms() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let mut socket = app.ws(&ada).await;
    for i in 0..99 {
        join(&mut socket, &format!("chat:room-{i}"), None).await;
    }
    join(&mut socket, "items", None).await;
    send(
        &mut socket,
        json!({"type": "join", "room": "chat:one-more"}),
    )
    .await;
    let error = next_of(&mut socket, "error").await;
    assert_eq!(
        (error["code"].as_str(), error["ref"].as_str()),
        (Some("rate_limited"), Some("chat:one-more")),
        "{error}"
    );
    // Joining a room again is no new room; leaving one makes room.
    let (_, joined) = join(&mut socket, "items", None).await;
    assert_eq!(joined["room"], "items");
    send(&mut socket, json!({"type": "leave", "room": "chat:room-0"})).await;
    let (_, joined) = join(&mut socket, "chat:one-more", None).await;
    assert_eq!(joined["room"], "chat:one-more");
    app.cleanup().await;
}
