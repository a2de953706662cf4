//! The real binary's log lines: no secret reaches them (at debug level,
//! through a login, a refresh, a WebSocket upgrade and an event stream
//! with `?access_token=`, and an OAuth sign-in whose callback carries
//! `code` and `state` in its query); written by a background thread, they
//! all arrive, the last one before exit included, and `/metrics` counts
//! the ones dropped.

use crate::binary::Binary;
use std::process::Stdio;

#[tokio::test]
async fn passwords_and_tokens_never_reach_the_logs() {
    let provider = crate::oidc_provider::FakeProvider::start().await;
    let provider_env = provider.env();
    let mut vars = vec![("LOG_FORMAT", "json"), ("RUST_LOG", "debug")];
    vars.extend(provider_env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let server = Binary::start(&vars, Stdio::piped()).await;
    let (port, base) = (server.port, server.base.clone());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let password = "a-very-recognisable-password-42";
    let credentials = serde_json::json!({"email": "ada@example.com", "password": password});
    server
        .post_json("/api/v1/auth/register", &credentials, None)
        .await;
    let pair = server.login(&credentials).await;
    let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
    let next = server
        .post_json(
            "/api/v1/auth/refresh",
            &serde_json::json!({"refresh_token": refresh}),
            None,
        )
        .await;
    let access = next["access_token"].as_str().unwrap().to_owned();
    let url = format!("ws://127.0.0.1:{port}/ws?access_token={access}");
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    crate::ws::send(&mut socket, serde_json::json!({"type": "ping"})).await;
    crate::ws::next(&mut socket).await;
    drop(socket);
    let stream = client
        .get(format!(
            "{base}/api/v1/stream?rooms=items&access_token={access}"
        ))
        .send()
        .await
        .unwrap();
    let mut stream = crate::sse::Sse::new(stream);
    stream.until_joined("items").await;
    drop(stream);
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
    let logs = server.terminate_and_read_stderr().await;
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
}

#[tokio::test]
async fn every_line_arrives_up_to_the_last_one_at_exit() {
    let server = Binary::start(&[("LOG_FORMAT", "json")], Stdio::piped()).await;
    let client = reqwest::Client::new();
    let requests = 200;
    for _ in 0..requests {
        let response = client
            .get(format!("{}/health/ready", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::OK);
    }
    let metrics = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(|l| l == "log_lines_dropped_total 0"),
        "no line dropped, and the count is exposed:\n{metrics}"
    );
    let logs = server.terminate_and_read_stderr().await;
    let finished = logs
        .lines()
        .filter(|line| line.contains("request finished") && line.contains("/health/ready"))
        .count();
    assert_eq!(finished, requests, "one line per request");
    let last = logs.lines().last().unwrap_or_default();
    assert!(
        last.contains("backend-api stopped"),
        "the line logged just before exit is written: {last}"
    );
}
