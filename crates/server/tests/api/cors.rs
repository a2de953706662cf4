//! CORS on every answer to an allowed origin, errors and 429s included;
//! preflights never count against a rate limit; no CORS header at all for
//! another origin.

use crate::helpers::{Backend, TestApp, spawn_app};
use reqwest::{Method, Response, StatusCode};
use serde_json::json;

const FRONT: &str = "https://app.example.com";

fn assert_cors(response: &Response, what: &str) {
    let headers = response.headers();
    assert_eq!(
        headers
            .get("access-control-allow-origin")
            .map(|v| v.to_str().unwrap()),
        Some(FRONT),
        "{what}: {headers:?}"
    );
    assert_eq!(
        headers["access-control-allow-credentials"], "true",
        "{what}"
    );
    let exposed = headers["access-control-expose-headers"].to_str().unwrap();
    assert!(
        exposed.to_ascii_lowercase().contains("retry-after"),
        "{what}"
    );
}

async fn preflight(app: &TestApp, path: &str) -> Response {
    app.client
        .request(Method::OPTIONS, app.url(path))
        .header("origin", FRONT)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

async fn login(app: &TestApp) -> Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .header("origin", FRONT)
        .json(&json!({"email": "nobody@example.com", "password": "wrong password"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preflights_are_free_and_every_answer_carries_cors() {
    let app = spawn_app(
        Backend::Sqlite,
        &[
            ("CORS_ORIGINS", FRONT),
            ("RATE_LIMIT_ENABLED", "true"),
            ("RATE_LIMIT_AUTH_PER_MIN", "1"),
            ("RATE_LIMIT_AUTH_BURST", "2"),
        ],
    )
    .await
    .unwrap();
    for _ in 0..5 {
        let allowed = preflight(&app, "/api/v1/auth/login").await;
        assert!(allowed.status().is_success());
        assert_eq!(allowed.headers()["access-control-allow-origin"], FRONT);
    }
    for _ in 0..2 {
        let refused = login(&app).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNAUTHORIZED,
            "preflights counted"
        );
        assert_cors(&refused, "401");
    }
    let limited = login(&app).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_cors(&limited, "429");

    app.cleanup().await;
}

#[tokio::test]
async fn errors_from_every_layer_carry_cors() {
    let app = spawn_app(
        Backend::Sqlite,
        &[("CORS_ORIGINS", FRONT), ("MAX_BODY_BYTES", "1024")],
    )
    .await
    .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let items = app.url("/api/v1/items");
    let cases = [
        (
            "413",
            app.client
                .post(&items)
                .bearer_auth(&ada)
                .header("content-type", "application/json")
                .body("x".repeat(4096)),
        ),
        (
            "415",
            app.client
                .post(&items)
                .bearer_auth(&ada)
                .header("content-type", "text/plain")
                .body("x"),
        ),
        ("404", app.client.get(app.url("/api/v1/nothing-here"))),
        ("405", app.client.put(app.url("/api/v1/auth/login"))),
        ("401", app.client.get(&items)),
        (
            "422",
            app.client
                .post(&items)
                .bearer_auth(&ada)
                .json(&json!({"name": 1})),
        ),
    ];
    for (what, request) in cases {
        let response = request.header("origin", FRONT).send().await.unwrap();
        assert_eq!(response.status().as_str(), what);
        assert_cors(&response, what);
    }
    app.cleanup().await;
}

#[tokio::test]
async fn no_cors_header_answers_another_origin_or_none() {
    let app = spawn_app(Backend::Sqlite, &[("CORS_ORIGINS", FRONT)])
        .await
        .unwrap();
    for origin in [Some("https://evil.example.com"), None] {
        let mut request = app.client.get(app.url("/health/live"));
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        let response = request.send().await.unwrap();
        for name in [
            "access-control-allow-origin",
            "access-control-allow-credentials",
            "access-control-expose-headers",
        ] {
            assert!(!response.headers().contains_key(name), "{origin:?}: {name}");
        }
    }
    app.cleanup().await;
}
