//! Every error is problem+json with the right code, and carries the
//! request id.

use crate::helpers::{Backend, TestApp, assert_problem, on_both, spawn_app};
use reqwest::StatusCode;

on_both!(
    unknown_routes_and_wrong_methods,
    malformed_bodies_and_parameters
);

async fn unknown_routes_and_wrong_methods(app: &TestApp) {
    let unknown = app.get("/api/v1/nothing-here", None).await;
    assert_problem(unknown, StatusCode::NOT_FOUND, "not_found").await;
    let outside = app.get("/nope", None).await;
    assert_problem(outside, StatusCode::NOT_FOUND, "not_found").await;
    let wrong = app.get("/api/v1/auth/login", None).await;
    assert_eq!(wrong.headers()["allow"], "POST");
    assert_problem(wrong, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
    let me = app
        .client
        .put(app.url("/api/v1/users/me"))
        .send()
        .await
        .unwrap();
    let allow = me.headers()["allow"].to_str().unwrap().to_owned();
    for method in ["GET", "PATCH", "DELETE"] {
        assert!(allow.contains(method), "{allow}");
    }
    assert_problem(me, StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed").await;
}

async fn malformed_bodies_and_parameters(app: &TestApp) {
    let post = |body: &'static str, content_type: &'static str| {
        app.client
            .post(app.url("/api/v1/auth/register"))
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    let broken = post("{\"email\": ", "application/json").await.unwrap();
    assert_problem(broken, StatusCode::BAD_REQUEST, "bad_request").await;
    let not_json = post("email=a", "text/plain").await.unwrap();
    assert_problem(
        not_json,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let wrong_type = post("{\"email\": 5, \"password\": \"x\"}", "application/json")
        .await
        .unwrap();
    assert_problem(
        wrong_type,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let array = post("[]", "application/json").await.unwrap();
    assert_problem(array, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let huge = format!("{{\"email\": \"{}\"}}", "a".repeat(2 * 1024 * 1024));
    let too_large = app
        .client
        .post(app.url("/api/v1/auth/register"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_problem(
        too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let echoed = app
        .client
        .get(app.url("/nope"))
        .header("x-request-id", "client-id.42_x")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "client-id.42_x");
    let body = assert_problem(echoed, StatusCode::NOT_FOUND, "not_found").await;
    assert_eq!(body["request_id"], "client-id.42_x");
    let refused = app
        .client
        .get(app.url("/health/live"))
        .header("x-request-id", "has spaces")
        .send()
        .await
        .unwrap();
    let generated = refused.headers()["x-request-id"].to_str().unwrap();
    assert!(generated.parse::<uuid::Uuid>().is_ok(), "{generated}");
    let plain = app.get("/health/live", None).await;
    assert!(plain.headers().contains_key("x-request-id"));
    app.cleanup().await;
}

#[tokio::test]
async fn the_body_limit_is_configurable() {
    let app = spawn_app(Backend::Sqlite, &[("MAX_BODY_BYTES", "64")])
        .await
        .unwrap();
    let body = serde_json::json!({"email": "ada@example.com", "password": "a-password-that-is-long", "display_name": "x".repeat(64)});
    let response = app.post_json("/api/v1/auth/register", &body, None).await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
    app.cleanup().await;
}

#[tokio::test]
async fn security_headers_are_on_every_response() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    for path in ["/health/live", "/nope", "/api/v1/users/me", "/openapi.json"] {
        let response = app.get(path, None).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .starts_with("default-src 'none'"),
            "{path}"
        );
        assert!(
            headers.get("strict-transport-security").is_none(),
            "{path}: no HSTS in development"
        );
    }
    let docs = app.get("/docs/", None).await;
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    app.cleanup().await;
}

#[tokio::test]
async fn cors_allows_only_configured_origins() {
    let app = spawn_app(
        Backend::Sqlite,
        &[("CORS_ORIGINS", "https://app.example.com")],
    )
    .await
    .unwrap();
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/items"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            )
            .send()
    };
    let allowed = preflight("https://app.example.com").await.unwrap();
    assert!(allowed.status().is_success());
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    assert_eq!(
        allowed.headers()["access-control-allow-credentials"],
        "true"
    );
    let refused = preflight("https://evil.example.com").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let simple = app
        .client
        .get(app.url("/health/live"))
        .header("origin", "https://app.example.com")
        .send()
        .await
        .unwrap();
    let exposed = simple.headers()["access-control-expose-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    for name in ["etag", "location", "x-request-id", "retry-after"] {
        assert!(exposed.contains(name), "{exposed}");
    }
    app.cleanup().await;
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after() {
    let app = spawn_app(
        Backend::Sqlite,
        &[
            ("RATE_LIMIT_ENABLED", "true"),
            ("RATE_LIMIT_AUTH_PER_MIN", "2"),
            ("RATE_LIMIT_AUTH_BURST", "2"),
            ("RATE_LIMIT_API_PER_SEC", "1"),
            ("RATE_LIMIT_API_BURST", "3"),
        ],
    )
    .await
    .unwrap();
    let pair = app.signed_in("ada@example.com").await;
    let third = app.login("ada@example.com", "whatever-password").await;
    let seconds: u64 = third.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&seconds), "{seconds}");
    assert_problem(third, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;

    let access = pair["access_token"].as_str().unwrap();
    let statuses: Vec<StatusCode> =
        futures_util::future::join_all((0..6).map(|_| app.get("/api/v1/users/me", Some(access))))
            .await
            .iter()
            .map(reqwest::Response::status)
            .collect();
    assert!(statuses.contains(&StatusCode::OK));
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    for _ in 0..10 {
        assert_eq!(
            app.get("/health/live", None).await.status(),
            StatusCode::OK,
            "health is never limited"
        );
    }
    app.cleanup().await;
}

#[tokio::test]
async fn signed_in_auth_calls_count_against_the_general_limit() {
    let app = spawn_app(
        Backend::Sqlite,
        &[
            ("RATE_LIMIT_ENABLED", "true"),
            ("RATE_LIMIT_AUTH_PER_MIN", "1"),
            ("RATE_LIMIT_AUTH_BURST", "3"),
        ],
    )
    .await
    .unwrap();
    // Register and log in: two of the three credential requests.
    let pair = app.signed_in("ada@example.com").await;
    let access = pair["access_token"].as_str().unwrap();
    for _ in 0..5 {
        let sessions = app.get("/api/v1/auth/sessions", Some(access)).await;
        assert_eq!(sessions.status(), StatusCode::OK);
    }
    let logout = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let again = app.login("ada@example.com", crate::helpers::PASSWORD).await;
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "the third credential request"
    );
    let fourth = app.login("ada@example.com", crate::helpers::PASSWORD).await;
    assert_problem(fourth, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    app.cleanup().await;
}
