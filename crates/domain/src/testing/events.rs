//! In-memory [`EventLog`] and a [`Notifier`] that records what it is told.

use super::lock;
use super::store::MemoryStore;
use crate::RepoError;
use crate::model::{AgentId, Event, Stream, Timestamp, UserId};
use crate::ports::{EventFilter, EventLog, Notifier, Released, Revoked};
use async_trait::async_trait;
use std::sync::{Arc, Mutex};

/// The event log in memory.
#[derive(Debug, Clone)]
pub struct InMemoryEvents(Arc<MemoryStore>);

impl InMemoryEvents {
    /// Events kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

fn passes(event: &Event, filter: EventFilter) -> bool {
    filter.resource.is_none_or(|id| event.resource_id == id)
        && filter.owner.is_none_or(|owner| event.owner_id == owner)
}

#[async_trait]
impl EventLog for InMemoryEvents {
    async fn open(&self) -> Result<(), RepoError> {
        Ok(())
    }

    /// Every appended event is committed at once: all are released, each
    /// with the next seq.
    async fn release(&self) -> Result<Released, RepoError> {
        let mut rows = lock(&self.0.events);
        let pending = std::mem::take(&mut rows.pending);
        let mut events = Vec::with_capacity(pending.len());
        for (event, at) in pending {
            rows.last_seq += 1;
            events.push(Event {
                seq: rows.last_seq,
                stream: event.kind.stream(),
                kind: event.kind.as_str().to_owned(),
                resource_id: event.resource_id,
                owner_id: event.owner_id,
                data: event.data,
                created_at: at,
            });
        }
        rows.logged.extend(events.iter().cloned());
        Ok(Released {
            events,
            waiting: false,
        })
    }

    /// Seqs are given at release: what is pending gets the next ones.
    async fn written_through(&self) -> Result<i64, RepoError> {
        let rows = lock(&self.0.events);
        let pending = i64::try_from(rows.pending.len()).unwrap_or(i64::MAX);
        Ok(rows.last_seq.saturating_add(pending))
    }

    fn released_through(&self) -> i64 {
        lock(&self.0.events).last_seq
    }

    async fn replay(
        &self,
        stream: Stream,
        since: i64,
        filter: EventFilter,
        limit: u64,
    ) -> Result<Vec<Event>, RepoError> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        Ok(lock(&self.0.events)
            .logged
            .iter()
            .filter(|e| e.stream == stream && e.seq > since && passes(e, filter))
            .take(limit)
            .cloned()
            .collect())
    }

    async fn latest_seq(&self, stream: Stream) -> Result<i64, RepoError> {
        let rows = lock(&self.0.events);
        let logged = rows
            .logged
            .iter()
            .filter(|e| e.stream == stream)
            .map(|e| e.seq)
            .max();
        Ok(logged.unwrap_or(0).max(
            rows.pruned_through
                .get(stream.as_str())
                .copied()
                .unwrap_or(0),
        ))
    }

    async fn pruned_through(&self, stream: Stream) -> Result<i64, RepoError> {
        Ok(lock(&self.0.events)
            .pruned_through
            .get(stream.as_str())
            .copied()
            .unwrap_or(0))
    }

    async fn prune(&self, stream: Stream, before: Timestamp, keep: u64) -> Result<u64, RepoError> {
        let mut rows = lock(&self.0.events);
        let of_stream: Vec<i64> = rows
            .logged
            .iter()
            .filter(|e| e.stream == stream)
            .map(|e| e.seq)
            .collect();
        let keep = usize::try_from(keep).unwrap_or(usize::MAX);
        let beyond_count = of_stream.len().saturating_sub(keep);
        let count_floor = of_stream
            .get(beyond_count.wrapping_sub(1))
            .copied()
            .filter(|_| beyond_count > 0);
        let doomed = |e: &Event| {
            e.stream == stream
                && (e.created_at < before || count_floor.is_some_and(|floor| e.seq <= floor))
        };
        let highest = rows
            .logged
            .iter()
            .filter(|e| doomed(e))
            .map(|e| e.seq)
            .max();
        let before_len = rows.logged.len();
        rows.logged.retain(|e| !doomed(e));
        let removed = before_len - rows.logged.len();
        if let Some(highest) = highest {
            let entry = rows.pruned_through.entry(stream.as_str()).or_insert(0);
            *entry = (*entry).max(highest);
        }
        Ok(u64::try_from(removed).unwrap_or(u64::MAX))
    }
}

/// Records revocations and counts event notifications.
#[derive(Debug, Default)]
pub struct RecordingNotifier {
    /// Every `sessions_revoked` call, in order.
    pub revoked: Mutex<Vec<(UserId, Revoked)>>,
    /// How many times `events_written` was called.
    pub writes: Mutex<u64>,
    /// Every `agent_token_rotated` call, in order.
    pub rotated: Mutex<Vec<AgentId>>,
}

impl Notifier for RecordingNotifier {
    fn events_written(&self) {
        *lock(&self.writes) += 1;
    }

    fn sessions_revoked(&self, user: UserId, which: Revoked) {
        lock(&self.revoked).push((user, which));
    }

    fn agent_token_rotated(&self, agent: AgentId) {
        lock(&self.rotated).push(agent);
    }
}
