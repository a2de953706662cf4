//! [`MessageBus`] over NATS core: one client (which reconnects and
//! resubscribes by itself) publishing and subscribing on one subject.

use std::time::Duration;

use async_nats::connection::State;
use async_nats::{Client, ConnectOptions, Event};
use async_trait::async_trait;
use domain::ports::{BusError, BusSink, MessageBus};
use futures_util::StreamExt;
use tokio::time::{sleep, timeout};

use super::OPERATION_TIMEOUT;
use super::backoff::Backoff;
use super::tasks::{Subscriptions, deliver};
use crate::InfraError;

/// NATS core publish/subscribe on one subject.
///
/// The client connects in the background (`retry_on_initial_connect`), so
/// [`connect`](Self::connect) never waits on a server that is down; it
/// reconnects without limit — at once after a loss, then 100 ms doubling up
/// to 5 s between attempts — and
/// restores its subscriptions itself.
pub struct NatsBus {
    client: Client,
    subject: String,
    subscriptions: Subscriptions,
}

impl std::fmt::Debug for NatsBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NatsBus")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl NatsBus {
    /// Sets up publishing and subscribing on `subject` of the NATS server(s)
    /// at `url` (`nats://host:port`, or several separated by commas).
    /// Waits up to [`OPERATION_TIMEOUT`] for the first connection; a server
    /// that is down is only logged, and `ping` reports it.
    ///
    /// # Errors
    /// [`InfraError::Bus`] when the URL is malformed.
    pub async fn connect(url: &str, subject: &str) -> Result<Self, InfraError> {
        let client = ConnectOptions::new()
            .retry_on_initial_connect()
            .max_reconnects(None)
            .connection_timeout(OPERATION_TIMEOUT)
            .reconnect_delay_callback(reconnect_delay)
            .event_callback(|event| async move { log_event(&event) })
            .connect(url)
            .await
            .map_err(|error| InfraError::Bus(error.to_string()))?;
        let bus = Self {
            client,
            subject: subject.to_owned(),
            subscriptions: Subscriptions::default(),
        };
        if let Err(error) = bus.ping().await {
            tracing::warn!(%error, "NATS is not reachable yet; the bus will keep trying");
        }
        Ok(bus)
    }

    fn ensure_connected(&self) -> Result<(), BusError> {
        match self.client.connection_state() {
            State::Connected => Ok(()),
            state => Err(BusError(format!("NATS is not connected ({state:?})"))),
        }
    }
}

#[async_trait]
impl MessageBus for NatsBus {
    /// Fails at once while the client is disconnected, rather than queueing
    /// the message for a reconnection that may never come.
    async fn publish(&self, message: Vec<u8>) -> Result<(), BusError> {
        self.ensure_connected()?;
        let publish = self.client.publish(self.subject.clone(), message.into());
        match timeout(OPERATION_TIMEOUT, publish).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(BusError(format!("NATS publish failed: {error}"))),
            Err(_) => Err(BusError(format!(
                "NATS publish stalled for {OPERATION_TIMEOUT:?}"
            ))),
        }
    }

    fn subscribe(&self, sink: BusSink) {
        let task = tokio::spawn(run_subscriber(
            self.client.clone(),
            self.subject.clone(),
            sink,
        ));
        self.subscriptions.add(task.abort_handle());
    }

    /// A flush: a PING the server must answer with PONG.
    async fn ping(&self) -> Result<(), BusError> {
        match timeout(OPERATION_TIMEOUT, self.client.flush()).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(BusError(format!("NATS flush failed: {error}"))),
            Err(_) => Err(BusError(format!(
                "NATS did not answer within {OPERATION_TIMEOUT:?} ({:?})",
                self.client.connection_state()
            ))),
        }
    }
}

/// The first attempt at once, then 100 ms doubling up to 5 s.
fn reconnect_delay(attempt: usize) -> Duration {
    Backoff::before_attempt(attempt)
}

/// Raises what loses messages to a warning (async-nats logs every event at
/// info level itself).
fn log_event(event: &Event) {
    match event {
        Event::Disconnected => tracing::warn!("disconnected from NATS; reconnecting"),
        Event::SlowConsumer(_) => tracing::warn!("NATS dropped messages for a slow bus subscriber"),
        _ => {}
    }
}

/// Reads the subscription into `sink`, in order; subscribes again if the
/// stream ends — for as long as the bus lives.
async fn run_subscriber(client: Client, subject: String, sink: BusSink) {
    let mut backoff = Backoff::new();
    loop {
        match client.subscribe(subject.clone()).await {
            Ok(mut messages) => {
                backoff.reset();
                tracing::info!(%subject, "subscribed to the NATS subject");
                while let Some(message) = messages.next().await {
                    deliver(&sink, Vec::from(message.payload));
                }
                tracing::warn!(%subject, "the NATS subscription ended; subscribing again");
            }
            Err(error) => {
                tracing::warn!(%subject, %error, "could not subscribe to NATS; retrying");
            }
        }
        sleep(backoff.next_delay()).await;
    }
}
