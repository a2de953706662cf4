//! Graceful shutdown of the real binary: on SIGTERM sockets close with
//! 1001 and a request already in flight still completes.

use crate::ws::{WAIT, closed};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test]
async fn sigterm_closes_sockets_with_1001_and_lets_requests_finish() {
    let dir = std::env::temp_dir().join(format!(
        "backend-api-shutdown-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_backend-api"))
        .arg("serve")
        .current_dir(&dir)
        .env_clear()
        .env("APP_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db?mode=rwc", dir.display()),
        )
        .env(
            "JWT_SECRET",
            "shutdown-test-jwt-secret-long-enough-0123456789",
        )
        .env(
            "SECRET_KEY",
            "shutdown-test-secret-key-long-enough-0123456789",
        )
        .env("RATE_LIMIT_ENABLED", "false")
        .env("SHUTDOWN_GRACE_SECS", "10")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut server = Server(child);
    let client = reqwest::Client::new();
    let started = tokio::time::Instant::now();
    while client
        .get(format!("{base}/health/live"))
        .send()
        .await
        .is_err()
    {
        assert!(started.elapsed() < WAIT, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let register =
        |email: &str| serde_json::json!({"email": email, "password": "correct horse battery"});
    client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&register("ada@example.com"))
        .send()
        .await
        .unwrap();
    let pair: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&register("ada@example.com"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut request = format!("ws://127.0.0.1:{port}/ws")
        .into_client_request()
        .unwrap();
    let bearer = format!("Bearer {}", pair["access_token"].as_str().unwrap());
    request
        .headers_mut()
        .insert("authorization", bearer.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();

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

    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        closed(&mut socket).await.0,
        CloseCode::Away,
        "sockets close with 1001"
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

    let exited = tokio::task::spawn_blocking(move || server.0.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exited.success(), "{exited:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
