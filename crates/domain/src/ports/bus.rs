//! The message bus between server instances (Redis pub/sub or NATS core).

use async_trait::async_trait;

/// Why the bus failed.
#[derive(Debug, thiserror::Error)]
#[error("message bus: {0}")]
pub struct BusError(pub String);

/// Receives every message published on the bus, by any instance (this one
/// included), in the order each publisher sent them. Must return quickly.
pub type BusSink = Box<dyn Fn(Vec<u8>) + Send + Sync>;

/// Fans opaque messages out to every instance: chat, presence,
/// revocations, and the hint that new events are in the log. Delivery is
/// at most once: a message published while an instance is disconnected is
/// lost for it. Events themselves never travel here — every instance
/// releases the whole event log itself, so a lost hint only delays
/// delivery until its next relay tick.
#[async_trait]
pub trait MessageBus: Send + Sync {
    /// Publishes one message to every subscribed instance.
    ///
    /// # Errors
    /// [`BusError`] when the broker is unreachable.
    async fn publish(&self, message: Vec<u8>) -> Result<(), BusError>;

    /// Starts delivering every message to `sink`, in the background, for
    /// the life of the process; reconnects by itself after an outage.
    fn subscribe(&self, sink: BusSink);

    /// Whether the broker answers now (readiness).
    ///
    /// # Errors
    /// [`BusError`] saying why not.
    async fn ping(&self) -> Result<(), BusError>;
}
