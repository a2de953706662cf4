//! [`MessageBus`] over Redis pub/sub: PUBLISH through a `ConnectionManager`,
//! SUBSCRIBE on a dedicated connection per subscriber task.

use std::time::Duration;

use async_trait::async_trait;
use domain::ports::{BusError, BusSink, MessageBus};
use futures_util::StreamExt;
use redis::aio::{ConnectionManager, ConnectionManagerConfig, PubSubSink, PubSubStream};
use redis::{Client, RedisError, Value};
use tokio::time::{sleep, timeout};

use super::OPERATION_TIMEOUT;
use super::backoff::Backoff;
use super::tasks::{Subscriptions, deliver};
use crate::InfraError;

/// How often an idle subscriber connection is PINGed, to notice a
/// connection that died without closing (a half-open TCP connection).
const HEARTBEAT: Duration = Duration::from_secs(15);

/// Redis pub/sub on one channel.
///
/// Publishing goes through a [`ConnectionManager`], which reconnects by
/// itself after an I/O error (the publish that hit the error fails).
/// Each [`subscribe`](MessageBus::subscribe) opens its own pub/sub
/// connection and reopens it whenever it drops.
pub struct RedisBus {
    client: Client,
    publisher: ConnectionManager,
    channel: String,
    subscriptions: Subscriptions,
}

impl std::fmt::Debug for RedisBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The client holds the URL, which may hold a password.
        f.debug_struct("RedisBus")
            .field("channel", &self.channel)
            .finish_non_exhaustive()
    }
}

impl RedisBus {
    /// Sets up publishing and subscribing on `channel` of the Redis at
    /// `url` (`redis://` or `rediss://`). The connection is made lazily: a
    /// Redis that is down now is only logged, and `ping` reports it.
    ///
    /// # Errors
    /// [`InfraError::Bus`] when the URL is malformed.
    pub async fn connect(url: &str, channel: &str) -> Result<Self, InfraError> {
        let client = Client::open(url).map_err(|error| InfraError::Bus(error.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(1)))
            .set_response_timeout(Some(OPERATION_TIMEOUT))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(1));
        let publisher = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|error| InfraError::Bus(error.to_string()))?;
        let bus = Self {
            client,
            publisher,
            channel: channel.to_owned(),
            subscriptions: Subscriptions::default(),
        };
        if let Err(error) = bus.ping().await {
            tracing::warn!(%error, "Redis is not reachable yet; the bus will keep trying");
        }
        Ok(bus)
    }
}

#[async_trait]
impl MessageBus for RedisBus {
    async fn publish(&self, message: Vec<u8>) -> Result<(), BusError> {
        let mut connection = self.publisher.clone();
        let mut command = redis::cmd("PUBLISH");
        command.arg(&self.channel).arg(message);
        within_timeout("PUBLISH", command.query_async::<i64>(&mut connection)).await?;
        Ok(())
    }

    fn subscribe(&self, sink: BusSink) {
        let task = tokio::spawn(run_subscriber(
            self.client.clone(),
            self.channel.clone(),
            sink,
        ));
        self.subscriptions.add(task.abort_handle());
    }

    async fn ping(&self) -> Result<(), BusError> {
        let mut connection = self.publisher.clone();
        let command = redis::cmd("PING");
        within_timeout("PING", command.query_async::<Value>(&mut connection)).await?;
        Ok(())
    }
}

/// Awaits a Redis call for at most [`OPERATION_TIMEOUT`].
async fn within_timeout<T>(
    what: &str,
    call: impl Future<Output = Result<T, RedisError>>,
) -> Result<T, BusError> {
    match timeout(OPERATION_TIMEOUT, call).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(BusError(format!("Redis {what} failed: {error}"))),
        Err(_) => Err(BusError(format!(
            "Redis {what} got no answer within {OPERATION_TIMEOUT:?}"
        ))),
    }
}

/// Subscribes, forwards messages to `sink` in order, and resubscribes after
/// every disconnection — for as long as the bus lives.
async fn run_subscriber(client: Client, channel: String, sink: BusSink) {
    let mut backoff = Backoff::new();
    loop {
        match open_subscription(&client, &channel).await {
            Ok((control, messages)) => {
                backoff.reset();
                tracing::info!(%channel, "subscribed to the Redis channel");
                let why = forward(control, messages, &sink).await;
                tracing::warn!(%channel, reason = %why, "lost the Redis subscription; reconnecting");
            }
            Err(error) => {
                tracing::warn!(%channel, %error, "could not subscribe to Redis; retrying");
            }
        }
        sleep(backoff.next_delay()).await;
    }
}

/// Opens a pub/sub connection and SUBSCRIBEs, within bounded time.
async fn open_subscription(
    client: &Client,
    channel: &str,
) -> Result<(PubSubSink, PubSubStream), BusError> {
    let pubsub = within_timeout("connect", client.get_async_pubsub()).await?;
    let (mut control, messages) = pubsub.split();
    within_timeout("SUBSCRIBE", control.subscribe(channel)).await?;
    Ok((control, messages))
}

/// Hands each message to `sink` until the connection ends or stops
/// answering PING; returns why it stopped.
async fn forward(mut control: PubSubSink, mut messages: PubSubStream, sink: &BusSink) -> String {
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    heartbeat.reset(); // the first tick would fire at once
    loop {
        tokio::select! {
            message = messages.next() => match message {
                Some(message) => deliver(sink, message.get_payload_bytes().to_vec()),
                None => return "connection closed".to_owned(),
            },
            _ = heartbeat.tick() => {
                if let Err(error) = within_timeout("PING", control.ping::<Value>()).await {
                    return error.0;
                }
            }
        }
    }
}
