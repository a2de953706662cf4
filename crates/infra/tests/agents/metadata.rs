//! JSON Patch on metadata under a row lock: all six operations, failures
//! that change nothing, and concurrent patches that all survive.

use crate::support::{agent, at, base_time, on_both, store, user};
use domain::model::{MetadataPatch, UserId};
use domain::ports::{AgentRepository, OwnedRepository, Scope, WriteOutcome};
use infra::{Db, SeaAgents};
use serde_json::{Map, Value, json};
use std::sync::Arc;

on_both!(
    json_patches_apply_whole_or_not_at_all,
    concurrent_json_patches_of_different_keys_all_survive,
);

fn patch(ops: Value) -> MetadataPatch {
    MetadataPatch::parse(ops).unwrap()
}

async fn json_patches_apply_whole_or_not_at_all(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db);
    let created = agent(ada, "probe", json!({"x": true, "list": [1]}), base_time());
    store(&agents, &created).await;
    let ops = patch(json!([
        {"op": "add", "path": "/a", "value": {"b": 1}},
        {"op": "replace", "path": "/a/b", "value": 2},
        {"op": "copy", "from": "/a", "path": "/c"},
        {"op": "move", "from": "/c/b", "path": "/d"},
        {"op": "remove", "path": "/x"},
        {"op": "add", "path": "/list/-", "value": 2},
        {"op": "test", "path": "/d", "value": 2},
    ]));
    let WriteOutcome::Done(patched) = agents
        .patch_metadata(created.id, Scope::Owner(ada), &ops, Some(1), at(1))
        .await
        .unwrap()
    else {
        panic!("patch refused")
    };
    let expected = json!({"a": {"b": 2}, "c": {}, "d": 2, "list": [1, 2]});
    assert_eq!(patched.metadata.to_value(), expected);
    assert_eq!((patched.version, patched.updated_at), (2, at(1)));

    let failed_test = patch(json!([
        {"op": "add", "path": "/new", "value": 1},
        {"op": "test", "path": "/d", "value": 3},
    ]));
    let outcome = agents
        .patch_metadata(created.id, Scope::All, &failed_test, None, at(2))
        .await
        .unwrap();
    assert_eq!(outcome, WriteOutcome::TestFailed);
    let missing = patch(json!([
        {"op": "add", "path": "/new", "value": 1},
        {"op": "remove", "path": "/nope/deeper"},
    ]));
    let outcome = agents
        .patch_metadata(created.id, Scope::All, &missing, None, at(2))
        .await
        .unwrap();
    assert!(matches!(outcome, WriteOutcome::Invalid(_)), "{outcome:?}");
    let stale = agents
        .patch_metadata(created.id, Scope::All, &missing, Some(1), at(2))
        .await
        .unwrap();
    assert_eq!(stale, WriteOutcome::VersionMismatch);
    let theirs = agents
        .patch_metadata(
            created.id,
            Scope::Owner(UserId::new()),
            &missing,
            None,
            at(2),
        )
        .await
        .unwrap();
    assert_eq!(theirs, WriteOutcome::NotFound);
    assert_eq!(
        agents.find(created.id, Scope::All).await.unwrap(),
        Some(patched),
        "nothing applied"
    );
}

async fn concurrent_json_patches_of_different_keys_all_survive(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = Arc::new(SeaAgents::new(db));
    let created = agent(ada, "shared", json!({"base": true}), base_time());
    store(&agents, &created).await;
    let tasks: Vec<_> = (0..50_i64)
        .map(|i| {
            let agents = agents.clone();
            tokio::spawn(async move {
                let ops = patch(json!([{"op": "add", "path": format!("/k{i}"), "value": i}]));
                agents
                    .patch_metadata(created.id, Scope::Owner(ada), &ops, None, at(i + 1))
                    .await
            })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.unwrap().unwrap();
        assert!(matches!(outcome, WriteOutcome::Done(_)), "{outcome:?}");
    }
    let stored = agents.find(created.id, Scope::All).await.unwrap().unwrap();
    let mut expected = Map::new();
    expected.insert("base".into(), json!(true));
    for i in 0..50 {
        expected.insert(format!("k{i}"), json!(i));
    }
    assert_eq!(stored.metadata.as_map(), &expected);
    assert_eq!(stored.version, 51);
}
