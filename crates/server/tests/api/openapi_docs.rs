//! The OpenAPI document as Swagger UI uses it: "Authorize" with the
//! password flow applies to every secured operation, error examples are
//! real problem documents, and no validator badge calls an outside host.

use crate::helpers::{Backend, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The codes the error table (docs/api.md) allows for a status.
fn codes_for(status: u16) -> &'static [&'static str] {
    match status {
        400 => &[
            "bad_request",
            "invalid_grant",
            "unsupported_grant_type",
            "invalid_token",
        ],
        401 => &["unauthorized", "mfa_required"],
        403 => &["forbidden", "insufficient_scope", "email_unverified"],
        404 => &["not_found"],
        405 => &["method_not_allowed"],
        409 => &["conflict"],
        412 => &["precondition_failed"],
        413 => &["payload_too_large"],
        415 => &["unsupported_media_type"],
        422 => &["validation_failed", "idempotency_key_reused"],
        429 => &["rate_limited"],
        500 => &["internal"],
        502 => &["bad_gateway"],
        503 => &["unavailable"],
        _ => &[],
    }
}

/// Every operation of `doc` as (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            all.push((method.clone(), path.clone(), operation.clone()));
        }
    }
    all
}

#[tokio::test]
async fn secured_operations_accept_the_password_flow_and_errors_have_real_examples() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["oauth2_password"]["flows"]["password"]["tokenUrl"],
        "/api/v1/auth/token"
    );
    let (bearer, password) = (json!({"bearer": []}), json!({"oauth2_password": []}));
    let mut secured = 0;
    for (method, path, operation) in operations(&doc) {
        if let Some(security) = operation["security"].as_array() {
            assert!(security.contains(&bearer), "{method} {path}: {security:?}");
            assert!(
                security.contains(&password),
                "{method} {path}: {security:?}"
            );
            secured += 1;
        }
        for (status, response) in operation["responses"].as_object().unwrap() {
            let status: u16 = status.parse().unwrap();
            if status < 400 {
                continue;
            }
            let example = &response["content"]["application/problem+json"]["example"];
            assert_eq!(
                example["status"], status,
                "{method} {path} {status}: {example}"
            );
            let code = example["code"].as_str().unwrap_or_default();
            assert!(
                codes_for(status).contains(&code),
                "{method} {path} {status}: code {code:?}"
            );
            let title = StatusCode::from_u16(status).unwrap().canonical_reason();
            assert_eq!(example["title"].as_str(), title, "{method} {path} {status}");
        }
    }
    assert!(secured > 20, "only {secured} secured operations");

    let initializer = app.get("/docs/swagger-initializer.js", None).await;
    assert_eq!(initializer.status(), StatusCode::OK);
    let script = initializer.text().await.unwrap();
    assert!(
        script.contains(r#""validatorUrl": "none""#),
        "the validator badge would call validator.swagger.io:\n{script}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_api_reference_names_every_path_of_the_openapi_document() {
    let reference = include_str!("../../../../docs/api.md");
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let doc: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for path in doc["paths"].as_object().unwrap().keys() {
        assert!(
            reference.contains(&format!("{path}`")),
            "docs/api.md does not describe {path}"
        );
    }
    app.cleanup().await;
}
