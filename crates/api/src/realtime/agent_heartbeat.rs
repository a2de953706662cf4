//! Heartbeats on an agent's connection: the latest status is kept in
//! memory and written (`last_status`, `last_seen_at`) at most once per
//! [`PERSIST_EVERY`]; dashboards get a thinned-out live `agent.heartbeat`.

use super::agent::AgentConnection;
use super::bucket::TokenBucket;
use super::frames;
use super::outgoing::{Closed, Outgoing};
use domain::model::{JsonObject, Timestamp};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// Heartbeats and pongs are written to the database at most this often
/// per connection; the latest status is kept in memory meanwhile.
pub const PERSIST_EVERY: Duration = Duration::from_secs(5);

/// What is seen but not yet persisted, and the heartbeat limit.
pub(super) struct Pending {
    /// Heartbeats fanned out to dashboards (`frames_per_second` a second).
    pub(super) bucket: TokenBucket,
    /// Something to write (a heartbeat or a pong).
    pub(super) dirty: bool,
    /// The latest status not yet written.
    pub(super) status: Option<Value>,
    /// When the last write happened.
    pub(super) persisted: Option<Instant>,
}

impl Pending {
    /// Whether a write is allowed now.
    pub(super) fn may_persist(&self) -> bool {
        self.persisted
            .is_none_or(|at| at.elapsed() >= PERSIST_EVERY)
    }
}

/// Writes what is pending (`last_seen_at`, and the latest status).
pub(super) async fn persist(conn: &AgentConnection, pending: &mut Pending) {
    let status = pending.status.take();
    pending.dirty = false;
    pending.persisted = Some(Instant::now());
    if let Err(error) = conn.agents.seen(conn.agent.id, status.as_ref()).await {
        tracing::warn!(%error, agent_id = %conn.agent.id, "could not record a heartbeat");
    }
}

/// A heartbeat: its status is kept for `last_status` and (thinned out)
/// shown to dashboards.
pub(super) async fn heartbeat(
    conn: &AgentConnection,
    session: &mut Outgoing,
    pending: &mut Pending,
    status: Value,
) -> Result<(), Closed> {
    let status = match JsonObject::parse(status, "status") {
        Ok(status) => status.to_value(),
        Err(error) => {
            return session
                .text(frames::error(
                    "bad_request",
                    &format!("status {}", error.message),
                    "heartbeat",
                ))
                .await;
        }
    };
    // Every heartbeat counts for `last_status`; dashboards get at
    // most `frames_per_second` of them a second from one agent.
    if !conn.realtime.config.rate_limit || pending.bucket.take() {
        let data = json!({
            "agent_id": conn.agent.id.0,
            "status": status,
            "last_seen_at": Timestamp::now().to_string(),
        });
        conn.realtime
            .hub
            .agent_live(conn.agent.id, conn.agent.owner_id, "agent.heartbeat", data);
    }
    pending.status = Some(status);
    pending.dirty = true;
    Ok(())
}
