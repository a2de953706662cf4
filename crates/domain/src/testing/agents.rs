//! In-memory [`AgentRepository`].

use super::lock;
use super::owned::{changed, keyset_page, refused, visible, writable};
use super::store::MemoryStore;
use crate::RepoError;
use crate::model::{
    Agent, AgentChange, AgentId, AgentStatus, MetadataPatch, PatchFailure, Timestamp, TokenHash,
};
use crate::ports::{AgentQuery, AgentRepository, Scope, WriteOutcome};
use async_trait::async_trait;
use serde_json::Value;
use std::sync::Arc;

/// Agents (with their token hashes) in a map.
#[derive(Debug, Clone)]
pub struct InMemoryAgents(Arc<MemoryStore>);

impl InMemoryAgents {
    /// Agents kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

impl InMemoryAgents {
    /// Runs `write` on the agent `id` in scope at `expected`, then bumps
    /// its version and logs `agent.updated`.
    fn write(
        &self,
        (id, scope, expected, now): (AgentId, Scope, Option<i64>, Timestamp),
        write: impl FnOnce(&mut Agent) -> Result<(), PatchFailure>,
    ) -> WriteOutcome<Agent> {
        let mut agents = lock(&self.0.agents);
        let agent = match writable(agents.get_mut(&id.0).map(|(a, _)| a), scope, expected) {
            Ok(agent) => agent,
            Err(refusal) => return refusal,
        };
        let mut next = agent.clone();
        if let Err(failure) = write(&mut next) {
            return refused(failure);
        }
        next.version += 1;
        next.updated_at = now;
        *agent = next.clone();
        drop(agents);
        self.0.append_event(next.event("agent.updated"), now);
        WriteOutcome::Done(next)
    }
}

#[async_trait]
impl AgentRepository for InMemoryAgents {
    async fn create(&self, agent: &Agent, token: &TokenHash) -> Result<(), RepoError> {
        let mut agents = lock(&self.0.agents);
        if agents.values().any(|(_, hash)| hash == token) {
            return Err(RepoError::Conflict);
        }
        agents.insert(agent.id.0, (agent.clone(), token.clone()));
        drop(agents);
        self.0
            .append_event(agent.event("agent.created"), agent.created_at);
        Ok(())
    }

    async fn find(&self, id: AgentId, scope: Scope) -> Result<Option<Agent>, RepoError> {
        Ok(lock(&self.0.agents)
            .get(&id.0)
            .map(|(agent, _)| agent)
            .filter(|agent| visible(*agent, scope))
            .cloned())
    }

    async fn find_by_token(&self, token: &TokenHash) -> Result<Option<Agent>, RepoError> {
        Ok(lock(&self.0.agents)
            .values()
            .find(|(_, hash)| hash == token)
            .map(|(agent, _)| agent.clone()))
    }

    async fn list(&self, query: &AgentQuery) -> Result<Vec<Agent>, RepoError> {
        let agents = lock(&self.0.agents);
        Ok(keyset_page(
            agents.values().map(|(agent, _)| agent),
            query.scope,
            query.q.as_ref(),
            query.sort,
            query.limit,
            query.after.as_ref(),
            |agent| {
                query.status.is_none_or(|status| agent.status == status)
                    && query
                        .metadata
                        .iter()
                        .all(|filter| filter.matches(agent.metadata.as_map()))
            },
        ))
    }

    async fn update(
        &self,
        id: AgentId,
        scope: Scope,
        change: &AgentChange,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        Ok(self.write((id, scope, expected, now), |agent| {
            agent.capabilities =
                changed(&agent.capabilities, &change.capabilities, "capabilities")?;
            agent.metadata = changed(&agent.metadata, &change.metadata, "metadata")?;
            if let Some(name) = &change.name {
                agent.name = name.clone();
            }
            if let Some(description) = &change.description {
                agent.description = description.clone();
            }
            Ok(())
        }))
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
            .filter(|(agent, _)| visible(agent, scope))
        else {
            return Ok(WriteOutcome::NotFound);
        };
        *hash = token.clone();
        Ok(WriteOutcome::Done(agent.clone()))
    }

    async fn delete(
        &self,
        id: AgentId,
        scope: Scope,
        expected: Option<i64>,
    ) -> Result<WriteOutcome<Agent>, RepoError> {
        let mut agents = lock(&self.0.agents);
        if let Err(refusal) = writable(agents.get(&id.0).map(|(a, _)| a), scope, expected) {
            return Ok(refusal);
        }
        let Some((removed, _)) = agents.remove(&id.0) else {
            return Ok(WriteOutcome::NotFound);
        };
        drop(agents);
        let at = Timestamp::now().max(removed.updated_at);
        self.0.append_event(removed.event("agent.deleted"), at);
        Ok(WriteOutcome::Done(removed))
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
        self.0.append_event(agent.event("agent.online"), now);
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
        self.0.append_event(agent.event("agent.offline"), now);
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
