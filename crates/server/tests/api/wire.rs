//! One wire form per owned resource: the REST body of an item or agent is
//! exactly the `data` of its `*.created` / `*.updated` event as a socket
//! replays it from the log.

use crate::helpers::on_both;
use crate::ws::{Socket, join, next_of};
use reqwest::Method;
use serde_json::{Value, json};

on_both!(rest_bodies_are_the_data_of_their_replayed_events);

/// Waits until `live` receives the event `kind`: it has been released, so
/// a replay includes it.
async fn released(live: &mut Socket, kind: &str) {
    while next_of(live, "event").await["event"] != kind {}
}

/// The `data` of the replayed events of `room` after `since`, by kind.
async fn replayed(
    app: &crate::helpers::TestApp,
    access: &str,
    room: &str,
    since: i64,
) -> Vec<(String, Value)> {
    let mut socket = app.ws(access).await;
    let (events, _) = join(&mut socket, room, Some(since)).await;
    events
        .into_iter()
        .map(|e| (e["event"].as_str().unwrap().to_owned(), e["data"].clone()))
        .collect()
}

async fn rest_bodies_are_the_data_of_their_replayed_events(app: &crate::helpers::TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let mut socket = app.ws(&ada).await;
    let (_, joined) = join(&mut socket, "items", None).await;
    let start = joined["seq"].as_i64().unwrap();
    join(&mut socket, "agents", None).await;

    let item =
        json!({"name": "Lamp", "description": "brass", "attributes": {"w": 1.5, "tags": ["a"]}});
    let created = app
        .post_json("/api/v1/items", &item, Some(&ada))
        .await
        .json::<Value>()
        .await
        .unwrap();
    let path = format!("/api/v1/items/{}", created["id"].as_str().unwrap());
    let merge = json!({"attributes": {"w": null, "deep": {"k": true}}, "description": null});
    let patched = app
        .send_json(Method::PATCH, &path, Some(&merge), &ada)
        .await;
    let current = app.get_json(&path, &ada).await;
    assert_eq!(patched, current);
    released(&mut socket, "item.updated").await;
    assert_eq!(
        replayed(app, &ada, "items", start).await,
        [
            ("item.created".to_owned(), created),
            ("item.updated".to_owned(), current)
        ]
    );

    let agent =
        json!({"name": "probe", "capabilities": {"icmp": true}, "metadata": {"env": "prod"}});
    let mut created = app
        .post_json("/api/v1/agents", &agent, Some(&ada))
        .await
        .json::<Value>()
        .await
        .unwrap();
    created.as_object_mut().unwrap().remove("token");
    let path = format!("/api/v1/agents/{}", created["id"].as_str().unwrap());
    let merge = json!({"metadata": {"env": null, "n": 3}});
    app.send_json(Method::PATCH, &path, Some(&merge), &ada)
        .await;
    let current = app.get_json(&path, &ada).await;
    released(&mut socket, "agent.updated").await;
    assert_eq!(
        replayed(app, &ada, "agents", start).await,
        [
            ("agent.created".to_owned(), created),
            ("agent.updated".to_owned(), current)
        ]
    );
}
