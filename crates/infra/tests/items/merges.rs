//! Attribute merges done by the database: recursive RFC 7396, limits on
//! the merged result, concurrent merges of different keys.

use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::{ItemChange, ItemName, Limit, SearchText, SortKey, merge_patch};
use domain::ports::{ItemRepository, ListQuery, OwnedRepository, Scope, WriteOutcome};
use infra::{Db, SeaItems};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Map, json};
use std::sync::Arc;

on_both!(
    merge_is_recursive_and_bumps_version,
    merged_result_over_the_limit_changes_nothing,
    concurrent_merges_of_different_keys_all_survive,
);

async fn merge_is_recursive_and_bumps_version(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db.clone());
    let start = json!({"a": 1, "nested": {"x": 1, "y": 2, "deep": {"k": true}}, "gone": "soon"});
    let created = item(ada, "Thing", start.clone(), base_time());
    items.create(&created).await.unwrap();

    let patch = json!({"nested": {"y": null, "z": [3], "deep": {"k": null, "l": 1}}, "gone": null, "b": "new"});
    let later = at(1_000_001);
    let WriteOutcome::Done(updated) = items
        .update(
            created.id,
            Scope::Owner(ada),
            &merge(patch.clone()),
            None,
            later,
        )
        .await
        .unwrap()
    else {
        panic!("merge refused")
    };
    let mut expected = start;
    merge_patch(&mut expected, &patch);
    assert_eq!(
        expected,
        json!({"a": 1, "nested": {"x": 1, "z": [3], "deep": {"l": 1}}, "b": "new"})
    );
    assert_eq!(updated.attributes.to_value(), expected);
    assert_eq!((updated.version, updated.updated_at), (2, later));
    assert_eq!(updated.created_at, created.created_at);
    assert_eq!(
        (&updated.name, &updated.description),
        (&created.name, &created.description)
    );
    assert_eq!(
        items.find(created.id, Scope::All).await.unwrap(),
        Some(updated)
    );

    // A scalar replaced by an object, and a rename in the same statement.
    let change = ItemChange {
        name: Some(ItemName::parse("Renamed").unwrap()),
        ..merge(json!({"a": {"inner": null, "kept": 1}}))
    };
    let WriteOutcome::Done(renamed) = items
        .update(created.id, Scope::All, &change, Some(2), at(2_000_000))
        .await
        .unwrap()
    else {
        panic!("second merge refused")
    };
    assert_eq!(renamed.attributes.as_map()["a"], json!({"kept": 1}));
    assert_eq!((renamed.name.as_str(), renamed.version), ("Renamed", 3));
    let search = ListQuery {
        filter: (),
        q: SearchText::parse("RENAMED").unwrap(),
        sort: SortKey::NEWEST_FIRST,
        limit: Limit::DEFAULT,
        after: None,
    };
    assert_eq!(items.list(Scope::All, &search).await.unwrap(), [renamed]);

    // Stored as compact JSON text on SQLite, as jsonb on PostgreSQL.
    let (backend, sql) = if db.is_postgres() {
        (
            DbBackend::Postgres,
            "SELECT pg_typeof(attributes)::text AS t, attributes::text AS a FROM items",
        )
    } else {
        (
            DbBackend::Sqlite,
            "SELECT typeof(attributes) AS t, attributes AS a FROM items",
        )
    };
    let stmt = Statement::from_string(backend, sql);
    let row = db.connection().query_one_raw(stmt).await.unwrap().unwrap();
    let kind: String = row.try_get("", "t").unwrap();
    let text: String = row.try_get("", "a").unwrap();
    if db.is_postgres() {
        assert_eq!(kind, "jsonb");
    } else {
        assert_eq!(kind, "text");
        assert!(!text.contains(char::is_whitespace), "not compact: {text}");
    }
}

async fn merged_result_over_the_limit_changes_nothing(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db);
    let created = item(ada, "Big", json!({"a": "x".repeat(40_000)}), base_time());
    items.create(&created).await.unwrap();

    let too_big = merge(json!({"b": "y".repeat(30_000)}));
    let outcome = items
        .update(created.id, Scope::All, &too_big, Some(1), at(1))
        .await
        .unwrap();
    let WriteOutcome::Invalid(errors) = outcome else {
        panic!("over 65,536 bytes accepted")
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].field, "attributes");

    let mut deep = json!(1);
    for _ in 0..17 {
        deep = json!({"d": deep});
    }
    let outcome = items
        .update(created.id, Scope::All, &merge(deep), None, at(1))
        .await
        .unwrap();
    assert!(
        matches!(outcome, WriteOutcome::Invalid(_)),
        "17 levels accepted"
    );
    assert_eq!(
        items.find(created.id, Scope::All).await.unwrap(),
        Some(created.clone())
    );

    // Replacing the big value instead fits, and is kept.
    let fits = merge(json!({"a": null, "b": "y".repeat(30_000)}));
    let outcome = items
        .update(created.id, Scope::All, &fits, Some(1), at(2))
        .await
        .unwrap();
    assert!(
        matches!(outcome, WriteOutcome::Done(ref item) if item.version == 2),
        "{outcome:?}"
    );
}

async fn concurrent_merges_of_different_keys_all_survive(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = Arc::new(SeaItems::new(db));
    let created = item(ada, "Shared", json!({"base": true}), base_time());
    items.create(&created).await.unwrap();

    let tasks: Vec<_> = (0..50_i64)
        .map(|i| {
            let items = items.clone();
            tokio::spawn(async move {
                let change = merge(json!({ format!("k{i}"): {"n": i} }));
                items
                    .update(created.id, Scope::Owner(ada), &change, None, at(i + 1))
                    .await
            })
        })
        .collect();
    for task in tasks {
        let outcome = task.await.unwrap().unwrap();
        assert!(matches!(outcome, WriteOutcome::Done(_)), "{outcome:?}");
    }
    let stored = items.find(created.id, Scope::All).await.unwrap().unwrap();
    let mut expected = Map::new();
    expected.insert("base".into(), json!(true));
    for i in 0..50 {
        expected.insert(format!("k{i}"), json!({"n": i}));
    }
    assert_eq!(stored.attributes.as_map(), &expected);
    assert_eq!(stored.version, 51);
}
