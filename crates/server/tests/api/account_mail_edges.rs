//! The account-mail rules seen from outside: `forgot` tells nothing about
//! which addresses exist, `REQUIRE_VERIFIED_EMAIL`, the new operations in
//! the OpenAPI document, and queued mail surviving a restart.

use crate::binary::Binary;
use crate::helpers::{Backend, PASSWORD, TestApp, on_both, spawn_app};
use crate::smtp_sink::SmtpSink;
use infra::testing::TestDatabase;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::{Duration, Instant};

on_both!(forgot_answers_alike_for_known_and_unknown_addresses);

/// One `forgot` request: its status, body and how long it took.
async fn forgot(app: &TestApp, email: &str) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let response = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({"email": email}),
            None,
        )
        .await;
    let status = response.status();
    let body = response.text().await.unwrap();
    (status, body, started.elapsed())
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn forgot_answers_alike_for_known_and_unknown_addresses(app: &TestApp) {
    const SAMPLES: usize = 20;
    for i in 0..SAMPLES {
        app.register(&format!("known{i}@example.com")).await;
    }
    // Warm both paths (connections, caches) before measuring.
    forgot(app, "warm@example.com").await;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..SAMPLES {
        let (k_status, k_body, k_time) = forgot(app, &format!("known{i}@example.com")).await;
        let (u_status, u_body, u_time) = forgot(app, &format!("nobody{i}@example.com")).await;
        assert_eq!((k_status, &k_body), (StatusCode::ACCEPTED, &u_body));
        assert_eq!(u_status, StatusCode::ACCEPTED);
        known.push(k_time);
        unknown.push(u_time);
    }
    let (known, unknown) = (median(known), median(unknown));
    eprintln!("forgot medians: known {known:?}, unknown {unknown:?}");
    let ratio = known.as_secs_f64() / unknown.as_secs_f64();
    assert!(
        (0.8..=1.2).contains(&ratio),
        "median known {known:?} vs unknown {unknown:?} (ratio {ratio:.2})"
    );
}

#[tokio::test]
async fn login_waits_for_a_verified_address_when_required() {
    let sink = SmtpSink::start().await;
    let app = spawn_app(
        Backend::Sqlite,
        &[
            ("MAIL_URL", &sink.url()),
            ("REQUIRE_VERIFIED_EMAIL", "true"),
        ],
    )
    .await
    .unwrap();
    app.register("ada@example.com").await;
    let refused = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "email_unverified");
    let wrong = app.login("ada@example.com", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "password first");

    let token = sink.wait_for("ada@example.com", 1).await[0].token();
    let verified = app
        .post_json("/api/v1/auth/email/verify", &json!({"token": token}), None)
        .await;
    assert_eq!(verified.status(), StatusCode::OK);
    let login = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    app.cleanup().await;
}

#[tokio::test]
async fn the_new_operations_are_documented_with_their_problems() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for (path, status) in [
        ("/api/v1/auth/email/verify/request", "429"),
        ("/api/v1/auth/email/verify", "400"),
        ("/api/v1/auth/email/confirm", "409"),
        ("/api/v1/auth/password/forgot", "422"),
        ("/api/v1/auth/password/reset", "400"),
    ] {
        let responses = &doc["paths"][path]["post"]["responses"];
        assert!(responses[status].is_object(), "{path} documents {status}");
    }
    let user = &doc["components"]["schemas"]["UserBody"]["properties"];
    for field in ["email_verified", "mfa_enabled", "pending_email"] {
        assert!(user[field].is_object(), "User has {field}");
    }
    app.cleanup().await;
}

/// Registers while the mail server refuses connections, restarts the
/// server, then starts the mail server: the message arrives.
async fn mail_survives_a_restart(database_url: &str) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mail_url = format!("smtp://127.0.0.1:{port}");
    let vars = [
        ("DATABASE_URL", database_url),
        ("MAIL_URL", mail_url.as_str()),
    ];
    let first = Binary::start(&vars, Stdio::null()).await;
    let user = first
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "ada@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_eq!(user["email"], "ada@example.com");
    drop(first);
    let _second = Binary::start(&vars, Stdio::null()).await;
    let sink = SmtpSink::start_on(port).await;
    let mail = sink.wait_for("ada@example.com", 1).await;
    assert_eq!(mail.len(), 1);
    assert!(mail[0].decoded().contains("verify-email#token="));
}

#[tokio::test]
async fn mail_survives_a_restart_sqlite() {
    let dir = std::env::temp_dir().join(format!(
        "backend-api-mail-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    mail_survives_a_restart(&format!("sqlite://{}/app.db?mode=rwc", dir.display())).await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn mail_survives_a_restart_postgres() {
    if let Some(db) = TestDatabase::postgres().await {
        mail_survives_a_restart(db.url()).await;
        db.drop_database().await;
    }
}

#[tokio::test]
async fn mail_tokens_and_links_never_reach_the_logs() {
    let sink = SmtpSink::start().await;
    let mail_url = sink.url();
    let vars = [
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "debug"),
        ("MAIL_URL", mail_url.as_str()),
    ];
    let server = Binary::start(&vars, Stdio::piped()).await;
    let address = "ada@example.com";
    server
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": address, "password": PASSWORD}),
            None,
        )
        .await;
    let verify = sink.wait_for(address, 1).await[0].token();
    let client = reqwest::Client::new();
    let forgot = client
        .post(format!("{}/api/v1/auth/password/forgot", server.base))
        .json(&json!({"email": address}))
        .send()
        .await
        .unwrap();
    assert_eq!(forgot.status(), StatusCode::ACCEPTED);
    let reset = sink.wait_for(address, 2).await[1].token();
    for (path, body) in [
        ("email/verify", json!({"token": verify})),
        (
            "password/reset",
            json!({"token": reset, "password": "another long password"}),
        ),
    ] {
        let answer = client
            .post(format!("{}/api/v1/auth/{path}", server.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
    }
    let logs = server.terminate_and_read_stderr().await;
    assert!(
        logs.contains("mail sent"),
        "the sender's lines were captured"
    );
    for (what, secret) in [
        ("verification token", verify.as_str()),
        ("reset token", reset.as_str()),
        ("link", "#token="),
        ("link", "reset-password"),
    ] {
        assert!(!logs.contains(secret), "a {what} is in the logs");
    }
}
