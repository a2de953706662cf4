//! Commands: a user queues work for an agent they may see; the agent's
//! connection sends it, and the agent's answers move it along the state
//! machine ([`Command::step`]); a sweep times out and expires the rest.
//! Every status change is a conditional write at the version the step was
//! computed from, so two instances never both apply a step.

use super::Ports;
use super::owned::OwnedService;
use crate::ServiceError;
use crate::model::{
    Agent, AgentId, Command, CommandDraft, CommandId, CommandStatus, CommandStep, Page, Principal,
    Refused, Scope, SortField, capable,
};
use crate::ports::{CommandFilter, CommandRepository, ListQuery, WriteOutcome};
use serde_json::Value;

/// A page request over commands.
pub type CommandListQuery = ListQuery<CommandFilter>;

/// The sorts commands may be listed by.
pub const COMMAND_SORTS: &[SortField] = &[SortField::CreatedAt];

/// How many times a step is retried when another writer changed the
/// command between its read and its write.
const RETRIES: usize = 8;

/// Commands due for the sweep handled per round.
const SWEEP_BATCH: u64 = 500;

/// Command use cases: get and list as every owned resource
/// ([`OwnedService`]), and the command's life.
pub type CommandService = OwnedService<dyn CommandRepository>;

/// What an agent's answer about a command came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// The command moved on.
    Changed(Box<Command>),
    /// Nothing to do (a repeated ack, progress of a finished command).
    Unchanged,
    /// A result for a finished, unknown or foreign command: refused.
    Conflict,
}

impl CommandService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        Self::over(ports.commands.clone(), ports, |_, _| {})
    }

    /// The agent `id` if the caller may see it.
    async fn agent(&self, principal: &Principal, id: AgentId) -> Result<Agent, ServiceError> {
        self.ports
            .agents
            .find(id, principal.scope())
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Queues a command for an agent the caller may see.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an agent the caller can't see,
    /// [`ServiceError::Invalid`] on `name` when the agent's
    /// `capabilities.commands` lists names and not this one.
    pub async fn create(
        &self,
        principal: &Principal,
        agent: AgentId,
        draft: CommandDraft,
    ) -> Result<Command, ServiceError> {
        let agent = self.agent(principal, agent).await?;
        if !capable(&agent.capabilities, &draft.name) {
            return Err(ServiceError::invalid(
                "name",
                "the agent does not list this command in capabilities.commands",
            ));
        }
        let now = self.ports.clock.now();
        let command = Command::queued(draft, (agent.id, agent.owner_id), principal.user_id, now);
        self.repo().create(&command).await?;
        self.announce();
        Ok(command)
    }

    /// A page of one agent's commands (the agent must be visible).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] for an agent the caller can't see.
    pub async fn list_for_agent(
        &self,
        principal: &Principal,
        agent: AgentId,
        mut query: CommandListQuery,
    ) -> Result<Page<Command>, ServiceError> {
        let agent = self.agent(principal, agent).await?;
        query.filter.agent = Some(agent.id);
        self.list(principal, query).await
    }

    /// Cancels an unfinished command (the agent's connection is told).
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], or [`ServiceError::Conflict`] when it is
    /// finished.
    pub async fn cancel(
        &self,
        principal: &Principal,
        id: CommandId,
    ) -> Result<Command, ServiceError> {
        match self
            .advance(principal.scope(), id, &CommandStep::Cancel)
            .await?
        {
            Some(Ok(command)) => Ok(command),
            Some(Err(_)) => Err(ServiceError::Conflict("the command is already finished")),
            None => Err(ServiceError::NotFound),
        }
    }

    /// Applies `step` to the command `id` in `scope`, re-reading when
    /// another writer got there first. `None` when there is no such
    /// command.
    async fn advance(
        &self,
        scope: Scope,
        id: CommandId,
        step: &CommandStep,
    ) -> Result<Option<Result<Command, Refused>>, ServiceError> {
        for _ in 0..RETRIES {
            let Some(command) = self.repo().find(id, scope).await? else {
                return Ok(None);
            };
            let now = self.ports.clock.now();
            let change = match command.step(step, now) {
                Ok(change) => change,
                Err(refused) => return Ok(Some(Err(refused))),
            };
            match self
                .repo()
                .update(id, scope, &change, Some(command.version), now)
                .await?
            {
                WriteOutcome::Done(command) => {
                    self.announce();
                    return Ok(Some(Ok(command)));
                }
                WriteOutcome::NotFound => return Ok(None),
                WriteOutcome::VersionMismatch => {}
                WriteOutcome::Invalid(errors) => return Err(ServiceError::Invalid(errors)),
                WriteOutcome::TestFailed => {
                    return Err(ServiceError::Conflict("the command changed meanwhile"));
                }
            }
        }
        Err(ServiceError::Conflict(
            "the command kept changing; try again",
        ))
    }

    /// What the agent's connection sends now, oldest first: every `sent`
    /// command not yet acknowledged, and as many `queued` ones (now marked
    /// `sent`) as keep at most `max_in_flight` `sent`/`running`.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn deliverable(
        &self,
        agent: &Agent,
        max_in_flight: u64,
    ) -> Result<Vec<Command>, ServiceError> {
        // Commands are sent in creation order, so the in-flight ones come
        // before every queued one: the first `max_in_flight` unfinished
        // commands are exactly those in flight plus those that fit.
        let scope = Scope::Owner(agent.owner_id);
        let mut out = Vec::new();
        for command in self.repo().outstanding(agent.id, max_in_flight).await? {
            match command.status {
                CommandStatus::Sent => out.push(command),
                CommandStatus::Queued => {
                    if let Some(Ok(sent)) =
                        self.advance(scope, command.id, &CommandStep::Send).await?
                    {
                        out.push(sent);
                    }
                }
                _ => {}
            }
        }
        Ok(out)
    }

    /// The agent `agent` answered about the command `id` with `step` (an
    /// ack or a result).
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn answer(
        &self,
        agent: &Agent,
        id: CommandId,
        step: &CommandStep,
    ) -> Result<Answer, ServiceError> {
        let is_result = matches!(step, CommandStep::Finish { .. });
        let scope = Scope::Owner(agent.owner_id);
        let mine = self
            .repo()
            .find(id, scope)
            .await?
            .is_some_and(|c| c.agent_id == agent.id);
        let outcome = if mine {
            self.advance(scope, id, step).await?
        } else {
            None
        };
        Ok(match outcome {
            Some(Ok(command)) => Answer::Changed(Box::new(command)),
            Some(Err(_)) | None if is_result => Answer::Conflict,
            _ => Answer::Unchanged,
        })
    }

    /// Records progress of the agent's unfinished command `id`; the
    /// command, when it is one, for the live `command.progress` event.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn progress(
        &self,
        agent: &Agent,
        id: CommandId,
        data: &Value,
    ) -> Result<Option<Command>, ServiceError> {
        let command = self
            .repo()
            .find(id, Scope::Owner(agent.owner_id))
            .await?
            .filter(|c| c.agent_id == agent.id && !c.status.is_finished());
        let Some(mut command) = command else {
            return Ok(None);
        };
        self.repo().set_progress(id, data).await?;
        command.progress = Some(data.clone());
        Ok(Some(command))
    }

    /// Expires commands queued past their TTL and times out those sent
    /// past their deadline; returns how many changed. Safe on several
    /// instances at once (each change is conditional).
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn sweep(&self) -> Result<u64, ServiceError> {
        let now = self.ports.clock.now();
        let mut changed = 0;
        for command in self.repo().due(now, SWEEP_BATCH).await? {
            let step = if command.status == CommandStatus::Queued {
                CommandStep::Expire
            } else {
                CommandStep::TimeOut
            };
            let scope = Scope::Owner(command.owner_id);
            if let Some(Ok(_)) = self.advance(scope, command.id, &step).await? {
                changed += 1;
            }
        }
        Ok(changed)
    }
}
