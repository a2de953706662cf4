//! Items: the general resource clients create, list and change.

use super::{ItemId, Name, Timestamp, UserId};
use crate::FieldError;
use serde_json::{Map, Value};

/// An item name: 1–200 characters after trimming, no control characters
/// (the one validated [`Name`] type every named resource shares).
pub type ItemName = Name;

/// A description: at most 10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 10_000;

    /// Accepts up to 10,000 characters.
    ///
    /// # Errors
    /// A [`FieldError`] on `description`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "description",
                "must be at most 10000 characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A free JSON object within the limits: at most 65,536 bytes as compact
/// JSON and nesting depth at most 16 (a flat object is depth 1).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Attributes(Map<String, Value>);

impl Attributes {
    /// Largest compact JSON size, in bytes.
    pub const MAX_BYTES: usize = 65_536;
    /// Deepest nesting.
    pub const MAX_DEPTH: usize = 16;

    /// Accepts a JSON object within the limits, reported on `field`.
    ///
    /// # Errors
    /// A [`FieldError`] when not an object, too large or too deep.
    pub fn parse(value: Value, field: &str) -> Result<Self, FieldError> {
        let Value::Object(map) = value else {
            return Err(FieldError::new(field, "must be a JSON object"));
        };
        Self::check(&map, field)?;
        Ok(Self(map))
    }

    /// Checks an object against the limits without taking it.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when too large or too deep.
    pub fn check(map: &Map<String, Value>, field: &str) -> Result<(), FieldError> {
        let depth = 1 + map.values().map(depth).max().unwrap_or(0);
        if depth > Self::MAX_DEPTH {
            return Err(FieldError::new(field, "must nest at most 16 levels deep"));
        }
        let size = serde_json::to_vec(map)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        if size > Self::MAX_BYTES {
            return Err(FieldError::new(
                field,
                "must be at most 65536 bytes as compact JSON",
            ));
        }
        Ok(())
    }

    /// The object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    /// The object as a JSON value.
    pub fn to_value(&self) -> Value {
        Value::Object(self.0.clone())
    }
}

fn depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// An item as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub attributes: Attributes,
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
    pub attributes: Attributes,
}

/// What to do with `attributes` in a change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum AttributesChange {
    /// Leave as is.
    #[default]
    Keep,
    /// Replace the whole object (`PUT`, or `"attributes": null` → `{}`).
    Replace(Attributes),
    /// RFC 7396 merge patch: objects merge key by key at every depth, null
    /// deletes a key, any other value replaces. Done by the database.
    Merge(Map<String, Value>),
}

/// A change to an item (`PATCH`, or `PUT` with every field set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemChange {
    /// New name.
    pub name: Option<ItemName>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<Description>>,
    /// Attributes change.
    pub attributes: AttributesChange,
}

impl From<ItemDraft> for ItemChange {
    fn from(draft: ItemDraft) -> Self {
        Self {
            name: Some(draft.name),
            description: Some(draft.description),
            attributes: AttributesChange::Replace(draft.attributes),
        }
    }
}

/// Applies an RFC 7396 merge patch to `target` in place (the in-memory
/// adapters' merge; the database adapters merge in SQL).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge_patch(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn depth_counts_objects_and_arrays() {
        let mut value = json!(1);
        for _ in 0..15 {
            value = json!({"k": value});
        }
        assert!(
            Attributes::parse(value.clone(), "attributes").is_ok(),
            "depth 15"
        );
        let sixteen = json!({"k": value});
        assert!(
            Attributes::parse(sixteen.clone(), "attributes").is_ok(),
            "depth 16"
        );
        assert!(Attributes::parse(json!({"k": [sixteen]}), "attributes").is_err());
        assert!(Attributes::parse(json!([1]), "attributes").is_err());
    }

    #[test]
    fn size_is_measured_as_compact_json() {
        let big = "x".repeat(Attributes::MAX_BYTES);
        assert!(Attributes::parse(json!({"k": big}), "attributes").is_err());
        assert!(Attributes::parse(json!({"k": "x".repeat(65_000)}), "attributes").is_ok());
    }

    #[test]
    fn merge_patch_follows_rfc_7396() {
        let mut target = json!({"a": "b", "c": {"d": "e", "f": "g"}});
        merge_patch(&mut target, &json!({"a": "z", "c": {"f": null, "h": [1]}}));
        assert_eq!(target, json!({"a": "z", "c": {"d": "e", "h": [1]}}));
        let mut scalar = json!({"a": 1});
        merge_patch(&mut scalar, &json!({"a": {"b": null, "c": 2}}));
        assert_eq!(scalar, json!({"a": {"c": 2}}));
    }
}
