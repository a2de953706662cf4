//! Generated JSON for property tests: small documents over a few keys, so
//! that patches and pointers built from the same keys often hit.

use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// The keys documents and patches are built from; `a/b` and `x~y` need
/// escaping in a JSON Pointer.
pub const KEYS: [&str; 5] = ["a", "b", "c", "a/b", "x~y"];

/// A key of [`KEYS`].
pub fn key() -> impl Strategy<Value = String> {
    proptest::sample::select(KEYS.to_vec()).prop_map(str::to_owned)
}

/// Any JSON value of a few levels, with integers only (RFC 6902's `test`
/// compares numbers by value, serde_json's `1` and `1.0` differ).
pub fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-3i64..3).prop_map(Value::from),
        "[a-c]{0,2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..4).prop_map(Value::Array),
            btree_map(key(), inner, 0..4).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A JSON object of [`value`]s.
pub fn object() -> impl Strategy<Value = Map<String, Value>> {
    btree_map(key(), value(), 0..5).prop_map(|map| map.into_iter().collect())
}
