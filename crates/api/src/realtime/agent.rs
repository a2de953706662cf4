//! `GET /ws/agent`: an agent's own connection. Authenticated by the agent
//! token; while it is open the agent is `online`. Heartbeats update
//! `last_status` / `last_seen_at` (persisted at most once per
//! [`PERSIST_EVERY`]) and reach dashboards as live-only `agent.heartbeat`.
//! Commands travel on it too ([`super::agent_commands`]).

use super::Realtime;
use super::agent_commands::{Answered, Commands};
use super::agent_heartbeat::{PERSIST_EVERY, Pending, heartbeat, persist};
use super::bucket::TokenBucket;
use super::frames;
use super::hub::{AgentLink, CloseSignal, ConnId};
use super::incoming::{self, Received};
use super::outgoing::{Closed, Outgoing};
use super::socket::{self, CloseCode, CloseReason, Incoming, Message};
use super::upgrade::{handshake, taken_over, upgrade_token};
use crate::error::ApiError;
use crate::middleware::link_to_request;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::model::Agent;
use domain::services::AgentService;
use serde::Deserialize;
use serde_json::Value;
use std::time::Instant;
use tokio::sync::oneshot;

/// A frame from an agent.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentFrame {
    /// The agent's current status (a JSON object).
    Heartbeat {
        /// The status.
        #[schema(value_type = Object)]
        status: Value,
    },
    /// Ask for a `pong` carrying the same id.
    Ping {
        /// Echoed back.
        #[serde(default)]
        #[schema(value_type = Value)]
        id: Value,
    },
    /// The agent has the command `id`.
    Ack {
        /// The command.
        id: String,
    },
    /// How far the command `id` got (live only).
    Progress {
        /// The command.
        id: String,
        /// A JSON object.
        data: Value,
    },
    /// The command `id` finished.
    Result {
        /// The command.
        id: String,
        /// Success or failure.
        ok: bool,
        /// The result object (success).
        #[serde(default)]
        data: Option<Value>,
        /// `{message}` (failure).
        #[serde(default)]
        error: Option<Value>,
    },
}

/// Upgrades to a WebSocket for an agent with a valid agent token (not a
/// user token). No valid token → 401.
///
/// # Errors
/// 401 `unauthorized`, 400 for a request that is no WebSocket handshake.
#[utoipa::path(get, path = "/ws/agent", tag = "realtime",
    description = "An agent's connection (JSON text frames: heartbeat/ping/ack/progress/result from the agent; command/cancel/pong/error from the server). Authenticate with the agent token: `Authorization: Bearer`, `?access_token=` or the subprotocols `bearer, <token>` (answered with `Sec-WebSocket-Protocol: bearer`). While connected the agent is `online`; a second connection of the same agent replaces the first (close 1008 `replaced`); rotating the token closes it (1008 `unauthorized`). See docs/realtime.md and, for commands, docs/agents.md.",
    security(("bearer" = [])),
    params(("access_token" = Option<String>, Query, description = "The agent token, for clients that cannot set headers")),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol"),
        (status = 400, description = "Not a WebSocket handshake", body = crate::problem::Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid agent token", body = crate::problem::Problem, content_type = "application/problem+json"),
    ))]
pub async fn ws_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    realtime: web::Data<Realtime>,
) -> Result<HttpResponse, ApiError> {
    let (token, source) =
        upgrade_token(&req).ok_or_else(|| ApiError::unauthorized("an agent token is required"))?;
    let agent = state.agents.authenticate(&token).await?;
    let response = handshake(&req, &source)?;
    let (close, close_rx) = oneshot::channel();
    let (commands, events) = tokio::sync::mpsc::unbounded_channel();
    let link = AgentLink {
        agent: agent.id,
        close,
        commands,
    };
    let conn = realtime.hub.agent_connect(link).await;
    let online = match state.agents.connected(agent.id).await {
        Ok(Some(online)) => online,
        Ok(None) => {
            realtime.hub.agent_disconnect(agent.id, conn);
            return Err(ApiError::unauthorized("the agent no longer exists"));
        }
        Err(error) => {
            realtime.hub.agent_disconnect(agent.id, conn);
            return Err(error.into());
        }
    };
    let connection = AgentConnection {
        agent: online,
        conn,
        realtime: realtime.get_ref().clone(),
        agents: state.agents.clone(),
        close: close_rx,
        commands: Commands::new(
            state.commands.clone(),
            realtime.config.agent_max_in_flight,
            events,
        ),
    };
    let span = tracing::info_span!(
        parent: None,
        "agent_websocket",
        conn_id = conn,
        agent_id = %agent.id,
        user_id = %agent.owner_id,
        otel.kind = tracing::field::Empty,
    );
    link_to_request(&span, &req);
    let takeover = socket::takeover(None, span, move |outgoing, incoming| {
        run(connection, outgoing, incoming)
    });
    Ok(taken_over(response, takeover))
}

/// Everything one agent connection needs.
pub(super) struct AgentConnection {
    pub(super) agent: Agent,
    conn: ConnId,
    pub(super) realtime: Realtime,
    pub(super) agents: AgentService,
    close: oneshot::Receiver<CloseSignal>,
    commands: Commands,
}

/// An `async` block rather than an `async fn`: an `async fn` keeps a
/// second copy of its arguments in its future for the connection's whole
/// life.
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would keep its arguments twice in the future"
)]
fn run(
    mut conn: AgentConnection,
    mut session: Outgoing,
    mut stream: Incoming,
) -> impl Future<Output = Incoming> {
    async move {
        let config = conn.realtime.config;
        let mut heartbeat = tokio::time::interval(config.ping);
        heartbeat.tick().await;
        let mut last_heard = Instant::now();
        let mut pending = Pending {
            bucket: TokenBucket::new(config.frames_per_second),
            dirty: false,
            status: None,
            persisted: None,
        };
        let flush = tokio::time::sleep(PERSIST_EVERY);
        tokio::pin!(flush);
        let mut armed = false;
        let mut ending: Option<Option<CloseReason>> = None;
        if conn.commands.pump(&conn.agent, &mut session).await.is_err() {
            ending = Some(None);
        }
        let ending: Option<CloseReason> = loop {
            if let Some(ending) = ending.take() {
                break ending;
            }
            tokio::select! {
                biased;
                signal = &mut conn.close => break incoming::ordered_close(signal),
                Some(event) = conn.commands.events.recv() => {
                    let agent = &conn.agent;
                    if conn.commands.on_event(agent, &mut session, &event).await.is_err() {
                        break None;
                    }
                }
                item = stream.recv() => {
                    let step = match incoming::received(item) {
                        Ok(message) => {
                            last_heard = Instant::now();
                            // Boxed: the idle connection's future stays
                            // small; messages are rare.
                            Box::pin(on_message(&mut conn, &mut session, &mut pending, message)).await
                        }
                        Err(ending) => Err(ending),
                    };
                    if let Err(ending) = step {
                        break ending;
                    }
                    if pending.dirty {
                        if pending.may_persist() {
                            persist(&conn, &mut pending).await;
                        } else if !armed {
                            let at = pending.persisted.map_or_else(Instant::now, |p| p + PERSIST_EVERY);
                            flush.as_mut().reset(at.into());
                            armed = true;
                        }
                    }
                }
                () = &mut flush, if armed => {
                    armed = false;
                    if pending.dirty {
                        persist(&conn, &mut pending).await;
                    }
                }
                _ = heartbeat.tick() => {
                    if last_heard.elapsed() > config.idle_timeout {
                        break Some(incoming::reason(CloseCode::Normal, "idle_timeout"));
                    }
                    if session.ping().await.is_err() {
                        break None;
                    }
                }
            }
        };
        conn.realtime.hub.agent_disconnect(conn.agent.id, conn.conn);
        if pending.dirty {
            persist(&conn, &mut pending).await;
        }
        if let Err(error) = conn
            .agents
            .disconnected(conn.agent.id, conn.agent.connected_at)
            .await
        {
            tracing::warn!(%error, agent_id = %conn.agent.id, "could not mark an agent offline");
        }
        session.close(ending);
        stream
    }
}

/// Handles one agent message; `Err` ends the connection with that close.
async fn on_message(
    conn: &mut AgentConnection,
    session: &mut Outgoing,
    pending: &mut Pending,
    message: Message,
) -> Result<(), Option<CloseReason>> {
    match incoming::answer(session, message).await? {
        Received::Text(text) => on_text(conn, session, pending, &text)
            .await
            .map_err(|_| None),
        Received::Pong => {
            pending.dirty = true;
            Ok(())
        }
        Received::Answered => Ok(()),
    }
}

async fn on_text(
    conn: &mut AgentConnection,
    session: &mut Outgoing,
    pending: &mut Pending,
    text: &str,
) -> Result<(), Closed> {
    let frame = match frames::parse::<AgentFrame>(text) {
        Ok(frame) => frame,
        Err(reference) => {
            return session
                .text(frames::error("bad_request", "malformed frame", &reference))
                .await;
        }
    };
    let who = (&conn.agent, &conn.realtime);
    let (id, answered) = match frame {
        AgentFrame::Ping { id } => return session.text(frames::pong(&id)).await,
        AgentFrame::Ack { id } => (id, Answered::Ack),
        AgentFrame::Progress { id, data } => (id, Answered::Progress(data)),
        AgentFrame::Result {
            id,
            ok,
            data,
            error,
        } => (id, Answered::Result { ok, data, error }),
        AgentFrame::Heartbeat { status } => return heartbeat(conn, session, pending, status).await,
    };
    conn.commands.on_answer(who, session, &id, answered).await
}
