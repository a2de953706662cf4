//! [`EventLog`] on SeaORM: events are written by the repositories in the
//! transaction of their change, with their seq (the id) fixed then, and
//! released behind a commit watermark.

use super::sql::Sql;
use super::watermark::{Observation, Watermark};
use super::{begin_write, event_sql, unexpected};
use crate::Db;
use anyhow::anyhow;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{Event, Stream, Timestamp};
use domain::ports::{EventFilter, EventLog, Released};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How often [`EventLog::open`] looks again while a transaction holds the
/// start of the log back.
const OPEN_POLL: Duration = Duration::from_millis(5);

/// How often [`EventLog::open`] says what it is waiting for.
const OPEN_WARN_EVERY: Duration = Duration::from_secs(5);

/// The event log of one process: `events` (each event written once, never
/// changed; its id is its seq) and `event_streams` (how far each stream was
/// pruned). Decision 0007 explains the design.
///
/// # Why a replay `since N` never skips a committed event
///
/// Writers insert their event in the transaction of their change; they
/// touch no shared row, so item writes stay parallel. The id is taken from
/// a sequence when the row is inserted, so ids are unique and increase, but
/// transactions commit in any order: id 11 may be visible while id 10 is
/// still uncommitted. The log therefore hands out events only up to the
/// *settled* id, below which every event is committed or never will be:
///
/// - **PostgreSQL** ([`Watermark`]): the id default gives the transaction
///   its xid before it takes an id, and xids increase; an observation reads
///   the sequence and then takes an xid of its own, so every transaction
///   that may still commit an id up to what was read has a smaller xid.
///   Once the oldest running transaction is past the observation's xid,
///   those ids are settled. A transaction left open anywhere on the server
///   holds the watermark back until it ends (delivery waits; nothing is
///   lost).
/// - **SQLite**: one writer at a time, so ids are taken in commit order and
///   the highest committed id is settled.
///
/// [`EventLog::release`] returns the events between the previous settled
/// id and the new one, in id order, and only then moves the released mark
/// that replays and `latest_seq` read: whoever reads a mark has been (or
/// will be) handed every event up to it, and a replay never returns an
/// event above it. Order: a later write of the same row waits for the
/// earlier one to commit and takes its id after that, so one resource's
/// events are in the order of its writes.
#[derive(Debug, Clone)]
pub struct SeaEventLog {
    db: Db,
    /// PostgreSQL's watermark; held across one release.
    watermark: Arc<tokio::sync::Mutex<Watermark>>,
    released: Arc<Mutex<ReleasedMark>>,
}

/// How far this process has released the log.
#[derive(Debug, Default)]
struct ReleasedMark {
    /// Every event up to this id was released (`None` before `open`).
    through: Option<i64>,
    /// Each stream's latest released seq.
    latest: HashMap<Stream, i64>,
}

impl SeaEventLog {
    /// The event log stored in `db`.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            watermark: Arc::default(),
            released: Arc::default(),
        }
    }

    fn backend(&self) -> DbBackend {
        self.db.connection().get_database_backend()
    }

    fn mark(&self) -> std::sync::MutexGuard<'_, ReleasedMark> {
        self.released.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The settled id as of now, if one is known yet.
    async fn settled(&self, watermark: &mut Watermark) -> Result<Option<i64>, RepoError> {
        let context = "reading the event watermark";
        if !self.db.is_postgres() {
            let row = self
                .db
                .connection()
                .query_one_raw(event_sql::last_committed_sqlite().build())
                .await
                .map_err(unexpected(context))?;
            return row
                .map(|row| row.try_get("", "last"))
                .transpose()
                .map_err(unexpected(context));
        }
        let row = self
            .db
            .connection()
            .query_one_raw(event_sql::watermark_postgres(watermark.covered()).build())
            .await
            .map_err(unexpected(context))?
            .ok_or_else(|| RepoError::Unexpected(anyhow!("{context}: no row")))?;
        let xid = |column: &str| -> Result<Option<u64>, RepoError> {
            let text: Option<String> = row.try_get("", column).map_err(unexpected(context))?;
            text.map(|text| {
                text.parse()
                    .map_err(|_| RepoError::Unexpected(anyhow!("{context}: {column} {text:?}")))
            })
            .transpose()
        };
        let observation = Observation {
            oldest_running: xid("oldest_running")?
                .ok_or_else(|| RepoError::Unexpected(anyhow!("{context}: no xmin")))?,
            last: row.try_get("", "last").map_err(unexpected(context))?,
            mine: xid("mine")?,
        };
        Ok(watermark.observe(observation))
    }

    /// Runs `sql`, returning its rows.
    async fn rows(&self, sql: Sql, context: &'static str) -> Result<Vec<QueryResult>, RepoError> {
        self.db
            .connection()
            .query_all_raw(sql.build())
            .await
            .map_err(unexpected(context))
    }
}

/// Reads `events` rows.
fn read_events(rows: &[QueryResult], backend: DbBackend) -> Result<Vec<Event>, RepoError> {
    rows.iter()
        .map(|row| event_sql::event(row, backend))
        .collect::<anyhow::Result<Vec<_>>>()
        .map_err(|e| RepoError::Unexpected(e.context("reading events")))
}

#[async_trait]
impl EventLog for SeaEventLog {
    #[tracing::instrument(name = "events.open", skip_all)]
    async fn open(&self) -> Result<(), RepoError> {
        let mut watermark = self.watermark.lock().await;
        let started = Instant::now();
        let mut warned = started;
        let through = loop {
            if let Some(settled) = self.settled(&mut watermark).await? {
                break settled;
            }
            if warned.elapsed() >= OPEN_WARN_EVERY {
                warned = Instant::now();
                tracing::warn!(
                    waited_secs = started.elapsed().as_secs(),
                    "a transaction left open on the database server holds back the event log"
                );
            }
            tokio::time::sleep(OPEN_POLL).await;
        };
        let rows = self
            .rows(
                event_sql::latest_per_stream(self.backend(), through),
                "reading each stream's latest event",
            )
            .await?;
        let mut latest = HashMap::new();
        for row in &rows {
            let stream: String = row.try_get("", "stream").map_err(unexpected("stream"))?;
            let seq: i64 = row.try_get("", "latest").map_err(unexpected("latest"))?;
            if let Some(stream) = Stream::parse(&stream) {
                latest.insert(stream, seq);
            }
        }
        *self.mark() = ReleasedMark {
            through: Some(through),
            latest,
        };
        Ok(())
    }

    #[tracing::instrument(name = "events.release", skip_all)]
    async fn release(&self) -> Result<Released, RepoError> {
        let mut watermark = self.watermark.lock().await;
        let Some(released) = self.mark().through else {
            return Err(RepoError::Unexpected(anyhow!(
                "the event log was not opened"
            )));
        };
        let settled = self.settled(&mut watermark).await?;
        let waiting = watermark.waiting();
        let Some(through) = settled.filter(|settled| *settled > released) else {
            return Ok(Released {
                events: Vec::new(),
                waiting,
            });
        };
        let backend = self.backend();
        let rows = self
            .rows(
                event_sql::between(backend, released, through),
                "reading released events",
            )
            .await?;
        let events = read_events(&rows, backend)?;
        let mut mark = self.mark();
        for event in &events {
            mark.latest.insert(event.stream, event.seq);
        }
        mark.through = Some(through);
        Ok(Released { events, waiting })
    }

    #[tracing::instrument(name = "events.written_through", skip_all)]
    async fn written_through(&self) -> Result<i64, RepoError> {
        let context = "reading the last event id";
        let sql = if self.db.is_postgres() {
            event_sql::last_written_postgres()
        } else {
            event_sql::last_committed_sqlite()
        };
        let row = self
            .db
            .connection()
            .query_one_raw(sql.build())
            .await
            .map_err(unexpected(context))?;
        match row {
            Some(row) => row.try_get("", "last").map_err(unexpected(context)),
            None => Ok(0),
        }
    }

    fn released_through(&self) -> i64 {
        self.mark().through.unwrap_or(0)
    }

    #[tracing::instrument(name = "events.replay", skip_all, fields(stream = stream.as_str(), since))]
    async fn replay(
        &self,
        stream: Stream,
        since: i64,
        filter: EventFilter,
        limit: u64,
    ) -> Result<Vec<Event>, RepoError> {
        let through = self.mark().through.unwrap_or(0);
        let backend = self.backend();
        let sql = event_sql::replay(backend, stream, (since, through), filter, limit);
        let rows = self.rows(sql, "replaying events").await?;
        read_events(&rows, backend)
    }

    #[tracing::instrument(name = "events.latest_seq", skip_all, fields(stream = stream.as_str()))]
    async fn latest_seq(&self, stream: Stream) -> Result<i64, RepoError> {
        let latest = self.mark().latest.get(&stream).copied().unwrap_or(0);
        Ok(latest.max(self.pruned_through(stream).await?))
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
        let Some(through) = self.mark().through else {
            return Ok(0);
        };
        let backend = self.backend();
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let rows = txn
            .query_all_raw(event_sql::prune(backend, stream, through, before, keep).build())
            .await
            .map_err(unexpected(context))?;
        let mut highest = None;
        for row in &rows {
            let id: i64 = row.try_get("", "id").map_err(unexpected(context))?;
            highest = highest.max(Some(id));
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
