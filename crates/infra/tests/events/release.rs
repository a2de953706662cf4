//! `release()`: each committed event handed out once, in seq (write)
//! order, seqs increasing across streams; every log value releases the
//! whole log on its own, from where it was opened.

use crate::helpers::{agent_event, log, release_until, released, seqs, whole};
use crate::support::{base_time, item, on_both, user};
use domain::model::Stream;
use domain::ports::{EventLog, ItemRepository};
use infra::{Db, SeaEventLog, SeaItems};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

on_both!(
    seqs_increase_and_each_event_is_released_once,
    streams_share_one_sequence_of_seqs,
    a_log_opened_later_starts_at_the_end,
    every_log_releases_each_event_once,
    what_was_committed_is_written_through_until_released,
);

/// A PostgreSQL server whose default isolation is stricter than
/// `READ COMMITTED`: the watermark's statement reads what it must whatever
/// the level (its snapshot and the sequence, in that order).
#[tokio::test]
async fn releasing_ignores_a_stricter_server_default() {
    let Some(test) = infra::testing::TestDatabase::postgres().await else {
        return;
    };
    let conn = test.db().connection();
    let statement =
        Statement::from_string(DbBackend::Postgres, "SELECT current_database() AS name");
    let row = conn.query_one_raw(statement).await.unwrap().unwrap();
    let name: String = row.try_get("", "name").unwrap();
    conn.execute_unprepared(&format!(
        "ALTER DATABASE \"{name}\" SET default_transaction_isolation = 'serializable'"
    ))
    .await
    .unwrap();
    let db = Db::connect(test.url(), 2).await.unwrap();
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    items
        .create(&item(ada, "strict", json!({}), base_time()))
        .await
        .unwrap();
    assert_eq!(seqs(&released(&log).await), [1]);
    db.close().await.unwrap();
    test.drop_database().await;
}

/// Releasing before `open` is a clear error, not a silent start.
#[tokio::test]
async fn releasing_needs_an_opened_log() {
    let test = infra::testing::TestDatabase::sqlite().await;
    let log = SeaEventLog::new(test.db().clone());
    assert!(log.release().await.is_err());
    log.open().await.unwrap();
    assert_eq!(log.release().await.unwrap().events, []);
}

async fn seqs_increase_and_each_event_is_released_once(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    assert_eq!(released(&log).await, []);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 0);

    for n in 0..3 {
        items
            .create(&item(ada, &format!("first {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let first = released(&log).await;
    assert_eq!(seqs(&first), [1, 2, 3]);
    let names: Vec<_> = first.iter().map(|e| e.data["name"].clone()).collect();
    assert_eq!(
        names,
        [json!("first 0"), json!("first 1"), json!("first 2")]
    );
    assert_eq!(released(&log).await, [], "second call");
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 3);

    for n in 0..2 {
        items
            .create(&item(ada, &format!("second {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let second = released(&log).await;
    assert_eq!(seqs(&second), [4, 5]);
    assert_eq!(released(&log).await, []);
    assert_eq!(seqs(&whole(&log, Stream::Items).await), [1, 2, 3, 4, 5]);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 5);
}

async fn streams_share_one_sequence_of_seqs(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    for n in 0..3 {
        agent_event(&db, ada.0).await;
        items
            .create(&item(ada, &format!("item {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let events = released(&log).await;
    assert_eq!(seqs(&events), [1, 2, 3, 4, 5, 6]);
    let of = |stream| {
        events
            .iter()
            .filter(|e| e.stream == stream)
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(of(Stream::Agents), [1, 3, 5]);
    assert_eq!(of(Stream::Items), [2, 4, 6]);
    assert_eq!(log.latest_seq(Stream::Agents).await.unwrap(), 5);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 6);
    assert_eq!(seqs(&whole(&log, Stream::Agents).await), [1, 3, 5]);
}

async fn a_log_opened_later_starts_at_the_end(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db.clone());
    for n in 0..2 {
        items
            .create(&item(ada, &format!("before {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let log = log(&db).await;
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 2);
    assert_eq!(
        seqs(&whole(&log, Stream::Items).await),
        [1, 2],
        "replayable"
    );
    assert_eq!(released(&log).await, [], "not released again");
    items
        .create(&item(ada, "after", json!({}), base_time()))
        .await
        .unwrap();
    assert_eq!(seqs(&released(&log).await), [3]);
}

/// Writers create items while four logs (four processes) release in a
/// loop: each log hands out every event exactly once, in seq order.
async fn every_log_releases_each_event_once(db: Db) {
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 25;
    let ada = user(&db, "ada@example.com").await;
    let done = Arc::new(AtomicBool::new(false));
    let mut logs = Vec::new();
    for _ in 0..4 {
        logs.push(log(&db).await);
    }
    let releasers: Vec<_> = logs
        .into_iter()
        .map(|log| tokio::spawn(release_until(log, done.clone())))
        .collect();
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let items = SeaItems::new(db.clone());
            tokio::spawn(async move {
                for n in 0..PER_WRITER {
                    let name = format!("w{w} n{n}");
                    items
                        .create(&item(ada, &name, json!({}), base_time()))
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.unwrap();
    }
    done.store(true, Ordering::SeqCst);
    let total = i64::try_from(WRITERS * PER_WRITER).unwrap();
    for releaser in releasers {
        let got = releaser.await.unwrap();
        assert_eq!(seqs(&got), (1..=total).collect::<Vec<_>>());
    }
}

async fn what_was_committed_is_written_through_until_released(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    assert_eq!(log.written_through().await.unwrap(), log.released_through());
    for n in 0..2 {
        items
            .create(&item(ada, &format!("n{n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let written = log.written_through().await.unwrap();
    assert_eq!(written, 2, "both committed events are covered");
    assert!(log.released_through() < written, "not released yet");
    assert_eq!(seqs(&released(&log).await), [1, 2]);
    assert_eq!(log.released_through(), written);
}
