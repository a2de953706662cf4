//! Item writes append their event in the same transaction; writes that
//! change nothing append nothing.

use crate::helpers::{log, released, whole, written};
use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::{Item, Stream, Timestamp};
use domain::ports::{ItemRepository, OwnedRepository, Scope, WriteOutcome};
use infra::{Db, SeaItems};
use serde_json::json;

on_both!(
    create_update_delete_append_their_events,
    event_data_renders_every_timestamp_like_the_api,
    refused_writes_append_nothing
);

/// Asserts that `event` announces `kind` of `item`.
fn announces(event: &domain::model::Event, kind: &str, item: &Item) {
    assert_eq!(event.stream, Stream::Items);
    assert_eq!(event.kind, kind);
    assert_eq!(event.resource_id, item.id.0);
    assert_eq!(event.owner_id, item.owner_id);
    assert_eq!(event.data, serde_json::to_value(item).unwrap(), "{kind}");
}

async fn create_update_delete_append_their_events(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let created = item(ada, "Thing", json!({"a": {"b": 1}}), base_time());
    items.create(&created).await.unwrap();
    assert_eq!(written(&db).await, 1);

    let outcome = items
        .update(
            created.id,
            Scope::Owner(ada),
            &merge(json!({"a": {"c": 2}})),
            Some(1),
            at(5),
        )
        .await
        .unwrap();
    let WriteOutcome::Done(updated) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        updated.attributes.to_value(),
        json!({"a": {"b": 1, "c": 2}})
    );
    let WriteOutcome::Done(deleted) = items
        .delete(created.id, Scope::All, Some(2), at(9))
        .await
        .unwrap()
    else {
        panic!("delete refused")
    };
    assert_eq!(deleted, updated);

    let events = released(&log).await;
    assert_eq!(events.len(), 3);
    announces(&events[0], "item.created", &created);
    announces(&events[1], "item.updated", &updated);
    announces(&events[2], "item.deleted", &deleted);
    assert_eq!(events[1].data["attributes"], json!({"a": {"b": 1, "c": 2}}));
    assert_eq!(events[1].data["version"], json!(2));
    assert_eq!(events[0].created_at, base_time());
    assert_eq!(events[1].created_at, at(5));
    assert!(events[2].created_at >= updated.updated_at);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(whole(&log, Stream::Items).await, events);
    assert_eq!(written(&db).await, 3);
}

/// PostgreSQL builds the data of an update's or a delete's event itself;
/// it must be the item exactly as the API renders it, whatever the
/// fraction of a second of its timestamps.
async fn event_data_renders_every_timestamp_like_the_api(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let second = |n: i64, fraction: i64| {
        Timestamp::from_unix_micros(1_790_000_000_000_000 + n * 1_000_000 + fraction).unwrap()
    };
    let created = item(ada, "Clock", json!({}), second(0, 0));
    items.create(&created).await.unwrap();
    let mut expected = vec![serde_json::to_value(&created).unwrap()];
    let fractions = [1, 100_000, 120, 123_456, 999_999, 0];
    for (n, fraction) in (1..).zip(fractions) {
        let change = merge(json!({"fraction": fraction}));
        let now = second(n, fraction);
        let outcome = items.update(created.id, Scope::All, &change, None, now);
        let WriteOutcome::Done(updated) = outcome.await.unwrap() else {
            panic!("update refused")
        };
        expected.push(serde_json::to_value(&updated).unwrap());
    }
    let WriteOutcome::Done(deleted) = items
        .delete(created.id, Scope::All, None, at(9))
        .await
        .unwrap()
    else {
        panic!("delete refused")
    };
    expected.push(serde_json::to_value(&deleted).unwrap());

    let data: Vec<_> = released(&log).await.into_iter().map(|e| e.data).collect();
    assert_eq!(data, expected);
    let updated_at: Vec<_> = data[1..=6]
        .iter()
        .map(|d| d["updated_at"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        updated_at,
        [
            "2026-09-21T14:13:21.000001Z",
            "2026-09-21T14:13:22.1Z",
            "2026-09-21T14:13:23.00012Z",
            "2026-09-21T14:13:24.123456Z",
            "2026-09-21T14:13:25.999999Z",
            "2026-09-21T14:13:26Z",
        ]
    );
}

async fn refused_writes_append_nothing(db: Db) {
    let (ada, bob) = (
        user(&db, "ada@example.com").await,
        user(&db, "bob@example.com").await,
    );
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let created = item(ada, "Big", json!({"a": "x".repeat(40_000)}), base_time());
    items.create(&created).await.unwrap();
    let first = released(&log).await;
    assert_eq!(first.len(), 1);

    let too_big = merge(json!({"b": "y".repeat(30_000)}));
    let outcome = items
        .update(created.id, Scope::All, &too_big, None, at(1))
        .await
        .unwrap();
    assert!(matches!(outcome, WriteOutcome::Invalid(_)), "{outcome:?}");
    let small = merge(json!({"c": 1}));
    let refused = [
        items
            .update(created.id, Scope::All, &small, Some(7), at(1))
            .await
            .unwrap(),
        items
            .update(created.id, Scope::Owner(bob), &small, None, at(1))
            .await
            .unwrap(),
        items
            .delete(created.id, Scope::All, Some(7), at(9))
            .await
            .unwrap(),
        items
            .delete(created.id, Scope::Owner(bob), None, at(9))
            .await
            .unwrap(),
    ];
    assert_eq!(
        refused,
        [
            WriteOutcome::VersionMismatch,
            WriteOutcome::NotFound,
            WriteOutcome::VersionMismatch,
            WriteOutcome::NotFound
        ]
    );
    assert_eq!(written(&db).await, 1);
    assert_eq!(released(&log).await, []);
    assert_eq!(whole(&log, Stream::Items).await, first);
    // A failed create (its owner does not exist) writes no event either.
    let orphan = item(
        domain::model::UserId::new(),
        "Orphan",
        json!({}),
        base_time(),
    );
    assert!(items.create(&orphan).await.is_err());
    assert_eq!(written(&db).await, 1);
}
