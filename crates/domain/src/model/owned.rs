//! What items, agents and commands share as owned, versioned resources: an owner
//! whose scope they live in, a version that is their ETag, the columns a
//! keyset list sorts by, and the events that announce their changes.

use super::{
    Agent, Command, CursorValue, EventKind, Item, Name, NewEvent, SortField, Timestamp, UserId,
};
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

/// A resource a user owns, changed only at a known version and listed a
/// keyset page at a time. Its `Serialize` is its one wire form: the REST
/// body and the `data` of its events.
pub trait OwnedResource: Serialize {
    /// The event of its creation.
    const CREATED: EventKind;
    /// The event of a new version.
    const UPDATED: EventKind;
    /// The event of its deletion.
    const DELETED: EventKind;

    /// Its identity, which also breaks ties in every sort.
    fn uuid(&self) -> Uuid;
    /// What its events are about (their per-resource room): itself, or —
    /// for a command — its agent.
    fn about(&self) -> Uuid {
        self.uuid()
    }
    /// Its owner.
    fn owner(&self) -> UserId;
    /// 1 at creation, +1 on every change.
    fn version(&self) -> i64;
    /// Its name (searched by `q`).
    fn name(&self) -> &Name;
    /// Its last change.
    fn updated_at(&self) -> Timestamp;
    /// The value of its `field` column, for a keyset cursor.
    fn cursor_value(&self, field: SortField) -> CursorValue;

    /// The event announcing `kind` of this resource, carrying its wire form.
    fn event(&self, kind: EventKind) -> NewEvent {
        NewEvent {
            kind,
            resource_id: self.about(),
            owner_id: self.owner(),
            data: serde_json::to_value(self).unwrap_or(Value::Null),
        }
    }
}

/// Implements [`OwnedResource`] for entities that name these fields alike.
macro_rules! owned_resource {
    ($($entity:ty => $created:ident, $updated:ident, $deleted:ident $(, about $about:ident)?);*) => {$(
        impl OwnedResource for $entity {
            const CREATED: EventKind = EventKind::$created;
            const UPDATED: EventKind = EventKind::$updated;
            const DELETED: EventKind = EventKind::$deleted;

            fn uuid(&self) -> Uuid {
                self.id.0
            }
            $(fn about(&self) -> Uuid {
                self.$about.0
            })?
            fn owner(&self) -> UserId {
                self.owner_id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn name(&self) -> &Name {
                &self.name
            }
            fn updated_at(&self) -> Timestamp {
                self.updated_at
            }
            fn cursor_value(&self, field: SortField) -> CursorValue {
                match field {
                    SortField::CreatedAt => CursorValue::Micros(self.created_at.unix_micros()),
                    SortField::UpdatedAt => CursorValue::Micros(self.updated_at.unix_micros()),
                    SortField::Name => CursorValue::Text(self.name.as_str().to_owned()),
                }
            }
        }
    )*};
}

owned_resource!(
    Item => ItemCreated, ItemUpdated, ItemDeleted;
    Agent => AgentCreated, AgentUpdated, AgentDeleted;
    // A command is never deleted alone (it goes with its agent): no event
    // of its own for that.
    Command => CommandCreated, CommandUpdated, CommandUpdated, about agent_id
);
