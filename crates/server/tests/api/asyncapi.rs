//! `GET /asyncapi.json`: the AsyncAPI document of the real-time API,
//! served without authentication or rate limit and linked from `/docs`.

use crate::helpers::{Backend, spawn_app};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_asyncapi_document_is_served_and_linked_from_the_openapi_document() {
    let app = spawn_app(Backend::Sqlite, &[("RATE_LIMIT_ENABLED", "true")])
        .await
        .unwrap();
    for _ in 0..3 {
        let response = app.get("/asyncapi.json", None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let doc: Value = response.json().await.unwrap();
        assert_eq!(doc["asyncapi"], "3.1.0");
        let addresses: Vec<&str> = doc["channels"]
            .as_object()
            .unwrap()
            .values()
            .map(|c| c["address"].as_str().unwrap())
            .collect();
        for address in ["/ws", "/ws/agent", "/api/v1/stream"] {
            assert!(addresses.contains(&address), "{addresses:?}");
        }
    }
    let openapi: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let description = openapi["info"]["description"].as_str().unwrap();
    assert!(description.contains("(/asyncapi.json)"), "{description}");
    app.cleanup().await;
}
