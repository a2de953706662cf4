//! Domain events: what happened to a resource, logged in the same
//! transaction as the change and delivered to WebSocket rooms.

use super::{Item, Timestamp, UserId};
use serde_json::{Value, json};
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

/// An event about to be written with its change.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    /// Its stream.
    pub stream: Stream,
    /// `item.updated`, …
    pub kind: &'static str,
    /// The resource it is about.
    pub resource_id: Uuid,
    /// Whose resource it is (who may see it, with admins).
    pub owner_id: UserId,
    /// The payload clients receive (the resource as the API renders it).
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
    /// `item.updated`, …
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

impl Item {
    /// The item as the API renders it (`Item` of API.md).
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id.0,
            "owner_id": self.owner_id.0,
            "name": self.name.as_str(),
            "description": self.description.as_ref().map(|d| d.as_str()),
            "attributes": self.attributes.as_map(),
            "version": self.version,
            "created_at": self.created_at.to_string(),
            "updated_at": self.updated_at.to_string(),
        })
    }

    /// The event announcing `kind` (`item.created`, …) of this item.
    pub fn event(&self, kind: &'static str) -> NewEvent {
        NewEvent {
            stream: Stream::Items,
            kind,
            resource_id: self.id.0,
            owner_id: self.owner_id,
            data: self.to_json(),
        }
    }
}
