//! The set of ports the services are built from.

use crate::ports::{
    AccountStore, AgentRepository, Clock, CommandRepository, EventLog, IdempotencyStore,
    IdentityRepository, ItemRepository, Notifier, PasswordHasher, PendingLoginStore,
    SessionRepository, TokenIssuer, UserRepository,
};
use std::sync::Arc;

/// Every adapter a service may call, cheap to clone.
#[derive(Clone)]
pub struct Ports {
    /// User storage.
    pub users: Arc<dyn UserRepository>,
    /// Account tokens and the mail carrying them.
    pub accounts: Arc<dyn AccountStore>,
    /// Session storage.
    pub sessions: Arc<dyn SessionRepository>,
    /// Item storage.
    pub items: Arc<dyn ItemRepository>,
    /// Agent storage.
    pub agents: Arc<dyn AgentRepository>,
    /// Command storage.
    pub commands: Arc<dyn CommandRepository>,
    /// Idempotency records.
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// Provider accounts linked to users.
    pub identities: Arc<dyn IdentityRepository>,
    /// Pending OAuth authorization requests.
    pub pending_logins: Arc<dyn PendingLoginStore>,
    /// The event log (reads; writes go with each change).
    pub events: Arc<dyn EventLog>,
    /// Signals to live connections.
    pub notifier: Arc<dyn Notifier>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access-token signing.
    pub tokens: Arc<dyn TokenIssuer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}
