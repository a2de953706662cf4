//! Creates, finds, updates, token changes and deletes, with their events.

use crate::support::{agent, at, base_time, logged_events, merge_metadata, on_both, store, user};
use domain::model::{AgentChange, AgentName, AgentToken, ObjectChange};
use domain::ports::{AgentRepository, OwnedRepository, Scope, WriteOutcome};
use infra::{Db, SeaAgents};
use serde_json::json;

on_both!(
    writes_round_trip_and_log_their_events,
    tokens_find_agents_and_rotate,
    merges_are_recursive_and_checked,
);

async fn writes_round_trip_and_log_their_events(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let agents = SeaAgents::new(db.clone());
    let created = agent(ada, "probe", json!({"env": "prod"}), base_time());
    store(&agents, &created).await;
    assert_eq!(
        agents.find(created.id, Scope::Owner(ada)).await.unwrap(),
        Some(created.clone())
    );
    assert_eq!(
        agents.find(created.id, Scope::Owner(bob)).await.unwrap(),
        None
    );

    let change = AgentChange {
        name: Some(AgentName::parse("renamed").unwrap()),
        description: Some(None),
        capabilities: ObjectChange::Merge(json!({"tcp": 1}).as_object().cloned().unwrap()),
        ..AgentChange::default()
    };
    let stale = agents
        .update(created.id, Scope::All, &change, Some(9), at(1))
        .await
        .unwrap();
    assert_eq!(stale, WriteOutcome::VersionMismatch);
    let theirs = agents
        .update(created.id, Scope::Owner(bob), &change, Some(1), at(1))
        .await
        .unwrap();
    assert_eq!(theirs, WriteOutcome::NotFound);
    let WriteOutcome::Done(updated) = agents
        .update(created.id, Scope::Owner(ada), &change, Some(1), at(1))
        .await
        .unwrap()
    else {
        panic!("update refused")
    };
    assert_eq!(updated.name.as_str(), "renamed");
    assert_eq!(
        updated.capabilities.to_value(),
        json!({"probe": true, "tcp": 1})
    );
    assert_eq!((updated.version, updated.updated_at), (2, at(1)));

    let deleted = agents
        .delete(created.id, Scope::All, Some(2), at(9))
        .await
        .unwrap();
    assert!(matches!(deleted, WriteOutcome::Done(_)));
    assert_eq!(agents.find(created.id, Scope::All).await.unwrap(), None);

    let events = logged_events(db).await;
    let kinds: Vec<_> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["agent.created", "agent.updated", "agent.deleted"]);
    assert_eq!(events[1].data["name"], "renamed");
    assert!(events.iter().all(|e| e.data.get("token").is_none()));
}

async fn tokens_find_agents_and_rotate(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db.clone());
    let created = agent(ada, "probe", json!({}), base_time());
    let token = store(&agents, &created).await;
    let found = agents.find_by_token(&token.hash()).await.unwrap();
    assert_eq!(found.map(|a| a.id), Some(created.id));

    let fresh = AgentToken::generate();
    let outcome = agents
        .set_token(created.id, Scope::Owner(ada), &fresh.hash())
        .await
        .unwrap();
    assert_eq!(outcome, WriteOutcome::Done(created.clone()), "unchanged");
    assert_eq!(agents.find_by_token(&token.hash()).await.unwrap(), None);
    assert!(agents.find_by_token(&fresh.hash()).await.unwrap().is_some());

    // A token hash is unique.
    let other = agent(ada, "other", json!({}), base_time());
    let clash = agents.create(&other, &fresh.hash()).await;
    assert!(
        matches!(clash, Err(domain::RepoError::Conflict)),
        "{clash:?}"
    );
    let missing = agents
        .set_token(other.id, Scope::All, &AgentToken::generate().hash())
        .await
        .unwrap();
    assert_eq!(missing, WriteOutcome::NotFound);
}

async fn merges_are_recursive_and_checked(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db);
    let start = json!({"a": 1, "nested": {"x": 1, "y": 2}, "gone": true});
    let created = agent(ada, "probe", start, base_time());
    store(&agents, &created).await;
    let patch = merge_metadata(json!({"nested": {"y": null, "z": [3]}, "gone": null}));
    let WriteOutcome::Done(merged) = agents
        .update(created.id, Scope::All, &patch, None, at(5))
        .await
        .unwrap()
    else {
        panic!("merge refused")
    };
    assert_eq!(
        merged.metadata.to_value(),
        json!({"a": 1, "nested": {"x": 1, "z": [3]}})
    );

    let too_big = merge_metadata(json!({"big": "x".repeat(70_000)}));
    let outcome = agents
        .update(created.id, Scope::All, &too_big, None, at(6))
        .await
        .unwrap();
    assert!(matches!(outcome, WriteOutcome::Invalid(_)), "{outcome:?}");
    assert_eq!(
        agents.find(created.id, Scope::All).await.unwrap(),
        Some(merged)
    );
}
