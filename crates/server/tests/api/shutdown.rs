//! Graceful shutdown of the real binary: on SIGTERM sockets close with
//! 1001, a kept-alive connection is answered with readiness 503 and
//! `Connection: close` while requests drain, and a request already in
//! flight still completes.

use crate::binary::Binary;
use crate::ws::{WAIT, closed};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_lets_requests_finish() {
    let server = Binary::start(
        &[("SHUTDOWN_GRACE_SECS", "10"), ("RUST_LOG", "warn")],
        Stdio::null(),
    )
    .await;
    let (port, base) = (server.port, server.base.clone());
    let register =
        |email: &str| serde_json::json!({"email": email, "password": "correct horse battery"});
    let ada = register("ada@example.com");
    server.post_json("/api/v1/auth/register", &ada, None).await;
    let pair = server.login(&ada).await;
    let mut socket = server.ws(pair["access_token"].as_str().unwrap()).await;
    // A connection kept alive across the signal, as a proxy's would be.
    let kept_alive = reqwest::Client::builder().http1_only().build().unwrap();
    let live = kept_alive
        .get(format!("{base}/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);

    // A request whose body is only half sent when SIGTERM arrives.
    let body = register("late@example.com").to_string();
    let (first, rest) = body.split_at(body.len() / 2);
    let mut in_flight = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /api/v1/auth/register HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    in_flight.write_all(first.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    server.terminate();
    assert_eq!(
        closed(&mut socket).await.0,
        CloseCode::Away,
        "sockets close with 1001"
    );
    // Draining: the request below is still in flight, so the workers run.
    let ready = kept_alive
        .get(format!("{base}/health/ready"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 503, "draining: not ready");
    assert_eq!(
        ready.headers()["connection"],
        "close",
        "draining: connections close after their request"
    );

    in_flight.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, in_flight.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "the in-flight request completed: {response}"
    );

    let exited = server.exited().await;
    assert!(exited.success(), "{exited:?}");
}
