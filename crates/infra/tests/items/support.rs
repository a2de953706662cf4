//! Builders for items, and what every infra test crate shares
//! (`crate::common`), re-exported.

use domain::model::{
    Description, Item, ItemChange, ItemId, ItemName, JsonObject, ObjectChange, Timestamp, UserId,
};
use serde_json::Value;

pub(crate) use crate::common::on_both;
pub use crate::common::{at, base_time, user};

/// An unsaved item of `owner` named `name`, created and updated at `when`.
pub fn item(owner: UserId, name: &str, attributes: Value, when: Timestamp) -> Item {
    Item {
        id: ItemId::new(),
        owner_id: owner,
        name: ItemName::parse(name).unwrap(),
        description: Some(Description::parse("a description").unwrap()),
        attributes: JsonObject::parse(attributes, "attributes").unwrap(),
        version: 1,
        created_at: when,
        updated_at: when,
    }
}

/// A change that merges `patch` into the attributes.
pub fn merge(patch: Value) -> ItemChange {
    let Value::Object(patch) = patch else {
        panic!("a patch is an object")
    };
    ItemChange {
        attributes: ObjectChange::Merge(patch),
        ..ItemChange::default()
    }
}
