//! Housekeeping: prunes dead sessions, expired idempotency records and
//! OAuth states, and events past retention, sets `offline` the agents left `online` by a
//! crashed process, and expires and times out agent commands.

use domain::model::Stream;
use domain::ports::{Clock, EventLog, PendingLoginStore, SessionRepository};
use domain::services::{AgentService, CommandService, IdempotencyService};
use std::sync::Arc;
use std::time::Duration;

/// How often the janitor runs.
pub const INTERVAL: Duration = Duration::from_secs(600);

/// How long revoked or expired sessions are kept before deletion (so a
/// late reuse of their refresh tokens still meets a revoked session).
pub const KEEP_DEAD: time::Duration = time::Duration::days(1);

/// An online agent not seen for the idle timeout plus this long has no
/// live connection anywhere: a live one refreshes `last_seen_at` at least
/// every few seconds (heartbeats and pongs, coalesced).
pub const AGENT_GRACE: Duration = Duration::from_secs(10);

/// How often commands past their TTL or deadline are finished (so a
/// command times out at most this long after its `deadline_at`).
pub const COMMAND_SWEEP: Duration = Duration::from_secs(1);

/// What the janitor cleans.
pub struct Janitor {
    /// Sessions.
    pub sessions: Arc<dyn SessionRepository>,
    /// Idempotency records.
    pub idempotency: IdempotencyService,
    /// Pending OAuth authorization requests.
    pub pending_logins: Arc<dyn PendingLoginStore>,
    /// The event log.
    pub events: Arc<dyn EventLog>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Events older than this are pruned (`EVENT_RETENTION_HOURS`).
    pub event_retention: Duration,
    /// Each stream keeps at most this many (`EVENT_RETENTION_PER_ROOM`).
    pub events_per_stream: u64,
    /// Agents (stale presence).
    pub agents: AgentService,
    /// Online agents not seen for this long are set `offline`.
    pub agent_silence: Duration,
    /// Commands (TTLs and deadlines).
    pub commands: CommandService,
}

impl Janitor {
    /// Runs forever: the cleaning every [`INTERVAL`], and the stale-agent
    /// check every half `agent_silence` (so a crashed instance's agents
    /// turn offline within about 1.5 × `agent_silence`); both first at
    /// start-up; commands every [`COMMAND_SWEEP`]. Failures are logged and
    /// retried next round. Deleting, marking stale agents offline and
    /// finishing due commands are idempotent (a command's change is
    /// conditional on its version), so several instances running them at
    /// once is harmless.
    pub async fn run(self) {
        let mut cleaning = tokio::time::interval(INTERVAL);
        let mut presence =
            tokio::time::interval((self.agent_silence / 2).max(Duration::from_secs(1)));
        let mut commands = tokio::time::interval(COMMAND_SWEEP);
        commands.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = cleaning.tick() => self.sweep().await,
                _ = presence.tick() => self.sweep_agents().await,
                _ = commands.tick() => {
                    report("due commands", self.commands.sweep().await);
                }
            }
        }
    }

    /// Sets agents `offline` whose connection went silent without a close
    /// (their instance crashed).
    pub async fn sweep_agents(&self) {
        report(
            "stale online agents",
            self.agents.sweep_stale(self.agent_silence).await,
        );
    }

    /// One round of cleaning.
    pub async fn sweep(&self) {
        let now = self.clock.now();
        report("dead sessions", self.sessions.prune(now - KEEP_DEAD).await);
        report("idempotency records", self.idempotency.prune().await);
        report("expired OAuth states", self.pending_logins.prune(now).await);
        let retention =
            time::Duration::try_from(self.event_retention).unwrap_or(time::Duration::MAX);
        for stream in [Stream::Items, Stream::Agents] {
            let pruned = self
                .events
                .prune(stream, now - retention, self.events_per_stream)
                .await;
            report("events", pruned);
        }
    }
}

fn report<E: std::fmt::Display>(what: &str, outcome: Result<u64, E>) {
    match outcome {
        Ok(0) => {}
        Ok(pruned) => tracing::info!(pruned, "janitor pruned {what}"),
        Err(error) => tracing::warn!(%error, "janitor could not prune {what}"),
    }
}
