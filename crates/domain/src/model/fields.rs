//! The field types every owned resource may hold: a description, free JSON
//! objects within limits and how a change treats them, and the wire form
//! of the shared [`Name`].

use super::Name;
use crate::FieldError;
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

impl Serialize for Name {
    /// A name is written as its text.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A description: at most 10,000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
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
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(transparent)]
pub struct JsonObject(Map<String, Value>);

impl JsonObject {
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
        let size = serde_json::to_vec(map)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        Self::within_limits(depth, size, field)
    }

    /// Checks any JSON value (a document on its way to becoming an
    /// object, such as a JSON Patch half applied) against the limits.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when too large or too deep.
    pub fn check_value(value: &Value, field: &str) -> Result<(), FieldError> {
        let size = serde_json::to_vec(value)
            .map(|v| v.len())
            .unwrap_or(usize::MAX);
        Self::within_limits(depth(value), size, field)
    }

    fn within_limits(depth: usize, size: usize, field: &str) -> Result<(), FieldError> {
        if depth > Self::MAX_DEPTH {
            return Err(FieldError::new(field, "must nest at most 16 levels deep"));
        }
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

/// What to do with a [`JsonObject`] field in a change.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum ObjectChange {
    /// Leave as is.
    #[default]
    Keep,
    /// Replace the whole object (`PUT`, or `null` → `{}`).
    Replace(JsonObject),
    /// RFC 7396 merge patch: objects merge key by key at every depth, null
    /// deletes a key, any other value replaces. Done by the database.
    Merge(Map<String, Value>),
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
            JsonObject::parse(value.clone(), "attributes").is_ok(),
            "depth 15"
        );
        let sixteen = json!({"k": value});
        assert!(
            JsonObject::parse(sixteen.clone(), "attributes").is_ok(),
            "depth 16"
        );
        assert!(JsonObject::parse(json!({"k": [sixteen]}), "attributes").is_err());
        assert!(JsonObject::parse(json!([1]), "attributes").is_err());
    }

    #[test]
    fn size_is_measured_as_compact_json() {
        let big = "x".repeat(JsonObject::MAX_BYTES);
        assert!(JsonObject::parse(json!({"k": big}), "attributes").is_err());
        assert!(JsonObject::parse(json!({"k": "x".repeat(65_000)}), "attributes").is_ok());
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
