//! [`CommandRepository`] on SeaORM: the shared owned-resource path over the
//! `commands` table description ([`SeaTable`]) — a status change is its
//! conditional update with `command.updated` in the same transaction —
//! plus the insert with `command.created`, progress and the reads of
//! delivery and the sweep.

use super::command_sql;
use super::rows::fetch_all;
use super::table::{self, SeaTable};
use super::{unexpected, writes};
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{AgentId, Command, CommandId, OwnedResource, Timestamp};
use domain::ports::CommandRepository;
use sea_orm::ConnectionTrait;
use serde_json::Value;

/// Commands in the `commands` table.
pub type SeaCommands = SeaTable<Command>;

#[async_trait]
impl CommandRepository for SeaCommands {
    #[tracing::instrument(name = "commands.create", skip_all, fields(command_id = %command.id))]
    async fn create(&self, command: &Command) -> Result<(), RepoError> {
        let context = "inserting a command";
        writes::insert_with_event(
            self.db.connection(),
            command_sql::insert(self.backend(), command),
            (&command.event(Command::CREATED), command.created_at),
            unexpected(context),
            context,
        )
        .await
    }

    #[tracing::instrument(name = "commands.set_progress", skip_all, fields(command_id = %id))]
    async fn set_progress(&self, id: CommandId, progress: &Value) -> Result<(), RepoError> {
        self.db
            .connection()
            .execute_raw(command_sql::set_progress(self.backend(), id, progress).build())
            .await
            .map(drop)
            .map_err(unexpected("recording a command's progress"))
    }

    #[tracing::instrument(name = "commands.outstanding", skip_all, fields(agent_id = %agent))]
    async fn outstanding(&self, agent: AgentId, limit: u64) -> Result<Vec<Command>, RepoError> {
        fetch_all(
            self.db.connection(),
            command_sql::outstanding(self.backend(), agent, limit),
            table::valid::<Command>,
            "listing an agent's outstanding commands",
        )
        .await
    }

    #[tracing::instrument(name = "commands.due", skip_all)]
    async fn due(&self, now: Timestamp, limit: u64) -> Result<Vec<Command>, RepoError> {
        fetch_all(
            self.db.connection(),
            command_sql::due(self.backend(), now, limit),
            table::valid::<Command>,
            "listing commands due for the sweep",
        )
        .await
    }
}
