//! Domain events: what happened to a resource, logged in the same
//! transaction as the change and delivered to WebSocket rooms.

use super::{Timestamp, UserId};
use serde_json::Value;
use uuid::Uuid;

/// An event stream: every member of a stream's rooms receives the part of
/// it they may see. Seqs increase along a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stream {
    /// `item.created`, `item.updated`, `item.deleted`.
    Items,
    /// Agent events.
    Agents,
}

impl Stream {
    /// The stream's name as stored (`items`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Items => "items",
            Self::Agents => "agents",
        }
    }

    /// The stream named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "items" => Some(Self::Items),
            "agents" => Some(Self::Agents),
            _ => None,
        }
    }
}

/// What happened to which kind of resource: the event's name
/// (`item.created`, `agent.online`, …), which also says its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `item.created`.
    ItemCreated,
    /// `item.updated`.
    ItemUpdated,
    /// `item.deleted`.
    ItemDeleted,
    /// `agent.created`.
    AgentCreated,
    /// `agent.updated`.
    AgentUpdated,
    /// `agent.deleted`.
    AgentDeleted,
    /// `agent.online`: an agent connected.
    AgentOnline,
    /// `agent.offline`: an agent's connection ended.
    AgentOffline,
    /// `command.created`: a command was queued for an agent.
    CommandCreated,
    /// `command.updated`: a command's status changed.
    CommandUpdated,
}

impl EventKind {
    /// The name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ItemCreated => "item.created",
            Self::ItemUpdated => "item.updated",
            Self::ItemDeleted => "item.deleted",
            Self::AgentCreated => "agent.created",
            Self::AgentUpdated => "agent.updated",
            Self::AgentDeleted => "agent.deleted",
            Self::AgentOnline => "agent.online",
            Self::AgentOffline => "agent.offline",
            Self::CommandCreated => "command.created",
            Self::CommandUpdated => "command.updated",
        }
    }

    /// The stream events of this kind belong to.
    pub fn stream(self) -> Stream {
        match self {
            Self::ItemCreated | Self::ItemUpdated | Self::ItemDeleted => Stream::Items,
            _ => Stream::Agents,
        }
    }
}

/// An event about to be written with its change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// What happened (and so the stream).
    pub kind: EventKind,
    /// The resource it is about.
    pub resource_id: Uuid,
    /// Whose resource it is (who may see it, with admins).
    pub owner_id: UserId,
    /// The payload clients receive (the resource's wire form).
    pub data: Value,
}

/// A logged event, as the log releases it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Its position in the log (unique across streams); increases, not
    /// necessarily by one.
    pub seq: i64,
    /// Its stream.
    pub stream: Stream,
    /// Its name as [`EventKind::as_str`] wrote it (`item.updated`, …).
    pub kind: String,
    /// The resource it is about.
    pub resource_id: Uuid,
    /// Whose resource it is.
    pub owner_id: UserId,
    /// The payload.
    pub data: Value,
    /// When it was written.
    pub created_at: Timestamp,
}
