//! In-memory [`CommandRepository`]: the generic table, and what only
//! commands do.

use super::lock;
use super::store::MemoryStore;
use super::table::{InMemory, Rows, Stored};
use crate::RepoError;
use crate::model::{
    AgentId, Command, CommandChange, CommandId, CommandStatus, PatchFailure, Timestamp,
};
use crate::ports::{CommandFilter, CommandRepository};
use async_trait::async_trait;
use serde_json::Value;

/// Commands in a map.
pub type InMemoryCommands = InMemory<Command>;

impl Stored for Command {
    type Id = CommandId;
    type Change = CommandChange;
    type Filter = CommandFilter;
    type Extra = ();

    fn rows(store: &MemoryStore) -> &Rows<Self, ()> {
        &store.commands
    }

    fn apply(&mut self, change: &CommandChange) -> Result<(), PatchFailure> {
        change.apply(self);
        Ok(())
    }

    fn passes(&self, filter: &CommandFilter) -> bool {
        filter.agent.is_none_or(|a| a == self.agent_id)
            && filter.status.is_none_or(|s| s == self.status)
    }

    fn bump(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = now;
    }
}

impl InMemoryCommands {
    /// The commands passing `keep`, oldest first, at most `limit`.
    fn oldest(&self, limit: u64, keep: impl Fn(&Command) -> bool) -> Vec<Command> {
        let mut rows: Vec<Command> = lock(&self.0.commands)
            .values()
            .map(|(c, ())| c)
            .filter(|c| keep(c))
            .cloned()
            .collect();
        rows.sort_by_key(|c| (c.created_at, c.id));
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        rows
    }
}

#[async_trait]
impl CommandRepository for InMemoryCommands {
    async fn create(&self, command: &Command) -> Result<(), RepoError> {
        self.insert(command, (), command.created_at);
        Ok(())
    }

    async fn set_progress(&self, id: CommandId, progress: &Value) -> Result<(), RepoError> {
        if let Some((command, ())) = lock(&self.0.commands).get_mut(&id.0) {
            command.progress = Some(progress.clone());
        }
        Ok(())
    }

    async fn outstanding(&self, agent: AgentId, limit: u64) -> Result<Vec<Command>, RepoError> {
        Ok(self.oldest(limit, |c| c.agent_id == agent && !c.status.is_finished()))
    }

    async fn due(&self, now: Timestamp, limit: u64) -> Result<Vec<Command>, RepoError> {
        Ok(self.oldest(limit, |c| match c.status {
            CommandStatus::Queued => c.expires_at <= now,
            CommandStatus::Sent | CommandStatus::Running => {
                c.deadline_at.is_some_and(|at| at <= now)
            }
            _ => false,
        }))
    }
}
