//! The mail-driven account flows through the real server and a real SMTP
//! connection: verification, password reset, email change, the
//! enumeration-proof `forgot`, and mail surviving a restart.

use crate::helpers::{PASSWORD, TestApp};
use crate::smtp_sink::{Received, SmtpSink};
use crate::ws::closed;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// Runs each test on SQLite and PostgreSQL with `MAIL_URL` at a fresh sink.
macro_rules! with_sink {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::helpers::{Backend, spawn_app};
            use crate::smtp_sink::SmtpSink;
            #[tokio::test]
            async fn sqlite() {
                let sink = SmtpSink::start().await;
                let app = spawn_app(Backend::Sqlite, &[("MAIL_URL", &sink.url())]).await.unwrap();
                super::$name(&app, &sink).await;
                app.cleanup().await;
            }
            #[tokio::test]
            async fn postgres() {
                let sink = SmtpSink::start().await;
                if let Some(app) = spawn_app(Backend::Postgres, &[("MAIL_URL", &sink.url())]).await {
                    super::$name(&app, &sink).await;
                    app.cleanup().await;
                }
            }
        }
    )*};
}

with_sink!(
    registration_mails_a_link_that_verifies_once,
    verification_requests_are_limited,
    password_reset_sets_the_password_and_ends_every_session,
    forgot_is_dropped_silently_within_a_minute,
    email_change_is_confirmed_from_the_new_address,
    email_change_to_an_address_taken_meanwhile_is_refused,
);

/// The one message to `address` whose subject contains `subject`.
async fn mail_with(sink: &SmtpSink, address: &str, subject: &str, count: usize) -> Received {
    let all = sink.wait_for(address, count).await;
    let matching: Vec<_> = all
        .into_iter()
        .filter(|m| m.subject().contains(subject))
        .collect();
    assert_eq!(matching.len(), 1, "one {subject:?} mail to {address}");
    matching[0].clone()
}

async fn post(app: &TestApp, path: &str, body: Value) -> (StatusCode, Value) {
    let response = app.post_json(path, &body, None).await;
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn registration_mails_a_link_that_verifies_once(app: &TestApp, sink: &SmtpSink) {
    let user = app.register("ada@example.com").await;
    assert_eq!(user["email_verified"], false);
    assert_eq!(user["mfa_enabled"], false);
    assert_eq!(user["pending_email"], Value::Null);
    let mail = mail_with(sink, "ada@example.com", "Confirm your email", 1).await;
    assert!(mail.decoded().contains("/console/verify-email#token="));
    assert!(mail.decoded().contains("Content-Type: text/html"));
    let token = mail.token();
    assert!(token.len() >= 43, "at least 256 bits");

    let (status, body) = post(app, "/api/v1/auth/email/verify", json!({"token": token})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["email_verified"], true);
    for spent in [token.as_str(), "unknown-token"] {
        let (status, problem) =
            post(app, "/api/v1/auth/email/verify", json!({"token": spent})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(problem["code"], "invalid_token");
    }
}

async fn verification_requests_are_limited(app: &TestApp, sink: &SmtpSink) {
    let pair = app.signed_in("ada@example.com").await;
    let token = pair["access_token"].as_str().unwrap();
    sink.wait_for("ada@example.com", 1).await;
    let path = "/api/v1/auth/email/verify/request";
    // Registration sent one less than a minute ago.
    let response = app.post_json(path, &json!({}), Some(token)).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    let anonymous = app.post_json(path, &json!({}), None).await;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
}

async fn password_reset_sets_the_password_and_ends_every_session(app: &TestApp, sink: &SmtpSink) {
    let pair = app.signed_in("ada@example.com").await;
    let mut socket = app.ws(pair["access_token"].as_str().unwrap()).await;
    let (status, _) = post(
        app,
        "/api/v1/auth/password/forgot",
        json!({"email": "ADA@example.com"}),
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let mail = mail_with(sink, "ada@example.com", "Reset your password", 2).await;
    assert!(mail.decoded().contains("/console/reset-password#token="));
    let token = mail.token();

    let weak = post(
        app,
        "/api/v1/auth/password/reset",
        json!({"token": token, "password": "short"}),
    )
    .await;
    assert_eq!(
        weak.0,
        StatusCode::UNPROCESSABLE_ENTITY,
        "and the token stays"
    );
    let reset = json!({"token": token, "password": "a brand new password"});
    let (status, _) = post(app, "/api/v1/auth/password/reset", reset.clone()).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        closed(&mut socket).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );
    let refresh = app.refresh(pair["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    let old = app.login("ada@example.com", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED);
    let new = app.login("ada@example.com", "a brand new password").await;
    assert_eq!(new.status(), StatusCode::OK);
    let access = new.json::<Value>().await.unwrap()["access_token"].clone();
    let me: Value = app
        .get("/api/v1/users/me", access.as_str())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["email_verified"], true, "the link proved the address");

    let (status, problem) = post(app, "/api/v1/auth/password/reset", reset).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "single use");
    assert_eq!(problem["code"], "invalid_token");
}

async fn forgot_is_dropped_silently_within_a_minute(app: &TestApp, sink: &SmtpSink) {
    app.register("ada@example.com").await;
    app.register("bob@example.com").await;
    for _ in 0..2 {
        let (status, _) = post(
            app,
            "/api/v1/auth/password/forgot",
            json!({"email": "ada@example.com"}),
        )
        .await;
        assert_eq!(status, StatusCode::ACCEPTED);
    }
    // Bob's reset is queued after both of Ada's requests were answered.
    post(
        app,
        "/api/v1/auth/password/forgot",
        json!({"email": "bob@example.com"}),
    )
    .await;
    mail_with(sink, "bob@example.com", "Reset", 2).await;
    sink.wait_for("ada@example.com", 2).await;
    let resets = sink
        .to("ada@example.com")
        .into_iter()
        .filter(|m| m.subject().contains("Reset"))
        .count();
    assert_eq!(resets, 1, "the second request within a minute sent nothing");
}

async fn email_change_is_confirmed_from_the_new_address(app: &TestApp, sink: &SmtpSink) {
    let pair = app.signed_in("ada@example.com").await;
    let token = pair["access_token"].as_str().unwrap();
    app.register("bob@example.com").await;
    let patch = |body: Value| async move {
        app.send(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            Some(&body),
            token,
        )
        .await
    };
    let wrong =
        patch(json!({"email": "ada@new.example", "password": {"current": "nope-nope"}})).await;
    assert_eq!(wrong.status(), StatusCode::FORBIDDEN);
    let taken = patch(json!({"email": "bob@example.com", "password": {"current": PASSWORD}})).await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);

    let asked = patch(json!({"email": "Ada@New.example", "password": {"current": PASSWORD}})).await;
    assert_eq!(asked.status(), StatusCode::OK);
    let user: Value = asked.json().await.unwrap();
    assert_eq!(
        user["email"], "ada@example.com",
        "unchanged until confirmed"
    );
    assert_eq!(user["pending_email"], "ada@new.example");

    mail_with(sink, "ada@example.com", "about to change", 2).await;
    let link = mail_with(sink, "ada@new.example", "Confirm your new email", 1).await;
    assert!(link.decoded().contains("/console/confirm-email#token="));
    let confirm = json!({"token": link.token()});
    let (status, user) = post(app, "/api/v1/auth/email/confirm", confirm.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(user["email"], "ada@new.example");
    assert_eq!(user["email_verified"], true);
    assert_eq!(user["pending_email"], Value::Null);
    let (status, problem) = post(app, "/api/v1/auth/email/confirm", confirm).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(problem["code"], "invalid_token");
    let login = app.login("ada@new.example", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
}

async fn email_change_to_an_address_taken_meanwhile_is_refused(app: &TestApp, sink: &SmtpSink) {
    let pair = app.signed_in("ada@example.com").await;
    let body = json!({"email": "carol@example.com", "password": {"current": PASSWORD}});
    let asked = app
        .send(
            reqwest::Method::PATCH,
            "/api/v1/users/me",
            Some(&body),
            pair["access_token"].as_str().unwrap(),
        )
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let link = mail_with(sink, "carol@example.com", "Confirm your new email", 1).await;
    app.register("carol@example.com").await;
    let (status, problem) = post(
        app,
        "/api/v1/auth/email/confirm",
        json!({"token": link.token()}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(problem["code"], "conflict");
}
