//! In-memory [`AgentRepository`].

use super::items::compare;
use super::lock;
use super::store::MemoryStore;
use crate::RepoError;
use crate::model::AgentStatus;
use crate::model::{
    Agent, AgentChange, AgentId, Attributes, AttributesChange, MetadataPatch, PatchFailure,
    SortField, Timestamp, TokenHash, merge_patch,
};
use crate::ports::{AgentQuery, AgentRepository, Scope, WriteOutcome};
use crate::services::agent_cursor_value;
use async_trait::async_trait;
use serde_json::Value;
use std::cmp::Ordering;
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

fn visible(agent: &Agent, scope: Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Owner(owner) => agent.owner_id == owner,
    }
}

/// The object `change` makes of `current`, or why it can't.
fn changed(
    current: &Attributes,
    change: &AttributesChange,
    field: &str,
) -> Result<Attributes, PatchFailure> {
    match change {
        AttributesChange::Keep => Ok(current.clone()),
        AttributesChange::Replace(value) => Ok(value.clone()),
        AttributesChange::Merge(patch) => {
            let mut merged = current.to_value();
            merge_patch(&mut merged, &Value::Object(patch.clone()));
            Attributes::parse(merged, field).map_err(PatchFailure::Invalid)
        }
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
        let Some((agent, _)) = agents.get_mut(&id.0).filter(|(a, _)| visible(a, scope)) else {
            return WriteOutcome::NotFound;
        };
        if expected.is_some_and(|version| version != agent.version) {
            return WriteOutcome::VersionMismatch;
        }
        let mut next = agent.clone();
        match write(&mut next) {
            Ok(()) => {}
            Err(PatchFailure::TestFailed) => return WriteOutcome::TestFailed,
            Err(PatchFailure::Invalid(error)) => return WriteOutcome::Invalid(vec![error]),
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
            .filter(|agent| visible(agent, scope))
            .cloned())
    }

    async fn find_by_token(&self, token: &TokenHash) -> Result<Option<Agent>, RepoError> {
        Ok(lock(&self.0.agents)
            .values()
            .find(|(_, hash)| hash == token)
            .map(|(agent, _)| agent.clone()))
    }

    async fn list(&self, query: &AgentQuery) -> Result<Vec<Agent>, RepoError> {
        let field: SortField = query.sort.field;
        let key = |agent: &Agent| (agent_cursor_value(agent, field), agent.id.0);
        let order = |a: &Agent, b: &Agent| {
            let (va, ia) = key(a);
            let (vb, ib) = key(b);
            compare(&va, &vb).then(ia.cmp(&ib))
        };
        let passes = |agent: &Agent| {
            visible(agent, query.scope)
                && query.status.is_none_or(|status| agent.status == status)
                && query
                    .metadata
                    .iter()
                    .all(|filter| filter.matches(agent.metadata.as_map()))
                && query
                    .q
                    .as_ref()
                    .is_none_or(|q| agent.name.as_str().to_lowercase().contains(q.as_str()))
                && query.after.as_ref().is_none_or(|cursor| {
                    let (value, id) = key(agent);
                    let relative = compare(&value, &cursor.value).then(id.cmp(&cursor.id));
                    if query.sort.descending {
                        relative == Ordering::Less
                    } else {
                        relative == Ordering::Greater
                    }
                })
        };
        let mut rows: Vec<Agent> = lock(&self.0.agents)
            .values()
            .map(|(agent, _)| agent)
            .filter(|agent| passes(agent))
            .cloned()
            .collect();
        rows.sort_by(order);
        if query.sort.descending {
            rows.reverse();
        }
        rows.truncate(usize::try_from(query.limit.get() + 1).unwrap_or(usize::MAX));
        Ok(rows)
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
        let Some((agent, hash)) = agents.get_mut(&id.0).filter(|(a, _)| visible(a, scope)) else {
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
        let Some((agent, _)) = agents.get(&id.0).filter(|(a, _)| visible(a, scope)) else {
            return Ok(WriteOutcome::NotFound);
        };
        if expected.is_some_and(|version| version != agent.version) {
            return Ok(WriteOutcome::VersionMismatch);
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
