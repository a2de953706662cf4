//! The hub: one task per process that owns connections, rooms and
//! presence. Everything else talks to it through [`Hub`], a cloneable
//! handle sending commands. It never waits on a connection: a full send
//! queue closes that connection as a slow consumer.
//!
//! With a message bus, whatever every instance must see (chat messages,
//! presence, revocations) goes out through the bus and is applied when it
//! comes back — on every instance alike, this one included. Events are not
//! among them: each instance releases them from the shared log itself, in
//! seq order, and only tells the others (through the bus) to look.

mod presence;
mod state;

use super::frames::Member;
use super::rooms::Room;
use super::wire::Broadcast;
use crate::realtime::socket::CloseCode;
use bytestring::ByteString;
use domain::model::{AgentId, Event, Principal, UserId};
use domain::ports::{MessageBus, Revoked};
use serde_json::Value;
use state::State;
use std::sync::{Arc, OnceLock};
use tokio::sync::{Notify, mpsc, oneshot};

/// Identifies one WebSocket connection.
pub type ConnId = u64;

/// What the hub queues for a connection, behind an `Arc` shared by every
/// recipient: a queue slot is one pointer, and a connection's queue (whose
/// first block of 32 slots is allocated with it) stays small.
#[derive(Debug)]
pub struct Outbound {
    /// The encoded frame.
    pub frame: ByteString,
    /// For a logged event, its room and seq: it is sent only past what the
    /// connection already sent for that room (replay and live may
    /// overlap).
    pub event: Option<(Arc<str>, i64)>,
    /// The frame as a server-sent event (its name and data), made by the
    /// first stream among the recipients and shared by the others.
    streamed: OnceLock<Option<(String, String)>>,
}

impl Outbound {
    /// A frame to send as is.
    pub fn frame(frame: ByteString) -> Self {
        Self {
            frame,
            event: None,
            streamed: OnceLock::new(),
        }
    }

    /// The frame of an event of `room` with `seq`.
    pub fn event(room: &str, seq: i64, frame: ByteString) -> Self {
        Self {
            frame,
            event: Some((Arc::from(room), seq)),
            streamed: OnceLock::new(),
        }
    }

    /// The frame's other encoding (a stream's event name and data), made
    /// by `encode` once for every recipient.
    pub fn streamed(
        &self,
        encode: impl FnOnce(&str) -> Option<(String, String)>,
    ) -> Option<&(String, String)> {
        self.streamed.get_or_init(|| encode(&self.frame)).as_ref()
    }
}

/// Why the hub closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseSignal {
    /// The close code.
    pub code: CloseCode,
    /// The reason text.
    pub reason: &'static str,
}

/// A connection as the hub registers it.
pub struct Registration {
    /// The caller.
    pub principal: Principal,
    /// Their display name (presence).
    pub display_name: String,
    /// The connection's bounded send queue.
    pub queue: mpsc::Sender<Arc<Outbound>>,
    /// Where to send a close.
    pub close: oneshot::Sender<CloseSignal>,
}

/// A member the hub took in ([`Hub::admit`]).
pub struct Admitted {
    /// Its id in the hub.
    pub id: ConnId,
    /// What the hub sends it, in order.
    pub queue: mpsc::Receiver<Arc<Outbound>>,
    /// A close, when one comes.
    pub close: oneshot::Receiver<CloseSignal>,
}

enum Command {
    Connect(Registration, oneshot::Sender<Option<ConnId>>),
    Disconnect(ConnId),
    Join(ConnId, Room, oneshot::Sender<()>),
    Leave(ConnId, String),
    Publish(ConnId, String, Value),
    Say(UserId, String, Value),
    Event(Arc<Event>),
    Released,
    Revoke(UserId, Revoked),
    CloseAll(CloseSignal),
    Remote(Broadcast),
    AgentConnect(AgentLink, oneshot::Sender<ConnId>),
    AgentDisconnect(AgentId, ConnId),
    AgentLive(AgentId, UserId, &'static str, Value),
    AgentRevoke(AgentId),
}

/// An agent connection as the hub registers it.
pub struct AgentLink {
    /// The agent.
    pub agent: AgentId,
    /// Where to send a close.
    pub close: oneshot::Sender<CloseSignal>,
    /// Where the agent's `command.*` events go once released (they wake
    /// the connection to send, re-read or cancel its commands).
    pub commands: mpsc::UnboundedSender<Arc<Event>>,
}

/// A cloneable handle on the hub task.
#[derive(Clone)]
pub struct Hub {
    commands: mpsc::UnboundedSender<Command>,
}

/// The hub task, until it is spawned.
pub struct HubTask {
    commands: mpsc::UnboundedReceiver<Command>,
    state: State,
}

impl Hub {
    /// A hub allowing `max_per_user` connections per user, which kicks
    /// `release` when another instance released events; spawn the returned
    /// task.
    pub fn new(max_per_user: usize, release: Arc<Notify>) -> (Self, HubTask) {
        let (commands, receiver) = mpsc::unbounded_channel();
        let hub = Self { commands };
        let state = State::new(max_per_user, release);
        (
            hub,
            HubTask {
                commands: receiver,
                state,
            },
        )
    }

    fn send(&self, command: Command) {
        // The hub task only ends when every handle is gone.
        let _ = self.commands.send(command);
    }

    /// Takes `principal` in as a member (a socket or a stream), named
    /// `display_name` in presence, with a send queue of `queue_len` frames;
    /// `None` when the user is at the connection limit.
    pub async fn admit(
        &self,
        principal: Principal,
        display_name: String,
        queue_len: usize,
    ) -> Option<Admitted> {
        let (queue, queue_rx) = mpsc::channel(queue_len);
        let (close, close_rx) = oneshot::channel();
        let registration = Registration {
            principal,
            display_name,
            queue,
            close,
        };
        let (reply, answer) = oneshot::channel();
        self.send(Command::Connect(registration, reply));
        let id = answer.await.ok().flatten()?;
        Some(Admitted {
            id,
            queue: queue_rx,
            close: close_rx,
        })
    }

    /// Forgets a connection (it closed).
    pub fn disconnect(&self, conn: ConnId) {
        self.send(Command::Disconnect(conn));
    }

    /// Adds the connection to `room`; returns once live delivery started.
    pub async fn join(&self, conn: ConnId, room: Room) {
        let (reply, answer) = oneshot::channel();
        self.send(Command::Join(conn, room, reply));
        let _ = answer.await;
    }

    /// Removes the connection from `room`.
    pub fn leave(&self, conn: ConnId, room: String) {
        self.send(Command::Leave(conn, room));
    }

    /// A chat message from `conn` to `room`.
    pub fn publish(&self, conn: ConnId, room: String, data: Value) {
        self.send(Command::Publish(conn, room, data));
    }

    /// A chat message from `from` to `room` (a chat room's canonical
    /// name) sent over HTTP: the sender need not be a member.
    pub fn say(&self, from: UserId, room: String, data: Value) {
        self.send(Command::Say(from, room, data));
    }

    /// An event this instance released from the log, in seq order.
    pub fn event(&self, event: Arc<Event>) {
        self.send(Command::Event(event));
    }

    /// This instance released events: the other instances are told to
    /// look for them in the log.
    pub fn released(&self) {
        self.send(Command::Released);
    }

    /// Closes the revoked sessions' connections, on every instance, with
    /// 1008 `unauthorized`.
    pub fn revoke(&self, user: UserId, which: Revoked) {
        self.send(Command::Revoke(user, which));
    }

    /// Closes every connection of this instance (shutdown: 1001).
    pub fn close_all(&self, signal: CloseSignal) {
        self.send(Command::CloseAll(signal));
    }

    /// The token of `agent` was rotated (or the agent deleted): its live
    /// connection (`/ws/agent`), which used the old token, is closed at
    /// once with 1008 `unauthorized`, on every instance.
    pub fn agent_token_rotated(&self, agent: AgentId) {
        self.send(Command::AgentRevoke(agent));
    }

    /// Registers the connection of an agent; any other connection of that
    /// agent, on any instance, is closed with 1008 `replaced`.
    pub async fn agent_connect(&self, link: AgentLink) -> ConnId {
        let (reply, answer) = oneshot::channel();
        self.send(Command::AgentConnect(link, reply));
        answer.await.unwrap_or_default()
    }

    /// Forgets the agent connection `conn` (it closed).
    pub fn agent_disconnect(&self, agent: AgentId, conn: ConnId) {
        self.send(Command::AgentDisconnect(agent, conn));
    }

    /// A live-only event `name` (`agent.heartbeat`, `command.progress`: no
    /// seq, not logged) for the members of `agents` and `agent:<id>` who
    /// may see the agent of `owner`.
    pub fn agent_live(&self, agent: AgentId, owner: UserId, name: &'static str, data: Value) {
        self.send(Command::AgentLive(agent, owner, name, data));
    }

    /// A message that arrived through the bus.
    pub fn remote(&self, message: Broadcast) {
        self.send(Command::Remote(message));
    }
}

impl HubTask {
    /// Sends what every instance must see through `bus` (and applies it
    /// when it comes back) instead of applying it at once.
    pub fn with_bus(mut self, bus: Arc<dyn MessageBus>, hub: &Hub) -> Self {
        let (outbox, mut queued) = mpsc::unbounded_channel::<Vec<u8>>();
        let publisher = bus.clone();
        tokio::spawn(async move {
            // One publisher task keeps this instance's messages in order.
            while let Some(message) = queued.recv().await {
                if let Err(error) = publisher.publish(message).await {
                    tracing::warn!(%error, "could not publish to the message bus");
                }
            }
        });
        let hub = hub.clone();
        bus.subscribe(Box::new(move |bytes| match Broadcast::decode(&bytes) {
            Some(message) => hub.remote(message),
            None => tracing::warn!("ignored an unreadable message from the bus"),
        }));
        self.state.set_outbox(outbox);
        self
    }

    /// Runs for the life of the process.
    pub async fn run(mut self) {
        while let Some(command) = self.commands.recv().await {
            self.state.handle(command);
        }
    }
}

/// A member as presence shows it.
fn member_of(principal: &Principal, display_name: String) -> Member {
    Member {
        user_id: principal.user_id.0,
        display_name,
    }
}
