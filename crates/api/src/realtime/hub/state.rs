//! The hub's state and how each command changes it.

use super::presence::Presence;
use super::{AgentLink, Command, ConnId, Outbound, Registration, member_of};
use crate::realtime::frames::{self, Member};
use crate::realtime::hub::CloseSignal;
use crate::realtime::rooms::Room;
use crate::realtime::socket::CloseCode;
use crate::realtime::wire::Broadcast;
use domain::model::{AgentId, Event, Principal, SessionId, Stream, UserId};
use domain::ports::Revoked;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{Notify, mpsc, oneshot};
use uuid::Uuid;

const SLOW_CONSUMER: CloseSignal = CloseSignal {
    code: CloseCode::Policy,
    reason: "slow_consumer",
};
const UNAUTHORIZED: CloseSignal = CloseSignal {
    code: CloseCode::Policy,
    reason: "unauthorized",
};
const REPLACED: CloseSignal = CloseSignal {
    code: CloseCode::Policy,
    reason: "replaced",
};

pub(super) struct Conn {
    pub principal: Principal,
    pub member: Member,
    queue: mpsc::Sender<Arc<Outbound>>,
    close: Option<oneshot::Sender<CloseSignal>>,
    rooms: HashSet<String>,
}

/// Where an agent connection's `command.*` events go.
type AgentCommands = mpsc::UnboundedSender<Arc<Event>>;

pub(super) struct State {
    max_per_user: usize,
    next_id: ConnId,
    pub conns: HashMap<ConnId, Conn>,
    per_user: HashMap<UserId, usize>,
    pub rooms: HashMap<String, HashSet<ConnId>>,
    presence: Presence,
    /// Kicks this instance's release of the log.
    release: Arc<Notify>,
    /// Where broadcasts go when there is a bus; `None`: apply at once.
    outbox: Option<mpsc::UnboundedSender<Vec<u8>>>,
    /// This instance (agent connections are told apart by it).
    instance: Uuid,
    /// The agent connections of this instance: one per agent.
    agents: HashMap<AgentId, (ConnId, oneshot::Sender<CloseSignal>, AgentCommands)>,
}

impl State {
    pub fn new(max_per_user: usize, release: Arc<Notify>) -> Self {
        let instance = Uuid::now_v7();
        Self {
            max_per_user,
            next_id: 0,
            conns: HashMap::new(),
            per_user: HashMap::new(),
            rooms: HashMap::new(),
            presence: Presence::new(instance),
            release,
            outbox: None,
            instance,
            agents: HashMap::new(),
        }
    }

    pub fn set_outbox(&mut self, outbox: mpsc::UnboundedSender<Vec<u8>>) {
        self.outbox = Some(outbox);
    }

    pub fn handle(&mut self, command: Command) {
        match command {
            Command::Connect(registration, reply) => {
                let _ = reply.send(self.connect(registration));
            }
            Command::Disconnect(conn) => self.remove(conn),
            Command::Join(conn, room, reply) => {
                self.join(conn, &room);
                let _ = reply.send(());
            }
            Command::Leave(conn, room) => self.leave(conn, &room),
            Command::Publish(conn, room, data) => self.publish(conn, room, data),
            Command::Say(from, room, data) => self.fan_out(Broadcast::Chat {
                room,
                from: from.0,
                data,
            }),
            Command::Event(event) => self.deliver(&event),
            Command::Released => self.fan_out(Broadcast::Released {
                instance: self.instance,
            }),
            Command::Revoke(user, which) => self.fan_out(Broadcast::revoke(user, which)),
            Command::CloseAll(signal) => {
                let all: Vec<ConnId> = self.conns.keys().copied().collect();
                for conn in all {
                    self.close(conn, signal);
                }
                for (_, (_, close, _)) in self.agents.drain() {
                    let _ = close.send(signal);
                }
            }
            Command::AgentConnect(link, reply) => {
                self.next_id += 1;
                let conn = self.next_id;
                let AgentLink {
                    agent,
                    close,
                    commands,
                } = link;
                if let Some((_, old, _)) = self.agents.insert(agent, (conn, close, commands)) {
                    let _ = old.send(REPLACED);
                }
                let _ = reply.send(conn);
                self.fan_out(Broadcast::AgentConnected {
                    agent: agent.0,
                    instance: self.instance,
                    conn,
                });
            }
            Command::AgentDisconnect(agent, conn) => {
                if self.agents.get(&agent).is_some_and(|(c, _, _)| *c == conn) {
                    self.agents.remove(&agent);
                }
            }
            Command::AgentLive(agent, owner, event, data) => self.fan_out(Broadcast::Heartbeat {
                agent: agent.0,
                owner: owner.0,
                event: event.to_owned(),
                data,
            }),
            Command::AgentRevoke(agent) => self.fan_out(Broadcast::AgentRevoke { agent: agent.0 }),
            Command::Remote(message) => self.apply(message),
        }
    }

    /// Sends a broadcast to every instance: through the bus, or — with no
    /// bus — straight to this hub.
    fn fan_out(&mut self, message: Broadcast) {
        match &self.outbox {
            Some(outbox) => {
                let _ = outbox.send(message.encode());
            }
            None => self.apply(message),
        }
    }

    /// Applies a broadcast that every instance receives.
    fn apply(&mut self, message: Broadcast) {
        match message {
            Broadcast::Released { instance } => {
                if instance != self.instance {
                    self.release.notify_one();
                }
            }
            Broadcast::Chat { room, from, data } => {
                let frame = Outbound::frame(frames::message(&room, from, &data));
                self.broadcast(&room, frame, |_| true);
            }
            Broadcast::Presence {
                instance,
                room,
                member,
                present,
            } => {
                if let Some(frame) = self.presence.apply(instance, &room, member, present) {
                    self.broadcast(&room, Outbound::frame(frame), |_| true);
                }
            }
            Broadcast::Revoke {
                user,
                session,
                all_but,
            } => {
                let Some(which) = Broadcast::revoked(session, all_but) else {
                    return;
                };
                let doomed: Vec<ConnId> = self
                    .conns
                    .iter()
                    .filter(|(_, c)| {
                        c.principal.user_id.0 == user && revoked(which, c.principal.session_id)
                    })
                    .map(|(id, _)| *id)
                    .collect();
                for conn in doomed {
                    self.close(conn, UNAUTHORIZED);
                }
            }
            Broadcast::AgentConnected {
                agent,
                instance,
                conn,
            } => {
                let agent = AgentId(agent);
                let current = self.agents.get(&agent).map(|(c, _, _)| *c);
                if current.is_some_and(|c| instance != self.instance || c != conn)
                    && let Some((_, close, _)) = self.agents.remove(&agent)
                {
                    let _ = close.send(REPLACED);
                }
            }
            Broadcast::AgentRevoke { agent } => {
                if let Some((_, close, _)) = self.agents.remove(&AgentId(agent)) {
                    let _ = close.send(UNAUTHORIZED);
                }
            }
            Broadcast::Heartbeat {
                agent,
                owner,
                event,
                data,
            } => {
                let owner = UserId(owner);
                let visible = move |c: &Conn| c.principal.scope().admits(owner);
                for room in [
                    Stream::Agents.as_str().to_owned(),
                    Room::resource_room(Stream::Agents, agent),
                ] {
                    let frame = Outbound::frame(frames::live_event(&room, &event, &data));
                    self.broadcast(&room, frame, visible);
                }
            }
        }
    }

    fn connect(&mut self, registration: Registration) -> Option<ConnId> {
        let user = registration.principal.user_id;
        let count = self.per_user.entry(user).or_default();
        if *count >= self.max_per_user {
            return None;
        }
        *count += 1;
        self.next_id += 1;
        let member = member_of(&registration.principal, registration.display_name);
        crate::metrics::websocket_connections(self.conns.len() + 1);
        let conn = Conn {
            principal: registration.principal,
            member,
            queue: registration.queue,
            close: Some(registration.close),
            rooms: HashSet::new(),
        };
        self.conns.insert(self.next_id, conn);
        Some(self.next_id)
    }

    /// Queues `outbound` for `conn`; `false` when its queue is full.
    fn push(&self, conn: ConnId, outbound: Arc<Outbound>) -> bool {
        self.conns.get(&conn).is_none_or(|c| {
            !matches!(
                c.queue.try_send(outbound),
                Err(mpsc::error::TrySendError::Full(_))
            )
        })
    }

    /// Queues `outbound` for every member of `room` passing `accept`, then
    /// closes those whose queue was full; returns how many got it. Every
    /// recipient shares one allocation.
    fn broadcast(
        &mut self,
        room: &str,
        outbound: Outbound,
        accept: impl Fn(&Conn) -> bool,
    ) -> usize {
        let Some(members) = self.rooms.get(room) else {
            return 0;
        };
        let outbound = Arc::new(outbound);
        let recipients: Vec<ConnId> = members
            .iter()
            .filter(|id| self.conns.get(id).is_some_and(&accept))
            .copied()
            .collect();
        let slow: Vec<ConnId> = recipients
            .iter()
            .filter(|id| !self.push(**id, Arc::clone(&outbound)))
            .copied()
            .collect();
        for conn in &slow {
            self.close(*conn, SLOW_CONSUMER);
        }
        recipients.len() - slow.len()
    }

    fn send_to(&mut self, conn: ConnId, outbound: Outbound) {
        if !self.push(conn, Arc::new(outbound)) {
            self.close(conn, SLOW_CONSUMER);
        }
    }

    fn join(&mut self, conn: ConnId, room: &Room) {
        let name = room.name();
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.rooms.insert(name.clone()) {
            return;
        }
        let (user, member) = (c.principal.user_id, c.member.clone());
        self.rooms.entry(name.clone()).or_default().insert(conn);
        if !matches!(room, Room::Chat(_)) {
            return;
        }
        let present = self.presence.present(&name);
        if !present.is_empty() {
            self.send_to(
                conn,
                Outbound::frame(frames::presence(&name, &present, &[])),
            );
        }
        if let Some(change) = self.presence.local_joined(&name, user, member) {
            self.fan_out(change);
        }
    }

    fn leave(&mut self, conn: ConnId, room: &str) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.rooms.remove(room) {
            return;
        }
        let (user, member) = (c.principal.user_id, c.member.clone());
        if let Some(members) = self.rooms.get_mut(room) {
            members.remove(&conn);
            if members.is_empty() {
                self.rooms.remove(room);
            }
        }
        if let Some(change) = self.presence.local_left(room, user, member) {
            self.fan_out(change);
        }
    }

    fn publish(&mut self, conn: ConnId, room: String, data: Value) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        if !room.starts_with("chat:") || !c.rooms.contains(&room) {
            let frame = frames::error(
                "forbidden",
                "join the chat room before publishing to it",
                &room,
            );
            self.send_to(conn, Outbound::frame(frame));
            return;
        }
        let from = c.principal.user_id.0;
        self.fan_out(Broadcast::Chat { room, from, data });
    }

    fn deliver(&mut self, event: &Arc<Event>) {
        if event.kind.starts_with("command.")
            && let Some((_, _, commands)) = self.agents.get(&AgentId(event.resource_id))
        {
            let _ = commands.send(Arc::clone(event));
        }
        let seq = event.seq;
        let owner = event.owner_id;
        let visible = move |c: &Conn| c.principal.scope().admits(owner);
        let stream_room = event.stream.as_str().to_owned();
        for room in [
            stream_room,
            Room::resource_room(event.stream, event.resource_id),
        ] {
            if !self.rooms.contains_key(&room) {
                continue;
            }
            let frame = frames::event(&room, seq, &event.kind, &event.data);
            let outbound = Outbound::event(&room, seq, frame);
            let delivered = self.broadcast(&room, outbound, visible);
            crate::metrics::events_delivered(delivered);
        }
    }

    fn close(&mut self, conn: ConnId, signal: CloseSignal) {
        if signal == SLOW_CONSUMER {
            crate::metrics::slow_consumer_closed();
        }
        if let Some(close) = self.conns.get_mut(&conn).and_then(|c| c.close.take()) {
            let _ = close.send(signal);
        }
        self.remove(conn);
    }

    fn remove(&mut self, conn: ConnId) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let rooms: Vec<String> = c.rooms.iter().cloned().collect();
        let user = c.principal.user_id;
        for room in rooms {
            self.leave(conn, &room);
        }
        self.conns.remove(&conn);
        crate::metrics::websocket_connections(self.conns.len());
        if let Some(count) = self.per_user.get_mut(&user) {
            *count -= 1;
            if *count == 0 {
                self.per_user.remove(&user);
            }
        }
    }
}

fn revoked(which: Revoked, session: SessionId) -> bool {
    match which {
        Revoked::One(id) => id == session,
        Revoked::AllBut(keep) => keep != Some(session),
    }
}
