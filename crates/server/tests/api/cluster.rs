//! Two server instances on one PostgreSQL database, fanning out through a
//! real broker (Redis pub/sub, then NATS): events, chat, presence and
//! revocations (of user sessions and agent connections) cross instances, in order, and replay reads the shared log.

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app, token};
use crate::ws::{closed, join, next_of, send};
use reqwest::Method;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

/// The broker URL from `variable`, or `None` (skip) when unset and not required.
pub(crate) fn broker(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) => Some(url),
        Err(_) if std::env::var("REQUIRE_SERVICES").as_deref() == Ok("1") => {
            panic!("{variable} is not set but REQUIRE_SERVICES=1")
        }
        Err(_) => {
            eprintln!("skipped: {variable} is not set");
            None
        }
    }
}

pub(crate) async fn pair(broker_url: &str) -> Option<(TestApp, TestApp)> {
    let channel = format!("test-{}", uuid::Uuid::new_v4().simple());
    let extra = [
        ("BROKER_URL", broker_url),
        ("BROKER_CHANNEL", channel.as_str()),
    ];
    let first = spawn_app(Backend::Postgres, &extra).await?;
    let second = first.peer(&extra).await;
    Some((first, second))
}

#[tokio::test]
async fn two_instances_over_redis() {
    let Some(url) = broker("TEST_REDIS_URL") else {
        return;
    };
    let Some((a, b)) = pair(&url).await else {
        return;
    };
    crosses_instances(&a, &b).await;
    b.cleanup().await;
    a.cleanup().await;
}

#[tokio::test]
async fn two_instances_over_nats() {
    let Some(url) = broker("TEST_NATS_URL") else {
        return;
    };
    let Some((a, b)) = pair(&url).await else {
        return;
    };
    crosses_instances(&a, &b).await;
    b.cleanup().await;
    a.cleanup().await;
}

async fn crosses_instances(a: &TestApp, b: &TestApp) {
    let ada_pair = a.signed_in("ada@example.com").await;
    let ada = token(&ada_pair, "access_token");
    let bob = token(&a.signed_in("bob@example.com").await, "access_token");
    for app in [a, b] {
        let ready: Value = app.get("/health/ready", None).await.json().await.unwrap();
        assert_eq!(ready["checks"]["broker"], "ok", "{ready}");
    }

    // Events written on either instance reach sockets on both, in seq order.
    let mut on_a = a.ws(&ada).await;
    let mut on_b = b.ws(&ada).await;
    join(&mut on_a, "items", None).await;
    join(&mut on_b, "items", None).await;
    let mut paths = Vec::new();
    for (i, app) in [a, b, a, b].into_iter().enumerate() {
        let item: Value = app
            .post_json(
                "/api/v1/items",
                &json!({"name": format!("i{i}")}),
                Some(&ada),
            )
            .await
            .json()
            .await
            .unwrap();
        paths.push(format!("/api/v1/items/{}", item["id"].as_str().unwrap()));
    }
    let patches = paths.iter().enumerate().map(|(i, path)| {
        let app = if i % 2 == 0 { b } else { a };
        let ada = ada.clone();
        async move {
            app.send(
                Method::PATCH,
                path,
                Some(&json!({"attributes": {"x": i}})),
                &ada,
            )
            .await
            .status()
        }
    });
    futures_util::future::join_all(patches).await;
    let mut seen = [Vec::new(), Vec::new()];
    for (socket, seqs) in [&mut on_a, &mut on_b].into_iter().zip(seen.iter_mut()) {
        while seqs.len() < 8 {
            seqs.push(next_of(socket, "event").await["seq"].as_i64().unwrap());
        }
        assert!(
            seqs.windows(2).all(|w| w[0] + 1 == w[1]),
            "in order, no gap: {seqs:?}"
        );
    }
    assert_eq!(seen[0], seen[1], "both instances deliver the same stream");

    // Replay on the other instance reads the shared log.
    let (replayed, _) = join(&mut b.ws(&ada).await, "items", Some(seen[0][0] - 1)).await;
    assert_eq!(replayed.len(), 8);

    // Chat and presence cross instances.
    let mut bob_on_b = b.ws(&bob).await;
    send(&mut on_a, json!({"type": "join", "room": "chat:x"})).await;
    next_of(&mut on_a, "joined").await;
    next_of(&mut on_a, "presence").await;
    send(&mut bob_on_b, json!({"type": "join", "room": "chat:x"})).await;
    let mut bob_sees = Vec::new();
    while bob_sees.len() < 2 {
        let presence = next_of(&mut bob_on_b, "presence").await;
        bob_sees.extend(
            presence["joins"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["user_id"].clone()),
        );
    }
    let ada_sees_bob = next_of(&mut on_a, "presence").await;
    assert!(bob_sees.contains(&ada_sees_bob["joins"][0]["user_id"]));
    send(
        &mut bob_on_b,
        json!({"type": "publish", "room": "chat:x", "data": {"text": "hello from b"}}),
    )
    .await;
    assert_eq!(
        next_of(&mut on_a, "message").await["data"]["text"],
        "hello from b"
    );

    // An agent connecting on the other instance replaces its connection on
    // the first; rotating its token on one instance closes it on the other.
    let agent: Value = a
        .post_json("/api/v1/agents", &json!({"name": "probe"}), Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    let secret = agent["token"].as_str().unwrap();
    let mut probe_on_a = a.agent_ws(secret).await;
    let mut probe_on_b = b.agent_ws(secret).await;
    assert_eq!(
        closed(&mut probe_on_a).await,
        (CloseCode::Policy, "replaced".to_owned())
    );
    send(&mut probe_on_b, json!({"type": "ping", "id": 1})).await;
    assert_eq!(next_of(&mut probe_on_b, "pong").await["id"], 1);
    let rotate = format!("/api/v1/agents/{}/token", agent["id"].as_str().unwrap());
    let rotated = a.send(Method::POST, &rotate, None, &ada).await;
    assert_eq!(rotated.status(), reqwest::StatusCode::OK);
    assert_eq!(
        closed(&mut probe_on_b).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );

    // A logout on one instance closes the session's socket on the other.
    let other: Value = b
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let mut other_socket = b.ws(&token(&other, "access_token")).await;
    a.send(Method::POST, "/api/v1/auth/logout", None, &ada)
        .await;
    assert_eq!(
        closed(&mut on_b).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );
    send(&mut other_socket, json!({"type": "ping"})).await;
    assert_eq!(next_of(&mut other_socket, "pong").await["type"], "pong");
}
