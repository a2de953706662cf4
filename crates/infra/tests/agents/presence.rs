//! Presence: online/offline with their events, heartbeats without, and
//! the stale agents a crashed process left online.

use crate::support::{agent, at, base_time, logged_events, on_both, store, user};
use domain::model::AgentStatus;
use domain::ports::{AgentRepository, OwnedRepository, Scope};
use infra::{Db, SeaAgents};
use serde_json::json;

on_both!(presence_is_logged_and_heartbeats_are_not);

async fn presence_is_logged_and_heartbeats_are_not(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db.clone());
    let created = agent(ada, "probe", json!({}), base_time());
    store(&agents, &created).await;

    let online = agents
        .set_online(created.id, at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(online.status, AgentStatus::Online);
    assert_eq!(
        (online.connected_at, online.last_seen_at),
        (Some(at(10)), Some(at(10)))
    );
    assert_eq!(online.version, created.version);
    agents
        .touch(created.id, Some(&json!({"cpu": 0.5})), at(20))
        .await
        .unwrap();
    agents.touch(created.id, None, at(30)).await.unwrap();
    let seen = agents.find(created.id, Scope::All).await.unwrap().unwrap();
    assert_eq!(seen.last_status, Some(json!({"cpu": 0.5})));
    assert_eq!(seen.last_seen_at, Some(at(30)));

    // Only what was seen before the cut is stale.
    assert!(agents.stale_online(at(30)).await.unwrap().is_empty());
    let stale = agents.stale_online(at(31)).await.unwrap();
    assert_eq!(stale.iter().map(|a| a.id).collect::<Vec<_>>(), [created.id]);

    // An older connection's end leaves a newer one online.
    let newer = agents
        .set_online(created.id, at(40))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        agents
            .set_offline(created.id, Some(at(10)), at(41))
            .await
            .unwrap(),
        None
    );
    let offline = agents
        .set_offline(created.id, newer.connected_at, at(42))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(offline.status, AgentStatus::Offline);
    assert_eq!(
        agents.set_offline(created.id, None, at(43)).await.unwrap(),
        None
    );

    let events = logged_events(db).await;
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "agent.created",
            "agent.online",
            "agent.online",
            "agent.offline"
        ]
    );
    assert_eq!(events[3].data["status"], "offline");
}
