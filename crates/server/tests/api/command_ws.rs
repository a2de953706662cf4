//! Commands on `/ws/agent`: delivery to an agent that connects later, the
//! whole life with progress and live events, re-delivery after a drop,
//! creation order and the in-flight cap, cancel, conflicts, timeouts and
//! TTLs, and delivery across instances.

use crate::cluster::{broker, pair};
use crate::commands::{agent_with, command_path, commands_of, send_command};
use crate::helpers::{TestApp, on_both};
use crate::ws::{Socket, WAIT, join, next, next_of, send};
use reqwest::Method;
use serde_json::{Value, json};

on_both!(
    a_command_waits_for_its_agent_and_runs_to_its_result,
    unacknowledged_commands_come_again_in_order_within_the_cap,
    cancel_reaches_the_agent_and_late_results_conflict,
    timeouts_and_ttls_finish_commands,
);

/// The command over REST once its status is `status` (or fails after
/// [`WAIT`]).
async fn status_becomes(app: &TestApp, access: &str, command: &Value, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let current = app.get_json(&command_path(command), access).await;
        if current["status"] == status {
            return current;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never {status}: {current}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// The next `event` frame named `name` on a dashboard.
async fn event_named(socket: &mut Socket, name: &str) -> Value {
    loop {
        let frame = next_of(socket, "event").await;
        if frame["event"] == name {
            return frame;
        }
    }
}

/// Frames until the pong of a ping: what the server sent before it.
async fn until_pong(socket: &mut Socket) -> Vec<Value> {
    send(socket, json!({"type": "ping", "id": "fence"})).await;
    let mut before = Vec::new();
    loop {
        let frame = next(socket).await;
        if frame["type"] == "pong" {
            return before;
        }
        before.push(frame);
    }
}

async fn a_command_waits_for_its_agent_and_runs_to_its_result(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = agent_with(app, &ada, json!({"commands": ["echo"]})).await;
    let mut dashboard = app.ws(&ada).await;
    let room = format!("agent:{}", agent["id"].as_str().unwrap());
    join(&mut dashboard, &room, None).await;
    let body = json!({"name": "echo", "args": {"say": "hi"}});
    let command = send_command(app, &ada, &agent, body).await;
    let created = event_named(&mut dashboard, "command.created").await;
    assert_eq!(created["data"]["id"], command["id"]);

    let mut socket = app.agent_ws(agent["token"].as_str().unwrap()).await;
    let frame = next_of(&mut socket, "command").await;
    assert_eq!(frame["id"], command["id"]);
    assert_eq!(frame["name"], "echo");
    assert_eq!(frame["args"], json!({"say": "hi"}));
    assert!(frame["deadline_at"].is_string());
    let sent = event_named(&mut dashboard, "command.updated").await;
    assert_eq!(sent["data"]["status"], "sent");

    let id = command["id"].clone();
    send(&mut socket, json!({"type": "ack", "id": id})).await;
    let running = event_named(&mut dashboard, "command.updated").await;
    assert_eq!(running["data"]["status"], "running");
    send(
        &mut socket,
        json!({"type": "progress", "id": id, "data": {"pct": 50}}),
    )
    .await;
    let progress = event_named(&mut dashboard, "command.progress").await;
    assert_eq!(progress["data"]["progress"], json!({"pct": 50}));
    assert!(progress.get("seq").is_none(), "progress is live only");
    let result = json!({"type": "result", "id": id, "ok": true, "data": {"say": "hi"}});
    send(&mut socket, result.clone()).await;
    let done = event_named(&mut dashboard, "command.updated").await;
    assert_eq!(done["data"]["status"], "succeeded");
    let stored = app.get_json(&command_path(&command), &ada).await;
    assert_eq!(stored["result"], json!({"say": "hi"}));
    assert_eq!(stored["progress"], json!({"pct": 50}));
    for at in ["sent_at", "acked_at", "finished_at"] {
        assert!(stored[at].is_string(), "{at}");
    }

    // A second result, one for an unknown id, and a bad data object.
    send(&mut socket, result).await;
    let conflict = next_of(&mut socket, "error").await;
    assert_eq!(
        (&conflict["code"], &conflict["ref"]),
        (&json!("conflict"), &id)
    );
    let unknown = uuid::Uuid::now_v7().to_string();
    send(
        &mut socket,
        json!({"type": "result", "id": unknown, "ok": false, "error": {"message": "x"}}),
    )
    .await;
    assert_eq!(next_of(&mut socket, "error").await["ref"], unknown.as_str());
    send(
        &mut socket,
        json!({"type": "progress", "id": id, "data": [1]}),
    )
    .await;
    assert_eq!(next_of(&mut socket, "error").await["code"], "bad_request");

    // The replay of the room has every status change, in order.
    let mut late = app.ws(&ada).await;
    let (replayed, _) = join(&mut late, &room, Some(0)).await;
    let statuses: Vec<&Value> = replayed
        .iter()
        .filter(|e| e["event"].as_str().unwrap().starts_with("command."))
        .map(|e| &e["data"]["status"])
        .collect();
    assert_eq!(statuses, ["queued", "sent", "running", "succeeded"]);
}

async fn unacknowledged_commands_come_again_in_order_within_the_cap(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = agent_with(app, &ada, json!({})).await;
    let mut ids = Vec::new();
    for n in 0..18 {
        let command =
            send_command(app, &ada, &agent, json!({"name": "echo", "args": {"n": n}})).await;
        ids.push(command["id"].clone());
    }
    let secret = agent["token"].as_str().unwrap().to_owned();
    let mut socket = app.agent_ws(&secret).await;
    let mut first = Vec::new();
    for _ in 0..16 {
        first.push(next_of(&mut socket, "command").await["id"].clone());
    }
    assert_eq!(first, ids[..16], "the default cap of 16, in creation order");
    let extra: Vec<Value> = until_pong(&mut socket).await;
    assert!(extra.iter().all(|f| f["type"] != "command"), "{extra:?}");
    send(&mut socket, json!({"type": "ack", "id": ids[0]})).await;
    // Dropped once the ack is recorded (an ack lost with the connection
    // would rightly bring the command again).
    status_becomes(app, &ada, &json!({"id": ids[0]}), "running").await;
    drop(socket);

    // Reconnected: the 15 unacknowledged again with the same ids; the
    // acknowledged one still counts toward the cap.
    let mut socket = app.agent_ws(&secret).await;
    let mut again = Vec::new();
    for _ in 0..15 {
        again.push(next_of(&mut socket, "command").await["id"].clone());
    }
    assert_eq!(again, ids[1..16]);
    assert!(
        until_pong(&mut socket)
            .await
            .iter()
            .all(|f| f["type"] != "command")
    );
    send(
        &mut socket,
        json!({"type": "result", "id": ids[0], "ok": true, "data": {}}),
    )
    .await;
    assert_eq!(next_of(&mut socket, "command").await["id"], ids[16]);
    assert!(
        until_pong(&mut socket)
            .await
            .iter()
            .all(|f| f["type"] != "command")
    );
}

async fn cancel_reaches_the_agent_and_late_results_conflict(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = agent_with(app, &ada, json!({})).await;
    let mut socket = app.agent_ws(agent["token"].as_str().unwrap()).await;
    // A command created while the agent is connected reaches it at once.
    let command = send_command(app, &ada, &agent, json!({"name": "sleep"})).await;
    let id = next_of(&mut socket, "command").await["id"].clone();
    assert_eq!(id, command["id"]);
    send(&mut socket, json!({"type": "ack", "id": id})).await;
    status_becomes(app, &ada, &command, "running").await;
    let path = format!("{}/cancel", command_path(&command));
    let cancelled = app.send_json(Method::POST, &path, None, &ada).await;
    assert_eq!(cancelled["status"], "cancelled");
    let cancel = next_of(&mut socket, "cancel").await;
    assert_eq!(cancel["id"], id);
    send(
        &mut socket,
        json!({"type": "result", "id": id, "ok": true, "data": {}}),
    )
    .await;
    let conflict = next_of(&mut socket, "error").await;
    assert_eq!(
        (&conflict["code"], &conflict["ref"]),
        (&json!("conflict"), &id)
    );
    let stored = app.get_json(&command_path(&command), &ada).await;
    assert_eq!(stored["status"], "cancelled");
    // Another agent's command is foreign to this one.
    let other = agent_with(app, &ada, json!({})).await;
    let theirs = send_command(app, &ada, &other, json!({"name": "echo"})).await;
    send(
        &mut socket,
        json!({"type": "result", "id": theirs["id"], "ok": true, "data": {}}),
    )
    .await;
    assert_eq!(next_of(&mut socket, "error").await["ref"], theirs["id"]);
    assert_eq!(
        app.get_json(&command_path(&theirs), &ada).await["status"],
        "queued"
    );
}

async fn timeouts_and_ttls_finish_commands(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let agent = agent_with(app, &ada, json!({})).await;
    let waits = send_command(app, &ada, &agent, json!({"name": "echo", "ttl_secs": 0})).await;
    let expired = status_becomes(app, &ada, &waits, "expired").await;
    assert!(expired["sent_at"].is_null() && expired["error"]["message"].is_string());

    let mut socket = app.agent_ws(agent["token"].as_str().unwrap()).await;
    let runs = send_command(
        app,
        &ada,
        &agent,
        json!({"name": "echo", "timeout_secs": 1}),
    )
    .await;
    assert_eq!(next_of(&mut socket, "command").await["id"], runs["id"]);
    let timed_out = status_becomes(app, &ada, &runs, "timed_out").await;
    assert!(timed_out["finished_at"].is_string());
    send(
        &mut socket,
        json!({"type": "result", "id": runs["id"], "ok": true, "data": {}}),
    )
    .await;
    assert_eq!(next_of(&mut socket, "error").await["code"], "conflict");
    let page = app
        .get_json(&format!("{}?status=timed_out", commands_of(&agent)), &ada)
        .await;
    assert_eq!(page["data"][0]["id"], runs["id"]);
}

#[tokio::test]
async fn commands_cross_instances_over_redis() {
    let Some(url) = broker("TEST_REDIS_URL") else {
        return;
    };
    let Some((a, b)) = pair(&url).await else {
        return;
    };
    let ada = a.access_token("ada@example.com").await;
    let agent = agent_with(&a, &ada, json!({})).await;
    let mut socket = b.agent_ws(agent["token"].as_str().unwrap()).await;
    until_pong(&mut socket).await;
    let started = tokio::time::Instant::now();
    let command = send_command(&a, &ada, &agent, json!({"name": "echo"})).await;
    let frame = next_of(&mut socket, "command").await;
    let took = started.elapsed();
    assert_eq!(frame["id"], command["id"]);
    eprintln!("a command crossed instances in {took:?}");
    assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
    let result = json!({"type": "result", "id": command["id"], "ok": true, "data": {"x": 1}});
    send(&mut socket, result).await;
    until_pong(&mut socket).await;
    let seen = a.get_json(&command_path(&command), &ada).await;
    assert_eq!(
        seen["status"], "succeeded",
        "visible on the other instance at once"
    );
    b.cleanup().await;
    a.cleanup().await;
}
