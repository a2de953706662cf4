//! Migration 000008 makes ids the seqs, and `down` brings the seq table
//! back: events survive both ways; cursors handed out before the move get
//! `resync_required` (every stream is marked pruned through the last id);
//! ids continue where they stopped.

use crate::helpers::{log, released, seqs, whole};
use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::Stream;
use domain::ports::{EventLog, ItemRepository, OwnedRepository, Scope};
use infra::{Db, SeaItems, migrate};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

on_both!(ids_become_seqs_and_back);

/// `event_seqs` as migration 000007 has it: `(stream, seq)` in seq order.
async fn seq_table(db: &Db) -> Vec<(String, i64)> {
    let backend = db.connection().get_database_backend();
    let sql = "SELECT stream, seq FROM event_seqs ORDER BY seq";
    let stmt = Statement::from_string(backend, sql);
    let rows = db.connection().query_all_raw(stmt).await.unwrap();
    rows.iter()
        .map(|row| {
            (
                row.try_get("", "stream").unwrap(),
                row.try_get("", "seq").unwrap(),
            )
        })
        .collect()
}

async fn ids_become_seqs_and_back(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db.clone());
    let first = item(ada, "a", json!({}), base_time());
    items.create(&first).await.unwrap();
    items
        .update(first.id, Scope::All, &merge(json!({"n": 1})), None, at(1))
        .await
        .unwrap();
    let before = whole(&log(&db).await, Stream::Items).await;
    assert_eq!(seqs(&before), [1, 2]);

    // Down past the agent commands, mail outbox and agent instance
    // migrations to the
    // watermark one.
    migrate::down(&db, 4).await.unwrap();
    let numbered = seq_table(&db).await;
    assert_eq!(numbered, [("items".to_owned(), 1), ("items".to_owned(), 2)]);

    migrate::up(&db, None).await.unwrap();
    let log = log(&db).await;
    assert_eq!(whole(&log, Stream::Items).await, before);
    assert_eq!(log.pruned_through(Stream::Items).await.unwrap(), 2);
    assert_eq!(log.pruned_through(Stream::Agents).await.unwrap(), 2);
    items
        .create(&item(ada, "b", json!({}), base_time()))
        .await
        .unwrap();
    let next = released(&log).await;
    assert_eq!(seqs(&next), [3]);
    assert_eq!(next[0].data["name"], "b");
}
