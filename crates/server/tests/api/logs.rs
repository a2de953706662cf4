//! No secret reaches the logs: the real binary at debug level, through a
//! login, a refresh, a WebSocket upgrade with `?access_token=` and an
//! OAuth sign-in (whose callback carries `code` and `state` in its query).

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
    let provider = crate::oidc_provider::FakeProvider::start().await;
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
        .envs(provider.env())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
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
    provider.sign_in_as(crate::oidc_provider::Account::verified(
        "grace-sub",
        "grace@example.com",
    ));
    let mut browser = crate::oauth_support::Browser::default();
    let (_, callback) = browser.start_at(&client, &base, "acme").await;
    let callback_url = url::Url::parse(&callback).unwrap();
    let query = |name: &str| {
        callback_url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    let (code, state) = (query("code"), query("state"));
    let signed_in = browser.finish_with(&client, &callback).await;
    assert_eq!(signed_in.status(), reqwest::StatusCode::OK);
    let oauth_pair: serde_json::Value = signed_in.json().await.unwrap();
    let oauth_refresh = oauth_pair["refresh_token"].as_str().unwrap().to_owned();
    // A replay fails; its parameters must not be logged either.
    let replay = browser.finish_with(&client, &callback).await;
    assert_eq!(replay.status(), reqwest::StatusCode::BAD_REQUEST);
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
    assert!(
        logs.contains("/api/v1/auth/oauth/{provider}/callback"),
        "the OAuth callback was logged, by its route template"
    );
    for (what, secret) in [
        ("password", password),
        ("refresh token", refresh.as_str()),
        (
            "rotated refresh token",
            next["refresh_token"].as_str().unwrap(),
        ),
        ("access token", access.as_str()),
        ("first access token", pair["access_token"].as_str().unwrap()),
        ("OAuth code", code.as_str()),
        ("OAuth state", state.as_str()),
        ("OAuth refresh token", oauth_refresh.as_str()),
        (
            "OAuth access token",
            oauth_pair["access_token"].as_str().unwrap(),
        ),
        ("OAuth client secret", crate::oidc_provider::CLIENT_SECRET),
    ] {
        assert!(!logs.contains(secret), "the {what} is in the logs");
    }
    provider.stop().await;
    let _ = std::fs::remove_dir_all(&dir);
}
