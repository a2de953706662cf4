//! Item writes: create and scope, replacement, description, versions and
//! deletes.

use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::{Description, ItemChange, ItemId, JsonObject, ObjectChange};
use domain::ports::{ItemRepository, OwnedRepository, Scope, WriteOutcome};
use infra::{Db, SeaItems};
use serde_json::json;

on_both!(
    create_find_and_scope,
    replace_and_clear_description,
    version_mismatch_is_told_from_not_found,
);

async fn create_find_and_scope(db: Db) {
    let (ada, bob) = (
        user(&db, "ada@example.com").await,
        user(&db, "bob@example.com").await,
    );
    let items = SeaItems::new(db);
    let attributes = json!({"colour": "red", "size": {"w": 1.5, "h": 2}, "tags": ["a", null]});
    let mut bare = item(ada, "  Bare  ", json!({}), base_time());
    bare.description = None;
    let rich = item(ada, "Rich", attributes, base_time());
    items.create(&bare).await.unwrap();
    items.create(&rich).await.unwrap();

    assert_eq!(
        items.find(rich.id, Scope::Owner(ada)).await.unwrap(),
        Some(rich.clone())
    );
    assert_eq!(
        items.find(bare.id, Scope::Owner(ada)).await.unwrap(),
        Some(bare.clone())
    );
    assert_eq!(items.find(rich.id, Scope::Owner(bob)).await.unwrap(), None);
    assert_eq!(items.find(rich.id, Scope::All).await.unwrap(), Some(rich));
    assert_eq!(items.find(ItemId::new(), Scope::All).await.unwrap(), None);
}

async fn replace_and_clear_description(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db);
    let created = item(ada, "Thing", json!({"a": {"b": 1}}), base_time());
    items.create(&created).await.unwrap();

    let keep_description = ItemChange {
        attributes: ObjectChange::Replace(JsonObject::parse(json!({"c": 2}), "x").unwrap()),
        ..ItemChange::default()
    };
    let WriteOutcome::Done(replaced) = items
        .update(
            created.id,
            Scope::Owner(ada),
            &keep_description,
            Some(1),
            at(1),
        )
        .await
        .unwrap()
    else {
        panic!("replace refused")
    };
    assert_eq!(replaced.attributes.to_value(), json!({"c": 2}));
    assert_eq!(replaced.description, created.description);

    let clear = ItemChange {
        description: Some(None),
        ..ItemChange::default()
    };
    let outcome = items
        .update(created.id, Scope::Owner(ada), &clear, None, at(2))
        .await;
    let WriteOutcome::Done(cleared) = outcome.unwrap() else {
        panic!("clear refused")
    };
    assert_eq!((cleared.description, cleared.version), (None, 3));
    assert_eq!(cleared.attributes.to_value(), json!({"c": 2}));

    let set = ItemChange {
        description: Some(Some(Description::parse("back").unwrap())),
        ..ItemChange::default()
    };
    let outcome = items
        .update(created.id, Scope::All, &set, None, at(3))
        .await;
    let WriteOutcome::Done(set) = outcome.unwrap() else {
        panic!("set refused")
    };
    assert_eq!(
        set.description.as_ref().map(Description::as_str),
        Some("back")
    );
}

async fn version_mismatch_is_told_from_not_found(db: Db) {
    let (ada, bob) = (
        user(&db, "ada@example.com").await,
        user(&db, "bob@example.com").await,
    );
    let items = SeaItems::new(db);
    let created = item(ada, "Thing", json!({}), base_time());
    items.create(&created).await.unwrap();
    let change = merge(json!({"k": 1}));
    let (id, mine) = (created.id, Scope::Owner(ada));

    assert!(matches!(
        items
            .update(id, mine, &change, Some(1), at(1))
            .await
            .unwrap(),
        WriteOutcome::Done(_)
    ));
    assert_eq!(
        items
            .update(id, mine, &change, Some(1), at(2))
            .await
            .unwrap(),
        WriteOutcome::VersionMismatch
    );
    assert_eq!(
        items
            .update(id, Scope::Owner(bob), &change, Some(2), at(2))
            .await
            .unwrap(),
        WriteOutcome::NotFound
    );
    assert_eq!(
        items
            .update(id, Scope::Owner(bob), &change, None, at(2))
            .await
            .unwrap(),
        WriteOutcome::NotFound
    );
    assert_eq!(
        items
            .update(ItemId::new(), Scope::All, &change, Some(1), at(2))
            .await
            .unwrap(),
        WriteOutcome::NotFound
    );
    assert_eq!(items.find(id, mine).await.unwrap().unwrap().version, 2);

    assert_eq!(
        items.delete(id, mine, Some(1), at(9)).await.unwrap(),
        WriteOutcome::VersionMismatch
    );
    assert_eq!(
        items
            .delete(id, Scope::Owner(bob), None, at(9))
            .await
            .unwrap(),
        WriteOutcome::NotFound
    );
    let current = items.find(id, mine).await.unwrap().unwrap();
    assert_eq!(
        items.delete(id, mine, Some(2), at(9)).await.unwrap(),
        WriteOutcome::Done(current)
    );
    assert_eq!(items.find(id, Scope::All).await.unwrap(), None);
    assert_eq!(
        items.delete(id, Scope::All, None, at(9)).await.unwrap(),
        WriteOutcome::NotFound
    );
}
