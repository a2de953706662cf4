//! The in-memory merge (`domain::model::merge_patch`) against RFC 7396's
//! algorithm, written here as the RFC states it, and against the
//! `json-patch` crate's merge.

use domain::model::merge_patch;
use domain::testing::json::{object, value};
use proptest::prelude::*;
use serde_json::{Map, Value};

/// RFC 7396, section 2, as a function.
fn reference(target: &Value, patch: &Value) -> Value {
    let Value::Object(patch) = patch else {
        return patch.clone();
    };
    let mut merged = match target {
        Value::Object(map) => map.clone(),
        _ => Map::new(),
    };
    for (name, value) in patch {
        if value.is_null() {
            merged.remove(name);
        } else {
            let current = merged.get(name).cloned().unwrap_or(Value::Null);
            merged.insert(name.clone(), reference(&current, value));
        }
    }
    Value::Object(merged)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn merges_as_rfc_7396_says(target in value(), patch in value()) {
        let mut merged = target.clone();
        merge_patch(&mut merged, &patch);
        prop_assert_eq!(&merged, &reference(&target, &patch));
        let mut by_crate = target;
        json_patch::merge(&mut by_crate, &patch);
        prop_assert_eq!(&merged, &by_crate);
        // Applying the same patch again changes nothing.
        let mut again = merged.clone();
        merge_patch(&mut again, &patch);
        prop_assert_eq!(again, merged);
    }

    #[test]
    fn an_object_patch_keeps_an_object(target in object(), patch in object()) {
        let mut merged = Value::Object(target);
        merge_patch(&mut merged, &Value::Object(patch.clone()));
        let Value::Object(merged) = merged else {
            return Err(TestCaseError::fail("the merge of two objects is an object"));
        };
        for (key, value) in &patch {
            prop_assert_eq!(merged.contains_key(key), !value.is_null());
        }
    }
}
