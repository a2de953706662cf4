//! The shared state behind the in-memory repositories (users own sessions,
//! so both adapters see one store, like two tables of one database).

use super::table::Rows;
use crate::model::{
    Agent, ClientInfo, Command, Event, Item, LinkedIdentity, NewEvent, PasswordHash, PendingLogin,
    RefreshRecord, SessionState, Timestamp, TokenHash, User,
};
use crate::ports::StoredResponse;
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// A stored user row.
#[derive(Debug, Clone)]
pub(super) struct UserRow {
    pub user: User,
    pub password_hash: Option<PasswordHash>,
}

/// A stored session row.
#[derive(Debug, Clone)]
pub(super) struct SessionRow {
    pub state: SessionState,
    pub client: ClientInfo,
    pub last_used_at: Timestamp,
}

/// A stored idempotency record.
#[derive(Debug, Clone)]
pub(super) struct IdempotencyRow {
    pub fingerprint: Vec<u8>,
    pub created_at: Timestamp,
    pub response: Option<StoredResponse>,
}

/// Every table, each behind one lock taken in this order: users,
/// identities, sessions, refresh tokens, items, agents, commands, idempotency,
/// pending logins.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub(super) users: Mutex<HashMap<Uuid, UserRow>>,
    pub(super) sessions: Mutex<HashMap<Uuid, SessionRow>>,
    pub(super) refresh: Mutex<HashMap<Vec<u8>, RefreshRecord>>,
    pub(super) items: Rows<Item, ()>,
    pub(super) agents: Rows<Agent, TokenHash>,
    pub(super) commands: Rows<Command, ()>,
    pub(super) idempotency: Mutex<HashMap<(Uuid, &'static str, String), IdempotencyRow>>,
    pub(super) events: Mutex<EventRows>,
    pub(super) identities: Mutex<HashMap<(String, String), LinkedIdentity>>,
    pub(super) pending_logins: Mutex<HashMap<Vec<u8>, PendingLogin>>,
}

/// The event log: events not released yet waiting, released ones kept.
#[derive(Debug, Default)]
pub(super) struct EventRows {
    pub pending: Vec<(NewEvent, Timestamp)>,
    pub logged: Vec<Event>,
    pub last_seq: i64,
    pub pruned_through: HashMap<&'static str, i64>,
}

impl MemoryStore {
    /// Appends an event (what a repository does with a write).
    pub(super) fn append_event(&self, event: NewEvent, at: Timestamp) {
        super::lock(&self.events).pending.push((event, at));
    }
}
