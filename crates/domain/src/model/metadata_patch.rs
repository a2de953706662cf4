//! JSON Patch (RFC 6902) on an agent's metadata: parsed once at the edge,
//! applied in Rust to a copy, so nothing changes unless every operation
//! succeeds.
//!
//! The work is bounded whatever the patch says: at most
//! [`MetadataPatch::MAX_OPERATIONS`] operations, applied one by one, with
//! the [`JsonObject`] limits checked after each; a `copy` is measured
//! before it is made. A patch of doubling copies (`from: ""`) is refused
//! at the operation that would cross 65,536 bytes or 16 levels, having
//! never held more than twice that in memory.

use super::JsonObject;
use crate::FieldError;
use json_patch::{Patch, PatchErrorKind, PatchOperation};
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
    /// Most operations in one patch.
    pub const MAX_OPERATIONS: usize = 1_000;

    /// Parses a JSON Patch document (an array of at most
    /// [`Self::MAX_OPERATIONS`] operations).
    ///
    /// # Errors
    /// A [`FieldError`] on `body` for anything but an array; on
    /// `/N/<member>` for a malformed operation N (`/0/op` for an unknown
    /// op, `/1/path` for a bad pointer, `/2/value` when missing); on `/N`
    /// for the first operation past the limit.
    pub fn parse(value: Value) -> Result<Self, FieldError> {
        let Value::Array(operations) = value else {
            return Err(FieldError::new(
                "body",
                "must be a JSON Patch array of operations",
            ));
        };
        if operations.len() > Self::MAX_OPERATIONS {
            return Err(FieldError::new(
                format!("/{}", Self::MAX_OPERATIONS),
                format!("a patch has at most {} operations", Self::MAX_OPERATIONS),
            ));
        }
        operations
            .into_iter()
            .enumerate()
            .map(|(index, operation)| parse_operation(index, operation))
            .collect::<Result<Vec<_>, _>>()
            .map(|operations| Self(Patch(operations)))
    }

    /// The operations, in order.
    pub fn operations(&self) -> usize {
        self.0.len()
    }

    /// Applies the operations one by one to a copy of `metadata`; after
    /// each, the document must be within the [`JsonObject`] limits, and
    /// the result must be an object (as RFC 6902 allows, an operation in
    /// between may leave something else, e.g. `replace` of the root).
    ///
    /// # Errors
    /// [`PatchFailure`] naming the first operation that failed (`/N/...`).
    pub fn apply(&self, metadata: &JsonObject) -> Result<JsonObject, PatchFailure> {
        let mut doc = metadata.to_value();
        for (index, operation) in self.0.iter().enumerate() {
            refuse_large_copy(&doc, operation, index)?;
            // On a copy: the safe `patch` would only undo what we discard anyway.
            if let Err(error) = json_patch::patch_unsafe(&mut doc, std::slice::from_ref(operation))
            {
                if matches!(error.kind, PatchErrorKind::TestFailed) {
                    return Err(PatchFailure::TestFailed);
                }
                return Err(PatchFailure::Invalid(FieldError::new(
                    format!("/{index}/path"),
                    format!("{} ({})", error.kind, error.path),
                )));
            }
            JsonObject::check_value(&doc, "metadata")
                .map_err(|e| invalid(index, "path", &format!("metadata {}", e.message)))?;
        }
        JsonObject::parse(doc, "metadata").map_err(PatchFailure::Invalid)
    }
}

/// Parses operation `index`; an error names its member (`/0/op`,
/// `/2/path`, `/1/value` when missing).
fn parse_operation(index: usize, operation: Value) -> Result<PatchOperation, FieldError> {
    let malformed_pointer = ["path", "from"]
        .into_iter()
        .find(|member| operation.get(member).is_some_and(|p| !is_pointer(p)));
    serde_path_to_error::deserialize(operation).map_err(|error| {
        let path = error.path().to_string();
        let message = error.into_inner().to_string();
        let member = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
            .or(malformed_pointer)
            .map(str::to_owned)
            .or_else(|| (path != ".").then(|| path.replace('.', "/")))
            .unwrap_or_else(|| "op".to_owned());
        FieldError::new(
            format!("/{index}/{member}"),
            format!("not a valid JSON Patch operation: {message}"),
        )
    })
}

/// Whether `value` is an RFC 6901 JSON Pointer: a string, empty or
/// starting with `/`, whose every `~` is followed by `0` or `1`.
fn is_pointer(value: &Value) -> bool {
    let Some(text) = value.as_str() else {
        return false;
    };
    let escapes_ok = text
        .split('~')
        .skip(1)
        .all(|rest| rest.starts_with('0') || rest.starts_with('1'));
    (text.is_empty() || text.starts_with('/')) && escapes_ok
}

/// Refuses a `copy` whose value alone would take the document over
/// [`JsonObject::MAX_BYTES`], before cloning it.
fn refuse_large_copy(
    doc: &Value,
    operation: &PatchOperation,
    index: usize,
) -> Result<(), PatchFailure> {
    let PatchOperation::Copy(copy) = operation else {
        return Ok(());
    };
    let Some(source) = doc.pointer(copy.from.as_str()) else {
        return Ok(());
    };
    let budget = JsonObject::MAX_BYTES.saturating_sub(compact_size(doc, JsonObject::MAX_BYTES));
    if compact_size(source, budget) > budget {
        return Err(invalid(
            index,
            "from",
            "copying this value would make the metadata larger than 65536 bytes",
        ));
    }
    Ok(())
}

/// The compact JSON size of `value`, counted up to just past `limit`.
fn compact_size(value: &Value, limit: usize) -> usize {
    let mut counter = Counter { bytes: 0, limit };
    // Only the counter fails, when the limit is passed.
    drop(serde_json::to_writer(&mut counter, value));
    counter.bytes
}

/// A writer that counts bytes and fails once past its limit.
struct Counter {
    bytes: usize,
    limit: usize,
}

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes = self.bytes.saturating_add(buf.len());
        if self.bytes > self.limit {
            return Err(std::io::Error::other("over the limit"));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn invalid(index: usize, member: &str, message: &str) -> PatchFailure {
    PatchFailure::Invalid(FieldError::new(format!("/{index}/{member}"), message))
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
        let field = |ops: Value| MetadataPatch::parse(ops).map(|_| ()).map_err(|e| e.field);
        assert_eq!(
            field(json!([{"op": "frob", "path": "/a"}])),
            Err("/0/op".into())
        );
        let no_slash = json!([{"op": "test", "path": "", "value": {}}, {"op": "add", "path": "a", "value": 1}]);
        assert_eq!(field(no_slash), Err("/1/path".into()));
        assert_eq!(
            field(json!([{"op": "add", "path": "/a"}])),
            Err("/0/value".into())
        );
        assert!(MetadataPatch::parse(json!({"op": "add"})).is_err());
    }

    #[test]
    fn doubling_copies_stop_at_the_limit_with_the_operation_named() {
        let doubling: Vec<Value> = (0..30)
            .map(|i| json!({"op": "copy", "from": "", "path": format!("/c{i}")}))
            .collect();
        let Err(PatchFailure::Invalid(error)) = apply(json!(doubling), json!({})) else {
            panic!("a doubling patch must be refused");
        };
        assert!(error.field.starts_with('/'), "{error:?}");
        let big = json!({"blob": "x".repeat(40_000)});
        let copies = json!([{"op": "copy", "from": "", "path": "/c"}]);
        let Err(PatchFailure::Invalid(error)) = apply(copies, big) else {
            panic!("a copy over the limit must be refused");
        };
        assert_eq!(error.field, "/0/from");
    }

    #[test]
    fn too_many_operations_are_refused_before_parsing() {
        let ops: Vec<Value> = (0..=MetadataPatch::MAX_OPERATIONS)
            .map(|_| json!({"op": "test", "path": "", "value": {}}))
            .collect();
        let error = MetadataPatch::parse(json!(ops)).expect_err("over the limit");
        assert_eq!(error.field, "/1000");
    }
}
