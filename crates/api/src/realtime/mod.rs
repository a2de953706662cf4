//! Real time: the WebSocket gateways (`/ws`, `/ws/agent`), the event stream
//! (`/api/v1/stream`), the hub that owns rooms, and
//! the sequencer that turns committed events into live deliveries.

pub mod agent;
mod agent_commands;
mod agent_heartbeat;
mod bucket;
pub mod frames;
mod header;
pub mod hub;
mod incoming;
mod joining;
mod outgoing;
pub mod rooms;
pub mod sequencer;
pub mod session;
pub mod socket;
pub mod stream;
pub mod takeover;
pub mod upgrade;
pub mod wire;

use domain::model::{AgentId, UserId};
use domain::ports::{Notifier, Revoked};
use domain::services::EventFeed;
use hub::Hub;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Notify, watch};

/// How long a join waits for the events committed before it to be
/// released; past it (a transaction left open on the database holds the
/// log back, decision 0007) the join goes on with what was released.
const CATCH_UP_WAIT: Duration = Duration::from_secs(5);

/// WebSocket settings.
#[derive(Debug, Clone, Copy)]
pub struct RealtimeConfig {
    /// Server ping interval (`WS_PING_SECS`).
    pub ping: Duration,
    /// Close after this long without a frame or pong (`WS_IDLE_TIMEOUT_SECS`).
    pub idle_timeout: Duration,
    /// Frames queued per connection before it counts as slow (`WS_SEND_QUEUE`).
    pub send_queue: usize,
    /// Open sockets per user (`WS_MAX_CONNECTIONS_PER_USER`).
    pub max_connections_per_user: usize,
    /// Whether `join`/`publish` frames are rate limited (and agents'
    /// heartbeats thinned out before they reach dashboards).
    pub rate_limit: bool,
    /// The `join`/`publish` (fanned-out heartbeat) limit per connection and
    /// second.
    pub frames_per_second: u32,
    /// Commands per agent sent or running at once (`AGENT_MAX_IN_FLIGHT`).
    pub agent_max_in_flight: u64,
}

impl Default for RealtimeConfig {
    fn default() -> Self {
        Self {
            ping: Duration::from_secs(15),
            idle_timeout: Duration::from_secs(45),
            send_queue: 1024,
            max_connections_per_user: 32,
            rate_limit: true,
            frames_per_second: 20,
            agent_max_in_flight: 16,
        }
    }
}

/// The real-time layer as handlers and services see it.
#[derive(Clone)]
pub struct Realtime {
    /// The hub.
    pub hub: Hub,
    /// The event log as live delivery reads it: releases and replays.
    pub events: EventFeed,
    /// Settings.
    pub config: RealtimeConfig,
    kick: Arc<Notify>,
    /// How far this instance's sequencer has delivered the log to the hub
    /// ([`EventFeed::released_through`] after each release).
    delivered: Arc<watch::Sender<i64>>,
}

impl Realtime {
    /// The hub handle plus its task (spawn it with [`hub::HubTask::run`]).
    pub fn new(config: RealtimeConfig, events: EventFeed) -> (Self, hub::HubTask) {
        let kick = Arc::new(Notify::new());
        let (hub, task) = Hub::new(config.max_connections_per_user, kick.clone());
        let delivered = Arc::new(watch::Sender::new(events.released_through()));
        let realtime = Self {
            hub,
            events,
            config,
            kick,
            delivered,
        };
        (realtime, task)
    }

    /// The notifier the domain services signal through.
    pub fn notifier(&self) -> Arc<dyn Notifier> {
        Arc::new(LiveNotifier {
            hub: self.hub.clone(),
            kick: self.kick.clone(),
        })
    }

    /// The sequencer loop (spawn it, after the log is opened): releases
    /// committed events from the log and delivers them, when kicked and
    /// every `relay_every` (which also picks up events written by another
    /// instance, or whose writer crashed before kicking).
    pub fn sequencer(&self, relay_every: Duration) -> impl Future<Output = ()> + use<> {
        sequencer::run(
            self.events.clone(),
            self.hub.clone(),
            self.kick.clone(),
            self.delivered.clone(),
            relay_every,
        )
    }

    /// Returns once every event committed before the call has been
    /// released and handed to the hub (or after [`CATCH_UP_WAIT`]): a
    /// join that then reads the latest seq sees them all, and none of them
    /// reaches it as new.
    ///
    /// # Errors
    /// When the event log can't be read.
    pub async fn caught_up(&self) -> Result<(), domain::RepoError> {
        let written = self.events.written_through().await?;
        let mut delivered = self.delivered.subscribe();
        if *delivered.borrow_and_update() >= written {
            return Ok(());
        }
        self.kick.notify_one();
        let caught_up = delivered.wait_for(|through| *through >= written);
        if tokio::time::timeout(CATCH_UP_WAIT, caught_up)
            .await
            .is_err()
        {
            tracing::debug!(written, "a join went on before the log caught up");
        }
        Ok(())
    }
}

/// Kicks the sequencer and closes revoked sessions' sockets.
struct LiveNotifier {
    hub: Hub,
    kick: Arc<Notify>,
}

impl Notifier for LiveNotifier {
    fn events_written(&self) {
        self.kick.notify_one();
    }

    fn sessions_revoked(&self, user: UserId, which: Revoked) {
        self.hub.revoke(user, which);
    }

    fn agent_token_rotated(&self, agent: AgentId) {
        self.hub.agent_token_rotated(agent);
    }
}
