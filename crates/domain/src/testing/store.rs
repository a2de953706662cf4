//! The shared state behind the in-memory repositories (users own sessions,
//! so both adapters see one store, like two tables of one database).

use crate::model::{ClientInfo, PasswordHash, RefreshRecord, SessionState, Timestamp, User};
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

/// Every table, each behind one lock taken in this order: users, sessions,
/// refresh tokens.
#[derive(Debug, Default)]
pub struct MemoryStore {
    pub(super) users: Mutex<HashMap<Uuid, UserRow>>,
    pub(super) sessions: Mutex<HashMap<Uuid, SessionRow>>,
    pub(super) refresh: Mutex<HashMap<Vec<u8>, RefreshRecord>>,
}
