//! `GET /api/v1/stream`: the rooms of the WebSocket API as server-sent
//! events, read incrementally by a real HTTP client.

use crate::helpers::{Backend, TestApp, assert_problem, on_both, spawn_app};
use crate::ws::{join, next_of, send};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    events_are_visible_per_member_and_replay_since,
    a_reconnect_resumes_from_last_event_id_without_gap_or_duplicate
);

pub(crate) async fn create_item(app: &TestApp, name: &str, access: &str) -> Value {
    let response = app
        .post_json("/api/v1/items", &json!({"name": name}), Some(access))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

fn seq_of(id: &str, room: &str) -> i64 {
    id.split(',')
        .find_map(|part| part.strip_prefix(&format!("{room}:")))
        .unwrap()
        .parse()
        .unwrap()
}

async fn events_are_visible_per_member_and_replay_since(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let before = create_item(app, "before", &ada).await;
    let mut stream = app.stream("rooms=items,agents", &ada, None).await;
    assert!(stream.until_joined("items").await.is_empty());
    let joined = stream.next_of("joined").await;
    assert_eq!(joined.data["room"], "agents");
    let id = joined.id.unwrap();
    assert!(id.starts_with("items:") && id.contains(",agents:"), "{id}");

    create_item(app, "bob's", &bob).await;
    let mine = create_item(app, "mine", &ada).await;
    let event = stream.next().await;
    assert_eq!(event.event, "item.created", "bob's item is not seen");
    assert_eq!(event.data["room"], "items");
    assert_eq!(event.data["data"]["id"], mine["id"]);
    let seq = event.data["seq"].as_i64().unwrap();
    assert_eq!(seq_of(event.id.as_deref().unwrap(), "items"), seq);

    // `since` replays what came after it, then goes live.
    let since = seq_of(&id, "items") - 1;
    let mut replaying = app
        .stream(&format!("rooms=items&since=items:{since}"), &ada, None)
        .await;
    let replayed = replaying.until_joined("items").await;
    let names: Vec<&Value> = replayed.iter().map(|e| &e.data["data"]["name"]).collect();
    assert_eq!(names, [&json!("before"), &json!("mine")], "{replayed:?}");
    assert_eq!(replayed[0].data["data"]["id"], before["id"]);
}

async fn a_reconnect_resumes_from_last_event_id_without_gap_or_duplicate(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let mut stream = app.stream("rooms=items,chat:x", &ada, None).await;
    stream.until_joined("chat:x").await;
    let mut seen = Vec::new();
    for i in 0..3 {
        create_item(app, &format!("a{i}"), &ada).await;
        seen.push(stream.next_of("item.created").await.data["seq"].clone());
    }
    let last_id = stream.last_id.clone().unwrap();
    drop(stream);
    let mut written = Vec::new();
    for i in 0..3 {
        written.push(create_item(app, &format!("b{i}"), &ada).await["id"].clone());
    }
    // The original URL (without `since`) plus `Last-Event-ID`, as an
    // EventSource reconnects.
    let mut resumed = app.stream("rooms=items,chat:x", &ada, Some(&last_id)).await;
    let replayed = resumed.until_joined("items").await;
    let ids: Vec<&Value> = replayed.iter().map(|e| &e.data["data"]["id"]).collect();
    assert_eq!(
        ids,
        written.iter().collect::<Vec<_>>(),
        "no gap, no duplicate"
    );
    assert!(replayed.iter().all(|e| !seen.contains(&e.data["seq"])));
    let live = create_item(app, "live", &ada).await;
    let event = resumed.next_of("item.created").await;
    assert_eq!(event.data["data"]["id"], live["id"], "then live, once");
}

#[tokio::test]
async fn chat_presence_and_http_publish_reach_sockets_and_streams() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let carol = app.access_token("carol@example.com").await;
    let mut stream = app.stream("rooms=chat:lobby", &ada, None).await;
    stream.until_joined("chat:lobby").await;
    let me = stream.next_of("presence").await;
    let ada_id = me.data["joins"][0]["user_id"].clone();
    let mut socket = app.ws(&bob).await;
    join(&mut socket, "chat:lobby", None).await;
    let bob_here = stream.next_of("presence").await;
    assert_eq!(bob_here.data["room"], "chat:lobby");
    let bob_id = bob_here.data["joins"][0]["user_id"].clone();

    send(
        &mut socket,
        json!({"type": "publish", "room": "chat:lobby", "data": {"text": "from a socket"}}),
    )
    .await;
    next_of(&mut socket, "message").await;
    let message = stream.next_of("message").await;
    assert_eq!(message.id, None, "chat has no seq");
    assert_eq!(
        message.data,
        json!({"room": "chat:lobby", "from": bob_id, "data": {"text": "from a socket"}})
    );

    // Carol is no member and publishes over HTTP.
    let published = app
        .post_json(
            "/api/v1/chat/lobby/messages",
            &json!({"data": {"text": "over http"}}),
            Some(&carol),
        )
        .await;
    assert_eq!(published.status(), StatusCode::ACCEPTED);
    let on_socket = next_of(&mut socket, "message").await;
    let on_stream = stream.next_of("message").await;
    assert_eq!(on_socket["data"]["text"], "over http");
    assert_eq!(on_stream.data["from"], on_socket["from"]);
    assert_ne!(on_stream.data["from"], ada_id);
    assert_ne!(on_stream.data["from"], bob_id);

    drop(socket);
    let left = stream.next_of("presence").await;
    assert_eq!(left.data["leaves"][0]["user_id"], bob_id);
    app.cleanup().await;
}

#[tokio::test]
async fn http_publish_checks_its_input() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let post = |path: String, body: Value, token: Option<String>| {
        let app = &app;
        async move { app.post_json(&path, &body, token.as_deref()).await }
    };
    let path = "/api/v1/chat/lobby/messages".to_owned();
    let unauthenticated = post(path.clone(), json!({"data": 1}), None).await;
    assert_problem(unauthenticated, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let missing = post(path.clone(), json!({}), Some(ada.clone())).await;
    let problem = assert_problem(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(problem["errors"][0]["field"], "data", "{problem}");
    let large = json!({"data": {"t": "x".repeat(65 * 1024)}});
    let too_large = post(path.clone(), large, Some(ada.clone())).await;
    assert_problem(
        too_large,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    )
    .await;
    let long_name = format!("/api/v1/chat/{}/messages", "n".repeat(101));
    let bad_name = post(long_name, json!({"data": 1}), Some(ada.clone())).await;
    assert_problem(bad_name, StatusCode::BAD_REQUEST, "bad_request").await;
    let control = post(
        "/api/v1/chat/a%07b/messages".to_owned(),
        json!({"data": 1}),
        Some(ada),
    )
    .await;
    assert_problem(control, StatusCode::BAD_REQUEST, "bad_request").await;
    app.cleanup().await;
}

#[tokio::test]
async fn bad_requests_are_refused_before_streaming() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let bobs = create_item(&app, "bob's", &bob).await;
    let refused = app.stream_response("rooms=items", None, None).await;
    assert_problem(refused, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let refused = app
        .stream_response("rooms=items&access_token=nope", None, None)
        .await;
    assert_problem(refused, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let others = format!("rooms=items,item:{}", bobs["id"].as_str().unwrap());
    let forbidden = app.stream_response(&others, Some(&ada), None).await;
    assert_problem(forbidden, StatusCode::FORBIDDEN, "forbidden").await;
    for query in [
        "",
        "rooms=",
        "rooms=secret",
        "rooms=items&since=items",
        "rooms=items&since=items:x",
        "rooms=items&since=agents:3",
        "rooms=chat:x&since=chat:x:3",
    ] {
        let bad = app.stream_response(query, Some(&ada), None).await;
        assert_problem(bad, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    let bad_resume = app
        .stream_response("rooms=items", Some(&ada), Some("items"))
        .await;
    assert_problem(bad_resume, StatusCode::BAD_REQUEST, "bad_request").await;

    // The query parameter authenticates too (EventSource can't set headers).
    let by_query = app
        .stream_response(&format!("rooms=items&access_token={ada}"), None, None)
        .await;
    let mut stream = crate::sse::Sse::new(by_query);
    stream.until_joined("items").await;
    app.cleanup().await;
}

#[tokio::test]
async fn the_cap_counts_streams_and_keep_alives_flow() {
    let app = spawn_app(
        Backend::Sqlite,
        &[("WS_MAX_CONNECTIONS_PER_USER", "2"), ("WS_PING_SECS", "1")],
    )
    .await
    .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let _socket = app.ws(&ada).await;
    let mut stream = app.stream("rooms=items", &ada, None).await;
    stream.until_joined("items").await;
    let over = app.stream_response("rooms=items", Some(&ada), None).await;
    assert_eq!(over.headers()["retry-after"], "1");
    assert_problem(over, StatusCode::TOO_MANY_REQUESTS, "rate_limited").await;
    // Nothing happens, yet comment lines arrive.
    stream.keep_alive().await;
    stream.keep_alive().await;
    drop(stream);
    // The stream's place is free again once the server noticed it gone
    // (at its next keep-alive).
    let deadline = tokio::time::Instant::now() + crate::ws::WAIT;
    loop {
        let response = app.stream_response("rooms=items", Some(&ada), None).await;
        if response.status() == StatusCode::OK {
            break;
        }
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(
            tokio::time::Instant::now() < deadline,
            "the place stays taken"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.cleanup().await;
}
