//! In-memory [`AgentRepository`]: the generic table, what an agent change
//! does, and tokens and presence.

use super::lock;
use super::owned::{changed, rename};
use super::store::MemoryStore;
use super::table::{InMemory, Rows, Stored};
use crate::RepoError;
use crate::model::{
    Agent, AgentChange, AgentId, AgentStatus, EventKind, MetadataPatch, OwnedResource,
    PatchFailure, Scope, Timestamp, TokenHash,
};
use crate::ports::{AgentFilter, AgentRepository, WriteOutcome};
use async_trait::async_trait;
use serde_json::Value;

/// Agents (with their token hashes) in a map.
pub type InMemoryAgents = InMemory<Agent>;

impl Stored for Agent {
    type Id = AgentId;
    type Change = AgentChange;
    type Filter = AgentFilter;
    type Extra = TokenHash;

    fn rows(store: &MemoryStore) -> &Rows<Self, TokenHash> {
        &store.agents
    }

    fn apply(&mut self, change: &AgentChange) -> Result<(), PatchFailure> {
        self.capabilities = changed(&self.capabilities, &change.capabilities, "capabilities")?;
        self.metadata = changed(&self.metadata, &change.metadata, "metadata")?;
        rename(
            (&mut self.name, &mut self.description),
            (change.name.as_ref(), change.description.as_ref()),
        );
        Ok(())
    }

    fn passes(&self, filter: &AgentFilter) -> bool {
        filter.status.is_none_or(|status| self.status == status)
            && filter
                .metadata
                .iter()
                .all(|metadata| metadata.matches(self.metadata.as_map()))
    }

    fn bump(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = now;
    }
}

#[async_trait]
impl AgentRepository for InMemoryAgents {
    async fn create(&self, agent: &Agent, token: &TokenHash) -> Result<(), RepoError> {
        if lock(&self.0.agents).values().any(|(_, hash)| hash == token) {
            return Err(RepoError::Conflict);
        }
        self.insert(agent, token.clone(), agent.created_at);
        Ok(())
    }

    async fn find_by_token(&self, token: &TokenHash) -> Result<Option<Agent>, RepoError> {
        Ok(lock(&self.0.agents)
            .values()
            .find(|(_, hash)| hash == token)
            .map(|(agent, _)| agent.clone()))
    }

    async fn patch_metadata(
        &self,
        id: AgentId,
        scope: Scope,
        patch: &MetadataPatch,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        Ok(self.write((id, scope, expected, now), |agent| {
            agent.metadata = patch.apply(&agent.metadata)?;
            Ok(())
        }))
    }

    async fn set_token(
        &self,
        id: AgentId,
        scope: Scope,
        token: &TokenHash,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        let mut agents = lock(&self.0.agents);
        if agents
            .iter()
            .any(|(other, (_, hash))| *other != id.0 && hash == token)
        {
            return Err(RepoError::Conflict);
        }
        let Some((agent, hash)) = agents
            .get_mut(&id.0)
            .filter(|(agent, _)| scope.admits(agent.owner_id))
        else {
            return Ok(WriteOutcome::NotFound);
        };
        *hash = token.clone();
        Ok(WriteOutcome::Done(agent.clone()))
    }

    async fn set_online(&self, id: AgentId, now: Timestamp) -> Result<Option<Agent>, RepoError> {
        let mut agents = lock(&self.0.agents);
        let Some((agent, _)) = agents.get_mut(&id.0) else {
            return Ok(None);
        };
        agent.status = AgentStatus::Online;
        agent.connected_at = Some(now);
        agent.last_seen_at = Some(now);
        let agent = agent.clone();
        drop(agents);
        self.0
            .append_event(agent.event(EventKind::AgentOnline), now);
        Ok(Some(agent))
    }

    async fn set_offline(
        &self,
        id: AgentId,
        connected_at: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Option<Agent>, RepoError> {
        let mut agents = lock(&self.0.agents);
        let Some((agent, _)) = agents.get_mut(&id.0).filter(|(a, _)| {
            a.status == AgentStatus::Online
                && connected_at.is_none_or(|at| a.connected_at == Some(at))
        }) else {
            return Ok(None);
        };
        agent.status = AgentStatus::Offline;
        let agent = agent.clone();
        drop(agents);
        self.0
            .append_event(agent.event(EventKind::AgentOffline), now);
        Ok(Some(agent))
    }

    async fn touch(
        &self,
        id: AgentId,
        status: Option<&Value>,
        now: Timestamp,
    ) -> Result<(), RepoError> {
        if let Some((agent, _)) = lock(&self.0.agents).get_mut(&id.0) {
            agent.last_seen_at = Some(now);
            if let Some(status) = status {
                agent.last_status = Some(status.clone());
            }
        }
        Ok(())
    }

    async fn stale_online(&self, before: Timestamp) -> Result<Vec<Agent>, RepoError> {
        Ok(lock(&self.0.agents)
            .values()
            .map(|(agent, _)| agent)
            .filter(|a| {
                a.status == AgentStatus::Online && a.last_seen_at.is_none_or(|t| t < before)
            })
            .cloned()
            .collect())
    }
}
