//! The message-bus adapters against real brokers: Redis at `TEST_REDIS_URL`
//! and NATS at `TEST_NATS_URL`. A test whose broker is not configured is
//! skipped with a note, and fails instead when `REQUIRE_SERVICES=1`. Each
//! test uses its own channel, so they run in parallel.

use std::sync::Arc;
use std::time::Duration;

use domain::ports::MessageBus;
use infra::InfraError;
use infra::bus::{self, NatsBus, RedisBus};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tokio::time::{Instant, sleep, timeout};
use uuid::Uuid;

/// How long any awaited condition may take before the test fails.
const WAIT: Duration = Duration::from_secs(10);
/// Messages each publisher sends.
const COUNT: usize = 200;

#[derive(Clone, Copy, Debug)]
enum Broker {
    Redis,
    Nats,
}

impl Broker {
    /// The broker's URL from the environment, or `None` (with a note).
    fn url(self) -> Option<String> {
        let var = match self {
            Self::Redis => "TEST_REDIS_URL",
            Self::Nats => "TEST_NATS_URL",
        };
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => Some(url),
            _ if std::env::var("REQUIRE_SERVICES").as_deref() == Ok("1") => {
                panic!("REQUIRE_SERVICES=1 but {var} is not set: start the broker and set it")
            }
            _ => {
                eprintln!("skipped: {var} is not set");
                None
            }
        }
    }

    /// One "server instance": its own bus on `channel`.
    async fn bus(self, url: &str, channel: &str) -> Arc<dyn MessageBus> {
        match self {
            Self::Redis => Arc::new(RedisBus::connect(url, channel).await.expect("Redis bus")),
            Self::Nats => Arc::new(NatsBus::connect(url, channel).await.expect("NATS bus")),
        }
    }
}

/// Runs `async fn $name(broker, url)` as `$name::redis` and `$name::nats`.
macro_rules! on_both_brokers {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::Broker;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn redis() {
                if let Some(url) = Broker::Redis.url() {
                    super::$name(Broker::Redis, &url).await;
                }
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn nats() {
                if let Some(url) = Broker::Nats.url() {
                    super::$name(Broker::Nats, &url).await;
                }
            }
        }
    )*};
}

on_both_brokers!(two_instances_receive_everything_in_order, ping_answers);

fn unique_channel() -> String {
    format!("backend-api.test.{}", Uuid::new_v4())
}

/// Subscribes `bus` with a sink that queues what arrives.
fn listen(bus: &dyn MessageBus) -> UnboundedReceiver<Vec<u8>> {
    let (sender, receiver) = unbounded_channel();
    bus.subscribe(Box::new(move |message| {
        let _ = sender.send(message);
    }));
    receiver
}

/// Publishes probes through `publisher` until every inbox has received one:
/// from then on, their subscriptions are live.
async fn wait_until_live(
    publisher: &dyn MessageBus,
    inboxes: &mut [&mut UnboundedReceiver<Vec<u8>>],
) {
    let deadline = Instant::now() + WAIT;
    for inbox in inboxes.iter_mut() {
        loop {
            assert!(
                Instant::now() < deadline,
                "no probe came back within {WAIT:?}"
            );
            let _ = publisher.publish(b"probe".to_vec()).await;
            match timeout(Duration::from_millis(100), inbox.recv()).await {
                Ok(Some(message)) if message == b"probe" => break,
                Ok(Some(_)) | Err(_) => {}
                Ok(None) => panic!("the subscriber task ended"),
            }
        }
    }
}

/// Sends `tag:0` … `tag:199`, in order, through `bus`.
async fn publish_numbered(bus: Arc<dyn MessageBus>, tag: &'static str) {
    for n in 0..COUNT {
        let message = format!("{tag}:{n}").into_bytes();
        bus.publish(message).await.expect("publish");
    }
}

/// The next `count` messages other than probes, failing after [`WAIT`].
async fn receive(inbox: &mut UnboundedReceiver<Vec<u8>>, count: usize) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut received = Vec::with_capacity(count);
    while received.len() < count {
        let message = tokio::time::timeout_at(deadline, inbox.recv()).await;
        let Ok(Some(message)) = message else {
            panic!(
                "received {} of {count} messages within {WAIT:?}",
                received.len()
            );
        };
        if message != b"probe" {
            received.push(String::from_utf8(message).expect("UTF-8"));
        }
    }
    received
}

/// Asserts that `received` holds `tag:0` … `tag:199`, in that order.
fn assert_complete_in_order(received: &[String], tag: &str) {
    let numbers: Vec<usize> = received
        .iter()
        .filter_map(|message| message.strip_prefix(tag)?.strip_prefix(':')?.parse().ok())
        .collect();
    assert_eq!(
        numbers,
        (0..COUNT).collect::<Vec<_>>(),
        "messages from {tag}"
    );
}

async fn two_instances_receive_everything_in_order(broker: Broker, url: &str) {
    let channel = unique_channel();
    let a = broker.bus(url, &channel).await;
    let b = broker.bus(url, &channel).await;
    let mut inbox_a = listen(&*a);
    let mut inbox_b = listen(&*b);
    wait_until_live(&*a, &mut [&mut inbox_a, &mut inbox_b]).await;

    tokio::join!(
        publish_numbered(a.clone(), "a"),
        publish_numbered(b.clone(), "b")
    );

    for inbox in [&mut inbox_a, &mut inbox_b] {
        let received = receive(inbox, 2 * COUNT).await;
        assert_complete_in_order(&received, "a");
        assert_complete_in_order(&received, "b");
    }
}

async fn ping_answers(broker: Broker, url: &str) {
    let bus = broker.bus(url, &unique_channel()).await;
    bus.ping().await.expect("ping");
}

/// `connect`, `ping` and `publish` each give up within a few seconds.
async fn fails_fast_when_unreachable(broker: Broker, url: &str) {
    let within = Duration::from_secs(4);
    let bus = timeout(within, broker.bus(url, &unique_channel()))
        .await
        .expect("connect hung");
    bus.subscribe(Box::new(|_| {})); // keeps retrying in the background
    let ping = timeout(within, bus.ping()).await.expect("ping hung");
    assert!(ping.is_err(), "{ping:?}");
    let publish = timeout(within, bus.publish(b"lost".to_vec()))
        .await
        .expect("publish hung");
    assert!(publish.is_err(), "{publish:?}");
}

#[tokio::test]
async fn redis_fails_fast_when_unreachable() {
    fails_fast_when_unreachable(Broker::Redis, "redis://127.0.0.1:1").await;
}

#[tokio::test]
async fn nats_fails_fast_when_unreachable() {
    fails_fast_when_unreachable(Broker::Nats, "nats://127.0.0.1:1").await;
}

#[tokio::test]
async fn connect_chooses_the_adapter_by_scheme() {
    let unsupported = bus::connect("amqp://127.0.0.1:5672", bus::EVENTS_CHANNEL).await;
    assert!(matches!(unsupported, Err(InfraError::UnsupportedBus)));
    assert!(matches!(
        bus::connect("127.0.0.1:6379", bus::EVENTS_CHANNEL).await,
        Err(InfraError::UnsupportedBus)
    ));
    for malformed in ["redis://127.0.0.1:x", "nats://127.0.0.1:x"] {
        let bus = bus::connect(malformed, bus::EVENTS_CHANNEL).await;
        assert!(matches!(bus, Err(InfraError::Bus(_))), "{malformed}");
    }
    for url in [
        "redis://127.0.0.1:1",
        "rediss://127.0.0.1:1",
        "nats://127.0.0.1:1",
    ] {
        let bus = bus::connect(url, bus::EVENTS_CHANNEL).await.expect(url);
        assert!(bus.ping().await.is_err(), "{url} is unreachable");
    }
}

/// A Redis user of its own, so that `CLIENT KILL` hits this test's
/// connections only.
struct RedisUser {
    admin: redis::aio::MultiplexedConnection,
    name: String,
    url: String,
}

impl RedisUser {
    async fn create(url: &str) -> Self {
        let client = redis::Client::open(url).expect("Redis URL");
        let mut admin = client
            .get_multiplexed_async_connection()
            .await
            .expect("admin connection");
        let name = format!("bus-test-{}", Uuid::new_v4());
        let password = Uuid::new_v4().to_string();
        redis::cmd("ACL")
            .arg(&[
                "SETUSER",
                &name,
                "on",
                &format!(">{password}"),
                "~*",
                "&*",
                "+@all",
            ])
            .exec_async(&mut admin)
            .await
            .expect("ACL SETUSER");
        let mut url = url::Url::parse(url).expect("URL");
        url.set_username(&name).expect("username");
        url.set_password(Some(&password)).expect("password");
        Self {
            admin,
            name,
            url: url.into(),
        }
    }

    /// The id of this user's pub/sub connection, once it is subscribed.
    async fn subscriber_id(&mut self) -> Option<String> {
        let list: String = redis::cmd("CLIENT")
            .arg(&["LIST", "TYPE", "pubsub"])
            .query_async(&mut self.admin)
            .await
            .expect("CLIENT LIST");
        let user = format!("user={}", self.name);
        list.lines().find_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let subscribed = fields.contains(&user.as_str()) && fields.contains(&"sub=1");
            subscribed
                .then(|| fields.iter().find_map(|f| f.strip_prefix("id=")))?
                .map(str::to_owned)
        })
    }

    /// Waits until this user's subscriber is another connection than `old`.
    async fn wait_for_subscriber_other_than(&mut self, old: Option<&str>) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.subscriber_id().await {
                Some(id) if Some(id.as_str()) != old => return id,
                _ if Instant::now() >= deadline => panic!("no new subscriber within {WAIT:?}"),
                _ => sleep(Duration::from_millis(20)).await,
            }
        }
    }

    async fn kill(&mut self, kind: &str) -> i64 {
        redis::cmd("CLIENT")
            .arg(&["KILL", "USER", &self.name, "TYPE", kind])
            .query_async(&mut self.admin)
            .await
            .expect("CLIENT KILL")
    }

    async fn delete(mut self) {
        redis::cmd("ACL")
            .arg(&["DELUSER", &self.name])
            .exec_async(&mut self.admin)
            .await
            .expect("ACL DELUSER");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_subscriber_reconnects_after_its_connection_is_killed() {
    let Some(url) = Broker::Redis.url() else {
        return;
    };
    let mut user = RedisUser::create(&url).await;
    let bus = Broker::Redis.bus(&user.url, &unique_channel()).await;
    let mut inbox = listen(&*bus);
    wait_until_live(&*bus, &mut [&mut inbox]).await;
    let first = user.wait_for_subscriber_other_than(None).await;

    assert_eq!(
        user.kill("pubsub").await,
        1,
        "one subscriber connection killed"
    );
    let second = user.wait_for_subscriber_other_than(Some(&first)).await;
    assert_ne!(first, second);

    publish_numbered(bus.clone(), "after-kill").await;
    assert_complete_in_order(&receive(&mut inbox, COUNT).await, "after-kill");
    user.delete().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_publisher_reconnects_after_its_connection_is_killed() {
    let Some(url) = Broker::Redis.url() else {
        return;
    };
    let mut user = RedisUser::create(&url).await;
    let bus = Broker::Redis.bus(&user.url, &unique_channel()).await;
    let mut inbox = listen(&*bus);
    wait_until_live(&*bus, &mut [&mut inbox]).await;

    assert_eq!(
        user.kill("normal").await,
        1,
        "one publisher connection killed"
    );
    // At most once: the publish that meets the dead connection may fail.
    let deadline = Instant::now() + WAIT;
    while bus.ping().await.is_err() {
        assert!(Instant::now() < deadline, "the publisher did not reconnect");
    }
    publish_numbered(bus.clone(), "after-kill").await;
    assert_complete_in_order(&receive(&mut inbox, COUNT).await, "after-kill");
    user.delete().await;
}
