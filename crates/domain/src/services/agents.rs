//! Agents: ownership, versions, tokens, metadata patches and filtered lists.

use super::Ports;
use super::owned::{OwnedService, settled};
use crate::ServiceError;
use crate::model::{
    Agent, AgentDraft, AgentId, AgentStatus, AgentToken, MetadataPatch, Principal, SortField,
    Timestamp,
};
use crate::ports::{AgentFilter, AgentRepository, ListQuery};
use serde_json::Value;

/// A page request over the caller's agents (every agent for an admin)
/// that pass the agent filters.
pub type AgentListQuery = ListQuery<AgentFilter>;

/// The sorts agents may be listed by.
pub const AGENT_SORTS: &[SortField] =
    &[SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];

/// Agent use cases: get, list, update and delete as every owned resource
/// ([`OwnedService`]; a deletion also closes the agent's connection), and
/// what only agents do: tokens, metadata patches, presence.
pub type AgentService = OwnedService<dyn AgentRepository>;

impl AgentService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        // A deleted agent's connection holds a token that no longer exists.
        Self::over(ports.agents.clone(), ports, |ports, agent| {
            ports.notifier.agent_token_rotated(agent.id);
        })
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
        self.repo().create(&agent, &token.hash()).await?;
        self.announce();
        Ok((agent, token))
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
            .repo()
            .patch_metadata(id, principal.scope(), &patch, expected, now)
            .await?;
        self.written(outcome)
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
            .repo()
            .set_token(id, principal.scope(), &token.hash())
            .await?;
        let agent = settled(outcome)?;
        self.ports.notifier.agent_token_rotated(agent.id);
        Ok((agent, token))
    }

    /// The agent whose current token is `token` (agent connections).
    ///
    /// # Errors
    /// [`ServiceError::Unauthorized`] for an unknown token.
    pub async fn authenticate(&self, token: &str) -> Result<Agent, ServiceError> {
        let hash = AgentToken::from_client(token).hash();
        self.repo()
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
        let agent = self.repo().set_online(id, now).await?;
        self.announce();
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
            .repo()
            .set_offline(id, connected_at, now)
            .await?
            .is_some()
        {
            self.announce();
        }
        Ok(())
    }

    /// Persists a heartbeat (`last_seen_at`, and `last_status` when given).
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn seen(&self, id: AgentId, status: Option<&Value>) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        Ok(self.repo().touch(id, status, now).await?)
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
        for agent in self.repo().stale_online(now - silence).await? {
            if self
                .repo()
                .set_offline(agent.id, agent.connected_at, now)
                .await?
                .is_some()
            {
                swept += 1;
            }
        }
        if swept > 0 {
            self.announce();
        }
        Ok(swept)
    }
}
