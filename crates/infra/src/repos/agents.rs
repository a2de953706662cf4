//! [`AgentRepository`] on SeaORM: one atomic `UPDATE … RETURNING` per
//! change (merges done by the database), JSON Patch applied in Rust under a
//! row lock, and each change's event appended in the same transaction.

use super::agent_sql;
use super::rows::{fetch_all, fetch_one};
use super::sql::Sql;
use super::writes::{self, Conditional};
use super::{begin_write, conflict_or_unexpected, event_sql, unexpected};
use crate::Db;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{
    Agent, AgentChange, AgentId, MetadataPatch, NewEvent, PatchFailure, Timestamp, TokenHash,
};
use domain::ports::{AgentQuery, AgentRepository, Scope, WriteOutcome};
use sea_orm::{ConnectionTrait, DbBackend};
use serde_json::Value;

/// The event a successful conditional write appends: `kind` at `at`, or
/// (`None`) now but never before the agent's last update.
fn announce(
    kind: &'static str,
    at: Option<Timestamp>,
) -> impl FnOnce(&Agent) -> Option<(NewEvent, Timestamp)> {
    move |agent| {
        let at = at.unwrap_or_else(|| Timestamp::now().max(agent.updated_at));
        Some((agent.event(kind), at))
    }
}

/// Agents in the `agents` table.
#[derive(Debug, Clone)]
pub struct SeaAgents {
    db: Db,
}

impl SeaAgents {
    /// Agents stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The database's backend, which the SQL is written for.
    fn backend(&self) -> DbBackend {
        self.db.connection().get_database_backend()
    }

    /// `statement`, a conditional write of the agent `id` in `scope` that
    /// requires version `expected` (if any).
    fn conditional(
        &self,
        statement: Sql,
        (id, scope, expected): (AgentId, Scope, Option<i64>),
        context: &'static str,
    ) -> Conditional {
        Conditional {
            statement,
            exists: agent_sql::exists(self.backend(), id, scope),
            expected,
            context,
        }
    }
}

#[async_trait]
impl AgentRepository for SeaAgents {
    #[tracing::instrument(name = "agents.create", skip_all, fields(agent_id = %agent.id))]
    async fn create(&self, agent: &Agent, token: &TokenHash) -> Result<(), RepoError> {
        let context = "inserting an agent";
        writes::insert_with_event(
            self.db.connection(),
            agent_sql::insert(self.backend(), agent, token),
            (&agent.event("agent.created"), agent.created_at),
            conflict_or_unexpected(context),
            context,
        )
        .await
    }

    #[tracing::instrument(name = "agents.find", skip_all, fields(agent_id = %id))]
    async fn find(&self, id: AgentId, scope: Scope) -> Result<Option<Agent>, RepoError> {
        fetch_one(
            self.db.connection(),
            agent_sql::select(self.backend(), id, scope, false),
            agent_sql::valid_agent,
            "loading an agent",
        )
        .await
    }

    #[tracing::instrument(name = "agents.find_by_token", skip_all)]
    async fn find_by_token(&self, token: &TokenHash) -> Result<Option<Agent>, RepoError> {
        fetch_one(
            self.db.connection(),
            agent_sql::select_by_token(self.backend(), token),
            agent_sql::valid_agent,
            "loading an agent by token",
        )
        .await
    }

    #[tracing::instrument(name = "agents.list", skip_all)]
    async fn list(&self, query: &AgentQuery) -> Result<Vec<Agent>, RepoError> {
        let Some(sql) = agent_sql::list(self.backend(), query) else {
            // A cursor of another sort column matches nothing.
            return Ok(Vec::new());
        };
        fetch_all(
            self.db.connection(),
            sql,
            agent_sql::valid_agent,
            "listing agents",
        )
        .await
    }

    #[tracing::instrument(name = "agents.update", skip_all, fields(agent_id = %id))]
    async fn update(
        &self,
        id: AgentId,
        scope: Scope,
        change: &AgentChange,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        let write = self.conditional(
            agent_sql::update(self.backend(), (id, scope), change, expected, now),
            (id, scope, expected),
            "updating an agent",
        );
        writes::run(
            self.db.connection(),
            write,
            agent_sql::agent,
            announce("agent.updated", Some(now)),
        )
        .await
    }

    #[tracing::instrument(name = "agents.patch_metadata", skip_all, fields(agent_id = %id))]
    async fn patch_metadata(
        &self,
        id: AgentId,
        scope: Scope,
        patch: &MetadataPatch,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        let context = "patching an agent's metadata";
        let backend = self.backend();
        // `BEGIN IMMEDIATE` on SQLite holds the write lock from here on;
        // `FOR UPDATE` on PostgreSQL locks the row until commit.
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let current = fetch_one(
            &txn,
            agent_sql::select(backend, id, scope, true),
            agent_sql::valid_agent,
            context,
        )
        .await?;
        let outcome = match current {
            None => WriteOutcome::NotFound,
            Some(agent) if expected.is_some_and(|v| v != agent.version) => {
                WriteOutcome::VersionMismatch
            }
            Some(agent) => match patch.apply(&agent.metadata) {
                Err(PatchFailure::TestFailed) => WriteOutcome::TestFailed,
                Err(PatchFailure::Invalid(error)) => WriteOutcome::Invalid(vec![error]),
                Ok(metadata) => {
                    let write = self.conditional(
                        agent_sql::set_metadata(backend, id, &metadata, now),
                        (id, scope, expected),
                        context,
                    );
                    let announce = announce("agent.updated", Some(now));
                    return writes::settle(txn, write, agent_sql::agent, announce).await;
                }
            },
        };
        txn.rollback().await.map_err(unexpected(context))?;
        Ok(outcome)
    }

    #[tracing::instrument(name = "agents.set_token", skip_all, fields(agent_id = %id))]
    async fn set_token(
        &self,
        id: AgentId,
        scope: Scope,
        token: &TokenHash,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        let row = self
            .db
            .connection()
            .query_one_raw(agent_sql::set_token(self.backend(), id, scope, token).build())
            .await
            .map_err(conflict_or_unexpected("replacing an agent's token"))?;
        Ok(match row {
            Some(row) => WriteOutcome::Done(agent_sql::valid_agent(&row, self.backend())?),
            None => WriteOutcome::NotFound,
        })
    }

    #[tracing::instrument(name = "agents.delete", skip_all, fields(agent_id = %id))]
    async fn delete(
        &self,
        id: AgentId,
        scope: Scope,
        expected: Option<i64>,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        let write = self.conditional(
            agent_sql::delete(self.backend(), id, scope, expected),
            (id, scope, expected),
            "deleting an agent",
        );
        writes::run(
            self.db.connection(),
            write,
            agent_sql::agent,
            announce("agent.deleted", None),
        )
        .await
    }

    #[tracing::instrument(name = "agents.set_online", skip_all, fields(agent_id = %id))]
    async fn set_online(&self, id: AgentId, now: Timestamp) -> Result<Option<Agent>, RepoError> {
        self.presence(
            agent_sql::set_online(self.backend(), id, now),
            "agent.online",
            now,
        )
        .await
    }

    #[tracing::instrument(name = "agents.set_offline", skip_all, fields(agent_id = %id))]
    async fn set_offline(
        &self,
        id: AgentId,
        connected_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<Agent>, RepoError> {
        self.presence(
            agent_sql::set_offline(self.backend(), id, connected_at),
            "agent.offline",
            now,
        )
        .await
    }

    #[tracing::instrument(name = "agents.touch", skip_all, fields(agent_id = %id))]
    async fn touch(
        &self,
        id: AgentId,
        status: Option<&Value>,
        now: Timestamp,
    ) -> Result<(), RepoError> {
        self.db
            .connection()
            .execute_raw(agent_sql::touch(self.backend(), id, status, now).build())
            .await
            .map(drop)
            .map_err(unexpected("recording a heartbeat"))
    }

    #[tracing::instrument(name = "agents.stale_online", skip_all)]
    async fn stale_online(&self, before: Timestamp) -> Result<Vec<Agent>, RepoError> {
        fetch_all(
            self.db.connection(),
            agent_sql::stale_online(self.backend(), before),
            agent_sql::valid_agent,
            "listing stale agents",
        )
        .await
    }
}

impl SeaAgents {
    /// Runs a presence `UPDATE … RETURNING` and, when it changed a row,
    /// appends `kind` in the same transaction.
    async fn presence(
        &self,
        statement: Sql,
        kind: &'static str,
        now: Timestamp,
    ) -> Result<Option<Agent>, RepoError> {
        let context = "changing an agent's presence";
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let row = txn
            .query_one_raw(statement.build())
            .await
            .map_err(unexpected(context))?;
        let Some(row) = row else {
            txn.rollback().await.map_err(unexpected(context))?;
            return Ok(None);
        };
        let agent = agent_sql::valid_agent(&row, self.backend())?;
        let at = now.max(agent.updated_at);
        event_sql::append(&txn, &agent.event(kind), at)
            .await
            .map_err(unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))?;
        Ok(Some(agent))
    }
}
