//! Commands over REST: sending (validation, capabilities, idempotency),
//! ownership, lists, get, cancel, and deletion with the agent.

use crate::helpers::{TestApp, assert_problem, on_both, token};
use crate::resources::row_count;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both!(
    commands_are_sent_listed_and_cancelled_by_the_owner,
    bad_commands_are_refused_naming_the_field,
    idempotent_command_creates_replay,
);

/// Creates an agent declaring `capabilities`; returns its body (with its
/// token).
pub async fn agent_with(app: &TestApp, access: &str, capabilities: Value) -> Value {
    let body = json!({"name": "probe", "capabilities": capabilities});
    app.create("/api/v1/agents", access, &body).await
}

/// `/api/v1/agents/{id}/commands`.
pub fn commands_of(agent: &Value) -> String {
    format!("/api/v1/agents/{}/commands", agent["id"].as_str().unwrap())
}

/// `/api/v1/commands/{id}`.
pub fn command_path(command: &Value) -> String {
    format!("/api/v1/commands/{}", command["id"].as_str().unwrap())
}

/// Sends `body` as a command to `agent`, asserting 201.
pub async fn send_command(app: &TestApp, access: &str, agent: &Value, body: Value) -> Value {
    app.create(&commands_of(agent), access, &body).await
}

async fn commands_are_sent_listed_and_cancelled_by_the_owner(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let admin = token(
        &app.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let agent = agent_with(app, &ada, json!({"commands": ["echo", "sleep"]})).await;

    let response = app
        .post_json(
            &commands_of(&agent),
            &json!({"name": "echo", "args": {"x": 1}}),
            Some(&ada),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let echo: Value = response.json().await.unwrap();
    assert_eq!(location, command_path(&echo));
    assert_eq!(echo["status"], "queued");
    assert_eq!(echo["agent_id"], agent["id"]);
    assert_eq!(echo["args"], json!({"x": 1}));
    for field in [
        "sent_at",
        "acked_at",
        "finished_at",
        "deadline_at",
        "progress",
        "result",
        "error",
    ] {
        assert!(echo[field].is_null(), "{field}");
    }
    let fields: Vec<&String> = echo.as_object().unwrap().keys().collect();
    assert_eq!(fields.len(), 14, "exactly the Command fields: {fields:?}");
    assert_eq!(app.get_json(&command_path(&echo), &ada).await, echo);

    // The admin may send; a stranger sees nothing.
    let sleep = send_command(app, &admin, &agent, json!({"name": "sleep"})).await;
    let stranger = app
        .post_json(&commands_of(&agent), &json!({"name": "echo"}), Some(&bob))
        .await;
    assert_problem(stranger, StatusCode::NOT_FOUND, "not_found").await;
    let hidden = app.get(&command_path(&echo), Some(&bob)).await;
    assert_problem(hidden, StatusCode::NOT_FOUND, "not_found").await;
    let listed = app.get(&commands_of(&agent), Some(&bob)).await;
    assert_problem(listed, StatusCode::NOT_FOUND, "not_found").await;
    let cancel = app
        .send(
            Method::POST,
            &format!("{}/cancel", command_path(&echo)),
            None,
            &bob,
        )
        .await;
    assert_problem(cancel, StatusCode::NOT_FOUND, "not_found").await;

    // Newest first, by status, a page at a time.
    let page = app.get_json(&commands_of(&agent), &ada).await;
    let ids: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["id"])
        .collect();
    assert_eq!(ids, [&sleep["id"], &echo["id"]]);
    let first = app
        .get_json(
            &format!("{}?limit=1&sort=created_at", commands_of(&agent)),
            &ada,
        )
        .await;
    assert_eq!(first["data"][0]["id"], echo["id"]);
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(
            &format!(
                "{}?limit=1&sort=created_at&cursor={cursor}",
                commands_of(&agent)
            ),
            &ada,
        )
        .await;
    assert_eq!(second["data"][0]["id"], sleep["id"]);
    assert!(second["next_cursor"].is_null());

    let cancelled = app
        .send_json(
            Method::POST,
            &format!("{}/cancel", command_path(&echo)),
            None,
            &ada,
        )
        .await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["finished_at"].is_string());
    let again = app
        .send(
            Method::POST,
            &format!("{}/cancel", command_path(&echo)),
            None,
            &ada,
        )
        .await;
    assert_problem(again, StatusCode::CONFLICT, "conflict").await;
    let queued = app
        .get_json(&format!("{}?status=queued", commands_of(&agent)), &ada)
        .await;
    assert_eq!(row_count(&queued), 1);
    assert_eq!(queued["data"][0]["id"], sleep["id"]);
    let bad = app
        .get(&format!("{}?status=done", commands_of(&agent)), Some(&ada))
        .await;
    assert_problem(bad, StatusCode::BAD_REQUEST, "bad_request").await;

    // Deleting the agent deletes its commands.
    let path = format!("/api/v1/agents/{}", agent["id"].as_str().unwrap());
    let deleted = app.send(Method::DELETE, &path, None, &ada).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let gone = app.get(&command_path(&sleep), Some(&admin)).await;
    assert_problem(gone, StatusCode::NOT_FOUND, "not_found").await;
}

async fn bad_commands_are_refused_naming_the_field(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = agent_with(app, &ada, json!({"commands": ["echo"]})).await;
    let cases = [
        (json!({"name": "Echo"}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": "x".repeat(65)}), "name"),
        (json!({"name": "sleep"}), "name"),
        (json!({"name": "echo", "args": [1]}), "args"),
        (
            json!({"name": "echo", "args": {"x": "y".repeat(70_000)}}),
            "args",
        ),
        (json!({"name": "echo", "timeout_secs": 0}), "timeout_secs"),
        (
            json!({"name": "echo", "timeout_secs": 3601}),
            "timeout_secs",
        ),
        (json!({"name": "echo", "ttl_secs": -1}), "ttl_secs"),
        (json!({"name": "echo", "ttl_secs": 86_401}), "ttl_secs"),
    ];
    for (body, field) in cases {
        let response = app.post_json(&commands_of(&agent), &body, Some(&ada)).await;
        let problem = assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
        assert_eq!(problem["errors"][0]["field"], field, "{body}");
    }
    for ok in [
        json!({"name": "echo", "timeout_secs": 1, "ttl_secs": 0}),
        json!({"name": "echo", "timeout_secs": 3600, "ttl_secs": 86_400}),
    ] {
        send_command(app, &ada, &agent, ok).await;
    }
    let page = app.get_json(&commands_of(&agent), &ada).await;
    assert_eq!(row_count(&page), 2, "nothing refused was stored");
}

async fn idempotent_command_creates_replay(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let one = agent_with(app, &ada, json!({})).await;
    let two = agent_with(app, &ada, json!({})).await;
    let post = |agent: &Value| {
        app.client
            .post(app.url(&commands_of(agent)))
            .bearer_auth(&ada)
            .header("idempotency-key", "k-1")
            .json(&json!({"name": "echo"}))
            .send()
    };
    let first: Value = post(&one).await.unwrap().json().await.unwrap();
    let replay = post(&one).await.unwrap();
    assert_eq!(replay.status(), StatusCode::CREATED);
    assert_eq!(replay.json::<Value>().await.unwrap()["id"], first["id"]);
    let other = post(&two).await.unwrap();
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(row_count(&app.get_json(&commands_of(&one), &ada).await), 1);
}
