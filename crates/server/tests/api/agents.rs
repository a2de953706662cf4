//! Agents: CRUD, ownership, tokens, idempotent creates, metadata patches
//! both ways, filters, pages and live events.

use crate::helpers::{TestApp, assert_problem, on_both, token};
use crate::resources::{assert_precondition_failed, names, resource_path, row_count};
use crate::ws::{join, next_of};
use reqwest::{Method, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;

on_both!(
    agents_walk_through_with_ownership_and_etags,
    tokens_are_shown_once_and_rotate,
    idempotent_creates_replay_the_same_token,
    metadata_patches_both_ways_apply_whole_or_not_at_all,
    concurrent_json_patches_of_different_keys_all_survive,
    lists_filter_by_status_and_metadata_and_page,
    agent_events_reach_the_agents_room,
);

const MERGE: &str = "application/merge-patch+json";
const JSON_PATCH: &str = "application/json-patch+json";

const AGENTS: &str = "/api/v1/agents";

async fn create(app: &TestApp, access: &str, body: &Value) -> Value {
    app.create(AGENTS, access, body).await
}

fn path(agent: &Value) -> String {
    resource_path(AGENTS, agent)
}

async fn patch_metadata(
    app: &TestApp,
    agent: &Value,
    content_type: &str,
    body: &Value,
    access: &str,
) -> Response {
    app.client
        .patch(app.url(&format!("{}/metadata", path(agent))))
        .bearer_auth(access)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
}

async fn agents_walk_through_with_ownership_and_etags(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let admin = token(
        &app.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let body =
        json!({"name": " probe-1 ", "capabilities": {"icmp": true}, "metadata": {"env": "prod"}});
    let response = app.post_json(AGENTS, &body, Some(&ada)).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(response.headers()["etag"], "\"1\"");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(location, path(&created));
    assert_eq!(created["name"], "probe-1");
    assert_eq!(created["status"], "offline");
    assert_eq!(created["last_status"], Value::Null);
    assert_eq!(created["connected_at"], Value::Null);
    assert_eq!(created["last_seen_at"], Value::Null);
    assert_eq!(created["capabilities"], json!({"icmp": true}));
    assert_eq!(created["version"], 1);

    let fetched = app.get(&location, Some(&ada)).await;
    assert_eq!(fetched.headers()["etag"], "\"1\"");
    let fetched: Value = fetched.json().await.unwrap();
    let mut expected = created.clone();
    expected.as_object_mut().unwrap().remove("token");
    assert_eq!(fetched, expected);
    let not_modified = app
        .conditional(Method::GET, &location, &ada, ("if-none-match", "\"1\""))
        .await;
    assert_eq!(not_modified.status(), StatusCode::NOT_MODIFIED);

    for (method, body) in [
        (Method::GET, None),
        (Method::PATCH, Some(json!({"name": "x"}))),
        (Method::PUT, Some(json!({"name": "x"}))),
        (Method::DELETE, None),
    ] {
        let response = app.send(method, &location, body.as_ref(), &bob).await;
        assert_problem(response, StatusCode::NOT_FOUND, "not_found").await;
    }
    let theirs = app.get_json(AGENTS, &bob).await;
    assert_eq!(theirs["data"], json!([]));
    let all = app.get_json(AGENTS, &admin).await;
    assert_eq!(row_count(&all), 1);

    let patch = json!({"description": "rack 3", "capabilities": {"tcp": true}, "metadata": {"env": null, "zone": "a"}});
    let stale = app
        .client
        .patch(app.url(&location))
        .bearer_auth(&ada)
        .header("if-match", "\"7\"")
        .json(&patch)
        .send()
        .await
        .unwrap();
    assert_precondition_failed(stale).await;
    let patched = app
        .send(Method::PATCH, &location, Some(&patch), &admin)
        .await;
    assert_eq!(patched.status(), StatusCode::OK);
    assert_eq!(patched.headers()["etag"], "\"2\"");
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["capabilities"], json!({"icmp": true, "tcp": true}));
    assert_eq!(patched["metadata"], json!({"zone": "a"}));
    assert_eq!(patched["description"], "rack 3");

    let put = app
        .send_json(
            Method::PUT,
            &location,
            Some(&json!({"name": "probe"})),
            &ada,
        )
        .await;
    assert_eq!(
        (
            &put["capabilities"],
            &put["metadata"],
            &put["description"],
            &put["version"]
        ),
        (&json!({}), &json!({}), &Value::Null, &json!(3))
    );
    assert_problem(
        app.send(Method::PATCH, &location, Some(&json!({"name": null})), &ada)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.post_json(
            "/api/v1/agents",
            &json!({"name": "", "metadata": [1]}),
            Some(&ada),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/agents/nope", Some(&ada)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get(AGENTS, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let wrong_method = app.send(Method::POST, &location, None, &ada).await;
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);

    let deleted = app.send(Method::DELETE, &location, None, &ada).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&location, Some(&ada)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}

async fn tokens_are_shown_once_and_rotate(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let response = app
        .post_json("/api/v1/agents", &json!({"name": "probe"}), Some(&ada))
        .await;
    assert_eq!(response.headers()["cache-control"], "no-store");
    let created: Value = response.json().await.unwrap();
    let first = created["token"].as_str().unwrap().to_owned();
    assert!(first.len() >= 43, "256 bits, base64url: {first}");
    let fetched = app
        .get(&path(&created), Some(&ada))
        .await
        .text()
        .await
        .unwrap();
    assert!(!fetched.contains(&first));
    assert!(!fetched.contains("token"));
    let listed = app
        .get("/api/v1/agents", Some(&ada))
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(&first));

    let rotate = format!("{}/token", path(&created));
    let rotated = app.send(Method::POST, &rotate, None, &ada).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    assert_eq!(rotated.headers()["cache-control"], "no-store");
    let rotated: Value = rotated.json().await.unwrap();
    let second = rotated["token"].as_str().unwrap();
    assert_ne!(second, first);
    assert_eq!(rotated.as_object().unwrap().len(), 1, "{rotated}");
    let again = app.send_json(Method::POST, &rotate, None, &ada).await;
    assert_ne!(again["token"], second);
    assert_problem(
        app.send(Method::POST, &rotate, None, &bob).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // A rotation is no change of the agent: same version.
    let after = app.get_json(&path(&created), &ada).await;
    assert_eq!(after["version"], 1);
}

async fn idempotent_creates_replay_the_same_token(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let send = |body: Value, key: &'static str| {
        let request = app
            .client
            .post(app.url("/api/v1/agents"))
            .bearer_auth(&ada)
            .header("idempotency-key", key)
            .json(&body);
        async move { request.send().await.unwrap() }
    };
    let body = json!({"name": "probe", "metadata": {"env": "prod"}});
    let first = send(body.clone(), "create-1").await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let location = first.headers()["location"].clone();
    let first: Value = first.json().await.unwrap();
    let replay = send(body.clone(), "create-1").await;
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.headers()["cache-control"], "no-store");
    assert_eq!(replay.headers()["location"], location);
    let replay: Value = replay.json().await.unwrap();
    assert_eq!(replay, first, "the same token too");
    assert_problem(
        send(json!({"name": "other"}), "create-1").await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let listed = app.get_json(AGENTS, &ada).await;
    assert_eq!(row_count(&listed), 1);
    // A failed create may be retried with the same key.
    let invalid = send(json!({"name": ""}), "create-2").await;
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        send(json!({"name": "ok"}), "create-2").await.status(),
        StatusCode::CREATED
    );
}

async fn metadata_patches_both_ways_apply_whole_or_not_at_all(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = create(
        app,
        &ada,
        &json!({"name": "probe", "metadata": {"x": true, "list": [1]}}),
    )
    .await;

    let merged = patch_metadata(
        app,
        &agent,
        MERGE,
        &json!({"rack": {"row": 3}, "x": null}),
        &ada,
    )
    .await;
    assert_eq!(merged.status(), StatusCode::OK);
    assert_eq!(merged.headers()["etag"], "\"2\"");
    let merged: Value = merged.json().await.unwrap();
    assert_eq!(merged["metadata"], json!({"list": [1], "rack": {"row": 3}}));

    let ops = json!([
        {"op": "add", "path": "/a", "value": {"b": 1}},
        {"op": "replace", "path": "/a/b", "value": 2},
        {"op": "copy", "from": "/a", "path": "/c"},
        {"op": "move", "from": "/rack", "path": "/site"},
        {"op": "remove", "path": "/list/0"},
        {"op": "test", "path": "/c/b", "value": 2},
    ]);
    let patched = patch_metadata(app, &agent, JSON_PATCH, &ops, &ada).await;
    assert_eq!(
        patched.status(),
        StatusCode::OK,
        "{:?}",
        patched.text().await
    );
    let patched = app.get_json(&path(&agent), &ada).await;
    let expected = json!({"a": {"b": 2}, "c": {"b": 2}, "site": {"row": 3}, "list": []});
    assert_eq!(patched["metadata"], expected);
    assert_eq!(patched["version"], 3);

    let failed_test = json!([
        {"op": "add", "path": "/new", "value": 1},
        {"op": "test", "path": "/a/b", "value": 9},
    ]);
    assert_problem(
        patch_metadata(app, &agent, JSON_PATCH, &failed_test, &ada).await,
        StatusCode::CONFLICT,
        "conflict",
    )
    .await;
    for bad in [
        json!([{"op": "add", "path": "/new", "value": 1}, {"op": "remove", "path": "/missing"}]),
        json!([{"op": "add", "path": "/new", "value": 1}, {"op": "add", "path": "/nope/deep", "value": 1}]),
        json!([{"op": "add", "path": "no-slash", "value": 1}]),
        json!([{"op": "frobnicate", "path": "/a"}]),
        json!([{"op": "replace", "path": "", "value": 1}]),
        json!({"op": "add", "path": "/a", "value": 1}),
    ] {
        assert_problem(
            patch_metadata(app, &agent, JSON_PATCH, &bad, &ada).await,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    assert_problem(
        patch_metadata(app, &agent, MERGE, &json!([1]), &ada).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_problem(
        patch_metadata(app, &agent, "application/json", &json!({"a": 1}), &ada).await,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
    let malformed = app
        .client
        .patch(app.url(&format!("{}/metadata", path(&agent))))
        .bearer_auth(&ada)
        .header("content-type", JSON_PATCH)
        .body("[{")
        .send()
        .await
        .unwrap();
    assert_problem(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let stale = app
        .client
        .patch(app.url(&format!("{}/metadata", path(&agent))))
        .bearer_auth(&ada)
        .header("content-type", JSON_PATCH)
        .header("if-match", "\"1\"")
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_precondition_failed(stale).await;
    let unchanged = app.get_json(&path(&agent), &ada).await;
    assert_eq!(unchanged, patched, "nothing applied");
}

async fn concurrent_json_patches_of_different_keys_all_survive(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = Arc::new(
        create(
            app,
            &ada,
            &json!({"name": "shared", "metadata": {"base": true}}),
        )
        .await,
    );
    let url = Arc::new(app.url(&format!("{}/metadata", path(&agent))));
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let client = app.client.clone();
            let (url, ada) = (url.clone(), ada.clone());
            tokio::spawn(async move {
                let ops = json!([{"op": "add", "path": format!("/k{i}"), "value": i}]);
                client
                    .patch(url.as_str())
                    .bearer_auth(ada)
                    .header("content-type", JSON_PATCH)
                    .body(ops.to_string())
                    .send()
                    .await
                    .unwrap()
                    .status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    let stored = app.get_json(&path(&agent), &ada).await;
    let metadata = stored["metadata"].as_object().unwrap();
    assert_eq!(metadata.len(), 51);
    for i in 0..50 {
        assert_eq!(metadata[&format!("k{i}")], json!(i));
    }
    assert_eq!(stored["version"], 51);
}

async fn lists_filter_by_status_and_metadata_and_page(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    for (name, metadata) in [
        (
            "a",
            json!({"env": "prod", "n": 3, "on": true, "rack.row": "7"}),
        ),
        ("b", json!({"env": "dev", "n": "3", "on": false})),
        ("c", json!({"env": "prod", "n": 4})),
    ] {
        create(app, &ada, &json!({"name": name, "metadata": metadata})).await;
    }
    let listed = async |query: &str| -> Vec<String> {
        let response = app
            .get(&format!("{AGENTS}?sort=name&{query}"), Some(&ada))
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let page: Value = response.json().await.unwrap();
        names(page["data"].as_array().unwrap())
    };
    assert_eq!(listed("metadata.env=prod").await, ["a", "c"]);
    assert_eq!(listed("metadata.n=3").await, ["a", "b"]);
    assert_eq!(listed("metadata.on=true").await, ["a"]);
    assert_eq!(listed("metadata.on=false").await, ["b"]);
    assert_eq!(
        listed("metadata.rack.row=7").await,
        ["a"],
        "a dot inside the key"
    );
    assert_eq!(listed("metadata.rack=7").await, Vec::<String>::new());
    assert_eq!(listed("metadata.env=prod&metadata.n=4").await, ["c"], "AND");
    assert_eq!(listed("metadata.env=staging").await, Vec::<String>::new());
    assert_eq!(
        listed("metadata.env=prod%27%3B--").await,
        Vec::<String>::new()
    );
    assert_eq!(listed("status=offline&metadata.env=prod").await, ["a", "c"]);
    assert_eq!(listed("status=online").await, Vec::<String>::new());
    assert_eq!(listed("q=B").await, ["b"]);
    assert_problem(
        app.get(&format!("{AGENTS}?status=busy"), Some(&ada)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get(&format!("{AGENTS}?limit=0"), Some(&ada)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;

    let seen = app
        .walk_pages(
            "/api/v1/agents?limit=1&metadata.env=prod",
            &ada,
            async || {},
        )
        .await;
    assert_eq!(names(&seen), ["c", "a"], "newest first");
}

async fn agent_events_reach_the_agents_room(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let mut socket = app.ws(&ada).await;
    join(&mut socket, "agents", None).await;
    let mut bob_socket = app.ws(&bob).await;
    join(&mut bob_socket, "agents", None).await;
    create(app, &bob, &json!({"name": "bobs"})).await;

    let agent = create(app, &ada, &json!({"name": "probe"})).await;
    let event = next_of(&mut socket, "event").await;
    assert_eq!(
        (event["room"].as_str(), event["event"].as_str()),
        (Some("agents"), Some("agent.created"))
    );
    assert_eq!(event["data"]["id"], agent["id"]);
    assert!(event["data"].get("token").is_none(), "{event}");
    patch_metadata(app, &agent, MERGE, &json!({"k": 1}), &ada).await;
    let event = next_of(&mut socket, "event").await;
    assert_eq!(event["event"], "agent.updated");
    assert_eq!(event["data"]["metadata"], json!({"k": 1}));
    app.send(Method::DELETE, &path(&agent), None, &ada).await;
    let event = next_of(&mut socket, "event").await;
    assert_eq!(event["event"], "agent.deleted");
    assert_eq!(event["data"]["id"], agent["id"]);

    // Bob saw only his own agent's event.
    let theirs = next_of(&mut bob_socket, "event").await;
    assert_eq!(theirs["data"]["name"], "bobs");
    let (replayed, _) = join(&mut bob_socket, "agents", Some(0)).await;
    assert!(
        replayed.iter().all(|e| e["data"]["name"] == "bobs"),
        "{replayed:?}"
    );
}
