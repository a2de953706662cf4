//! The bodies of `/api/v1/items`: what a client sends, and the schema of
//! what it gets back.

use crate::error::ApiError;
use crate::routes::support::fields::{
    description, description_change, keep, name_change, object_change, object_or_empty, present,
};
use domain::model::{Item, ItemChange, ItemDraft, ItemName};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Body of `POST /items` and `PUT /items/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemRequest {
    /// 1–200 characters after trimming, no control characters.
    #[schema(example = "Desk lamp")]
    pub name: String,
    /// At most 10,000 characters.
    pub description: Option<String>,
    /// A JSON object: at most 65,536 bytes compact, depth at most 16.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
}

impl ItemRequest {
    pub(super) fn try_into_domain(self) -> Result<ItemDraft, ApiError> {
        let mut errors = Vec::new();
        let name = keep(&mut errors, ItemName::parse(&self.name));
        let description = keep(&mut errors, description(self.description.as_deref()));
        let attributes = keep(&mut errors, object_or_empty(self.attributes, "attributes"));
        match (name, description, attributes) {
            (Some(name), Some(description), Some(attributes)) => Ok(ItemDraft {
                name,
                description,
                attributes,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// Body of `PATCH /items/{id}` (`application/merge-patch+json` or
/// `application/json`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemPatchRequest {
    /// New name; may be left out, but `null` is refused (422).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String)]
    pub name: Option<Option<String>>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Merged into the current attributes (RFC 7396); `null` resets to `{}`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, nullable)]
    pub attributes: Option<Option<Value>>,
}

impl ItemPatchRequest {
    pub(super) fn try_into_domain(self) -> Result<ItemChange, ApiError> {
        let mut errors = Vec::new();
        let name = name_change(&mut errors, self.name);
        let description = description_change(&mut errors, self.description);
        let attributes = object_change(&mut errors, self.attributes, "attributes");
        if errors.is_empty() {
            Ok(ItemChange {
                name,
                description,
                attributes,
            })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

// The OpenAPI schema only: the body is written by `Item`'s `Serialize`,
// the one wire form, which is also the `data` of the item's events.
/// `Item`.
#[derive(Debug, ToSchema)]
pub struct ItemBody {
    /// Identity (UUID v7).
    pub id: uuid::Uuid,
    /// The owner.
    pub owner_id: uuid::Uuid,
    /// 1–200 characters.
    pub name: String,
    /// At most 10,000 characters; `null` when not set.
    pub description: Option<String>,
    /// A free JSON object.
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    /// 1 at creation, +1 on every change; the ETag is `"<version>"`.
    pub version: i64,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
}

/// `Page<Item>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemPage {
    /// The rows.
    #[schema(value_type = Vec<ItemBody>)]
    pub data: Vec<Item>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
