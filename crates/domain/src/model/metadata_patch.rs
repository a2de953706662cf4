//! JSON Patch (RFC 6902) on an agent's metadata: parsed once at the edge,
//! applied in Rust to a copy, so nothing changes unless every operation
//! succeeds.

use super::JsonObject;
use crate::FieldError;
use json_patch::{Patch, PatchErrorKind};
use serde_json::Value;

/// A parsed RFC 6902 document: add, remove, replace, move, copy, test.
#[derive(Debug, Clone, PartialEq)]
pub struct MetadataPatch(Patch);

/// Why a patch was not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchFailure {
    /// A `test` operation found another value (409).
    TestFailed,
    /// A bad or missing target, or a result outside the limits (422).
    Invalid(FieldError),
}

impl MetadataPatch {
    /// Parses a JSON Patch document (an array of operations).
    ///
    /// # Errors
    /// A [`FieldError`] on `body` for anything but an array of known
    /// operations with well-formed pointers.
    pub fn parse(value: Value) -> Result<Self, FieldError> {
        if !value.is_array() {
            return Err(FieldError::new(
                "body",
                "must be a JSON Patch array of operations",
            ));
        }
        serde_json::from_value(value)
            .map(Self)
            .map_err(|e| FieldError::new("body", format!("not a valid JSON Patch: {e}")))
    }

    /// The operations, in order.
    pub fn operations(&self) -> usize {
        self.0.len()
    }

    /// Applies every operation to a copy of `metadata`; the result must be
    /// an object within the [`JsonObject`] limits.
    ///
    /// # Errors
    /// [`PatchFailure`] naming the first operation that failed.
    pub fn apply(&self, metadata: &JsonObject) -> Result<JsonObject, PatchFailure> {
        let mut doc = metadata.to_value();
        // On a copy: the safe `patch` would only undo what we discard anyway.
        if let Err(error) = json_patch::patch_unsafe(&mut doc, &self.0) {
            if matches!(error.kind, PatchErrorKind::TestFailed) {
                return Err(PatchFailure::TestFailed);
            }
            return Err(PatchFailure::Invalid(FieldError::new(
                format!("[{}]", error.operation),
                format!("{} ({})", error.kind, error.path),
            )));
        }
        JsonObject::parse(doc, "metadata").map_err(PatchFailure::Invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn metadata(value: Value) -> JsonObject {
        JsonObject::parse(value, "metadata").unwrap_or_default()
    }

    fn apply(ops: Value, to: Value) -> Result<Value, PatchFailure> {
        let patch = MetadataPatch::parse(ops).map_err(PatchFailure::Invalid)?;
        patch.apply(&metadata(to)).map(|a| a.to_value())
    }

    #[test]
    fn all_six_operations_apply_in_order() {
        let ops = json!([
            {"op": "add", "path": "/a", "value": {"b": 1}},
            {"op": "replace", "path": "/a/b", "value": 2},
            {"op": "copy", "from": "/a", "path": "/c"},
            {"op": "move", "from": "/c/b", "path": "/d"},
            {"op": "remove", "path": "/x"},
            {"op": "test", "path": "/d", "value": 2},
        ]);
        assert_eq!(
            apply(ops, json!({"x": true})),
            Ok(json!({"a": {"b": 2}, "c": {}, "d": 2}))
        );
    }

    #[test]
    fn failures_are_classified() {
        let failed_test = json!([{"op": "test", "path": "/a", "value": 2}]);
        assert_eq!(
            apply(failed_test, json!({"a": 1})),
            Err(PatchFailure::TestFailed)
        );
        let missing = json!([{"op": "remove", "path": "/nope"}]);
        assert!(matches!(
            apply(missing, json!({})),
            Err(PatchFailure::Invalid(_))
        ));
        let not_object = json!([{"op": "replace", "path": "", "value": 1}]);
        assert!(matches!(
            apply(not_object, json!({})),
            Err(PatchFailure::Invalid(_))
        ));
        assert!(MetadataPatch::parse(json!([{"op": "frob", "path": "/a"}])).is_err());
        assert!(MetadataPatch::parse(json!([{"op": "add", "path": "a", "value": 1}])).is_err());
        assert!(MetadataPatch::parse(json!({"op": "add"})).is_err());
    }
}
