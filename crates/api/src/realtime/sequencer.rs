//! The sequencer: releases committed events from the log, in seq order,
//! and hands them to the hub in that order.

use super::hub::Hub;
use domain::services::EventFeed;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long the log is left alone after a release that found events still
/// held back by running transactions: long enough for several writes to
/// settle into one release, short next to what a live client notices.
/// While nothing gets released the wait doubles, up to the relay interval
/// (a transaction left open for long is not polled for every 10 ms).
const SETTLE_WAIT: Duration = Duration::from_millis(10);

/// Runs forever: after every kick, and every `relay_every` regardless,
/// releases what the log can release and delivers it, then tells
/// `delivered` how far the log is released.
pub async fn run(
    events: EventFeed,
    hub: Hub,
    kick: Arc<Notify>,
    delivered: Arc<watch::Sender<i64>>,
    relay_every: Duration,
) {
    let mut relay = tokio::time::interval(relay_every);
    let mut held_back: Option<Duration> = None;
    loop {
        match held_back {
            Some(wait) => tokio::time::sleep(wait).await,
            None => tokio::select! {
                () = kick.notified() => {}
                _ = relay.tick() => {}
            },
        }
        match events.release().await {
            Ok(released) => {
                held_back = released.waiting.then(|| match held_back {
                    Some(wait) if released.events.is_empty() => (wait * 2).min(relay_every),
                    _ => SETTLE_WAIT,
                });
                crate::metrics::events_published(released.events.len());
                if !released.events.is_empty() {
                    for event in released.events {
                        hub.event(Arc::new(event));
                    }
                    hub.released();
                }
                let through = events.released_through();
                delivered.send_if_modified(|was| {
                    let moved = through > *was;
                    *was = (*was).max(through);
                    moved
                });
            }
            Err(error) => {
                held_back = None;
                tracing::warn!(%error, "could not release events; retrying");
            }
        }
    }
}
