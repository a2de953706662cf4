//! In-memory adapters for every port (feature `testing`), so business rules
//! can be tested with this crate alone — no database, no server; and
//! generators of JSON for property tests ([`json`]).

mod agents;
mod clock;
mod commands;
mod events;
mod hasher;
mod idempotency;
mod items;
pub mod json;
mod mail;
mod oauth;
mod owned;
mod sessions;
mod store;
mod table;
mod tokens;
mod users;

pub use agents::InMemoryAgents;
pub use clock::ManualClock;
pub use commands::InMemoryCommands;
pub use events::{InMemoryEvents, RecordingNotifier};
pub use hasher::FakeHasher;
pub use idempotency::InMemoryIdempotency;
pub use items::InMemoryItems;
pub use mail::{InMemoryAccounts, InMemoryMailer};
pub use oauth::{InMemoryIdentities, InMemoryPendingLogins};
pub use sessions::InMemorySessions;
pub use store::MemoryStore;
pub use table::{InMemory, Stored};
pub use tokens::FakeTokens;
pub use users::InMemoryUsers;

use crate::model::SecretKey;
use crate::services::{
    AccountService, AgentService, AuthService, AuthSettings, CommandService, IdempotencyService,
    ItemService, MailTemplates, Ports, UserService,
};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Services wired to in-memory adapters, with a clock the test can move.
pub struct TestDomain {
    /// Authentication use cases.
    pub auth: AuthService,
    /// Account use cases.
    pub users: UserService,
    /// Mail-driven account flows (the product is "Test", links at
    /// `http://app.test`).
    pub accounts: AccountService,
    /// Every message the flows queued.
    pub mailer: Arc<InMemoryMailer>,
    /// Item use cases.
    pub items: ItemService,
    /// Agent use cases.
    pub agents: AgentService,
    /// Command use cases.
    pub commands: CommandService,
    /// Idempotency keys.
    pub idempotency: IdempotencyService,
    /// The adapters, for inspection.
    pub ports: Ports,
    /// The clock every service reads.
    pub clock: Arc<ManualClock>,
    /// What the services signalled.
    pub notifier: Arc<RecordingNotifier>,
}

impl TestDomain {
    /// Wires everything with default settings.
    pub fn new() -> Self {
        Self::with_settings(AuthSettings::default())
    }

    /// Wires everything with `settings`.
    pub fn with_settings(settings: AuthSettings) -> Self {
        let clock = Arc::new(ManualClock::default());
        let store = Arc::new(MemoryStore::default());
        let notifier = Arc::new(RecordingNotifier::default());
        let mailer = Arc::new(InMemoryMailer::default());
        let ports = Ports {
            users: Arc::new(InMemoryUsers::new(store.clone())),
            accounts: Arc::new(InMemoryAccounts::new(store.clone(), mailer.clone())),
            sessions: Arc::new(InMemorySessions::new(store.clone())),
            items: Arc::new(InMemoryItems::new(store.clone())),
            agents: Arc::new(InMemoryAgents::new(store.clone())),
            commands: Arc::new(InMemoryCommands::new(store.clone())),
            idempotency: Arc::new(InMemoryIdempotency::new(store.clone())),
            identities: Arc::new(InMemoryIdentities::new(store.clone())),
            pending_logins: Arc::new(InMemoryPendingLogins::new(store.clone())),
            events: Arc::new(InMemoryEvents::new(store)),
            notifier: notifier.clone(),
            hasher: Arc::new(FakeHasher::default()),
            tokens: Arc::new(FakeTokens::new(clock.clone())),
            clock: clock.clone(),
        };
        let secret = SecretKey::new(&[7u8; 32])
            .unwrap_or_else(|| unreachable!("a 32-byte key is long enough"));
        let secret = Arc::new(secret);
        let auth = AuthService::new(ports.clone(), secret.clone(), settings);
        let templates = MailTemplates::new("Test", "http://app.test");
        Self {
            accounts: AccountService::new(ports.clone(), secret.clone(), templates, auth.clone()),
            auth,
            mailer,
            users: UserService::new(ports.clone()),
            items: ItemService::new(ports.clone()),
            agents: AgentService::new(ports.clone()),
            commands: CommandService::new(ports.clone()),
            idempotency: IdempotencyService::new(ports.clone(), secret),
            ports,
            clock,
            notifier,
        }
    }
}

impl Default for TestDomain {
    fn default() -> Self {
        Self::new()
    }
}

/// Locks a mutex, ignoring poisoning (a panicking test already failed).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
