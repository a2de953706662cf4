//! Deeply nested JSON is refused with 400 before any parser recurses into
//! it, on every endpoint that reads a JSON body; the server stays up.

use crate::helpers::{TestApp, assert_problem, on_both, token};
use reqwest::{Method, StatusCode};
use serde_json::json;

on_both!(deeply_nested_bodies_are_a_bad_request_everywhere);

async fn deeply_nested_bodies_are_a_bad_request_everywhere(app: &TestApp) {
    let pair = app.signed_in("ada@example.com").await;
    let bearer = token(&pair, "access_token");
    let item = app
        .post_json("/api/v1/items", &json!({"name": "box"}), Some(&bearer))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let item_path = format!("/api/v1/items/{}", item["id"].as_str().unwrap());
    let agent = app
        .post_json("/api/v1/agents", &json!({"name": "probe"}), Some(&bearer))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    let agent_path = format!("/api/v1/agents/{}", agent["id"].as_str().unwrap());
    let metadata_path = format!("{agent_path}/metadata");

    let arrays = "[".repeat(100_000);
    let in_a_field = format!(
        r#"{{"name": "x", "attributes": {{"a": {}}}}}"#,
        "[".repeat(100_000)
    );
    let targets: Vec<(Method, &str, &str)> = vec![
        (Method::POST, "/api/v1/auth/register", "application/json"),
        (Method::POST, "/api/v1/auth/login", "application/json"),
        (Method::POST, "/api/v1/auth/refresh", "application/json"),
        (Method::POST, "/api/v1/items", "application/json"),
        (Method::PUT, &item_path, "application/json"),
        (Method::PATCH, &item_path, "application/merge-patch+json"),
        (Method::POST, "/api/v1/agents", "application/json"),
        (Method::PUT, &agent_path, "application/json"),
        (Method::PATCH, &agent_path, "application/merge-patch+json"),
        (
            Method::PATCH,
            &metadata_path,
            "application/merge-patch+json",
        ),
        (Method::PATCH, &metadata_path, "application/json-patch+json"),
        (Method::PATCH, "/api/v1/users/me", "application/json"),
        (Method::DELETE, "/api/v1/users/me", "application/json"),
    ];
    for (method, path, content_type) in targets {
        for body in [&arrays, &in_a_field] {
            let response = app
                .client
                .request(method.clone(), app.url(path))
                .bearer_auth(&bearer)
                .header("content-type", content_type)
                .body(body.clone())
                .send()
                .await
                .unwrap();
            let problem = assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
            assert!(
                problem["detail"].as_str().unwrap().contains("nested"),
                "{method} {path}: {problem}"
            );
        }
    }
    // Nothing changed, and the server is still up.
    let unchanged = app.get(&item_path, Some(&bearer)).await;
    assert_eq!(
        unchanged.json::<serde_json::Value>().await.unwrap()["version"],
        1
    );
    assert_eq!(app.get("/health/live", None).await.status(), StatusCode::OK);
}
