//! Properties of the depth scan: on any JSON a serializer writes it agrees
//! with the depth of the parsed value, and no byte string makes it panic.

use super::{MAX_DEPTH, check};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use serde_json::Value;

/// Nesting of a parsed value: a scalar is 0, an array or object one more
/// than its deepest member.
fn depth(value: &Value) -> usize {
    let members: Box<dyn Iterator<Item = &Value>> = match value {
        Value::Array(items) => Box::new(items.iter()),
        Value::Object(map) => Box::new(map.values()),
        _ => return 0,
    };
    1 + members.map(depth).max().unwrap_or(0)
}

/// Strings heavy in what the scan must skip inside strings: brackets,
/// quotes, backslashes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![".*", r#"[\[\]{}"\\a ]{0,12}"#]
}

/// Any JSON value, a few levels deep.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 5, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..5).prop_map(Value::Array),
            btree_map(text(), inner, 0..5).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// A value wrapped in up to 80 arrays or objects (keyed by brackets), so
/// depths on both sides of [`MAX_DEPTH`] come up.
fn deep_json() -> impl Strategy<Value = Value> {
    (json(), vec((any::<bool>(), text()), 0..80)).prop_map(|(mut value, wrappers)| {
        for (is_array, key) in wrappers {
            value = if is_array {
                Value::Array(vec![Value::Null, value])
            } else {
                Value::Object([(key, value)].into_iter().collect())
            };
        }
        value
    })
}

/// Any bytes, or bytes of JSON's punctuation (often valid JSON).
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    let punctuation = proptest::sample::select(br#"[]{}",:\a1 "#.to_vec());
    prop_oneof![vec(any::<u8>(), 0..512), vec(punctuation, 0..256)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn agrees_with_the_depth_of_the_value(value in deep_json()) {
        let within = depth(&value) <= MAX_DEPTH;
        let compact = serde_json::to_vec(&value).expect("a value serializes");
        let pretty = serde_json::to_vec_pretty(&value).expect("a value serializes");
        prop_assert_eq!(check(&compact).is_ok(), within);
        prop_assert_eq!(check(&pretty).is_ok(), within);
    }

    #[test]
    fn any_bytes_are_scanned_without_panic(bytes in bytes()) {
        let verdict = check(&bytes).is_ok();
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            prop_assert_eq!(verdict, depth(&value) <= MAX_DEPTH);
        }
    }
}
