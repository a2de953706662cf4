//! The command state machine: which step may happen in which status, and
//! what it changes.
//!
//! ```text
//! queued ──send──▶ sent ──ack──▶ running ──result──▶ succeeded | failed
//!   │               │  └─────────result────────────▶ succeeded | failed
//!   │               └──── past deadline_at (sent or running) ──▶ timed_out
//!   ├── past expires_at ──▶ expired
//!   └── cancel (queued, sent or running) ──▶ cancelled
//! ```

use super::{Command, CommandStatus};
use crate::model::Timestamp;
use serde_json::{Value, json};

/// Something that happens to a command.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandStep {
    /// It is handed to the agent's connection.
    Send,
    /// The agent acknowledged it.
    Ack,
    /// The agent reported its result.
    Finish {
        /// Success or failure.
        ok: bool,
        /// The result object (success).
        data: Option<Value>,
        /// `{message}` (failure).
        error: Option<Value>,
    },
    /// A user cancelled it.
    Cancel,
    /// The sweep found it queued past its TTL.
    Expire,
    /// The sweep found it unfinished past its deadline.
    TimeOut,
}

/// Why a step changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The command is finished: nothing changes it any more.
    Finished,
    /// The step does not apply in this status (or is not due yet).
    NotApplicable,
}

/// The fields a step sets (`None`: unchanged).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommandChange {
    /// The new status.
    pub status: Option<CommandStatus>,
    /// `sent_at`.
    pub sent_at: Option<Timestamp>,
    /// `deadline_at`.
    pub deadline_at: Option<Timestamp>,
    /// `acked_at`.
    pub acked_at: Option<Timestamp>,
    /// `finished_at`.
    pub finished_at: Option<Timestamp>,
    /// `result`.
    pub result: Option<Value>,
    /// `error`.
    pub error: Option<Value>,
}

impl CommandChange {
    fn finished(status: CommandStatus, now: Timestamp, message: &str) -> Self {
        Self {
            status: Some(status),
            finished_at: Some(now),
            error: Some(json!({ "message": message })),
            ..Self::default()
        }
    }

    /// Applies the change to `command` (what the adapters store).
    pub fn apply(&self, command: &mut Command) {
        if let Some(status) = self.status {
            command.status = status;
        }
        let times = [
            (&mut command.sent_at, self.sent_at),
            (&mut command.deadline_at, self.deadline_at),
            (&mut command.acked_at, self.acked_at),
            (&mut command.finished_at, self.finished_at),
        ];
        for (field, value) in times {
            if value.is_some() {
                *field = value;
            }
        }
        if self.result.is_some() {
            command.result.clone_from(&self.result);
        }
        if self.error.is_some() {
            command.error.clone_from(&self.error);
        }
    }
}

impl Command {
    /// What `step` at `now` changes.
    ///
    /// # Errors
    /// [`Refused::Finished`] when the command is finished,
    /// [`Refused::NotApplicable`] when the step has no effect in its status.
    pub fn step(&self, step: &CommandStep, now: Timestamp) -> Result<CommandChange, Refused> {
        use CommandStatus::{Queued, Running, Sent};
        if self.status.is_finished() {
            return Err(Refused::Finished);
        }
        let change = match (step, self.status) {
            (CommandStep::Send, Queued) => CommandChange {
                status: Some(Sent),
                sent_at: Some(now),
                deadline_at: Some(now + time::Duration::seconds(i64::from(self.timeout_secs))),
                ..CommandChange::default()
            },
            (CommandStep::Ack, Sent) => CommandChange {
                status: Some(Running),
                acked_at: Some(now),
                ..CommandChange::default()
            },
            (CommandStep::Finish { ok, data, error }, Sent | Running) => CommandChange {
                status: Some(if *ok {
                    CommandStatus::Succeeded
                } else {
                    CommandStatus::Failed
                }),
                finished_at: Some(now),
                result: data.clone(),
                error: error.clone(),
                ..CommandChange::default()
            },
            (CommandStep::Cancel, _) => {
                CommandChange::finished(CommandStatus::Cancelled, now, "cancelled")
            }
            (CommandStep::Expire, Queued) if now >= self.expires_at => CommandChange::finished(
                CommandStatus::Expired,
                now,
                "the agent did not connect within ttl_secs",
            ),
            (CommandStep::TimeOut, Sent | Running)
                if self.deadline_at.is_some_and(|at| now >= at) =>
            {
                CommandChange::finished(
                    CommandStatus::TimedOut,
                    now,
                    "no result before deadline_at",
                )
            }
            _ => return Err(Refused::NotApplicable),
        };
        Ok(change)
    }
}
