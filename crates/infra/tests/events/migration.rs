//! Migration 000007 moves seqs out of `events` and back: sequenced and
//! pending events survive `down` and `up` with their seqs, and numbering
//! continues where it stopped.

use crate::helpers::{ALL, log, seqs, unsequenced, whole};
use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::Stream;
use domain::ports::{EventLog, ItemRepository, Scope};
use infra::{Db, SeaItems, migrate};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

on_both!(seqs_move_down_and_back_up);

/// `events.seq` in id order, as the schema before migration 000007 has it.
async fn old_seqs(db: &Db) -> Vec<Option<i64>> {
    let backend = db.connection().get_database_backend();
    let stmt = Statement::from_string(backend, "SELECT seq FROM events ORDER BY id");
    let rows = db.connection().query_all_raw(stmt).await.unwrap();
    rows.iter()
        .map(|row| row.try_get("", "seq").unwrap())
        .collect()
}

async fn seqs_move_down_and_back_up(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db));
    let first = item(ada, "a", json!({}), base_time());
    items.create(&first).await.unwrap();
    items
        .update(first.id, Scope::All, &merge(json!({"n": 1})), None, at(1))
        .await
        .unwrap();
    assert_eq!(seqs(&log.sequence().await.unwrap()), [1, 2]);
    // Pruned through 1; then one event left pending.
    assert_eq!(log.prune(Stream::Items, base_time(), 1).await.unwrap(), 1);
    items
        .create(&item(ada, "b", json!({}), base_time()))
        .await
        .unwrap();
    let before = whole(&log, Stream::Items).await;

    migrate::down(&db, 1).await.unwrap();
    assert_eq!(old_seqs(&db).await, [Some(2), None]);

    migrate::up(&db, None).await.unwrap();
    assert_eq!(whole(&log, Stream::Items).await, before);
    assert_eq!(unsequenced(&db).await, 1);
    let numbered = log.sequence().await.unwrap();
    assert_eq!(seqs(&numbered), [3]);
    assert_eq!(numbered[0].data["name"], "b");
    assert_eq!(
        log.replay(Stream::Items, 0, ALL, 10).await.unwrap().len(),
        2
    );
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 1);
}
