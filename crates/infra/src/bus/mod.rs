//! The message bus between server instances: Redis pub/sub ([`RedisBus`])
//! or NATS core ([`NatsBus`]), chosen by the URL's scheme in [`connect`].
//!
//! Both adapters behave alike:
//! - `connect` only fails on a URL it cannot use; a broker that is down at
//!   start is not an error (the instance starts, `ping` reports it not
//!   ready, and the clients connect when the broker comes up);
//! - `publish` and `ping` give up after [`OPERATION_TIMEOUT`], so a dead
//!   broker can't hang a request;
//! - `subscribe` runs a background task that reconnects and resubscribes by
//!   itself, forever, waiting 100 ms after a failure, doubling up to 5 s.
//!   Messages published while it is disconnected are lost for this
//!   instance (delivery is at most once, as the port says). The task stops
//!   when the bus is dropped.

mod backoff;
mod nats_bus;
mod redis_bus;
mod tasks;

use std::sync::Arc;
use std::time::Duration;

use domain::ports::MessageBus;

use crate::InfraError;

pub use nats_bus::NatsBus;
pub use redis_bus::RedisBus;

/// The default Redis channel or NATS subject the instances share
/// (`BROKER_CHANNEL` overrides it, so deployments sharing one broker stay
/// apart).
pub const EVENTS_CHANNEL: &str = "backend-api.events";

/// How long `publish` and `ping` wait for the broker before failing.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(2);

/// Connects to the broker `url` names — `redis://` or `rediss://` (TLS) for
/// Redis, `nats://` for NATS — on `channel` (a Redis channel or NATS subject).
///
/// # Errors
/// [`InfraError::UnsupportedBus`] for any other scheme;
/// [`InfraError::Bus`] when the client rejects the URL.
pub async fn connect(url: &str, channel: &str) -> Result<Arc<dyn MessageBus>, InfraError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some("redis" | "rediss") => Ok(Arc::new(RedisBus::connect(url, channel).await?)),
        Some("nats") => Ok(Arc::new(NatsBus::connect(url, channel).await?)),
        _ => Err(InfraError::UnsupportedBus),
    }
}
