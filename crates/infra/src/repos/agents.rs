//! [`AgentRepository`] on SeaORM: the shared owned-resource path over the
//! `agents` table description ([`SeaTable`]), plus what only agents do —
//! JSON Patch applied in Rust under a row lock, tokens, presence — each
//! change's event appended in the same transaction.

use super::agent_sql;
use super::rows::{fetch_all, fetch_one};
use super::sql::Sql;
use super::table::{self, OwnedTable, SeaTable};
use super::writes;
use super::{begin_write, conflict_or_unexpected, event_sql, unexpected};
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{
    Agent, AgentId, EventKind, MetadataPatch, OwnedResource, PatchFailure, Scope, Timestamp,
    TokenHash,
};
use domain::ports::{AgentRepository, WriteOutcome};
use sea_orm::ConnectionTrait;
use serde_json::Value;

/// Agents in the `agents` table.
pub type SeaAgents = SeaTable<Agent>;

#[async_trait]
impl AgentRepository for SeaAgents {
    #[tracing::instrument(name = "agents.create", skip_all, fields(agent_id = %agent.id))]
    async fn create(&self, agent: &Agent, token: &TokenHash) -> Result<(), RepoError> {
        let context = "inserting an agent";
        writes::insert_with_event(
            self.db.connection(),
            agent_sql::insert(self.backend(), agent, token),
            (&agent.event(Agent::CREATED), agent.created_at),
            conflict_or_unexpected(context),
            context,
        )
        .await
    }

    #[tracing::instrument(name = "agents.find_by_token", skip_all)]
    async fn find_by_token(&self, token: &TokenHash) -> Result<Option<Agent>, RepoError> {
        fetch_one(
            self.db.connection(),
            agent_sql::select_by_token(self.backend(), token),
            table::valid::<Agent>,
            "loading an agent by token",
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
            table::select_one::<Agent>(backend, id, scope, true),
            table::valid::<Agent>,
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
                    let write = table::conditional::<Agent>(
                        backend,
                        agent_sql::set_metadata(backend, id, &metadata, now),
                        (id.0, scope, expected),
                        context,
                    );
                    let announce = |agent: &Agent| (agent.event(Agent::UPDATED), now);
                    return writes::settle(txn, write, Agent::read, announce).await;
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
            Some(row) => WriteOutcome::Done(table::valid::<Agent>(&row, self.backend())?),
            None => WriteOutcome::NotFound,
        })
    }

    #[tracing::instrument(name = "agents.set_online", skip_all, fields(agent_id = %id))]
    async fn set_online(&self, id: AgentId, now: Timestamp) -> Result<Option<Agent>, RepoError> {
        self.presence(
            agent_sql::set_online(self.backend(), id, now),
            EventKind::AgentOnline,
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
            EventKind::AgentOffline,
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
            table::valid::<Agent>,
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
        kind: EventKind,
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
        let agent = table::valid::<Agent>(&row, self.backend())?;
        let at = now.max(agent.updated_at);
        event_sql::append(&txn, &agent.event(kind), at)
            .await
            .map_err(unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))?;
        Ok(Some(agent))
    }
}
