//! PostgreSQL writers whose transactions stay open while others commit:
//! the watermark holds later events back until the late committer is done,
//! so its event is never skipped by a reader replaying `since` the highest
//! seq it saw, and two writes of one item keep their order even when the
//! later one took its transaction id first.

use crate::helpers::{ALL, log, release_now, released};
use crate::support::{at, base_time, item, merge, user};
use domain::model::{Item, Stream};
use domain::ports::{EventLog, ItemRepository, OwnedRepository, Scope, WriteOutcome};
use infra::SeaItems;
use infra::testing::TestDatabase;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, Statement, TransactionTrait};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// A fresh PostgreSQL database, or `None` (skipped) without one.
async fn postgres() -> Option<TestDatabase> {
    let db = TestDatabase::postgres().await;
    if db.is_none() {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
    }
    db
}

async fn exec(txn: &DatabaseTransaction, sql: &str, values: Vec<sea_orm::Value>) {
    let stmt = Statement::from_sql_and_values(DbBackend::Postgres, sql, values);
    txn.execute_raw(stmt).await.unwrap();
}

/// Gives `txn` its transaction id now, and returns it.
async fn take_xid(txn: &DatabaseTransaction) -> i64 {
    let sql = "SELECT pg_current_xact_id()::text::bigint AS xid";
    let stmt = Statement::from_string(DbBackend::Postgres, sql);
    let row = txn.query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get("", "xid").unwrap()
}

/// Writes the event `kind` of `item` inside `txn`, as `SeaItems` does.
async fn append(txn: &DatabaseTransaction, item: &Item, kind: &str) {
    let sql = "INSERT INTO events (stream, kind, resource_id, owner_id, data, xid, created_at) \
               VALUES ('items', $1, $2, $3, $4::jsonb, pg_current_xact_id()::text::bigint, $5)";
    let values = vec![
        kind.into(),
        item.id.0.into(),
        item.owner_id.0.into(),
        sea_orm::Value::Json(Some(Box::new(serde_json::to_value(item).unwrap()))),
        item.updated_at.unix_micros().into(),
    ];
    exec(txn, sql, values).await;
}

/// The `xid` recorded with the event of `resource`'s version `version`.
async fn recorded_xid(test_db: &TestDatabase, resource: Uuid, version: i64) -> i64 {
    let sql = "SELECT xid FROM events WHERE resource_id = $1 AND (data->>'version')::bigint = $2";
    let stmt =
        Statement::from_sql_and_values(DbBackend::Postgres, sql, [resource.into(), version.into()]);
    let row = test_db
        .db()
        .connection()
        .query_one_raw(stmt)
        .await
        .unwrap()
        .unwrap();
    row.try_get("", "xid").unwrap()
}

/// A transaction that took its xid first writes an item and commits only
/// after a later one committed: the later event waits, then both are
/// released, in id order.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_early_transaction_committing_late_is_not_skipped() {
    let Some(test_db) = postgres().await else {
        return;
    };
    let db = test_db.db().clone();
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);

    let long = db.connection().begin().await.unwrap();
    let early_xid = take_xid(&long).await;
    let early = item(ada, "early", json!({}), base_time());
    let sql = "INSERT INTO items (id, owner_id, name, name_lower, description, attributes, \
               version, created_at, updated_at) VALUES ($1, $2, 'early', 'early', NULL, \
               '{}'::jsonb, 1, $3, $3)";
    let values = vec![
        early.id.0.into(),
        ada.0.into(),
        base_time().unix_micros().into(),
    ];
    exec(&long, sql, values).await;
    append(&long, &early, "item.created").await;

    let quick = item(ada, "quick", json!({}), base_time());
    items.create(&quick).await.unwrap();
    assert!(recorded_xid(&test_db, quick.id.0, 1).await > early_xid);
    assert_eq!(release_now(&log).await, [], "held back by the open one");
    assert_eq!(log.replay(Stream::Items, 0, ALL, 100).await.unwrap(), []);

    long.commit().await.unwrap();
    let both = released(&log).await;
    let order: Vec<_> = both.iter().map(|e| e.resource_id).collect();
    assert_eq!(order, [early.id.0, quick.id.0]);
    assert!(both[0].seq < both[1].seq);
    assert_eq!(log.replay(Stream::Items, 0, ALL, 100).await.unwrap(), both);
    test_db.drop_database().await;
}

/// An update that waits for another transaction's row lock commits after
/// a write of another item that started later; both are released, once
/// the lock holder is done, in the order they took their ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_update_waiting_for_a_lock_is_not_skipped() {
    let Some(test_db) = postgres().await else {
        return;
    };
    let db = test_db.db().clone();
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let (a, b) = (
        item(ada, "a", json!({}), base_time()),
        item(ada, "b", json!({}), base_time()),
    );
    items.create(&a).await.unwrap();
    items.create(&b).await.unwrap();
    let created = released(&log).await;

    let holder = db.connection().begin().await.unwrap();
    let sql = "SELECT id FROM items WHERE id = $1 FOR UPDATE";
    exec(&holder, sql, vec![a.id.0.into()]).await;
    let blocked = {
        let items = items.clone();
        tokio::spawn(async move {
            let change = merge(json!({"k": "a"}));
            items.update(a.id, Scope::All, &change, None, at(1)).await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!blocked.is_finished(), "the update waits for the row lock");
    let change = merge(json!({"k": "b"}));
    items
        .update(b.id, Scope::All, &change, None, at(2))
        .await
        .unwrap();
    assert_eq!(release_now(&log).await, [], "held back by the lock holder");

    holder.commit().await.unwrap();
    let outcome = blocked.await.unwrap().unwrap();
    assert!(matches!(outcome, WriteOutcome::Done(_)), "{outcome:?}");
    let updates = released(&log).await;
    assert_eq!(
        updates.iter().map(|e| e.resource_id).collect::<Vec<_>>(),
        [b.id.0, a.id.0]
    );
    assert!(updates[0].seq > created[1].seq);
    let since = created[1].seq;
    let caught_up = log.replay(Stream::Items, since, ALL, 100).await.unwrap();
    assert_eq!(caught_up, updates);
    test_db.drop_database().await;
}

/// Version 3 of an item is written by a transaction whose xid is lower
/// than that of version 2's: the log still has 2 before 3 (an order by xid
/// would invert them).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_writes_of_one_item_keep_their_order_whatever_the_xids() {
    let Some(test_db) = postgres().await else {
        return;
    };
    let db = test_db.db().clone();
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let created = item(ada, "thing", json!({}), base_time());
    items.create(&created).await.unwrap();
    released(&log).await;

    let late = db.connection().begin().await.unwrap();
    let late_xid = take_xid(&late).await;
    let change = merge(json!({"k": 2}));
    let outcome = items
        .update(created.id, Scope::All, &change, None, at(1))
        .await
        .unwrap();
    let WriteOutcome::Done(second) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(second.version, 2);
    let sql = "UPDATE items SET version = version + 1, updated_at = $2 WHERE id = $1";
    exec(
        &late,
        sql,
        vec![created.id.0.into(), at(2).unix_micros().into()],
    )
    .await;
    let third = Item {
        version: 3,
        updated_at: at(2),
        ..second
    };
    append(&late, &third, "item.updated").await;
    late.commit().await.unwrap();
    assert!(late_xid < recorded_xid(&test_db, created.id.0, 2).await);

    let events = released(&log).await;
    let versions: Vec<_> = events.iter().map(|e| e.data["version"].clone()).collect();
    assert_eq!(versions, [json!(2), json!(3)]);
    assert!(events[0].seq < events[1].seq);
    test_db.drop_database().await;
}
