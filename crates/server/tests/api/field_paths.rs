//! A wrong-typed, null or missing field is a 422 naming that field by its
//! path in the body, never a generic `body`.

use crate::helpers::{TestApp, assert_problem, on_both};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both!(wrong_shapes_name_the_field_by_its_path);

async fn field_of(
    app: &TestApp,
    method: Method,
    path: &str,
    body: Value,
    access: Option<&str>,
) -> String {
    let mut request = app.client.request(method, app.url(path)).json(&body);
    if let Some(access) = access {
        request = request.bearer_auth(access);
    }
    let response = request.send().await.unwrap();
    let problem = assert_problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    problem["errors"][0]["field"].as_str().unwrap().to_owned()
}

async fn wrong_shapes_name_the_field_by_its_path(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let cases = [
        (Method::POST, "/api/v1/items", json!({"name": 123}), "name"),
        (Method::POST, "/api/v1/items", json!({"name": null}), "name"),
        (
            Method::POST,
            "/api/v1/items",
            json!({"description": "x"}),
            "name",
        ),
        (
            Method::POST,
            "/api/v1/items",
            json!({"name": "a", "description": []}),
            "description",
        ),
        (
            Method::POST,
            "/api/v1/agents",
            json!({"name": false}),
            "name",
        ),
        (
            Method::PATCH,
            "/api/v1/users/me",
            json!({"password": {"current": "x", "new": 5}}),
            "password.new",
        ),
        (
            Method::PATCH,
            "/api/v1/users/me",
            json!({"password": {"current": "x"}}),
            "password.new",
        ),
        (
            Method::PATCH,
            "/api/v1/users/me",
            json!({"display_name": 7}),
            "display_name",
        ),
    ];
    for (method, path, body, expected) in cases {
        let field = field_of(app, method, path, body.clone(), Some(&ada)).await;
        assert_eq!(field, expected, "{path} {body}");
    }
    let agent = app
        .create("/api/v1/agents", &ada, &json!({"name": "probe"}))
        .await;
    let metadata = format!("/api/v1/agents/{}/metadata", agent["id"].as_str().unwrap());
    let patches = [
        (json!([{"op": "frob", "path": "/a"}]), "/0/op"),
        (
            json!([{"op": "remove", "path": "/a"}, {"op": "add", "path": "a", "value": 1}]),
            "/1/path",
        ),
        (json!([{"op": "add", "path": "/a"}]), "/0/value"),
    ];
    for (patch, expected) in patches {
        let response = app
            .client
            .patch(app.url(&metadata))
            .bearer_auth(&ada)
            .header("content-type", "application/json-patch+json")
            .json(&patch)
            .send()
            .await
            .unwrap();
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], expected, "{patch}");
    }
    let register = "/api/v1/auth/register";
    let wrong = json!({"email": 5, "password": "correct horse"});
    assert_eq!(
        field_of(app, Method::POST, register, wrong, None).await,
        "email"
    );
    let missing = json!({"password": "correct horse"});
    assert_eq!(
        field_of(app, Method::POST, register, missing, None).await,
        "email"
    );
}
