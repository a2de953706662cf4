//! The event log as live delivery reads it: releasing what committed, in
//! seq order; how far that got; where a stream stands when a client joins;
//! the replay of what one member may see. The realtime layer (sockets,
//! streams and the sequencer) holds this service, not the port.

use crate::RepoError;
use crate::model::{Event, Stream};
use crate::ports::{EventFilter, EventLog, Released};
use std::sync::Arc;

/// Where a stream stands for a client that joins it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamPosition {
    /// The latest released seq (0 when empty): what `joined.seq` says.
    pub latest: i64,
    /// The highest seq lost to retention (0 when none): a replay from
    /// below it has a gap.
    pub pruned: i64,
}

/// Live delivery's view of the event log.
#[derive(Clone)]
pub struct EventFeed {
    log: Arc<dyn EventLog>,
}

impl EventFeed {
    /// The feed over `log` (opened by the caller, see [`EventLog::open`]).
    pub fn new(log: Arc<dyn EventLog>) -> Self {
        Self { log }
    }

    /// The events that can be released since the previous call, in seq
    /// order, each once.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] when the log can't be read.
    pub async fn release(&self) -> Result<Released, RepoError> {
        self.log.release().await
    }

    /// Every event up to this seq has been released by this instance.
    pub fn released_through(&self) -> i64 {
        self.log.released_through()
    }

    /// A seq at or above every event written so far: what committed
    /// before the call is released once [`EventFeed::released_through`]
    /// reaches it.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] when the log can't be read.
    pub async fn written_through(&self) -> Result<i64, RepoError> {
        self.log.written_through().await
    }

    /// Where `stream` stands now: its latest released seq and the highest
    /// lost to retention.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] when the log can't be read.
    pub async fn position(&self, stream: Stream) -> Result<StreamPosition, RepoError> {
        Ok(StreamPosition {
            latest: self.log.latest_seq(stream).await?,
            pruned: self.log.pruned_through(stream).await?,
        })
    }

    /// Up to `limit` released events of `stream` after `since` that pass
    /// `filter` (one member's visibility), in seq order.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] when the log can't be read.
    pub async fn replay(
        &self,
        stream: Stream,
        since: i64,
        filter: EventFilter,
        limit: u64,
    ) -> Result<Vec<Event>, RepoError> {
        self.log.replay(stream, since, filter, limit).await
    }
}
