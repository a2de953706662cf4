//! Agents: ownership, versions, tokens, metadata patches and filtered lists.

use super::Ports;
use super::owned::{page, scope, settled, written};
use crate::ServiceError;
use crate::model::{
    Agent, AgentChange, AgentDraft, AgentId, AgentStatus, AgentToken, Cursor, Limit,
    MetadataFilter, MetadataPatch, Page, Principal, SearchText, SortField, SortKey, Timestamp,
};
use crate::ports::AgentQuery;
use serde_json::Value;

/// A page request over the caller's agents (every agent for an admin).
#[derive(Debug, Clone)]
pub struct AgentListQuery {
    /// Only agents with this status.
    pub status: Option<AgentStatus>,
    /// `metadata.<key>=<value>` filters, all of which must match.
    pub metadata: Vec<MetadataFilter>,
    /// Substring of the name.
    pub q: Option<SearchText>,
    /// Order.
    pub sort: SortKey,
    /// Page size.
    pub limit: Limit,
    /// Continue after this cursor's row.
    pub after: Option<Cursor>,
}

/// The sorts agents may be listed by.
pub const AGENT_SORTS: &[SortField] =
    &[SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];

/// Agent use cases. As with items, a user sees and changes only their own
/// agents (another's is "not found", never "forbidden"); an admin sees and
/// changes all.
#[derive(Clone)]
pub struct AgentService {
    ports: Ports,
}

impl AgentService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Registers an agent owned by the caller, offline, at version 1, and
    /// returns it with its token — the only time the token is shown.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn create(
        &self,
        principal: &Principal,
        draft: AgentDraft,
    ) -> Result<(Agent, AgentToken), ServiceError> {
        let now = self.ports.clock.now();
        let agent = Agent {
            id: AgentId::new(),
            owner_id: principal.user_id,
            name: draft.name,
            description: draft.description,
            status: AgentStatus::Offline,
            capabilities: draft.capabilities,
            metadata: draft.metadata,
            last_status: None,
            version: 1,
            last_seen_at: None,
            connected_at: None,
            created_at: now,
            updated_at: now,
        };
        let token = AgentToken::generate();
        self.ports.agents.create(&agent, &token.hash()).await?;
        self.ports.notifier.events_written();
        Ok((agent, token))
    }

    /// One agent the caller may see.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when absent or someone else's.
    pub async fn get(&self, principal: &Principal, id: AgentId) -> Result<Agent, ServiceError> {
        self.ports
            .agents
            .find(id, scope(principal))
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A page of the agents the caller may see that pass the filters.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn list(
        &self,
        principal: &Principal,
        query: AgentListQuery,
    ) -> Result<Page<Agent>, ServiceError> {
        let rows = self
            .ports
            .agents
            .list(&AgentQuery {
                scope: scope(principal),
                status: query.status,
                metadata: query.metadata,
                q: query.q.clone(),
                sort: query.sort,
                limit: query.limit,
                after: query.after,
            })
            .await?;
        Ok(page(rows, query.sort, query.q.as_ref(), query.limit))
    }

    /// Changes an agent (merges of `capabilities` and `metadata` happen in
    /// the database), if its version is `expected` when given.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::PreconditionFailed`], or
    /// [`ServiceError::Invalid`] when a merged object breaks a limit.
    pub async fn update(
        &self,
        principal: &Principal,
        id: AgentId,
        change: AgentChange,
        expected: Option<i64>,
    ) -> Result<Agent, ServiceError> {
        let now = self.ports.clock.now();
        let outcome = self
            .ports
            .agents
            .update(id, scope(principal), &change, expected, now)
            .await?;
        written(&self.ports, outcome)
    }

    /// Applies a JSON Patch (RFC 6902) to the metadata: all operations or
    /// none.
    ///
    /// # Errors
    /// [`ServiceError::Conflict`] when a `test` fails,
    /// [`ServiceError::Invalid`] for a bad target or result,
    /// [`ServiceError::NotFound`], [`ServiceError::PreconditionFailed`].
    pub async fn patch_metadata(
        &self,
        principal: &Principal,
        id: AgentId,
        patch: MetadataPatch,
        expected: Option<i64>,
    ) -> Result<Agent, ServiceError> {
        let now = self.ports.clock.now();
        let outcome = self
            .ports
            .agents
            .patch_metadata(id, scope(principal), &patch, expected, now)
            .await?;
        written(&self.ports, outcome)
    }

    /// Gives the agent a new token: the old one stops working at once and
    /// the live connection that used it is closed.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when absent or someone else's.
    pub async fn rotate_token(
        &self,
        principal: &Principal,
        id: AgentId,
    ) -> Result<(Agent, AgentToken), ServiceError> {
        let token = AgentToken::generate();
        let outcome = self
            .ports
            .agents
            .set_token(id, scope(principal), &token.hash())
            .await?;
        let agent = settled(outcome)?;
        self.ports.notifier.agent_token_rotated(agent.id);
        Ok((agent, token))
    }

    /// Deletes an agent, if its version is `expected` when given.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] or [`ServiceError::PreconditionFailed`].
    pub async fn delete(
        &self,
        principal: &Principal,
        id: AgentId,
        expected: Option<i64>,
    ) -> Result<Agent, ServiceError> {
        let outcome = self
            .ports
            .agents
            .delete(id, scope(principal), expected)
            .await?;
        let agent = written(&self.ports, outcome)?;
        // Its connection, if any, holds a token that no longer exists.
        self.ports.notifier.agent_token_rotated(agent.id);
        Ok(agent)
    }

    /// The agent whose current token is `token` (agent connections).
    ///
    /// # Errors
    /// [`ServiceError::Unauthorized`] for an unknown token.
    pub async fn authenticate(&self, token: &str) -> Result<Agent, ServiceError> {
        let hash = AgentToken::from_client(token).hash();
        self.ports
            .agents
            .find_by_token(&hash)
            .await?
            .ok_or(ServiceError::Unauthorized)
    }

    /// The agent connected: `online` with `agent.online`. `None` when it
    /// was deleted meanwhile.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn connected(&self, id: AgentId) -> Result<Option<Agent>, ServiceError> {
        let now = self.ports.clock.now();
        let agent = self.ports.agents.set_online(id, now).await?;
        self.ports.notifier.events_written();
        Ok(agent)
    }

    /// The connection opened at `connected_at` ended: `offline` with
    /// `agent.offline`, unless a newer connection took over.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn disconnected(
        &self,
        id: AgentId,
        connected_at: Option<Timestamp>,
    ) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        if self
            .ports
            .agents
            .set_offline(id, connected_at, now)
            .await?
            .is_some()
        {
            self.ports.notifier.events_written();
        }
        Ok(())
    }

    /// Persists a heartbeat (`last_seen_at`, and `last_status` when given).
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn seen(&self, id: AgentId, status: Option<&Value>) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        Ok(self.ports.agents.touch(id, status, now).await?)
    }

    /// Sets `offline` (with `agent.offline`) the agents still `online` but
    /// not seen for `silence`: their process crashed. Returns how many.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn sweep_stale(&self, silence: std::time::Duration) -> Result<u64, ServiceError> {
        let now = self.ports.clock.now();
        let silence = time::Duration::try_from(silence).unwrap_or(time::Duration::MAX);
        let mut swept = 0;
        for agent in self.ports.agents.stale_online(now - silence).await? {
            if self
                .ports
                .agents
                .set_offline(agent.id, agent.connected_at, now)
                .await?
                .is_some()
            {
                swept += 1;
            }
        }
        if swept > 0 {
            self.ports.notifier.events_written();
        }
        Ok(swept)
    }
}
