//! [`EventLog`] on SeaORM: events are written unsequenced by the
//! repositories, in the transaction of their change, and numbered after
//! commit by one sequencer at a time.

use super::event_sql;
use super::{begin_write, unexpected};
use crate::Db;
use anyhow::anyhow;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{Event, Stream, Timestamp};
use domain::ports::{EventFilter, EventLog};
use sea_orm::{
    ConnectionTrait, DbBackend, DbErr, IsolationLevel, QueryResult, TransactionOptions,
    TransactionTrait,
};
use std::collections::HashMap;

/// The event log: `events` (each event written once, never changed),
/// `event_pending` (the ids of events not numbered yet), `event_seqs`
/// (`stream, seq → event id`) and `event_streams` (how far each stream was
/// pruned). Migration 000007 explains the split.
///
/// # Why a replay `since N` never skips a committed event
///
/// Writers insert their event in the transaction of their change; a
/// trigger lists it in `event_pending` in the same statement. They touch
/// no shared row, so item writes stay parallel. Seqs are handed out only
/// by [`EventLog::sequence`], after commit, under three rules:
///
/// 1. **One sequencer at a time.** PostgreSQL: `sequence_events()`
///    (migration 000007), called in a transaction of its own, first takes
///    `pg_advisory_xact_lock`, held until it commits, so sequencers of every
///    instance queue. SQLite: `BEGIN IMMEDIATE` holds the only write lock.
/// 2. **It sees every batch before it.** The numbering is a separate,
///    later statement than the lock (in the function: a `VOLATILE`
///    function's statements each take a fresh snapshot), run at
///    `READ COMMITTED` (set explicitly, whatever the server's default; the
///    function refuses any other level),
///    so its snapshot is taken after the previous sequencer committed: it
///    sees that batch's seqs, and that batch's pending entries are gone.
/// 3. **Each batch lies above everything handed out before.** A stream's
///    new seqs continue from `max(MAX(seq), pruned_through)` of that
///    stream, so they exceed every seq ever given in it, even after pruning
///    deleted the newest events; the `(stream, seq)` primary key of
///    `event_seqs` backs this.
///    Nothing is skipped either, so a stream's seqs are dense (1, 2, 3, …):
///    whoever holds 11 and receives 13 knows that 12 exists.
///
/// A batch (take the pending entries, store their seqs) commits as a whole. Hence at any
/// moment the sequenced events of a stream are exactly the union of the
/// committed batches, and every event sequenced later gets a seq above all
/// of them. A reader whose replay returned seq `N` therefore saw (or will
/// see, on the same `since`) every event with a seq below `N`: those belong
/// to `N`'s batch or an earlier one, all committed when `N` became visible.
/// An event still unsequenced at that moment — its writer not yet
/// committed, or committed after the sequencer's snapshot — gets a seq
/// above `N` in a later batch, so `since N` returns it then. An uncommitted
/// or rolled-back event is invisible to the numbering statement and never
/// gets a seq.
///
/// The sequencer's own transaction writes no event and reads only what
/// was committed before its numbering statement began; anything it can't
/// see yet is, by the argument above, numbered by a later call.
///
/// Order. Within a batch events are numbered in `id` order. `id` is taken
/// when the event row is inserted, after the change's row lock was
/// acquired, and a later write of the same row waits for the earlier one
/// to commit; so the events of one resource are numbered in the order of
/// its writes (SQLite, with one writer, numbers everything in commit
/// order). Not used on purpose: a commit watermark, handing out only events
/// whose `xid` is below `pg_snapshot_xmin(pg_current_snapshot())` in
/// `(xid, id)` order. The argument above does not need it; xids are
/// cluster-wide, so any long transaction on the server, in any database,
/// would hold every event back; and a transaction can take its xid before
/// it waits for another's row lock, so `xid` order inverts two writes of
/// one item (`tests/events/concurrency.rs` catches exactly that when the
/// watermark is put back). The `xid` column is still recorded, for
/// diagnosis.
#[derive(Debug, Clone)]
pub struct SeaEventLog {
    db: Db,
}

impl SeaEventLog {
    /// The event log stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    fn backend(&self) -> DbBackend {
        self.db.connection().get_database_backend()
    }

    /// PostgreSQL: calls `sequence_events()`, which takes the lock, in a
    /// transaction of its own at `READ COMMITTED` whatever the server's
    /// default.
    async fn sequence_postgres(&self) -> Result<Vec<QueryResult>, DbErr> {
        let txn = self
            .db
            .connection()
            .begin_with_options(TransactionOptions {
                isolation_level: Some(IsolationLevel::ReadCommitted),
                ..TransactionOptions::default()
            })
            .await?;
        let rows = txn
            .query_all_raw(event_sql::sequence_postgres().build())
            .await?;
        txn.commit().await?;
        Ok(rows)
    }

    /// SQLite: numbers the pending events, reads them and empties the
    /// list under `BEGIN IMMEDIATE`, which holds the database's only write
    /// lock.
    async fn sequence_sqlite(&self) -> Result<Vec<(i64, Event)>, RepoError> {
        let context = "sequencing events";
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let numbered = txn
            .query_all_raw(event_sql::number_pending_sqlite().build())
            .await
            .map_err(unexpected(context))?;
        let seqs = numbered
            .iter()
            .map(|row| Ok((row.try_get("", "event_id")?, row.try_get("", "seq")?)))
            .collect::<Result<HashMap<i64, i64>, DbErr>>()
            .map_err(unexpected(context))?;
        let rows = txn
            .query_all_raw(event_sql::pending_events().build())
            .await
            .map_err(unexpected(context))?;
        txn.execute_raw(event_sql::clear_pending().build())
            .await
            .map_err(unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))?;
        let mut events = read_events(&rows, DbBackend::Sqlite)?;
        for (id, event) in &mut events {
            event.seq = *seqs
                .get(id)
                .ok_or_else(|| RepoError::Unexpected(anyhow!("event {id} was not numbered")))?;
        }
        Ok(events)
    }
}

/// Reads `events` rows with their ids.
fn read_events(rows: &[QueryResult], backend: DbBackend) -> Result<Vec<(i64, Event)>, RepoError> {
    rows.iter()
        .map(|row| event_sql::event(row, backend))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(|e| RepoError::Unexpected(e.context("reading events")))
}

#[async_trait]
impl EventLog for SeaEventLog {
    #[tracing::instrument(name = "events.sequence", skip_all)]
    async fn sequence(&self) -> Result<Vec<Event>, RepoError> {
        let mut events = if self.db.is_postgres() {
            let rows = self
                .sequence_postgres()
                .await
                .map_err(unexpected("sequencing events"))?;
            read_events(&rows, DbBackend::Postgres)?
        } else {
            self.sequence_sqlite().await?
        };
        // Id order is seq order within each stream.
        events.sort_unstable_by_key(|(id, _)| *id);
        Ok(events.into_iter().map(|(_, event)| event).collect())
    }

    #[tracing::instrument(name = "events.replay", skip_all, fields(stream = stream.as_str(), since))]
    async fn replay(
        &self,
        stream: Stream,
        since: i64,
        filter: EventFilter,
        limit: u64,
    ) -> Result<Vec<Event>, RepoError> {
        let context = "replaying events";
        let backend = self.backend();
        let rows = self
            .db
            .connection()
            .query_all_raw(event_sql::replay(backend, stream, since, filter, limit).build())
            .await
            .map_err(unexpected(context))?;
        let events = read_events(&rows, backend)?;
        Ok(events.into_iter().map(|(_, event)| event).collect())
    }

    #[tracing::instrument(name = "events.latest_seq", skip_all, fields(stream = stream.as_str()))]
    async fn latest_seq(&self, stream: Stream) -> Result<i64, RepoError> {
        let context = "reading the latest event seq";
        let row = self
            .db
            .connection()
            .query_one_raw(event_sql::latest_seq(self.backend(), stream).build())
            .await
            .map_err(unexpected(context))?;
        match row {
            Some(row) => row.try_get("", "latest").map_err(unexpected(context)),
            None => Ok(0),
        }
    }

    #[tracing::instrument(name = "events.pruned_through", skip_all, fields(stream = stream.as_str()))]
    async fn pruned_through(&self, stream: Stream) -> Result<i64, RepoError> {
        let context = "reading how far events were pruned";
        let row = self
            .db
            .connection()
            .query_one_raw(event_sql::pruned_through(self.backend(), stream).build())
            .await
            .map_err(unexpected(context))?;
        match row {
            Some(row) => row
                .try_get("", "pruned_through")
                .map_err(unexpected(context)),
            None => Ok(0),
        }
    }

    #[tracing::instrument(name = "events.prune", skip_all, fields(stream = stream.as_str(), keep))]
    async fn prune(&self, stream: Stream, before: Timestamp, keep: u64) -> Result<u64, RepoError> {
        let context = "pruning events";
        let backend = self.backend();
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        txn.execute_raw(event_sql::prune_events(backend, stream, before, keep).build())
            .await
            .map_err(unexpected(context))?;
        let rows = txn
            .query_all_raw(event_sql::forget_pruned_seqs(backend, stream).build())
            .await
            .map_err(unexpected(context))?;
        let mut highest = None;
        for row in &rows {
            let seq: i64 = row.try_get("", "seq").map_err(unexpected(context))?;
            highest = highest.max(Some(seq));
        }
        if let Some(seq) = highest {
            txn.execute_raw(event_sql::record_pruned(backend, stream, seq).build())
                .await
                .map_err(unexpected(context))?;
        }
        txn.commit().await.map_err(unexpected(context))?;
        Ok(u64::try_from(rows.len()).unwrap_or(u64::MAX))
    }
}
