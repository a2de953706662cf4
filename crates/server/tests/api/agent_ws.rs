//! The agent connection (`/ws/agent`): an agent simulator connects with its
//! token, heartbeats, drops and reconnects while a dashboard watches.

use crate::helpers::{TestApp, on_both};
use crate::ws::{Socket, WAIT, closed, join, next, next_of, send};
use futures_util::SinkExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

on_both!(
    an_agent_connects_heartbeats_drops_and_reconnects,
    agent_rooms_are_for_the_owner,
);

/// The status of a refused upgrade.
async fn refused(app: &TestApp, agent_token: &str) -> u16 {
    let url = format!("{}?access_token={agent_token}", app.agent_ws_url());
    match tokio_tungstenite::connect_async(url).await.unwrap_err() {
        tokio_tungstenite::tungstenite::Error::Http(response) => response.status().as_u16(),
        other => panic!("expected an HTTP refusal, got {other:?}"),
    }
}

/// Events until one named `name` arrives; returns it.
async fn event_named(socket: &mut Socket, name: &str) -> Value {
    loop {
        let frame = next_of(socket, "event").await;
        if frame["event"] == name {
            return frame;
        }
    }
}

async fn create_agent(app: &TestApp, access: &str, name: &str) -> Value {
    let response = app
        .post_json("/api/v1/agents", &json!({"name": name}), Some(access))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn path(agent: &Value) -> String {
    format!("/api/v1/agents/{}", agent["id"].as_str().unwrap())
}

/// The agent over REST once `done` holds for it (or fails after [`WAIT`]).
async fn agent_when(
    app: &TestApp,
    agent: &Value,
    access: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let current: Value = app
            .get(&path(agent), Some(access))
            .await
            .json()
            .await
            .unwrap();
        if done(&current) {
            return current;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "agent never reached the expected state: {current}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn an_agent_connects_heartbeats_drops_and_reconnects(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let mut dashboard = app.ws(&ada).await;
    join(&mut dashboard, "agents", None).await;
    let agent = create_agent(app, &ada, "probe").await;
    let secret = agent["token"].as_str().unwrap().to_owned();
    event_named(&mut dashboard, "agent.created").await;

    // A user token is no agent token; a bad token neither.
    assert_eq!(refused(app, &ada).await, 401);
    assert_eq!(refused(app, "nope").await, 401);
    let plain = app.get("/ws/agent", None).await;
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);

    // Connect (header): online, with an event carrying a seq.
    let mut probe = app.agent_ws(&secret).await;
    let now = agent_when(app, &agent, &ada, |a| a["status"] == "online").await;
    assert!(now["connected_at"].is_string(), "{now}");
    assert!(now["last_seen_at"].is_string(), "{now}");
    let online = event_named(&mut dashboard, "agent.online").await;
    assert!(online["seq"].is_i64(), "{online}");
    assert_eq!(online["room"], "agents");
    assert_eq!(online["data"]["id"], agent["id"]);
    assert_eq!(online["data"]["status"], "online");

    // Heartbeat: live to the dashboard, no seq; persisted.
    send(
        &mut probe,
        json!({"type": "heartbeat", "status": {"cpu": 0.5, "jobs": 2}}),
    )
    .await;
    let beat = event_named(&mut dashboard, "agent.heartbeat").await;
    assert!(beat.get("seq").is_none(), "{beat}");
    assert_eq!(beat["room"], "agents");
    assert_eq!(beat["data"]["agent_id"], agent["id"]);
    assert_eq!(beat["data"]["status"], json!({"cpu": 0.5, "jobs": 2}));
    assert!(beat["data"]["last_seen_at"].is_string(), "{beat}");
    agent_when(app, &agent, &ada, |a| {
        a["last_status"] == json!({"cpu": 0.5, "jobs": 2})
    })
    .await;

    // Bad frames are answered, the connection stays.
    send(&mut probe, json!({"type": "heartbeat", "status": 5})).await;
    let error = next(&mut probe).await;
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("error"), Some("bad_request"))
    );
    send(&mut probe, json!({"type": "join", "room": "agents"})).await;
    assert_eq!(next(&mut probe).await["code"], "bad_request");
    probe.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let error = next(&mut probe).await;
    assert_eq!(
        (error["code"].as_str(), error["ref"].as_str()),
        (Some("bad_request"), Some("frame"))
    );
    send(&mut probe, json!({"type": "ping", "id": 9})).await;
    assert_eq!(next(&mut probe).await, json!({"type": "pong", "id": 9}));

    // Drop: offline.
    probe.close(None).await.unwrap();
    let offline = event_named(&mut dashboard, "agent.offline").await;
    assert!(
        offline["seq"].as_i64() > online["seq"].as_i64(),
        "{offline}"
    );
    agent_when(app, &agent, &ada, |a| a["status"] == "offline").await;

    // Reconnect (query string): online again.
    let url = format!("{}?access_token={secret}", app.agent_ws_url());
    let (mut by_query, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    event_named(&mut dashboard, "agent.online").await;
    send(&mut by_query, json!({"type": "ping", "id": "q"})).await;
    assert_eq!(next(&mut by_query).await["id"], "q");

    // A second connection (subprotocol) replaces the first.
    let mut request = app.agent_ws_url().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("bearer, {secret}").parse().unwrap(),
    );
    let (mut by_protocol, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "bearer");
    assert_eq!(
        closed(&mut by_query).await,
        (CloseCode::Policy, "replaced".to_owned())
    );
    send(&mut by_protocol, json!({"type": "ping", "id": 1})).await;
    assert_eq!(next(&mut by_protocol).await["type"], "pong");
    let still = app.get(&path(&agent), Some(&ada)).await;
    let still: Value = still.json().await.unwrap();
    assert_eq!(still["status"], "online", "{still}");

    // Rotating the token closes the live connection; the old token is 401.
    let rotated = app
        .send(Method::POST, &format!("{}/token", path(&agent)), None, &ada)
        .await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.unwrap();
    assert_eq!(
        closed(&mut by_protocol).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );
    agent_when(app, &agent, &ada, |a| a["status"] == "offline").await;
    assert_eq!(refused(app, &secret).await, 401);
    let mut fresh = app.agent_ws(rotated["token"].as_str().unwrap()).await;
    agent_when(app, &agent, &ada, |a| a["status"] == "online").await;

    // Deleting the agent closes it too.
    let deleted = app.send(Method::DELETE, &path(&agent), None, &ada).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        closed(&mut fresh).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );
}

async fn agent_rooms_are_for_the_owner(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let agent = create_agent(app, &ada, "probe").await;
    let room = format!("agent:{}", agent["id"].as_str().unwrap());

    let mut theirs = app.ws(&bob).await;
    send(&mut theirs, json!({"type": "join", "room": room})).await;
    let error = next_of(&mut theirs, "error").await;
    assert_eq!(
        (error["code"].as_str(), error["ref"].as_str()),
        (Some("forbidden"), Some(room.as_str()))
    );
    join(&mut theirs, "agents", None).await;

    let mut mine = app.ws(&ada).await;
    let (_, joined) = join(&mut mine, &room, None).await;
    assert_eq!(joined["room"], room);
    let mut probe = app.agent_ws(agent["token"].as_str().unwrap()).await;
    let online = event_named(&mut mine, "agent.online").await;
    assert_eq!(online["room"], room);
    send(
        &mut probe,
        json!({"type": "heartbeat", "status": {"ok": true}}),
    )
    .await;
    let beat = event_named(&mut mine, "agent.heartbeat").await;
    assert_eq!(beat["room"], room);
    assert!(beat.get("seq").is_none(), "{beat}");

    // Bob, in `agents`, sees none of it.
    send(&mut theirs, json!({"type": "ping", "id": "end"})).await;
    let frame = next(&mut theirs).await;
    assert_eq!(frame, json!({"type": "pong", "id": "end"}), "{frame}");
}

#[tokio::test]
async fn a_heartbeat_flood_is_thinned_for_dashboards_and_the_last_status_kept() {
    let app = crate::helpers::spawn_app(
        crate::helpers::Backend::Sqlite,
        &[("RATE_LIMIT_ENABLED", "true")],
    )
    .await
    .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let mut dashboard = app.ws(&ada).await;
    join(&mut dashboard, "agents", None).await;
    let agent = create_agent(&app, &ada, "chatty").await;
    event_named(&mut dashboard, "agent.created").await;
    let mut probe = app.agent_ws(agent["token"].as_str().unwrap()).await;
    event_named(&mut dashboard, "agent.online").await;
    for n in 0..40 {
        send(&mut probe, json!({"type": "heartbeat", "status": {"n": n}})).await;
    }
    // No error for the agent: every heartbeat was taken.
    send(&mut probe, json!({"type": "ping", "id": "end"})).await;
    assert_eq!(next(&mut probe).await, json!({"type": "pong", "id": "end"}));
    // The hub hands frames over in order: the heartbeats it fanned out all
    // come before the `agent.offline` of the disconnect.
    probe.close(None).await.unwrap();
    let mut fanned_out = 0;
    loop {
        let event = next_of(&mut dashboard, "event").await;
        match event["event"].as_str() {
            Some("agent.heartbeat") => fanned_out += 1,
            Some("agent.offline") => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        (10..40).contains(&fanned_out),
        "{fanned_out} of 40 fanned out"
    );
    // The last status is the last heartbeat's, fanned out or not.
    let kept = agent_when(&app, &agent, &ada, |a| a["status"] == "offline").await;
    assert_eq!(kept["last_status"], json!({"n": 39}), "{kept}");
    app.cleanup().await;
}
