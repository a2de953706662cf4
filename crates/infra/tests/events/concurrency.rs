//! The property the log exists for: with writers, a releasing task and a
//! reader all running at once, a reader replaying `since` its last seen seq
//! sees every event exactly once, in seq order, and each item's events in
//! the order of its versions; the releasing task hands each out once, in
//! seq order, too.

use crate::helpers::{ALL, log, release_until, released, seqs};
use crate::support::{base_time, item, merge, on_both, user};
use domain::model::{Event, ItemId, Stream};
use domain::ports::{EventLog, ItemRepository, OwnedRepository, Scope, WriteOutcome};
use infra::{Db, SeaEventLog, SeaItems};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

on_both!(a_reader_sees_every_event_once_in_order);

const WRITERS: usize = 4;
const UPDATES: usize = 50;

/// Updates `UPDATES` times, each time one of the shared items (so writers
/// contend for the same rows), and counts the successful writes.
async fn writer(items: SeaItems, ids: Vec<ItemId>, w: usize) -> usize {
    let mut written = 0;
    for n in 0..UPDATES {
        let id = ids[(w + n) % ids.len()];
        let change = merge(json!({format!("w{w}"): n}));
        let outcome = items
            .update(id, Scope::All, &change, None, base_time())
            .await
            .unwrap();
        assert!(matches!(outcome, WriteOutcome::Done(_)), "{outcome:?}");
        written += 1;
    }
    written
}

/// Replays `since` the last seen seq until told to stop and nothing is
/// left, and returns everything seen.
async fn reader(log: SeaEventLog, stop: Arc<AtomicBool>) -> Vec<Event> {
    let mut seen: Vec<Event> = Vec::new();
    loop {
        let finished = stop.load(Ordering::SeqCst);
        let since = seen.last().map_or(0, |e| e.seq);
        let page = log.replay(Stream::Items, since, ALL, 7).await.unwrap();
        if page.is_empty() && finished {
            return seen;
        }
        if page.is_empty() {
            tokio::task::yield_now().await;
        }
        seen.extend(page);
    }
}

async fn a_reader_sees_every_event_once_in_order(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let mut ids = Vec::new();
    for n in 0..3 {
        let thing = item(ada, &format!("shared {n}"), json!({}), base_time());
        items.create(&thing).await.unwrap();
        ids.push(thing.id);
    }

    let (writers_done, reader_stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let releaser = tokio::spawn(release_until(log.clone(), writers_done.clone()));
    let reader = tokio::spawn(reader(log.clone(), reader_stop.clone()));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| tokio::spawn(writer(items.clone(), ids.clone(), w)))
        .collect();
    let mut writes = ids.len();
    for task in writers {
        writes += task.await.unwrap();
    }
    writers_done.store(true, Ordering::SeqCst);
    let handed_out = releaser.await.unwrap();
    reader_stop.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();

    assert_eq!(released(&log).await, [], "nothing left behind");
    assert_eq!(seen.len(), writes, "every event once");
    assert_eq!(seqs(&handed_out), seqs(&seen), "released as replayed");
    assert!(seen.windows(2).all(|w| w[0].seq < w[1].seq), "in seq order");
    // Per item: created, then every version in order, ending at the last.
    let mut versions: HashMap<_, Vec<i64>> = HashMap::new();
    for event in &seen {
        let version = event.data["version"].as_i64().unwrap();
        versions.entry(event.resource_id).or_default().push(version);
    }
    for id in &ids {
        let found = &versions[&id.0];
        let expected: Vec<i64> = (1..=i64::try_from(found.len()).unwrap()).collect();
        assert_eq!(found, &expected, "versions of {id:?} in seq order");
        let stored = items.find(*id, Scope::All).await.unwrap().unwrap();
        assert_eq!(stored.version, *found.last().unwrap());
    }
}
