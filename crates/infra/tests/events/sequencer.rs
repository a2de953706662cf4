//! `sequence()`: increasing, dense seqs per stream, idempotent, and safe to
//! call from several tasks at once.

use crate::helpers::{agent_event, log, seqs, unsequenced, whole};
use crate::support::{base_time, item, on_both, user};
use domain::model::Stream;
use domain::ports::{EventLog, ItemRepository};
use infra::{Db, SeaItems};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

on_both!(
    seqs_increase_and_sequencing_is_idempotent,
    each_stream_counts_on_its_own,
    concurrent_sequencers_hand_out_each_seq_once,
);

/// A PostgreSQL server whose default isolation is stricter than
/// `READ COMMITTED` (the sequencer would not see the batch before it under
/// one snapshot): sequencing still works, because it sets its own level.
#[tokio::test]
async fn sequencing_ignores_a_stricter_server_default() {
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
    let items = SeaItems::new(db.clone());
    items
        .create(&item(ada, "strict", json!({}), base_time()))
        .await
        .unwrap();
    let events = log(&db).sequence().await.unwrap();
    assert_eq!(seqs(&events), [1]);
    assert_eq!(unsequenced(&db).await, 0);
    db.close().await.unwrap();
    test.drop_database().await;
}

async fn seqs_increase_and_sequencing_is_idempotent(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db));
    assert_eq!(log.sequence().await.unwrap(), []);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 0);

    for n in 0..3 {
        items
            .create(&item(ada, &format!("first {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let first = log.sequence().await.unwrap();
    assert_eq!(seqs(&first), [1, 2, 3]);
    let names: Vec<_> = first.iter().map(|e| e.data["name"].clone()).collect();
    assert_eq!(
        names,
        [json!("first 0"), json!("first 1"), json!("first 2")]
    );
    assert_eq!(log.sequence().await.unwrap(), [], "second call");
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 3);

    for n in 0..2 {
        items
            .create(&item(ada, &format!("second {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let second = log.sequence().await.unwrap();
    assert_eq!(seqs(&second), [4, 5]);
    assert_eq!(log.sequence().await.unwrap(), []);
    assert_eq!(seqs(&whole(&log, Stream::Items).await), [1, 2, 3, 4, 5]);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 5);
}

async fn each_stream_counts_on_its_own(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db));
    for n in 0..3 {
        agent_event(&db, ada.0).await;
        items
            .create(&item(ada, &format!("item {n}"), json!({}), base_time()))
            .await
            .unwrap();
    }
    let events = log.sequence().await.unwrap();
    assert_eq!(events.len(), 6);
    let of = |stream| {
        events
            .iter()
            .filter(|e| e.stream == stream)
            .map(|e| e.seq)
            .collect::<Vec<_>>()
    };
    assert_eq!(of(Stream::Items), [1, 2, 3]);
    assert_eq!(of(Stream::Agents), [1, 2, 3]);
    // Returned in write order: the streams interleave as written.
    let streams: Vec<_> = events.iter().map(|e| e.stream).collect();
    assert_eq!(streams, [Stream::Agents, Stream::Items].repeat(3));
    assert_eq!(log.latest_seq(Stream::Agents).await.unwrap(), 3);
    assert_eq!(whole(&log, Stream::Agents).await.len(), 3);
}

/// Writers create items while four tasks call `sequence()` in a loop: every
/// event is handed out exactly once, and the seqs are 1..=n without a gap.
async fn concurrent_sequencers_hand_out_each_seq_once(db: Db) {
    const WRITERS: usize = 4;
    const PER_WRITER: usize = 25;
    let ada = user(&db, "ada@example.com").await;
    let done = Arc::new(AtomicBool::new(false));
    let sequencers: Vec<_> = (0..4)
        .map(|_| {
            let (log, done) = (log(&db), done.clone());
            tokio::spawn(async move {
                let mut got = Vec::new();
                loop {
                    let finished = done.load(Ordering::SeqCst);
                    got.extend(log.sequence().await.unwrap());
                    if finished {
                        return got;
                    }
                    tokio::task::yield_now().await;
                }
            })
        })
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
    let mut all = Vec::new();
    for sequencer in sequencers {
        let got = sequencer.await.unwrap();
        assert!(
            got.windows(2).all(|w| w[0].seq < w[1].seq),
            "one call's seqs"
        );
        all.extend(seqs(&got));
    }
    all.sort_unstable();
    let total = i64::try_from(WRITERS * PER_WRITER).unwrap();
    assert_eq!(all, (1..=total).collect::<Vec<_>>());
    assert_eq!(unsequenced(&db).await, 0);
    assert_eq!(seqs(&whole(&log(&db), Stream::Items).await), all);
}
