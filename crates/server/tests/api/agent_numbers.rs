//! Numbers in agent metadata: kept as written (a float parses to the
//! double it was written from), and found by `metadata.<key>=<value>`
//! with their JSON text, on both databases — exponents included.

use crate::helpers::{TestApp, on_both};
use crate::resources::names;
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(numbers_keep_their_text_and_are_found_by_it);

const AGENTS: &str = "/api/v1/agents";

async fn numbers_keep_their_text_and_are_found_by_it(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let metadata = json!({"big": 3.66057e44, "tiny": 1.5e-7, "float": 100.0, "int": 100});
    let created = app
        .create(
            AGENTS,
            &ada,
            &json!({"name": "probe", "metadata": metadata}),
        )
        .await;
    assert_eq!(created["metadata"], metadata, "numbers come back as sent");
    let listed = async |query: &str| -> Vec<String> {
        let response = app.get(&format!("{AGENTS}?{query}"), Some(&ada)).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let page: Value = response.json().await.unwrap();
        names(page["data"].as_array().unwrap())
    };
    for found in [
        "metadata.big=3.66057e%2B44",
        "metadata.tiny=1.5e-7",
        "metadata.float=100.0",
        "metadata.int=100",
    ] {
        assert_eq!(listed(found).await, ["probe"], "{found}");
    }
    for not_the_text in [
        "metadata.big=3.66057e44",
        "metadata.big=366057000000000000000000000000000000000000000",
        "metadata.tiny=0.00000015",
        "metadata.float=100",
        "metadata.int=100.0",
        "metadata.int=1e2",
    ] {
        assert!(listed(not_the_text).await.is_empty(), "{not_the_text}");
    }
}
