//! The sequencer: gives committed events their seqs, in commit order, and
//! hands them to the hub in that order.

use super::hub::Hub;
use domain::ports::EventLog;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Runs forever: after every kick, and every `relay_every` regardless,
/// sequences pending events and delivers them.
pub async fn run(events: Arc<dyn EventLog>, hub: Hub, kick: Arc<Notify>, relay_every: Duration) {
    let mut relay = tokio::time::interval(relay_every);
    loop {
        tokio::select! {
            () = kick.notified() => {}
            _ = relay.tick() => {}
        }
        match events.sequence().await {
            Ok(sequenced) => {
                crate::metrics::events_published(sequenced.len());
                for event in sequenced {
                    hub.event(Arc::new(event));
                }
            }
            Err(error) => tracing::warn!(%error, "could not sequence events; retrying"),
        }
    }
}
