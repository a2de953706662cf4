//! Items: the general resource clients create, list and change.

use super::{Description, ItemId, JsonObject, Name, ObjectChange, Timestamp, UserId};
use serde::Serialize;

/// An item name: 1–200 characters after trimming, no control characters
/// (the one validated [`Name`] type every named resource shares).
pub type ItemName = Name;

/// An item as stored and returned; its `Serialize` is the one wire form
/// (`Item` of API.md), for the REST body and the event payload alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Item {
    /// Identity (UUID v7).
    pub id: ItemId,
    /// Its owner.
    pub owner_id: UserId,
    /// Name.
    pub name: ItemName,
    /// Optional description.
    pub description: Option<Description>,
    /// Free JSON object.
    pub attributes: JsonObject,
    /// 1 at creation, +1 on every change.
    pub version: i64,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// The fields of a new item, or of a full replacement (`PUT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDraft {
    /// Name.
    pub name: ItemName,
    /// Description (`None` when absent).
    pub description: Option<Description>,
    /// Attributes (`{}` when absent).
    pub attributes: JsonObject,
}

/// A change to an item (`PATCH`, or `PUT` with every field set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemChange {
    /// New name.
    pub name: Option<ItemName>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<Description>>,
    /// Attributes change.
    pub attributes: ObjectChange,
}

impl From<ItemDraft> for ItemChange {
    fn from(draft: ItemDraft) -> Self {
        Self {
            name: Some(draft.name),
            description: Some(draft.description),
            attributes: ObjectChange::Replace(draft.attributes),
        }
    }
}
