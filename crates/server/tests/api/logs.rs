//! No secret reaches the logs: the real binary at debug level, through a
//! login, a refresh and a WebSocket upgrade with `?access_token=`.

use crate::ws::WAIT;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_logs() {
    let dir = std::env::temp_dir().join(format!(
        "backend-api-logs-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backend-api"))
        .current_dir(&dir)
        .env_clear()
        .env("APP_ADDR", format!("127.0.0.1:{port}"))
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/app.db?mode=rwc", dir.display()),
        )
        .env(
            "JWT_SECRET",
            "logs-test-jwt-secret-that-is-long-enough-0123",
        )
        .env(
            "SECRET_KEY",
            "logs-test-secret-key-that-is-long-enough-0123",
        )
        .env("RATE_LIMIT_ENABLED", "false")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
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
    let password = "a-very-recognisable-password-42";
    let credentials = serde_json::json!({"email": "ada@example.com", "password": password});
    client
        .post(format!("{base}/api/v1/auth/register"))
        .json(&credentials)
        .send()
        .await
        .unwrap();
    let pair: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&credentials)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let next: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/refresh"))
        .json(&serde_json::json!({"refresh_token": refresh}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access = next["access_token"].as_str().unwrap().to_owned();
    let url = format!("ws://127.0.0.1:{port}/ws?access_token={access}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    crate::ws::send(&mut socket, serde_json::json!({"type": "ping"})).await;
    crate::ws::next(&mut socket).await;
    drop(socket);
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.kill().unwrap();
    let mut logs = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut logs)
        .unwrap();
    let _ = child.wait();
    assert!(logs.contains("request finished"), "the logs were captured");
    for (what, secret) in [
        ("password", password),
        ("refresh token", refresh.as_str()),
        (
            "rotated refresh token",
            next["refresh_token"].as_str().unwrap(),
        ),
        ("access token", access.as_str()),
        ("first access token", pair["access_token"].as_str().unwrap()),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
