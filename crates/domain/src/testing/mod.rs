//! In-memory adapters for every port (feature `testing`), so business rules
//! can be tested with this crate alone — no database, no server.

mod clock;
mod hasher;
mod sessions;
mod store;
mod tokens;
mod users;

pub use clock::ManualClock;
pub use hasher::FakeHasher;
pub use sessions::InMemorySessions;
pub use store::MemoryStore;
pub use tokens::FakeTokens;
pub use users::InMemoryUsers;

use crate::model::SecretKey;
use crate::services::{AuthService, AuthSettings, Ports, UserService};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Services wired to in-memory adapters, with a clock the test can move.
pub struct TestDomain {
    /// Authentication use cases.
    pub auth: AuthService,
    /// Account use cases.
    pub users: UserService,
    /// The adapters, for inspection.
    pub ports: Ports,
    /// The clock every service reads.
    pub clock: Arc<ManualClock>,
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
        let ports = Ports {
            users: Arc::new(InMemoryUsers::new(store.clone())),
            sessions: Arc::new(InMemorySessions::new(store)),
            hasher: Arc::new(FakeHasher::default()),
            tokens: Arc::new(FakeTokens::new(clock.clone())),
            clock: clock.clone(),
        };
        let secret = SecretKey::new(&[7u8; 32])
            .unwrap_or_else(|| unreachable!("a 32-byte key is long enough"));
        Self {
            auth: AuthService::new(ports.clone(), Arc::new(secret), settings),
            users: UserService::new(ports.clone()),
            ports,
            clock,
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
