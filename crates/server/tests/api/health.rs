//! Health, the OpenAPI document and Swagger UI.

use crate::helpers::{Backend, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn health_openapi_and_docs() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let live = app.get("/health/live", None).await;
    assert_eq!(live.status(), StatusCode::OK);
    assert_eq!(live.json::<Value>().await.unwrap()["status"], "ok");
    let ready = app.get("/health/ready", None).await;
    assert_eq!(ready.status(), StatusCode::OK);
    assert_eq!(
        ready.json::<Value>().await.unwrap()["checks"]["database"],
        "ok"
    );

    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/token",
        "/api/v1/auth/refresh",
        "/api/v1/auth/logout",
        "/api/v1/auth/sessions",
        "/api/v1/auth/sessions/{id}",
        "/api/v1/auth/oauth/{provider}/authorize",
        "/api/v1/auth/oauth/{provider}/callback",
        "/api/v1/users/me",
        "/api/v1/users",
        "/api/v1/users/{id}",
        "/api/v1/users/{id}/sessions",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/ws",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from the OpenAPI document"
        );
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(
        schemes["oauth2_password"]["flows"]["password"]["tokenUrl"],
        "/api/v1/auth/token"
    );

    let redirect = app.get("/docs", None).await;
    assert_eq!(redirect.status(), StatusCode::FOUND);
    let ui = app.get("/docs/", None).await;
    assert_eq!(ui.status(), StatusCode::OK);
    assert!(ui.text().await.unwrap().contains("swagger"));
    app.cleanup().await;
}

#[tokio::test]
async fn readiness_fails_when_the_database_is_gone() {
    let Some(mut app) = spawn_app(Backend::Postgres, &[]).await else {
        return;
    };
    assert_eq!(
        app.get("/health/ready", None).await.status(),
        StatusCode::OK
    );
    app.drop_database().await;
    let ready = app.get("/health/ready", None).await;
    let body =
        crate::helpers::assert_problem(ready, StatusCode::SERVICE_UNAVAILABLE, "unavailable").await;
    assert!(
        body["detail"].as_str().unwrap().contains("database"),
        "{body}"
    );
    let live = app.get("/health/live", None).await;
    assert_eq!(live.status(), StatusCode::OK);
    app.cleanup().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_template() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let access = app.access_token("ada@example.com").await;
    let item: Value = app
        .post_json(
            "/api/v1/items",
            &serde_json::json!({"name": "m"}),
            Some(&access),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/items/{}", item["id"].as_str().unwrap());
    app.get(&path, Some(&access)).await;
    let mut socket = app.ws(&access).await;
    crate::ws::send(&mut socket, serde_json::json!({"type": "ping"})).await;
    crate::ws::next(&mut socket).await;
    let response = app.get("/metrics", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("http_requests_total")
                && l.contains("route=\"/api/v1/items/{id}\"")
                && l.contains("status=\"200\"")
        })
        .unwrap_or_else(|| panic!("no per-template counter in:\n{text}"));
    assert!(line.contains("method=\"GET\""), "{line}");
    assert!(
        !text.contains(&item["id"].as_str().unwrap().to_string()),
        "raw paths never become labels"
    );
    for name in [
        "http_request_duration_seconds_bucket",
        "websocket_connections",
        "db_pool_connections",
    ] {
        assert!(text.contains(name), "{name} missing");
    }
    app.cleanup().await;
}
