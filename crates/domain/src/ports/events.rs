//! The event log (an outbox) and the bus that fans events out.

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

/// Reads and maintains the event log. Events are written by the
/// repositories in the same transaction as their change, without a seq; the
/// sequencer gives them seqs in commit order, so a replay `since N` can never
/// skip a committed event.
#[async_trait]
pub trait EventLog: Send + Sync {
    /// Gives seqs to every committed, unsequenced event (in commit order,
    /// continuing each stream's seqs) and returns them in seq order. Safe to
    /// call from several tasks or instances at once.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn sequence(&self) -> Result<Vec<Event>, RepoError>;

    /// Up to `limit` sequenced events of `stream` after `since` that pass
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

    /// The latest seq of `stream` (0 when empty).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn latest_seq(&self, stream: Stream) -> Result<i64, RepoError>;

    /// The highest seq of `stream` lost to retention (0 when none).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn pruned_through(&self, stream: Stream) -> Result<i64, RepoError>;

    /// Deletes sequenced events of `stream` older than `before` or beyond the
    /// newest `keep` ones, remembering the highest seq deleted.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn prune(&self, stream: Stream, before: Timestamp, keep: u64) -> Result<u64, RepoError>;
}
