//! Registration, login and the token endpoint.

use crate::helpers::{PASSWORD, TestApp, assert_problem, on_both, token};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    register_returns_the_user,
    register_refuses_a_taken_email_in_any_case,
    register_lists_every_invalid_field,
    login_returns_a_token_pair_that_is_not_cached,
    wrong_password_and_unknown_email_are_the_same_401,
    token_endpoint_speaks_oauth2,
);

async fn register_returns_the_user(app: &TestApp) {
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "  Ada@Example.COM", "password": PASSWORD, "display_name": "Ada"}),
            None,
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let user: Value = response.json().await.unwrap();
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["display_name"], "Ada");
    assert_eq!(user["role"], "user");
    assert_eq!(user["disabled"], false);
    assert!(user["id"].as_str().unwrap().parse::<uuid::Uuid>().is_ok());
    assert!(user["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(user.get("password_hash").is_none() && user.get("password").is_none());
    let plain = app.register("bob@example.com").await;
    assert_eq!(plain["display_name"], "");
}

async fn register_refuses_a_taken_email_in_any_case(app: &TestApp) {
    app.register("ada@example.com").await;
    let again = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "ADA@example.com", "password": "another-password"}),
            None,
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "conflict").await;
}

async fn register_lists_every_invalid_field(app: &TestApp) {
    let response = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "not-an-email", "password": "short"}),
            None,
        )
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    let missing = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "ada@example.com"}),
            None,
        )
        .await;
    let problem = assert_problem(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "password");
    let unicode = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "u@example.com", "password": "пароль-пароль"}),
            None,
        )
        .await;
    assert_eq!(unicode.status(), StatusCode::CREATED);
    // Nothing was created by the refused requests.
    assert_eq!(
        app.login("ada@example.com", "short").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn login_returns_a_token_pair_that_is_not_cached(app: &TestApp) {
    app.register("ada@example.com").await;
    let response = app.login("ADA@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let pair: Value = response.json().await.unwrap();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert!(pair["refresh_token"].as_str().unwrap().len() >= 43);
    let me = app
        .get("/api/v1/users/me", Some(&token(&pair, "access_token")))
        .await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["email"], "ada@example.com");
}

async fn wrong_password_and_unknown_email_are_the_same_401(app: &TestApp) {
    app.register("ada@example.com").await;
    let wrong = app.login("ada@example.com", "wrong").await;
    let wrong = assert_problem(wrong, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let unknown = app.login("nobody@example.com", PASSWORD).await;
    let unknown = assert_problem(unknown, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(wrong["detail"], unknown["detail"]);
}

async fn token_endpoint_speaks_oauth2(app: &TestApp) {
    app.register("ada@example.com").await;
    let form = |pairs: &[(&str, &str)]| {
        app.client
            .post(app.url("/api/v1/auth/token"))
            .form(pairs)
            .send()
    };
    let ok = form(&[
        ("grant_type", "password"),
        ("username", "ada@example.com"),
        ("password", PASSWORD),
    ])
    .await
    .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    let pair: Value = ok.json().await.unwrap();

    let bad = form(&[
        ("grant_type", "password"),
        ("username", "ada@example.com"),
        ("password", "nope"),
    ])
    .await
    .unwrap();
    let problem = assert_problem(bad, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(problem["error"], "invalid_grant");

    let unsupported = form(&[("grant_type", "client_credentials")]).await.unwrap();
    let problem = assert_problem(
        unsupported,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    )
    .await;
    assert_eq!(problem["error"], "unsupported_grant_type");

    let refreshed = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", &token(&pair, "refresh_token")),
    ])
    .await
    .unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);

    let unknown = form(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "not-a-token"),
    ])
    .await
    .unwrap();
    let problem = assert_problem(unknown, StatusCode::BAD_REQUEST, "invalid_grant").await;
    assert_eq!(problem["error"], "invalid_grant");

    let json_body = app
        .post_json(
            "/api/v1/auth/token",
            &json!({"grant_type": "password"}),
            None,
        )
        .await;
    assert_problem(
        json_body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}
