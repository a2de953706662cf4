//! What a socket may see follows the principal: a role change reaches open
//! sockets at once, and a join sees everything committed before it — on
//! one instance and across two.

use crate::cluster::{broker, pair};
use crate::helpers::{TestApp, on_both, token};
use crate::ws::{closed, join, next, next_of, send};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::HashMap;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

on_both!(
    a_demoted_admin_loses_admin_visibility_on_open_sockets,
    a_join_sees_everything_committed_before_it,
);

async fn a_demoted_admin_loses_admin_visibility_on_open_sockets(app: &TestApp) {
    demoted_admin(app, app).await;
}

async fn a_join_sees_everything_committed_before_it(app: &TestApp) {
    join_after_commit(app, app).await;
}

#[tokio::test]
async fn a_role_change_reaches_sockets_on_another_instance() {
    across_two_instances(|a, b| Box::pin(demoted_admin(a, b))).await;
}

#[tokio::test]
async fn a_join_sees_what_another_instance_committed() {
    across_two_instances(|a, b| Box::pin(join_after_commit(a, b))).await;
}

/// Runs `test` with REST on one instance and sockets on the other, fanning
/// out through Redis (skipped without it).
async fn across_two_instances(
    test: impl for<'a> FnOnce(
        &'a TestApp,
        &'a TestApp,
    ) -> std::pin::Pin<Box<dyn Future<Output = ()> + 'a>>,
) {
    let Some(url) = broker("TEST_REDIS_URL") else {
        return;
    };
    let Some((a, b)) = pair(&url).await else {
        return;
    };
    test(&a, &b).await;
    b.cleanup().await;
    a.cleanup().await;
}

/// An admin with a socket on `on` is demoted over REST on `rest`: the
/// socket closes with 1008 `unauthorized`, and one opened again with the
/// same access token sees only the user's own items.
async fn demoted_admin(rest: &TestApp, on: &TestApp) {
    let root = token(
        &rest.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let boss = token(
        &rest.signed_in_admin("boss@example.com").await,
        "access_token",
    );
    let bob = rest.access_token("bob@example.com").await;
    let bobs = rest
        .create("/api/v1/items", &bob, &json!({"name": "bob's"}))
        .await;
    let bobs_room = format!("item:{}", bobs["id"].as_str().unwrap());
    let mut socket = on.ws(&boss).await;
    join(&mut socket, "items", None).await;
    join(&mut socket, &bobs_room, None).await;
    let me = rest.get_json("/api/v1/users/me", &boss).await;
    let path = format!("/api/v1/users/{}", me["id"].as_str().unwrap());
    let demoted = rest
        .send(Method::PATCH, &path, Some(&json!({"role": "user"})), &root)
        .await;
    assert_eq!(demoted.status(), StatusCode::OK);
    assert_eq!(
        closed(&mut socket).await,
        (CloseCode::Policy, "unauthorized".to_owned())
    );

    let mut again = on.ws(&boss).await;
    send(&mut again, json!({"type": "join", "room": bobs_room})).await;
    assert_eq!(next(&mut again).await["code"], "forbidden");
    let (replayed, _) = join(&mut again, "items", Some(0)).await;
    assert!(replayed.is_empty(), "{replayed:?}");
    let bobs_path = format!("/api/v1/items/{}", bobs["id"].as_str().unwrap());
    rest.send(Method::PATCH, &bobs_path, Some(&json!({"name": "b"})), &bob)
        .await;
    let own = rest
        .create("/api/v1/items", &boss, &json!({"name": "own"}))
        .await;
    // Events of one room arrive in seq order: bob's update would come first.
    let event = next_of(&mut again, "event").await;
    assert_eq!(event["data"]["id"], own["id"], "{event}");
}

/// Items created over REST on `rest`, each joined at once from a socket on
/// `on`: no `item.created` arrives after `joined`, and `joined.seq` is at
/// least the create's seq.
async fn join_after_commit(rest: &TestApp, on: &TestApp) {
    let ada = rest.access_token("ada@example.com").await;
    let mut joined_at = HashMap::new();
    for i in 0..10 {
        let item = rest
            .create("/api/v1/items", &ada, &json!({"name": format!("n{i}")}))
            .await;
        let id = item["id"].as_str().unwrap().to_owned();
        let room = format!("item:{id}");
        let mut socket = on.ws(&ada).await;
        let (_, joined) = join(&mut socket, &room, None).await;
        let (_, all) = join(&mut socket, "items", None).await;
        let path = format!("/api/v1/items/{id}");
        rest.send(Method::PATCH, &path, Some(&json!({"name": "later"})), &ada)
            .await;
        for _ in [&room, "items"] {
            let event = next_of(&mut socket, "event").await;
            assert_eq!(event["event"], "item.updated", "{event}");
        }
        let seqs = (
            joined["seq"].as_i64().unwrap(),
            all["seq"].as_i64().unwrap(),
        );
        joined_at.insert(id, seqs);
    }
    let mut socket = on.ws(&ada).await;
    let (replayed, _) = join(&mut socket, "items", Some(0)).await;
    for event in replayed.iter().filter(|e| e["event"] == "item.created") {
        let id = event["data"]["id"].as_str().unwrap();
        let seq = event["seq"].as_i64().unwrap();
        let (in_room, in_items) = joined_at[id];
        assert!(
            seq <= in_room && seq <= in_items,
            "{id}: {seq} > {in_room}/{in_items}"
        );
    }
}
