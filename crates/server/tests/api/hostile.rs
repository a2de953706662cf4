//! Hostile requests cost bounded work: amplifying JSON Patches.

use crate::helpers::{TestApp, assert_problem, on_both};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(doubling_json_patch_copies_are_refused_early);

/// Thirty copies of the whole document into itself would need 2^30 times
/// its size: the patch is refused at the operation that crosses a limit,
/// naming it, and nothing changes.
async fn doubling_json_patch_copies_are_refused_early(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let body = json!({"name": "probe", "metadata": {"seed": "x".repeat(100)}});
    let agent = app.create("/api/v1/agents", &ada, &body).await;
    let path = format!("/api/v1/agents/{}", agent["id"].as_str().unwrap());
    let doubling: Vec<Value> = (0..30)
        .map(|i| json!({"op": "copy", "from": "", "path": format!("/c{i}")}))
        .collect();
    let response = app
        .client
        .patch(app.url(&format!("{path}/metadata")))
        .bearer_auth(&ada)
        .header("content-type", "application/json-patch+json")
        .json(&doubling)
        .send()
        .await
        .unwrap();
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let field = problem["errors"][0]["field"].as_str().unwrap();
    assert!(field.starts_with('/'), "names the operation: {problem}");
    let unchanged = app.get_json(&path, &ada).await;
    assert_eq!(unchanged["metadata"], body["metadata"]);
    assert_eq!(unchanged["version"], 1);
}
