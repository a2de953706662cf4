//! Draining at shutdown. Once started, readiness answers 503 (`shutdown`)
//! and every response closes its connection, so that a proxy's kept-alive
//! connections end with the request they carry; the server waits for the
//! requests in flight before it stops its workers.

use crate::state::DependencyCheck;
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Whether the server is draining, and how many requests are in flight.
/// Clones share both.
#[derive(Debug, Clone, Default)]
pub struct Draining(Arc<Counters>);

#[derive(Debug, Default)]
struct Counters {
    draining: AtomicBool,
    in_flight: AtomicUsize,
}

impl Draining {
    /// From now on the server is draining.
    pub fn start(&self) {
        self.0.draining.store(true, Ordering::SeqCst);
    }

    /// Whether the server is draining.
    pub fn is_draining(&self) -> bool {
        self.0.draining.load(Ordering::SeqCst)
    }

    /// Requests that have begun and not yet finished.
    pub fn in_flight(&self) -> usize {
        self.0.in_flight.load(Ordering::SeqCst)
    }

    /// Counts a request as in flight until the guard is dropped.
    pub fn begin(&self) -> InFlight {
        self.0.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }
}

/// One request in flight (see [`Draining::begin`]).
#[derive(Debug)]
pub struct InFlight(Draining);

impl Drop for InFlight {
    fn drop(&mut self) {
        (self.0).0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl DependencyCheck for Draining {
    fn name(&self) -> &'static str {
        "shutdown"
    }

    async fn check(&self) -> Result<(), String> {
        if self.is_draining() {
            Err("the server is shutting down".to_owned())
        } else {
            Ok(())
        }
    }
}
