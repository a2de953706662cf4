//! The stream's ends and edges: closes on logout, role change, a slow
//! reader and shutdown; `resync_required`; two instances over a broker.

use crate::helpers::{Backend, PASSWORD, spawn_app, token};
use crate::stream::create_item;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::process::Stdio;

#[tokio::test]
async fn logout_and_a_role_change_end_the_stream() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let pair = app.signed_in("ada@example.com").await;
    let ada = token(&pair, "access_token");
    let mut stream = app.stream("rooms=items", &ada, None).await;
    stream.until_joined("items").await;
    app.send(Method::POST, "/api/v1/auth/logout", None, &ada)
        .await;
    let last = stream.ended().await;
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0].event, "close");
    assert_eq!(last[0].data["reason"], "unauthorized");

    let again = token(
        &app.login("ada@example.com", PASSWORD)
            .await
            .json::<Value>()
            .await
            .unwrap(),
        "access_token",
    );
    let me = app.get_json("/api/v1/users/me", &again).await;
    let mut stream = app.stream("rooms=items", &again, None).await;
    stream.until_joined("items").await;
    let admin = token(
        &app.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let path = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
    let promoted = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"role": "admin"})),
            &admin,
        )
        .await;
    assert_eq!(promoted.status(), StatusCode::OK);
    let last = stream.ended().await;
    assert_eq!(last[0].data["reason"], "unauthorized", "{last:?}");
    app.cleanup().await;
}

#[tokio::test]
async fn events_lost_to_retention_ask_for_a_resync() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let ada = app.access_token("ada@example.com").await;
    for i in 0..3 {
        create_item(&app, &format!("old {i}"), &ada).await;
    }
    let db = infra::Db::connect(&app.database_url, 1).await.unwrap();
    let log = infra::SeaEventLog::new(db);
    use domain::ports::EventLog;
    log.open().await.unwrap();
    let far_past = domain::model::Timestamp::from_unix_micros(0).unwrap();
    log.prune(domain::model::Stream::Items, far_past, 1)
        .await
        .unwrap();
    let mut stream = app.stream("rooms=items&since=items:0", &ada, None).await;
    let resync = stream.next().await;
    assert_eq!(resync.event, "resync_required");
    assert_eq!(resync.data, json!({"room": "items"}));
    let joined = stream.next().await;
    assert_eq!(joined.event, "joined");
    let latest = joined.data["seq"].as_i64().unwrap();
    assert_eq!(joined.id, Some(format!("items:{latest}")));
    app.cleanup().await;
}

#[tokio::test]
async fn a_slow_reader_is_ended_and_others_keep_receiving() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(Backend::Sqlite, &[("WS_SEND_QUEUE", "64")])
        .await
        .unwrap();
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    // A reader that sends its request and then reads nothing.
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!(
        "GET /api/v1/stream?rooms=chat:flood HTTP/1.1\r\nhost: {host}\r\n\
         authorization: Bearer {bob}\r\naccept: text/event-stream\r\n\r\n"
    );
    slow.write_all(request.as_bytes()).await.unwrap();
    let mut fast = app.stream("rooms=chat:flood", &ada, None).await;
    fast.until_joined("chat:flood").await;
    let text = "y".repeat(60 * 1024);
    let body = json!({"data": {"t": text}});
    // 40 MB in bursts that the fast reader drains as they come.
    for _ in 0..40 {
        for _ in 0..16 {
            let sent = app
                .post_json("/api/v1/chat/flood/messages", &body, Some(&ada))
                .await;
            assert_eq!(sent.status(), StatusCode::ACCEPTED);
        }
        for _ in 0..16 {
            fast.next_of("message").await;
        }
    }
    // The slow reader's stream ends with `close` `slow_consumer`.
    let mut seen = Vec::new();
    let mut chunk = vec![0; 64 * 1024];
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        loop {
            let n = slow.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the connection stays until the body ends");
            seen.extend_from_slice(&chunk[..n]);
            let tail =
                String::from_utf8_lossy(&seen[seen.len().saturating_sub(300)..]).into_owned();
            if tail.contains("slow_consumer") && tail.ends_with("0\r\n\r\n") {
                return tail;
            }
        }
    })
    .await
    .expect("the stream ends");
    assert!(ended.contains("event: close"), "{ended}");
    app.cleanup().await;
}

#[tokio::test]
async fn streams_end_on_shutdown() {
    let server = crate::binary::Binary::start(
        &[("SHUTDOWN_GRACE_SECS", "10"), ("RUST_LOG", "warn")],
        Stdio::null(),
    )
    .await;
    let ada = json!({"email": "ada@example.com", "password": PASSWORD});
    server.post_json("/api/v1/auth/register", &ada, None).await;
    let pair = server.login(&ada).await;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/stream?rooms=items", server.base))
        .bearer_auth(pair["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let mut stream = crate::sse::Sse::new(response);
    stream.until_joined("items").await;
    server.terminate();
    let last = stream.ended().await;
    assert_eq!(last.len(), 1, "{last:?}");
    assert_eq!(last[0].event, "close");
    assert_eq!(last[0].data["reason"], "server shutting down");
    let exited = server.exited().await;
    assert!(exited.success(), "{exited:?}");
}

#[tokio::test]
async fn streams_cross_instances_over_redis() {
    let Some(url) = crate::cluster::broker("TEST_REDIS_URL") else {
        return;
    };
    let Some((a, b)) = crate::cluster::pair(&url).await else {
        return;
    };
    let ada = a.access_token("ada@example.com").await;
    let bob = a.access_token("bob@example.com").await;
    let mut on_b = b.stream("rooms=items,chat:x", &ada, None).await;
    on_b.until_joined("chat:x").await;
    let mut socket_on_a = a.ws(&bob).await;
    crate::ws::join(&mut socket_on_a, "chat:x", None).await;
    let written = create_item(&a, "on a", &ada).await;
    let event = on_b.next_of("item.created").await;
    assert_eq!(event.data["data"]["id"], written["id"]);
    let last_id = on_b.last_id.clone().unwrap();

    let said = a
        .post_json(
            "/api/v1/chat/x/messages",
            &json!({"data": "across"}),
            Some(&bob),
        )
        .await;
    assert_eq!(said.status(), StatusCode::ACCEPTED);
    assert_eq!(on_b.next_of("message").await.data["data"], "across");
    assert_eq!(
        crate::ws::next_of(&mut socket_on_a, "message").await["data"],
        "across"
    );

    // Resuming on the other instance reads the shared log.
    drop(on_b);
    let missed = create_item(&b, "missed", &ada).await;
    let mut on_a = a.stream("rooms=items", &ada, Some(&last_id)).await;
    let replayed = on_a.until_joined("items").await;
    assert_eq!(replayed.len(), 1, "{replayed:?}");
    assert_eq!(replayed[0].data["data"]["id"], missed["id"]);

    // A logout on b ends the stream on a.
    b.send(Method::POST, "/api/v1/auth/logout", None, &ada)
        .await;
    let last = on_a.ended().await;
    assert_eq!(last.last().unwrap().data["reason"], "unauthorized");
    b.cleanup().await;
    a.cleanup().await;
}
