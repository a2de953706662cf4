//! The SQL of the event log: appending an event inside a write transaction,
//! numbering committed events, replaying, pruning, and `events` rows as
//! domain events.

use super::sql::{Sql, json_column};
use anyhow::{Context, anyhow};
use domain::model::{Event, NewEvent, Stream, Timestamp, UserId};
use domain::ports::EventFilter;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, QueryResult};
use uuid::Uuid;

/// The columns every read returns, in [`event`]'s order.
const COLUMNS: &str = "id, seq, stream, kind, resource_id, owner_id, data, created_at";

/// `SELECT` of [`COLUMNS`] from `events e`, with `seq` taken from `seq`
/// (it lives in `event_seqs`), up to `FROM`.
fn select_events(sql: &mut Sql, seq: &str) {
    sql.push("SELECT e.id, ")
        .push(seq)
        .push(" AS seq, e.stream, e.kind, e.resource_id, e.owner_id, e.data, e.created_at FROM ");
}

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

/// Writes `INSERT INTO events …` of `event`, written at `at`, still
/// without a seq, at the end of `sql`.
pub(super) fn push_insert(sql: &mut Sql, event: &NewEvent, at: Timestamp) {
    sql.push(INSERT_INTO)
        .push("VALUES (")
        .bind(event.stream.as_str())
        .push(", ")
        .bind(event.kind)
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

/// PostgreSQL: the sequencer's one statement, a call of `sequence_events()`
/// (migration 000007), which takes the sequencer's lock and numbers every
/// committed, pending event: per stream, in id (write) order, continuing
/// after the stream's highest seq — or its `pruned_through`, should pruning
/// have emptied it — so the seqs of a stream stay dense and never repeat.
/// It must run in a `READ COMMITTED` transaction. Row order is unspecified;
/// the caller sorts.
pub(super) fn sequence_postgres() -> Sql {
    let mut sql = Sql::new(DbBackend::Postgres);
    sql.push("SELECT ")
        .push(COLUMNS)
        .push(" FROM sequence_events()");
    sql
}

/// SQLite, inside `BEGIN IMMEDIATE`: the same numbering as
/// `sequence_events()` (no data-modifying CTEs here), storing the seqs of
/// the pending events and returning `event_id, seq` of each. Follow with
/// [`pending_events`] and [`clear_pending`] in the same transaction.
pub(super) fn number_pending_sqlite() -> Sql {
    let mut sql = Sql::new(DbBackend::Sqlite);
    sql.push("INSERT INTO event_seqs (stream, seq, event_id, resource_id, owner_id) ")
        .push("WITH batch AS MATERIALIZED (SELECT e.id, e.stream, e.resource_id, e.owner_id ")
        .push("FROM event_pending p JOIN events e ON e.id = p.event_id), ")
        .push("bases AS MATERIALIZED (SELECT d.stream AS stream, ")
        .push("max(COALESCE((SELECT MAX(s.seq) FROM event_seqs s WHERE s.stream = d.stream), 0), ")
        .push("COALESCE((SELECT x.pruned_through FROM event_streams x ")
        .push("WHERE x.stream = d.stream), 0)) AS base ")
        .push("FROM (SELECT DISTINCT stream FROM batch) AS d) ")
        .push("SELECT b.stream, s.base + row_number() OVER (PARTITION BY b.stream ORDER BY b.id), ")
        .push("b.id, b.resource_id, b.owner_id FROM batch b JOIN bases s ON s.stream = b.stream ")
        .push("RETURNING event_id, seq");
    sql
}

/// SQLite: the pending events, each with seq 0 (to be filled in from
/// [`number_pending_sqlite`]'s rows).
pub(super) fn pending_events() -> Sql {
    let mut sql = Sql::new(DbBackend::Sqlite);
    select_events(&mut sql, "0");
    sql.push("event_pending p JOIN events e ON e.id = p.event_id");
    sql
}

/// SQLite: empties the pending list once its events are numbered.
pub(super) fn clear_pending() -> Sql {
    let mut sql = Sql::new(DbBackend::Sqlite);
    sql.push("DELETE FROM event_pending");
    sql
}

/// Up to `limit` sequenced events of `stream` after `since` passing
/// `filter`, in seq order: read from `event_seqs` in index order, each
/// event fetched by id.
pub(super) fn replay(
    backend: DbBackend,
    stream: Stream,
    since: i64,
    filter: EventFilter,
    limit: u64,
) -> Sql {
    let mut sql = Sql::new(backend);
    select_events(&mut sql, "s.seq");
    sql.push("event_seqs s JOIN events e ON e.id = s.event_id");
    sql.and().push("s.stream = ").bind(stream.as_str());
    sql.and().push("s.seq > ").bind(since);
    if let Some(resource) = filter.resource {
        sql.and().push("s.resource_id = ").bind(resource);
    }
    if let Some(owner) = filter.owner {
        sql.and().push("s.owner_id = ").bind(owner.0);
    }
    sql.push(" ORDER BY s.seq LIMIT ")
        .bind(i64::try_from(limit).unwrap_or(i64::MAX));
    sql
}

/// `latest`: the highest seq of `stream`, at least its `pruned_through`.
pub(super) fn latest_seq(backend: DbBackend, stream: Stream) -> Sql {
    let mut sql = Sql::new(backend);
    let greatest = greatest(&sql);
    sql.push("SELECT ")
        .push(greatest)
        .push("(COALESCE((SELECT MAX(seq) FROM event_seqs WHERE stream = ")
        .bind(stream.as_str())
        .push("), 0), COALESCE((SELECT pruned_through FROM event_streams WHERE stream = ")
        .bind(stream.as_str())
        .push("), 0)) AS latest");
    sql
}

/// `pruned_through` of `stream`, no row when it was never pruned.
pub(super) fn pruned_through(backend: DbBackend, stream: Stream) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT pruned_through FROM event_streams");
    sql.and().push("stream = ").bind(stream.as_str());
    sql
}

/// The first step of pruning: deletes the sequenced events of `stream`
/// written before `before` or older than its newest `keep`. Pending events
/// are never touched. [`forget_pruned_seqs`] follows.
pub(super) fn prune_events(
    backend: DbBackend,
    stream: Stream,
    before: Timestamp,
    keep: u64,
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("DELETE FROM events WHERE id IN (SELECT s.event_id FROM event_seqs s ")
        .push("JOIN events e ON e.id = s.event_id");
    sql.and().push("s.stream = ").bind(stream.as_str());
    // The subquery is the newest seq beyond `keep`; NULL (nothing) when the
    // stream holds no more than `keep` events.
    sql.and()
        .push("(e.created_at < ")
        .bind(before.unix_micros())
        .push(" OR s.seq <= (SELECT seq FROM event_seqs WHERE stream = ")
        .bind(stream.as_str())
        .push(" ORDER BY seq DESC LIMIT 1 OFFSET ")
        .bind(i64::try_from(keep).unwrap_or(i64::MAX))
        .push(")))");
    sql
}

/// The second step of pruning: `DELETE … RETURNING seq` of the seqs of
/// `stream` whose event is gone. Exactly those [`prune_events`] deleted,
/// however the two statements interleave with the sequencer: every seq it
/// stores has its event.
pub(super) fn forget_pruned_seqs(backend: DbBackend, stream: Stream) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("DELETE FROM event_seqs");
    sql.and().push("stream = ").bind(stream.as_str());
    sql.and()
        .push("NOT EXISTS (SELECT 1 FROM events e WHERE e.id = event_seqs.event_id)")
        .push(" RETURNING seq");
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

/// Reads a sequenced `events` row: its id (write order) and the event.
pub(super) fn event(row: &QueryResult, backend: DbBackend) -> anyhow::Result<(i64, Event)> {
    let stream: String = row.try_get("", "stream")?;
    let created_at: i64 = row.try_get("", "created_at")?;
    let event = Event {
        seq: row
            .try_get::<Option<i64>>("", "seq")?
            .context("event row without a seq")?,
        stream: Stream::parse(&stream).ok_or_else(|| anyhow!("unknown stream {stream:?}"))?,
        kind: row.try_get("", "kind")?,
        resource_id: row.try_get::<Uuid>("", "resource_id")?,
        owner_id: UserId(row.try_get::<Uuid>("", "owner_id")?),
        data: json_column(row, "data", backend)?,
        created_at: Timestamp::from_unix_micros(created_at)
            .with_context(|| format!("created_at {created_at} out of range"))?,
    };
    Ok((row.try_get("", "id")?, event))
}
