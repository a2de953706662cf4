//! `prune()`: by age and by count, remembering the highest seq it deleted,
//! never touching events not released yet; seqs continue above what was
//! pruned.

use crate::helpers::{ALL, agent_event, log, released, seqs, whole, written};
use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::{Item, Stream};
use domain::ports::{EventLog, ItemRepository, OwnedRepository, Scope};
use infra::{Db, SeaItems};
use serde_json::json;

on_both!(
    prune_by_age_and_by_count,
    pruned_through_only_grows,
    unreleased_events_survive_and_seqs_continue,
);

/// Creates an item at `base_time()` and updates it once at each of
/// `times` (microseconds after it).
async fn history(items: &SeaItems, item: &Item, times: &[i64]) {
    items.create(item).await.unwrap();
    for (n, &micros) in times.iter().enumerate() {
        let change = merge(json!({"n": n}));
        items
            .update(item.id, Scope::All, &change, None, at(micros))
            .await
            .unwrap();
    }
}

async fn prune_by_age_and_by_count(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    history(
        &items,
        &item(ada, "a", json!({}), base_time()),
        &[10, 20, 30],
    )
    .await;
    agent_event(&db, ada.0).await;
    assert_eq!(released(&log).await.len(), 5);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 0);

    // By age: the two events written before at(20).
    assert_eq!(log.prune(Stream::Items, at(20), 100).await.unwrap(), 2);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 2);
    assert_eq!(seqs(&whole(&log, Stream::Items).await), [3, 4]);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 4);

    // By count: all but the newest one.
    assert_eq!(log.prune(Stream::Items, base_time(), 1).await.unwrap(), 1);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 3);
    assert_eq!(seqs(&whole(&log, Stream::Items).await), [4]);

    // Nothing left to prune: nothing changes.
    assert_eq!(log.prune(Stream::Items, base_time(), 1).await.unwrap(), 0);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 3);

    // Everything: the latest seq is still known.
    assert_eq!(log.prune(Stream::Items, at(1_000), 0).await.unwrap(), 1);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 4);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 4);
    assert_eq!(whole(&log, Stream::Items).await, []);

    // Other streams are untouched.
    assert_eq!(log.pruned_through(Stream::Agents).await.unwrap(), 0);
    assert_eq!(whole(&log, Stream::Agents).await.len(), 1);
}

async fn pruned_through_only_grows(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    // Seq order is not time order: the second update carries an earlier
    // instant than the first.
    history(&items, &item(ada, "a", json!({}), at(50)), &[100, 1, 200]).await;
    let all: Vec<_> = released(&log).await;
    assert_eq!(seqs(&all), [1, 2, 3, 4]);

    // Before at(40): only seq 3 (written at at(1)).
    assert_eq!(log.prune(Stream::Items, at(40), 100).await.unwrap(), 1);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 3);
    assert_eq!(seqs(&whole(&log, Stream::Items).await), [1, 2, 4]);
    // Then the oldest by count (seqs 1 and 2): the mark stays at 3.
    assert_eq!(log.prune(Stream::Items, base_time(), 1).await.unwrap(), 2);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 3);
    assert_eq!(seqs(&whole(&log, Stream::Items).await), [4]);
}

async fn unreleased_events_survive_and_seqs_continue(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    history(&items, &item(ada, "a", json!({}), base_time()), &[1, 2]).await;
    assert_eq!(released(&log).await.len(), 3);
    let late = item(ada, "late", json!({}), base_time());
    items.create(&late).await.unwrap();

    assert_eq!(log.prune(Stream::Items, at(1_000), 0).await.unwrap(), 3);
    assert_eq!(written(&db).await, 1);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 3);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 3);

    // Seqs continue above what was pruned, never reusing one.
    let next = released(&log).await;
    assert_eq!(seqs(&next), [4]);
    assert_eq!(next[0].resource_id, late.id.0);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 4);
    assert_eq!(log.replay(Stream::Items, 3, ALL, 10).await.unwrap(), next);
}
