//! Text that looks other than it is: addresses compare in Unicode NFC and
//! refuse invisible characters; names and display names refuse bidi
//! controls.

use crate::helpers::{PASSWORD, TestApp, assert_problem, on_both};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both!(lookalike_addresses_and_names_are_refused_or_folded);

async fn field_refused(
    app: &TestApp,
    method: Method,
    path: &str,
    body: serde_json::Value,
    access: Option<&str>,
) -> String {
    let response = app
        .send(method, path, Some(&body), access.unwrap_or_default())
        .await;
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    problem["errors"][0]["field"].as_str().unwrap().to_owned()
}

async fn lookalike_addresses_and_names_are_refused_or_folded(app: &TestApp) {
    // One address, two spellings: precomposed É and E + combining acute.
    app.register("JOS\u{00C9}@example.com").await;
    let again = app
        .post_json(
            "/api/v1/auth/register",
            &json!({"email": "jose\u{0301}@example.com", "password": PASSWORD}),
            None,
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "conflict").await;
    let login = app.login("jose\u{0301}@EXAMPLE.com", PASSWORD).await;
    assert_eq!(login.status(), StatusCode::OK);
    let pair: serde_json::Value = login.json().await.unwrap();
    let access = pair["access_token"].as_str().unwrap();

    let register = "/api/v1/auth/register";
    for email in ["ada\u{200B}@example.com", "\u{202E}moc.elpmaxe@ada"] {
        let body = json!({"email": email, "password": PASSWORD});
        assert_eq!(
            field_refused(app, Method::POST, register, body, None).await,
            "email"
        );
    }
    let cases = [
        (
            "/api/v1/items",
            json!({"name": "invoice\u{202E}fdp.exe"}),
            "name",
        ),
        ("/api/v1/agents", json!({"name": "probe\u{2066}x"}), "name"),
    ];
    for (path, body, field) in cases {
        assert_eq!(
            field_refused(app, Method::POST, path, body, Some(access)).await,
            field
        );
    }
    let display = json!({"display_name": "Ada\u{202E}nimda"});
    let field = field_refused(
        app,
        Method::PATCH,
        "/api/v1/users/me",
        display,
        Some(access),
    )
    .await;
    assert_eq!(field, "display_name");
}
