//! The event log (an outbox): written with each change, released by every
//! instance in seq order, replayed to clients that missed events.

use crate::RepoError;
use crate::model::{Event, Stream, Timestamp, UserId};
use async_trait::async_trait;
use uuid::Uuid;

/// Which events of a stream a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events about this resource (`item:<id>` rooms).
    pub resource: Option<Uuid>,
    /// Only events of this owner's resources (`None`: admin, all).
    pub owner: Option<UserId>,
}

/// What one call of [`EventLog::release`] found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Released {
    /// Events released by this call, in seq order.
    pub events: Vec<Event>,
    /// Events may have been written that could not be released yet (a
    /// transaction that might still commit an earlier one was running):
    /// call again soon.
    pub waiting: bool,
}

/// Reads and maintains the event log. Events are written by the
/// repositories in the same transaction as their change; an event's seq is
/// fixed when it is written, and the log hands an event out only once no
/// event with a smaller seq can still commit, so a replay `since N` can
/// never skip a committed event. A log value belongs to one process: what
/// it has released is its own.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Finds where this log starts: the end of the log, once every
    /// transaction that may still commit an event before it has ended
    /// (waits for that). Earlier events are left to replays. Call once,
    /// before [`EventLog::release`].
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn open(&self) -> Result<(), RepoError>;

    /// The events committed since the previous call (or since
    /// [`EventLog::open`]) that can be released: every event with a smaller
    /// seq is committed or can no longer be. In seq order; each event is
    /// released once.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn release(&self) -> Result<Released, RepoError>;

    /// A seq at or above every event written so far, committed or not:
    /// whatever committed before this call has a seq at most this, and is
    /// released once [`EventLog::released_through`] reaches it.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn written_through(&self) -> Result<i64, RepoError>;

    /// Every event with a seq up to this has been released by this log
    /// (or will never exist).
    fn released_through(&self) -> i64;

    /// Up to `limit` released events of `stream` after `since` that pass
    /// `filter`, in seq order.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn replay(
        &self,
        stream: Stream,
        since: i64,
        filter: EventFilter,
        limit: u64,
    ) -> Result<Vec<Event>, RepoError>;

    /// The latest released seq of `stream`, at least its
    /// [`EventLog::pruned_through`] (0 when empty).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn latest_seq(&self, stream: Stream) -> Result<i64, RepoError>;

    /// The highest seq of `stream` lost to retention (0 when none).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn pruned_through(&self, stream: Stream) -> Result<i64, RepoError>;

    /// Deletes released events of `stream` older than `before` or beyond
    /// the newest `keep` ones, remembering the highest seq deleted.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn prune(&self, stream: Stream, before: Timestamp, keep: u64) -> Result<u64, RepoError>;
}
