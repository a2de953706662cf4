//! What the event tests share beyond the item builders: the log, raw
//! event rows of another stream, and reading a whole stream.

use domain::model::{Event, Stream};
use domain::ports::{EventFilter, EventLog};
use infra::{Db, SeaEventLog};
use sea_orm::{ConnectionTrait, Statement};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

/// No filter: everything of the stream (an admin's view).
pub const ALL: EventFilter = EventFilter {
    resource: None,
    owner: None,
};

/// The event log of `db`, opened.
pub async fn log(db: &Db) -> SeaEventLog {
    let log = SeaEventLog::new(db.clone());
    log.open().await.unwrap();
    log
}

/// Releases until nothing waits: every event committed by now, in seq
/// order. (Transactions of tests running beside this one can hold the
/// watermark back for a moment.)
pub async fn released(log: &SeaEventLog) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut events = Vec::new();
    loop {
        let found = log.release().await.unwrap();
        events.extend(found.events);
        if !found.waiting {
            return events;
        }
        assert!(Instant::now() < deadline, "the watermark never settled");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Releases over and over until `done` is set (and once more after):
/// everything `log` handed out meanwhile, in order.
pub async fn release_until(log: SeaEventLog, done: Arc<AtomicBool>) -> Vec<Event> {
    let mut events = Vec::new();
    loop {
        let finished = done.load(Ordering::SeqCst);
        events.extend(released(&log).await);
        if finished {
            return events;
        }
        tokio::task::yield_now().await;
    }
}

/// What a few calls of `release` hand out now, while something may still
/// hold the watermark back.
pub async fn release_now(log: &SeaEventLog) -> Vec<Event> {
    let mut events = Vec::new();
    for _ in 0..5 {
        events.extend(log.release().await.unwrap().events);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    events
}

/// Every released event of `stream`, in seq order.
pub async fn whole(log: &SeaEventLog, stream: Stream) -> Vec<Event> {
    log.replay(stream, 0, ALL, u64::MAX).await.unwrap()
}

/// The seqs of `events`.
pub fn seqs(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.seq).collect()
}

/// Writes an `agents` event as a repository would (there is no
/// agent repository yet), for tests of several streams.
pub async fn agent_event(db: &Db, owner: Uuid) {
    let sql = if db.is_postgres() {
        "INSERT INTO events (stream, kind, resource_id, owner_id, data, xid, created_at) \
         VALUES ('agents', 'agent.online', $1, $2, '{}'::jsonb, \
         pg_current_xact_id()::text::bigint, 0)"
    } else {
        "INSERT INTO events (stream, kind, resource_id, owner_id, data, xid, created_at) \
         VALUES ('agents', 'agent.online', ?, ?, '{}', 0, 0)"
    };
    let backend = db.connection().get_database_backend();
    let values = [Uuid::new_v4().into(), owner.into()];
    let stmt = Statement::from_sql_and_values(backend, sql, values);
    db.connection().execute_raw(stmt).await.unwrap();
}

/// How many events are in the log, released or not.
pub async fn written(db: &Db) -> i64 {
    let backend = db.connection().get_database_backend();
    let sql = "SELECT COUNT(*) AS n FROM events";
    let stmt = Statement::from_string(backend, sql);
    let row = db.connection().query_one_raw(stmt).await.unwrap().unwrap();
    row.try_get("", "n").unwrap()
}
