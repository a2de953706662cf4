//! The WebSocket gateway: auth, rooms, events with replay, chat, presence,
//! limits and closes.

use crate::helpers::{Backend, TestApp, assert_problem, on_both, spawn_app, token};
use crate::ws::{closed, join, next, next_of, send};
use futures_util::SinkExt;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

on_both!(
    item_events_arrive_live_and_replay_from_the_log,
    replay_under_concurrent_writes_is_exact
);

#[tokio::test]
async fn upgrade_authenticates_three_ways() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let access = app.access_token("ada@example.com").await;
    let mut by_header = app.ws(&access).await;
    send(&mut by_header, json!({"type": "ping", "id": 7})).await;
    assert_eq!(next(&mut by_header).await, json!({"type": "pong", "id": 7}));

    let url = format!("{}?access_token={access}", app.ws_url());
    let (mut by_query, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    send(&mut by_query, json!({"type": "ping", "id": "q"})).await;
    assert_eq!(next(&mut by_query).await["id"], "q");

    let mut request = app.ws_url().into_client_request().unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        format!("bearer, {access}").parse().unwrap(),
    );
    let (mut by_protocol, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "bearer");
    send(&mut by_protocol, json!({"type": "ping"})).await;
    assert_eq!(next(&mut by_protocol).await["type"], "pong");

    for url in [app.ws_url(), format!("{}?access_token=nope", app.ws_url())] {
        let refused = tokio_tungstenite::connect_async(url).await.unwrap_err();
        match refused {
            tokio_tungstenite::tungstenite::Error::Http(response) => {
                assert_eq!(response.status(), 401)
            }
            other => panic!("expected a 401, got {other:?}"),
        }
    }
    let plain = app.get("/ws", Some(&access)).await;
    assert_problem(plain, StatusCode::BAD_REQUEST, "bad_request").await;
    app.cleanup().await;
}

/// Sends a raw WebSocket handshake for `path` (with `headers`) to the
/// server at `address` (`http://host:port`).
pub(crate) async fn raw_upgrade(address: &str, path: &str, headers: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let host = address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\
         sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n{headers}\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    socket
}

/// Everything the server answers until it closes the connection.
async fn whole_answer(mut socket: tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut answer = String::new();
    tokio::time::timeout(crate::ws::WAIT, socket.read_to_string(&mut answer))
        .await
        .expect("the server closes after its answer")
        .unwrap();
    answer
}

#[tokio::test]
async fn upgrade_requests_are_answered_whole_or_taken_over() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let refused = whole_answer(raw_upgrade(&app.address, "/ws", "").await).await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    assert!(
        refused.contains("content-type: application/problem+json"),
        "{refused}"
    );
    assert!(refused.contains("connection: close"), "{refused}");
    let body = refused.split("\r\n\r\n").nth(1).unwrap();
    let problem: Value = serde_json::from_str(body).unwrap();
    assert_eq!(problem["code"], "unauthorized", "{problem}");

    let elsewhere = whole_answer(raw_upgrade(&app.address, "/health/live", "").await).await;
    assert!(elsewhere.starts_with("HTTP/1.1 200"), "{elsewhere}");
    let missing = whole_answer(raw_upgrade(&app.address, "/nowhere", "").await).await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");

    // Taken over: the 101, then WebSocket frames on the same socket.
    let access = app.access_token("ada@example.com").await;
    let bearer = format!("authorization: Bearer {access}\r\n");
    let mut socket = tokio::io::BufReader::new(raw_upgrade(&app.address, "/ws", &bearer).await);
    let mut head = Vec::new();
    let mut line = String::new();
    while line != "\r\n" {
        line.clear();
        socket.read_line(&mut line).await.unwrap();
        head.push(line.clone());
    }
    assert!(head[0].starts_with("HTTP/1.1 101"), "{head:?}");
    let ping = br#"{"type":"ping","id":1}"#;
    let mask = [1, 2, 3, 4];
    let mut frame = vec![0x81, 0x80 | u8::try_from(ping.len()).unwrap()];
    frame.extend_from_slice(&mask);
    frame.extend(ping.iter().zip(mask.iter().cycle()).map(|(b, m)| b ^ m));
    socket.write_all(&frame).await.unwrap();
    let mut header = [0; 2];
    socket.read_exact(&mut header).await.unwrap();
    assert_eq!(header[0], 0x81, "a final text frame");
    let mut payload = vec![0; usize::from(header[1])];
    socket.read_exact(&mut payload).await.unwrap();
    let pong: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(pong, json!({"type": "pong", "id": 1}));
    app.cleanup().await;
}

#[tokio::test]
async fn malformed_frames_and_forbidden_rooms_keep_the_connection() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let bobs_item: Value = app
        .post_json("/api/v1/items", &json!({"name": "bob's"}), Some(&bob))
        .await
        .json()
        .await
        .unwrap();
    let mut socket = app.ws(&ada).await;
    socket.send(Message::text("not json")).await.unwrap();
    let error = next(&mut socket).await;
    assert_eq!(
        (error["type"].as_str(), error["code"].as_str()),
        (Some("error"), Some("bad_request"))
    );
    socket.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    let error = next(&mut socket).await;
    assert_eq!(
        (error["code"].as_str(), error["ref"].as_str()),
        (Some("bad_request"), Some("frame"))
    );
    send(&mut socket, json!({"type": "join"})).await;
    assert_eq!(next(&mut socket).await["ref"], "join");
    for room in [
        "secret".to_owned(),
        format!("item:{}", bobs_item["id"].as_str().unwrap()),
        "item:not-a-uuid".to_owned(),
    ] {
        send(&mut socket, json!({"type": "join", "room": room})).await;
        let error = next(&mut socket).await;
        assert_eq!(error["code"], "forbidden", "{room}");
        assert_eq!(error["ref"], room.as_str());
    }
    send(
        &mut socket,
        json!({"type": "publish", "room": "chat:lobby", "data": {"text": "hi"}}),
    )
    .await;
    assert_eq!(next(&mut socket).await["code"], "forbidden");
    send(&mut socket, json!({"type": "ping", "id": 1})).await;
    assert_eq!(next(&mut socket).await["type"], "pong", "still open");
    app.cleanup().await;
}

async fn item_events_arrive_live_and_replay_from_the_log(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let admin = token(
        &app.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let mut ada_socket = app.ws(&ada).await;
    let mut admin_socket = app.ws(&admin).await;
    let (_, joined) = join(&mut ada_socket, "items", None).await;
    let start = joined["seq"].as_i64().unwrap();
    join(&mut admin_socket, "items", None).await;

    app.post_json("/api/v1/items", &json!({"name": "bob's"}), Some(&bob))
        .await;
    let created: Value = app
        .post_json("/api/v1/items", &json!({"name": "lamp"}), Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/items/{}", created["id"].as_str().unwrap());
    let mut item_socket = app.ws(&ada).await;
    join(
        &mut item_socket,
        &format!("item:{}", created["id"].as_str().unwrap()),
        None,
    )
    .await;
    app.send(Method::PATCH, &path, Some(&json!({"name": "lamp 2"})), &ada)
        .await;
    app.send(Method::DELETE, &path, None, &ada).await;

    let mut seqs = Vec::new();
    for (kind, name) in [
        ("item.created", "lamp"),
        ("item.updated", "lamp 2"),
        ("item.deleted", "lamp 2"),
    ] {
        let event = next_of(&mut ada_socket, "event").await;
        assert_eq!(
            (event["room"].as_str(), event["event"].as_str()),
            (Some("items"), Some(kind)),
            "{event}"
        );
        assert_eq!(event["data"]["name"], name);
        seqs.push(event["seq"].as_i64().unwrap());
    }
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]) && seqs[0] > start,
        "{seqs:?}"
    );
    // The create committed before the join: it is not delivered as new.
    let updated = next_of(&mut item_socket, "event").await;
    assert_eq!(
        (updated["event"].as_str(), updated["room"].as_str()),
        (
            Some("item.updated"),
            Some(format!("item:{}", created["id"].as_str().unwrap()).as_str())
        )
    );
    let admin_first = next_of(&mut admin_socket, "event").await;
    assert_eq!(
        admin_first["data"]["name"], "bob's",
        "admins see every item"
    );

    // A fresh socket replays from the log, only what the caller may see.
    let mut again = app.ws(&ada).await;
    let (replayed, joined) = join(&mut again, "items", Some(start)).await;
    let replayed_seqs: Vec<i64> = replayed
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(replayed_seqs, seqs);
    assert_eq!(joined["seq"].as_i64().unwrap(), seqs[2]);
    let (tail, _) = join(&mut app.ws(&ada).await, "items", Some(seqs[1])).await;
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0]["event"], "item.deleted");
}

async fn replay_under_concurrent_writes_is_exact(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let mut items = Vec::new();
    for i in 0..4 {
        let item: Value = app
            .post_json(
                "/api/v1/items",
                &json!({"name": format!("w{i}")}),
                Some(&ada),
            )
            .await
            .json()
            .await
            .unwrap();
        items.push(format!("/api/v1/items/{}", item["id"].as_str().unwrap()));
    }
    let mut watcher = app.ws(&ada).await;
    let (_, joined) = join(&mut watcher, "items", None).await;
    let start = joined["seq"].as_i64().unwrap();
    let writers = items.iter().map(|path| {
        let ada = ada.clone();
        async move {
            for n in 0..15 {
                let response = app
                    .send(
                        Method::PATCH,
                        path,
                        Some(&json!({"attributes": {"n": n}})),
                        &ada,
                    )
                    .await;
                assert_eq!(response.status(), StatusCode::OK);
            }
        }
    });
    let late_joiner = async {
        let mut seen = Vec::new();
        while seen.len() < 10 {
            seen.push(
                next_of(&mut watcher, "event").await["seq"]
                    .as_i64()
                    .unwrap(),
            );
        }
        let mut late = app.ws(&ada).await;
        let (replayed, joined) = join(&mut late, "items", Some(seen[4])).await;
        (seen, late, replayed, joined)
    };
    let (_, (mut seen, mut late, replayed, late_joined)) =
        tokio::join!(futures_util::future::join_all(writers), late_joiner);
    let total = 60;
    while seen.len() < total {
        seen.push(
            next_of(&mut watcher, "event").await["seq"]
                .as_i64()
                .unwrap(),
        );
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "live order: {seen:?}");
    assert!(seen[0] > start);
    let mut late_seqs: Vec<i64> = replayed
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert!(
        late_seqs
            .iter()
            .all(|s| *s <= late_joined["seq"].as_i64().unwrap())
    );
    let expected: Vec<i64> = seen.iter().copied().filter(|s| *s > seen[4]).collect();
    while late_seqs.len() < expected.len() {
        late_seqs.push(next_of(&mut late, "event").await["seq"].as_i64().unwrap());
    }
    assert_eq!(
        late_seqs, expected,
        "replay then live: every seq once, in order"
    );
}

#[tokio::test]
async fn chat_messages_and_presence() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada_pair = app.signed_in("ada@example.com").await;
    let ada = token(&ada_pair, "access_token");
    app.send(
        Method::PATCH,
        "/api/v1/users/me",
        Some(&json!({"display_name": "Ada"})),
        &ada,
    )
    .await;
    let bob = app.access_token("bob@example.com").await;
    let mut ada_tab1 = app.ws(&ada).await;
    let mut ada_tab2 = app.ws(&ada).await;
    let mut bob_socket = app.ws(&bob).await;

    send(&mut ada_tab1, json!({"type": "join", "room": "chat:lobby"})).await;
    assert_eq!(
        next(&mut ada_tab1).await,
        json!({"type": "joined", "room": "chat:lobby", "seq": 0})
    );
    let presence = next(&mut ada_tab1).await;
    assert_eq!(presence["type"], "presence");
    assert_eq!(presence["joins"][0]["display_name"], "Ada");
    send(
        &mut bob_socket,
        json!({"type": "join", "room": "chat:lobby"}),
    )
    .await;
    assert_eq!(next(&mut bob_socket).await["type"], "joined");
    let mut seen = Vec::new();
    while seen.len() < 2 {
        let presence = next_of(&mut bob_socket, "presence").await;
        seen.extend(
            presence["joins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["user_id"].clone()),
        );
    }
    let bob_joined = next_of(&mut ada_tab1, "presence").await;
    assert_eq!(bob_joined["joins"].as_array().unwrap().len(), 1);
    assert!(
        seen.contains(&bob_joined["joins"][0]["user_id"]),
        "bob saw himself and ada"
    );
    let bob_id = bob_joined["joins"][0]["user_id"].clone();

    send(&mut ada_tab2, json!({"type": "join", "room": "chat:lobby"})).await;
    next_of(&mut ada_tab2, "joined").await;
    send(
        &mut bob_socket,
        json!({"type": "publish", "room": "chat:lobby", "data": {"text": "hi"}}),
    )
    .await;
    for socket in [&mut ada_tab1, &mut ada_tab2, &mut bob_socket] {
        let message = next_of(socket, "message").await;
        assert_eq!(
            (message["from"].clone(), message["data"]["text"].as_str()),
            (bob_id.clone(), Some("hi"))
        );
    }
    // Two tabs are one member: closing one leaves nobody.
    ada_tab2.close(None).await.unwrap();
    send(
        &mut bob_socket,
        json!({"type": "leave", "room": "chat:lobby"}),
    )
    .await;
    let left = next_of(&mut ada_tab1, "presence").await;
    assert_eq!(left["leaves"][0]["user_id"], bob_id, "{left}");
    app.cleanup().await;
}

#[tokio::test]
async fn logout_and_disabling_close_sockets_with_1008() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let pair = app.signed_in("ada@example.com").await;
    let ada = token(&pair, "access_token");
    let mut socket = app.ws(&ada).await;
    let mut other_session_socket = app
        .ws(&token(
            &app.login("ada@example.com", crate::helpers::PASSWORD)
                .await
                .json::<Value>()
                .await
                .unwrap(),
            "access_token",
        ))
        .await;
    app.send(Method::POST, "/api/v1/auth/logout", None, &ada)
        .await;
    assert_eq!(
        closed(&mut socket).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );
    send(&mut other_session_socket, json!({"type": "ping"})).await;
    assert_eq!(
        next(&mut other_session_socket).await["type"],
        "pong",
        "other sessions stay"
    );

    let admin = token(
        &app.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let me: Value = app
        .get(
            "/api/v1/users/me",
            Some(&token(
                &app.login("ada@example.com", crate::helpers::PASSWORD)
                    .await
                    .json::<Value>()
                    .await
                    .unwrap(),
                "access_token",
            )),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
    app.send(
        Method::PATCH,
        &path,
        Some(&json!({"disabled": true})),
        &admin,
    )
    .await;
    assert_eq!(
        closed(&mut other_session_socket).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );
    app.cleanup().await;
}

#[tokio::test]
async fn connection_cap_idle_timeout_and_frame_limit() {
    let app = spawn_app(
        Backend::Sqlite,
        &[
            ("WS_MAX_CONNECTIONS_PER_USER", "2"),
            ("WS_PING_SECS", "1"),
            ("WS_IDLE_TIMEOUT_SECS", "2"),
        ],
    )
    .await
    .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let mut first = app.ws(&ada).await;
    let mut second = app.ws(&ada).await;
    let mut request = app.ws_url().into_client_request().unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {ada}").parse().unwrap());
    match tokio_tungstenite::connect_async(request).await.unwrap_err() {
        tokio_tungstenite::tungstenite::Error::Http(response) => assert_eq!(response.status(), 429),
        other => panic!("expected 429, got {other:?}"),
    }
    first
        .send(Message::text("x".repeat(70 * 1024)))
        .await
        .unwrap();
    assert_eq!(closed(&mut first).await.0, CloseCode::Size);
    // Silence (no frames read, so no pongs) past the idle timeout.
    tokio::time::sleep(std::time::Duration::from_millis(3500)).await;
    assert_eq!(
        closed(&mut second).await,
        (CloseCode::Normal, "idle_timeout".to_owned())
    );
    let _third = app.ws(&ada).await;
    app.cleanup().await;
}

#[tokio::test]
async fn join_and_publish_are_rate_limited_per_connection() {
    let app = spawn_app(Backend::Sqlite, &[("RATE_LIMIT_ENABLED", "true")])
        .await
        .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let mut socket = app.ws(&ada).await;
    for _ in 0..30 {
        send(&mut socket, json!({"type": "join", "room": "chat:fast"})).await;
    }
    let mut limited = 0;
    for _ in 0..30 {
        let frame = next(&mut socket).await;
        if frame["code"] == "rate_limited" {
            limited += 1;
        }
    }
    assert!(limited >= 5, "{limited} of 30 limited");
    app.cleanup().await;
}

#[tokio::test]
async fn a_slow_consumer_is_closed_and_others_keep_receiving() {
    let app = spawn_app(Backend::Sqlite, &[("WS_SEND_QUEUE", "64")])
        .await
        .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let mut slow = app.ws(&bob).await;
    join(&mut slow, "chat:flood", None).await;
    let mut fast = app.ws(&ada).await;
    join(&mut fast, "chat:flood", None).await;
    let mut publisher = app.ws(&ada).await;
    join(&mut publisher, "chat:flood", None).await;
    let (mut sink, mut echoes) = futures_util::StreamExt::split(publisher);
    // The publisher is a member too: it reads its echoes, so it is not slow.
    let drain =
        tokio::spawn(
            async move { while futures_util::StreamExt::next(&mut echoes).await.is_some() {} },
        );
    let text = "y".repeat(60 * 1024);
    let frame = json!({"type": "publish", "room": "chat:flood", "data": {"t": text}}).to_string();
    // 40 MB in bursts of 16 that the fast reader drains as they come; the
    // slow reader never reads, so its socket buffers and queue fill up.
    let mut got = 0;
    for _ in 0..40 {
        for _ in 0..16 {
            sink.send(Message::text(frame.clone())).await.unwrap();
        }
        for _ in 0..16 {
            assert_eq!(next_of(&mut fast, "message").await["room"], "chat:flood");
            got += 1;
        }
    }
    assert_eq!(got, 640, "the fast reader got everything");
    assert_eq!(
        closed(&mut slow).await,
        (CloseCode::Policy, "slow_consumer".to_owned())
    );
    drain.abort();
    app.cleanup().await;
}

#[tokio::test]
async fn events_lost_to_retention_ask_for_a_resync() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    let mut watcher = app.ws(&ada).await;
    join(&mut watcher, "items", None).await;
    for i in 0..3 {
        app.post_json(
            "/api/v1/items",
            &json!({"name": format!("old {i}")}),
            Some(&ada),
        )
        .await;
    }
    let mut last = 0;
    for _ in 0..3 {
        last = next_of(&mut watcher, "event").await["seq"]
            .as_i64()
            .unwrap();
    }
    // What the janitor does with EVENT_RETENTION_PER_ROOM=1.
    let db = infra::Db::connect(&app.database_url, 1).await.unwrap();
    let log = infra::SeaEventLog::new(db);
    use domain::ports::EventLog;
    log.open().await.unwrap();
    let far_past = domain::model::Timestamp::from_unix_micros(0).unwrap();
    assert_eq!(
        log.prune(domain::model::Stream::Items, far_past, 1)
            .await
            .unwrap(),
        2
    );

    let mut late = app.ws(&ada).await;
    send(
        &mut late,
        json!({"type": "join", "room": "items", "since": 0}),
    )
    .await;
    let error = next(&mut late).await;
    assert_eq!(
        (error["code"].as_str(), error["ref"].as_str()),
        (Some("resync_required"), Some("items"))
    );
    let joined = next(&mut late).await;
    assert_eq!(
        (joined["type"].as_str(), joined["seq"].as_i64()),
        (Some("joined"), Some(last))
    );
    let (replayed, _) = join(&mut app.ws(&ada).await, "items", Some(last - 1)).await;
    assert_eq!(replayed.len(), 1, "what is still retained replays");
    app.cleanup().await;
}
