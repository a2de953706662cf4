//! Agent storage.

use super::{OwnedRepository, WriteOutcome};
use crate::RepoError;
use crate::model::{
    Agent, AgentChange, AgentId, AgentStatus, MetadataFilter, MetadataPatch, Scope, Timestamp,
    TokenHash,
};
use async_trait::async_trait;
use serde_json::Value;

/// The filters only agents have.
#[derive(Debug, Clone, Default)]
pub struct AgentFilter {
    /// Only agents with this status.
    pub status: Option<AgentStatus>,
    /// Every filter must match (AND).
    pub metadata: Vec<MetadataFilter>,
}

/// Stores agents and their token hashes: the shared [`OwnedRepository`]
/// path and what only agents do. Every write but a token change or a
/// heartbeat also appends its event to the event log in the same
/// transaction.
#[async_trait]
pub trait AgentRepository:
    OwnedRepository<Entity = Agent, Id = AgentId, Change = AgentChange, Filter = AgentFilter>
{
    /// Inserts an agent with the hash of its token.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the token hash is taken (never, for a
    /// random token); else [`RepoError::Unexpected`].
    async fn create(&self, agent: &Agent, token: &TokenHash) -> Result<(), RepoError>;

    /// The agent whose current token hashes to `token` (agent connections).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find_by_token(&self, token: &TokenHash) -> Result<Option<Agent>, RepoError>;

    /// Applies a JSON Patch to the metadata with the row locked for the
    /// whole read-apply-write (no lost update), bumping `version`. A failed
    /// `test` is [`WriteOutcome::TestFailed`], any other failure
    /// [`WriteOutcome::Invalid`]; either way nothing is written.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn patch_metadata(
        &self,
        id: AgentId,
        scope: Scope,
        patch: &MetadataPatch,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Agent>, RepoError>;

    /// Replaces the token hash (the old token stops working at once). The
    /// agent as returned is unchanged: no version bump, no event.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the hash is taken; else
    /// [`RepoError::Unexpected`].
    async fn set_token(
        &self,
        id: AgentId,
        scope: Scope,
        token: &TokenHash,
    ) -> Result<WriteOutcome<Agent>, RepoError>;

    /// Marks the agent `online`, with `connected_at` and `last_seen_at` at
    /// `now`, and appends `agent.online` in the same transaction. No version
    /// bump. `None` when the agent is gone.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn set_online(&self, id: AgentId, now: Timestamp) -> Result<Option<Agent>, RepoError>;

    /// Marks the agent `offline` (appending `agent.offline` in the same
    /// transaction) if it is `online` and — when given — its `connected_at`
    /// is still `connected_at` (a newer connection is left alone). `None`
    /// when nothing changed.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn set_offline(
        &self,
        id: AgentId,
        connected_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<Agent>, RepoError>;

    /// Records a heartbeat: `last_seen_at` = `now`, and `last_status` when
    /// given. No version bump, no event (heartbeats are live only).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn touch(
        &self,
        id: AgentId,
        status: Option<&Value>,
        now: Timestamp,
    ) -> Result<(), RepoError>;

    /// The `online` agents last seen before `before` (or never).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn stale_online(&self, before: Timestamp) -> Result<Vec<Agent>, RepoError>;
}
