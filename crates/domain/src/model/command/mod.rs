//! Commands: work a user asks an agent to do. The row is the truth; each
//! status change is one `command.updated` event. [`Command::step`] is the
//! state machine every adapter and service follows.

mod steps;

pub use steps::{CommandChange, CommandStep, Refused};

use super::{AgentId, CommandId, JsonObject, Name, Timestamp, UserId};
use crate::FieldError;
use serde::Serialize;
use serde_json::Value;

/// Longest command name.
pub const MAX_COMMAND_NAME: usize = 64;
/// Allowed `timeout_secs` (default [`DEFAULT_TIMEOUT_SECS`]).
pub const TIMEOUT_SECS: std::ops::RangeInclusive<u32> = 1..=3600;
/// Allowed `ttl_secs` (default [`DEFAULT_TTL_SECS`]).
pub const TTL_SECS: std::ops::RangeInclusive<u32> = 0..=86_400;
/// `timeout_secs` when not given.
pub const DEFAULT_TIMEOUT_SECS: u32 = 60;
/// `ttl_secs` when not given.
pub const DEFAULT_TTL_SECS: u32 = 300;

/// Where a command is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    /// Waiting to be sent.
    Queued,
    /// Sent, not acknowledged.
    Sent,
    /// Acknowledged by the agent.
    Running,
    /// The agent reported success.
    Succeeded,
    /// The agent reported failure.
    Failed,
    /// No result by `deadline_at`.
    TimedOut,
    /// Never delivered within its TTL.
    Expired,
    /// Cancelled by a user.
    Cancelled,
}

impl CommandStatus {
    /// Every status, in the order of the life of a command.
    pub const ALL: [Self; 8] = [
        Self::Queued,
        Self::Sent,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Expired,
        Self::Cancelled,
    ];

    /// The name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Expired => "expired",
            Self::Cancelled => "cancelled",
        }
    }

    /// The status named `raw`, if any.
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Whether nothing can change it any more.
    pub fn is_finished(self) -> bool {
        !matches!(self, Self::Queued | Self::Sent | Self::Running)
    }
}

/// A command as stored and returned; its `Serialize` is the wire form
/// (`Command` of API.md), for the REST body and the event payload alike.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Command {
    /// Identity (UUID v7; orders commands by creation).
    pub id: CommandId,
    /// The agent that runs it.
    pub agent_id: AgentId,
    /// The agent's owner (whose scope the command is in).
    #[serde(skip)]
    pub owner_id: UserId,
    /// What to run: 1–64 of `a–z 0–9 . _ -`.
    pub name: Name,
    /// Its arguments.
    pub args: JsonObject,
    /// Where it is.
    pub status: CommandStatus,
    /// The user who sent it.
    pub created_by: UserId,
    /// Creation time.
    pub created_at: Timestamp,
    /// When it was first sent to the agent.
    pub sent_at: Option<Timestamp>,
    /// When the agent acknowledged it.
    pub acked_at: Option<Timestamp>,
    /// When it reached a final status.
    pub finished_at: Option<Timestamp>,
    /// `sent_at + timeout_secs`: no result by then → `timed_out`.
    pub deadline_at: Option<Timestamp>,
    /// The latest progress object.
    pub progress: Option<Value>,
    /// The agent's result object.
    pub result: Option<Value>,
    /// `{message}` when it failed, timed out, expired or was cancelled.
    pub error: Option<Value>,
    /// How long it may run once sent.
    #[serde(skip)]
    pub timeout_secs: u32,
    /// Still queued then → `expired` (`created_at + ttl_secs`).
    #[serde(skip)]
    pub expires_at: Timestamp,
    /// 1 at creation, +1 on every status change (guards transitions).
    #[serde(skip)]
    pub version: i64,
    /// Last status change.
    #[serde(skip)]
    pub updated_at: Timestamp,
}

/// What a user asks for (`POST /agents/{id}/commands`), validated.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandDraft {
    /// The command name.
    pub name: Name,
    /// Its arguments (`{}` when absent).
    pub args: JsonObject,
    /// Seconds it may run once sent.
    pub timeout_secs: u32,
    /// Seconds it may wait for the agent.
    pub ttl_secs: u32,
}

/// Parses a command name: 1–64 of `a–z 0–9 . _ -`.
///
/// # Errors
/// A [`FieldError`] on `name`.
pub fn command_name(raw: &str) -> Result<Name, FieldError> {
    let valid = (1..=MAX_COMMAND_NAME).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !valid {
        return Err(FieldError::new(
            "name",
            "must be 1-64 characters of a-z, 0-9, '.', '_' and '-'",
        ));
    }
    Name::parse(raw)
}

/// Checks a number of seconds against its range, reported on `field`.
///
/// # Errors
/// A [`FieldError`] on `field` outside `range`.
pub fn seconds_in(
    value: Option<i64>,
    range: &std::ops::RangeInclusive<u32>,
    default: u32,
    field: &str,
) -> Result<u32, FieldError> {
    let Some(value) = value else {
        return Ok(default);
    };
    u32::try_from(value)
        .ok()
        .filter(|v| range.contains(v))
        .ok_or_else(|| FieldError::new(field, format!("must be {}-{}", range.start(), range.end())))
}

impl Command {
    /// A new `queued` command for `agent` (owned by `owner`), sent by
    /// `created_by` at `now`.
    pub fn queued(
        draft: CommandDraft,
        (agent, owner): (AgentId, UserId),
        created_by: UserId,
        now: Timestamp,
    ) -> Self {
        Self {
            id: CommandId::new(),
            agent_id: agent,
            owner_id: owner,
            name: draft.name,
            args: draft.args,
            status: CommandStatus::Queued,
            created_by,
            created_at: now,
            sent_at: None,
            acked_at: None,
            finished_at: None,
            deadline_at: None,
            progress: None,
            result: None,
            error: None,
            timeout_secs: draft.timeout_secs,
            expires_at: now + time::Duration::seconds(i64::from(draft.ttl_secs)),
            version: 1,
            updated_at: now,
        }
    }
}

/// Whether the agent's `capabilities.commands`, when it is an array of
/// names, lists `name` (any name passes when it is no array).
pub fn capable(capabilities: &JsonObject, name: &Name) -> bool {
    match capabilities.as_map().get("commands") {
        Some(Value::Array(names)) => names.iter().any(|n| n.as_str() == Some(name.as_str())),
        _ => true,
    }
}
