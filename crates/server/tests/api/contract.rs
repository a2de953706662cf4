//! What Schemathesis (scripts/schemathesis.sh) found, kept as plain
//! regression tests: JSON bodies must be objects, and /openapi.json must
//! describe what the server does.

use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashSet;

async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    body: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, app.url(path))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// serde's derived structs also read an array of their fields in order:
/// `[null, null]` was a valid `PATCH /users/me` (200) and
/// `["ada@example.com", "<password>"]` a valid login. Only objects are.
#[tokio::test]
async fn json_bodies_must_be_objects() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let pair = app.signed_in("ada@example.com").await;
    let access = pair["access_token"].as_str().unwrap();

    let login = format!(r#"["ada@example.com", "{PASSWORD}"]"#);
    let cases: [(Method, &str, &str, Option<&str>); 6] = [
        (Method::POST, "/api/v1/auth/login", &login, None),
        (
            Method::POST,
            "/api/v1/auth/register",
            r#"["bob@example.com", "correct horse battery", null]"#,
            None,
        ),
        (
            Method::PATCH,
            "/api/v1/users/me",
            "[null, null]",
            Some(access),
        ),
        (
            Method::POST,
            "/api/v1/items",
            r#"["Lamp", null, null]"#,
            Some(access),
        ),
        (Method::DELETE, "/api/v1/users/me", "[null]", Some(access)),
        (Method::POST, "/api/v1/auth/refresh", r#"["token"]"#, None),
    ];
    for (method, path, body, token) in cases {
        let response = send_raw(&app, method.clone(), path, body, token).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{method} {path} {body}"
        );
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }

    let created = app
        .post_json("/api/v1/items", &json!({"name": "Lamp"}), Some(access))
        .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let item: Value = created.json().await.unwrap();
    let path = format!("/api/v1/items/{}", item["id"].as_str().unwrap());
    for method in [Method::PATCH, Method::PUT] {
        let response = send_raw(
            &app,
            method,
            &path,
            r#"["Other", null, null]"#,
            Some(access),
        )
        .await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let unchanged: Value = app.get(&path, Some(access)).await.json().await.unwrap();
    assert_eq!(unchanged["version"], 1);
    assert_eq!(unchanged["name"], "Lamp");

    // Objects still work, and nothing above changed the account.
    let me = app.get("/api/v1/users/me", Some(access)).await;
    assert_eq!(me.status(), StatusCode::OK);
    let renamed = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&json!({"display_name": "Ada"})),
            access,
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    app.cleanup().await;
}

/// The document Schemathesis reads: unique operation ids (two `list`s
/// made tools confuse the item and user lists), PATCH bodies as the
/// contract has them.
#[tokio::test]
async fn openapi_document_matches_the_server() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();

    let mut ids = HashSet::new();
    for (path, operations) in doc["paths"].as_object().unwrap() {
        for (method, operation) in operations.as_object().unwrap() {
            let id = operation["operationId"].as_str().unwrap();
            assert!(
                ids.insert(id.to_owned()),
                "{method} {path}: duplicate operationId {id}"
            );
        }
    }

    // PATCH /items/{id} takes merge-patch+json and plain JSON (API.md).
    let patch = &doc["paths"]["/api/v1/items/{id}"]["patch"]["requestBody"]["content"];
    assert!(
        patch.get("application/merge-patch+json").is_some(),
        "{patch}"
    );
    assert!(patch.get("application/json").is_some(), "{patch}");

    // Its `name` may be left out but not be null: a string, not required.
    let schemas = &doc["components"]["schemas"];
    let patch_body = &schemas["ItemPatchRequest"];
    assert_eq!(patch_body["properties"]["name"]["type"], "string");
    let required = patch_body["required"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!required.contains(&json!("name")), "{patch_body}");

    // An admin sets `role` to one of two values.
    let role = schemas["AdminUpdateRequest"]["properties"]["role"].to_string();
    assert!(role.contains("#/components/schemas/RoleBody"), "{role}");
    assert_eq!(schemas["RoleBody"]["enum"], json!(["user", "admin"]));
    app.cleanup().await;
}

/// `"name": null` in a PATCH is refused (as documented), leaving it out is
/// not.
#[tokio::test]
async fn patch_name_may_be_missing_but_not_null() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let pair = app.signed_in("ada@example.com").await;
    let access = pair["access_token"].as_str().unwrap();
    let item: Value = app
        .post_json("/api/v1/items", &json!({"name": "Lamp"}), Some(access))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/items/{}", item["id"].as_str().unwrap());
    let null = app
        .send(Method::PATCH, &path, Some(&json!({"name": null})), access)
        .await;
    assert_problem(null, StatusCode::UNPROCESSABLE_ENTITY, "validation_failed").await;
    let missing = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"description": "desk"})),
            access,
        )
        .await;
    assert_eq!(missing.status(), StatusCode::OK);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["name"], "Lamp");
    assert_eq!(body["description"], "desk");
    app.cleanup().await;
}
