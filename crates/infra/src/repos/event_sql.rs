//! The SQL of the event log: appending an event inside a write transaction,
//! finding what can be released, replaying, pruning, and `events` rows as
//! domain events.

use super::sql::{Sql, json_column};
use anyhow::{Context, anyhow};
use domain::model::{Event, NewEvent, Stream, Timestamp, UserId};
use domain::ports::EventFilter;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, QueryResult};
use uuid::Uuid;

/// The columns every read returns, in [`event`]'s order; the id is the seq.
const COLUMNS: &str = "id, stream, kind, resource_id, owner_id, data, created_at";

/// `GREATEST(a, b)` is spelled `max(a, b)` on SQLite.
fn greatest(sql: &Sql) -> &'static str {
    if sql.is_postgres() { "GREATEST" } else { "max" }
}

/// `INSERT INTO events (…) ` with the columns an appended event fills, in
/// this order: stream, kind, resource, owner, data, `xid`, written at.
pub(super) const INSERT_INTO: &str =
    "INSERT INTO events (stream, kind, resource_id, owner_id, data, xid, created_at) ";

/// The `xid` an appended event records: on PostgreSQL the writing
/// transaction's id, for diagnosis (which events one transaction wrote);
/// 0 on SQLite.
pub(super) fn xid(sql: &Sql) -> &'static str {
    if sql.is_postgres() {
        "pg_current_xact_id()::text::bigint"
    } else {
        "0"
    }
}

/// Appends `event` (written at `at`) to the log inside `txn`, the
/// transaction of the change it announces.
pub(super) async fn append(
    txn: &DatabaseTransaction,
    event: &NewEvent,
    at: Timestamp,
) -> Result<(), sea_orm::DbErr> {
    let mut sql = Sql::new(txn.get_database_backend());
    push_insert(&mut sql, event, at);
    txn.execute_raw(sql.build()).await.map(drop)
}

/// Writes `INSERT INTO events …` of `event`, written at `at`, at the end
/// of `sql`.
pub(super) fn push_insert(sql: &mut Sql, event: &NewEvent, at: Timestamp) {
    sql.push(INSERT_INTO)
        .push("VALUES (")
        .bind(event.kind.stream().as_str())
        .push(", ")
        .bind(event.kind.as_str())
        .push(", ")
        .bind(event.resource_id)
        .push(", ")
        .bind(event.owner_id.0)
        .push(", ")
        .bind_json(&event.data);
    let xid = xid(sql);
    sql.push(", ").push(xid).push(", ");
    sql.bind(at.unix_micros()).push(")");
}

/// PostgreSQL, one observation of the watermark: the oldest xid running
/// when the statement began (`oldest_running`, its snapshot's `xmin`),
/// the highest id the sequence has handed out (`last`; 0 when none), and
/// then — necessarily after `last` was read, it depends on it — an xid of
/// the statement's own (`mine`), unless `last` is not above `covered`.
/// Having an xid makes the statement commit like a write; it does so
/// without waiting for the WAL flush.
pub(super) fn watermark_postgres(covered: i64) -> Sql {
    let mut sql = Sql::new(DbBackend::Postgres);
    sql.push("SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS oldest_running, ")
        .push("s.last, (SELECT pg_current_xact_id() WHERE s.last > ")
        .bind(covered)
        .push(")::text AS mine, set_config('synchronous_commit', 'off', true) AS commit_mode ")
        .push("FROM (")
        .push(LAST_ID_POSTGRES)
        .push(") s");
    sql
}

/// PostgreSQL: the highest id the sequence has handed out (`last`; 0 when
/// none), committed or not.
pub(super) fn last_written_postgres() -> Sql {
    let mut sql = Sql::new(DbBackend::Postgres);
    sql.push(LAST_ID_POSTGRES);
    sql
}

/// The highest id `events_id_seq` has handed out, as `last`.
const LAST_ID_POSTGRES: &str =
    "SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END AS last FROM events_id_seq";

/// SQLite: the highest id written and committed (0 when none). With one
/// writer at a time, ids are taken in commit order.
pub(super) fn last_committed_sqlite() -> Sql {
    let mut sql = Sql::new(DbBackend::Sqlite);
    sql.push("SELECT COALESCE(MAX(id), 0) AS last FROM events");
    sql
}

/// The events with ids in `(after, through]`, in id order.
pub(super) fn between(backend: DbBackend, after: i64, through: i64) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(COLUMNS).push(" FROM events");
    sql.and().push("id > ").bind(after);
    sql.and().push("id <= ").bind(through);
    sql.push(" ORDER BY id");
    sql
}

/// Each stream's highest id up to `through`.
pub(super) fn latest_per_stream(backend: DbBackend, through: i64) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT stream, MAX(id) AS latest FROM events");
    sql.and().push("id <= ").bind(through);
    sql.push(" GROUP BY stream");
    sql
}

/// Up to `limit` events of `stream` with ids in `(since, through]`
/// passing `filter`, in id order.
pub(super) fn replay(
    backend: DbBackend,
    stream: Stream,
    (since, through): (i64, i64),
    filter: EventFilter,
    limit: u64,
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(COLUMNS).push(" FROM events");
    sql.and().push("id > ").bind(since);
    sql.and().push("id <= ").bind(through);
    sql.and().push("stream = ").bind(stream.as_str());
    if let Some(resource) = filter.resource {
        sql.and().push("resource_id = ").bind(resource);
    }
    if let Some(owner) = filter.owner {
        sql.and().push("owner_id = ").bind(owner.0);
    }
    sql.push(" ORDER BY id LIMIT ")
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    sql
}

/// `pruned_through` of `stream`, no row when it was never pruned.
pub(super) fn pruned_through(backend: DbBackend, stream: Stream) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT pruned_through FROM event_streams");
    sql.and().push("stream = ").bind(stream.as_str());
    sql
}

/// `DELETE … RETURNING id` of the events of `stream` up to `through`
/// written before `before` or older than its newest `keep`.
pub(super) fn prune(
    backend: DbBackend,
    stream: Stream,
    through: i64,
    before: Timestamp,
    keep: u64,
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("DELETE FROM events");
    sql.and().push("stream = ").bind(stream.as_str());
    sql.and().push("id <= ").bind(through);
    // The subquery is the newest id beyond `keep`; NULL (nothing) when the
    // stream holds no more than `keep` events.
    sql.and()
        .push("(created_at < ")
        .bind(before.unix_micros())
        .push(" OR id <= (SELECT id FROM events WHERE stream = ")
        .bind(stream.as_str())
        .push(" ORDER BY id DESC LIMIT 1 OFFSET ")
        .bind(i64::try_from(keep).unwrap_or(i64::MAX))
        .push(")) RETURNING id");
    sql
}

/// Raises `pruned_through` of `stream` to `seq` (never lowers it).
pub(super) fn record_pruned(backend: DbBackend, stream: Stream, seq: i64) -> Sql {
    let mut sql = Sql::new(backend);
    let greatest = greatest(&sql);
    sql.push("INSERT INTO event_streams (stream, pruned_through) VALUES (")
        .bind(stream.as_str())
        .push(", ")
        .bind(seq)
        .push(") ON CONFLICT (stream) DO UPDATE SET pruned_through = ")
        .push(greatest)
        .push("(event_streams.pruned_through, excluded.pruned_through)");
    sql
}

/// Reads an `events` row; its id is the seq.
pub(super) fn event(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Event> {
    let stream: String = row.try_get("", "stream")?;
    let created_at: i64 = row.try_get("", "created_at")?;
    Ok(Event {
        seq: row.try_get("", "id")?,
        stream: Stream::parse(&stream).ok_or_else(|| anyhow!("unknown stream {stream:?}"))?,
        kind: row.try_get("", "kind")?,
        resource_id: row.try_get::<Uuid>("", "resource_id")?,
        owner_id: UserId(row.try_get::<Uuid>("", "owner_id")?),
        data: json_column(row, "data", backend)?,
        created_at: Timestamp::from_unix_micros(created_at)
            .with_context(|| format!("created_at {created_at} out of range"))?,
    })
}
