//! Command storage.

use super::OwnedRepository;
use crate::RepoError;
use crate::model::{AgentId, Command, CommandChange, CommandId, CommandStatus, Timestamp};
use async_trait::async_trait;
use serde_json::Value;

/// The filters of a command list.
#[derive(Debug, Clone, Default)]
pub struct CommandFilter {
    /// Only this agent's commands.
    pub agent: Option<AgentId>,
    /// Only commands with this status.
    pub status: Option<CommandStatus>,
}

/// Stores commands: the shared [`OwnedRepository`] path (a status change
/// is an `update` at the version the state machine read, with its
/// `command.updated` event) and what only commands do. A command's scope
/// is its agent's owner; its agent's deletion deletes it.
#[async_trait]
pub trait CommandRepository:
    OwnedRepository<Entity = Command, Id = CommandId, Change = CommandChange, Filter = CommandFilter>
{
    /// Inserts a command with its `command.created` event.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn create(&self, command: &Command) -> Result<(), RepoError>;

    /// Records the latest progress object: no version bump, no event
    /// (progress is live only).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn set_progress(&self, id: CommandId, progress: &Value) -> Result<(), RepoError>;

    /// The agent's first `limit` unfinished commands (`queued`, `sent`,
    /// `running`), oldest first.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn outstanding(&self, agent: AgentId, limit: u64) -> Result<Vec<Command>, RepoError>;

    /// Up to `limit` commands due for the sweep at `now`: `queued` past
    /// their TTL, or `sent`/`running` past their deadline.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn due(&self, now: Timestamp, limit: u64) -> Result<Vec<Command>, RepoError>;
}
