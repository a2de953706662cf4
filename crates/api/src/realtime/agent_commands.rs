//! Commands on an agent's connection: sending them in creation order (at
//! most `AGENT_MAX_IN_FLIGHT` sent or running), re-sending those not yet
//! acknowledged on every new connection, telling the agent of a cancel, and
//! the agent's `ack` / `progress` / `result` answers. The row is the truth:
//! the agent's `command.*` events only wake the connection to re-read it.

use super::Realtime;
use super::frames;
use super::outgoing::{Closed, Outgoing};
use domain::model::{Agent, CommandId, CommandStep, Event, JsonObject};
use domain::services::{Answer, CommandService};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use tokio::sync::mpsc;

/// What the agent answered about a command.
#[derive(Debug)]
pub(super) enum Answered {
    /// `{"type": "ack", "id"}`.
    Ack,
    /// `{"type": "progress", "id", "data"}`.
    Progress(Value),
    /// `{"type": "result", "id", "ok", "data" | "error"}`.
    Result {
        /// Success or failure.
        ok: bool,
        /// The result object.
        data: Option<Value>,
        /// `{message}`.
        error: Option<Value>,
    },
}

/// One connection's commands.
pub(super) struct Commands {
    service: CommandService,
    max_in_flight: u64,
    /// Sent on this connection and not known to be finished.
    sent: HashSet<CommandId>,
    /// The agent's `command.*` events, from the hub.
    pub(super) events: mpsc::UnboundedReceiver<Arc<Event>>,
}

impl Commands {
    /// The commands of a connection whose events arrive on `events`.
    pub(super) fn new(
        service: CommandService,
        max_in_flight: u64,
        events: mpsc::UnboundedReceiver<Arc<Event>>,
    ) -> Self {
        Self {
            service,
            max_in_flight,
            sent: HashSet::new(),
            events,
        }
    }

    /// Sends what is due: unacknowledged commands not sent on this
    /// connection, and queued ones while fewer than the cap are in flight.
    pub(super) async fn pump(
        &mut self,
        agent: &Agent,
        session: &mut Outgoing,
    ) -> Result<(), Closed> {
        let due = match self.service.deliverable(agent, self.max_in_flight).await {
            Ok(due) => due,
            Err(error) => {
                tracing::warn!(%error, agent_id = %agent.id, "could not read an agent's commands");
                return Ok(());
            }
        };
        for command in due {
            if self.sent.insert(command.id) {
                let frame = frames::ServerFrame::Command {
                    id: command.id,
                    name: command.name.as_str(),
                    args: &command.args,
                    deadline_at: command.deadline_at,
                };
                session.text(frame.encode()).await?;
            }
        }
        Ok(())
    }

    /// One of the agent's `command.*` events: a command it holds that
    /// finished is forgotten (and the agent told when it was cancelled);
    /// then whatever became due is sent.
    pub(super) async fn on_event(
        &mut self,
        agent: &Agent,
        session: &mut Outgoing,
        event: &Event,
    ) -> Result<(), Closed> {
        let id = event.data["id"].as_str().and_then(|id| id.parse().ok());
        let status = event.data["status"].as_str();
        let finished = !matches!(status, Some("queued" | "sent" | "running"));
        if let Some(id) = id.map(CommandId)
            && finished
            && self.sent.remove(&id)
            && status == Some("cancelled")
        {
            session
                .text(frames::ServerFrame::Cancel { id }.encode())
                .await?;
        }
        self.pump(agent, session).await
    }

    /// The agent's answer `answered` about the command `id`.
    pub(super) async fn on_answer(
        &mut self,
        (agent, realtime): (&Agent, &Realtime),
        session: &mut Outgoing,
        id: &str,
        answered: Answered,
    ) -> Result<(), Closed> {
        let parsed = id.parse().ok().map(CommandId);
        let outcome = match answered {
            Answered::Progress(data) => {
                let data = match JsonObject::parse(data, "data") {
                    Ok(data) => data.to_value(),
                    Err(error) => return bad(session, &error.to_string(), "progress").await,
                };
                if let Some(id) = parsed {
                    self.progress(agent, realtime, id, &data).await;
                }
                return Ok(());
            }
            Answered::Ack => match parsed {
                Some(id) => self.service.answer(agent, id, &CommandStep::Ack).await,
                None => Ok(Answer::Unchanged),
            },
            Answered::Result { ok, data, error } => {
                let step = match result_step(ok, data, error) {
                    Ok(step) => step,
                    Err(message) => return bad(session, &message, "result").await,
                };
                match parsed {
                    Some(id) => self.service.answer(agent, id, &step).await,
                    None => Ok(Answer::Conflict),
                }
            }
        };
        match outcome {
            Ok(Answer::Conflict) => {
                let message = "the command is finished, unknown or another agent's";
                session.text(frames::error("conflict", message, id)).await
            }
            Ok(Answer::Changed(command)) => {
                if command.status.is_finished() {
                    self.sent.remove(&command.id);
                    return self.pump(agent, session).await;
                }
                Ok(())
            }
            Ok(Answer::Unchanged) => Ok(()),
            Err(error) => {
                tracing::warn!(%error, agent_id = %agent.id, "could not record a command answer");
                Ok(())
            }
        }
    }

    /// Records progress and tells dashboards (`command.progress`, live).
    async fn progress(&self, agent: &Agent, realtime: &Realtime, id: CommandId, data: &Value) {
        match self.service.progress(agent, id, data).await {
            Ok(Some(command)) => {
                let data = json!({"id": command.id, "agent_id": agent.id, "progress": data});
                realtime
                    .hub
                    .agent_live(agent.id, agent.owner_id, "command.progress", data);
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(%error, agent_id = %agent.id, "could not record progress");
            }
        }
    }
}

/// The step a `result` frame asks for: `data` (success) or `error`
/// (failure) must be a JSON object within the limits.
fn result_step(ok: bool, data: Option<Value>, error: Option<Value>) -> Result<CommandStep, String> {
    let object = |value: Option<Value>, field: &str| {
        value
            .map(|v| JsonObject::parse(v, field).map(|o| o.to_value()))
            .transpose()
            .map_err(|e| e.to_string())
    };
    Ok(CommandStep::Finish {
        ok,
        data: object(data, "data")?,
        error: object(error, "error")?,
    })
}

/// Answers a malformed command frame with `bad_request`.
async fn bad(session: &mut Outgoing, message: &str, reference: &str) -> Result<(), Closed> {
    session
        .text(frames::error("bad_request", message, reference))
        .await
}
