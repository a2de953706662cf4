//! The items migration rolls back one step and applies again.

use crate::support::{base_time, item, on_both, user};
use domain::model::{ItemChange, ObjectChange};
use domain::ports::{ItemRepository, OwnedRepository, Scope, WriteOutcome};
use infra::migrate;
use infra::{Db, SeaItems};
use serde_json::{Value, json};

on_both!(items_migration_goes_down_and_up);

async fn items_migration_goes_down_and_up(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db.clone());
    items
        .create(&item(ada, "Before", json!({}), base_time()))
        .await
        .unwrap();

    // Down past the agent commands, mail outbox, agent instance, event
    // watermark, event seqs, sequencer
    // function, OAuth, agents and events migrations to the items one.
    migrate::down(&db, 10).await.unwrap();
    let status = migrate::status(&db).await.unwrap();
    let applied: Vec<_> = status
        .iter()
        .map(|m| (m.name.as_str(), m.applied))
        .collect();
    assert_eq!(
        applied,
        [
            ("m20261126_000001_users_and_sessions", true),
            ("m20261126_000002_items_and_idempotency", false),
            ("m20261126_000003_events", false),
            ("m20261126_000004_agents", false),
            ("m20261126_000005_oauth", false),
            ("m20261126_000006_sequence_function", false),
            ("m20261126_000007_event_seqs", false),
            ("m20261126_000008_event_watermark", false),
            ("m20261207_000009_drop_agent_instance", false),
            ("m20261207_000010_mail_outbox", false),
            ("m20261207_000020_agent_commands", false),
        ]
    );
    assert!(
        items
            .create(&item(ada, "Gone", json!({}), base_time()))
            .await
            .is_err()
    );

    migrate::up(&db, None).await.unwrap();
    assert!(
        migrate::status(&db)
            .await
            .unwrap()
            .iter()
            .all(|m| m.applied)
    );
    // The owner survived; the table and the merge function are back.
    let again = item(ada, "Again", json!({"a": {"b": 1}}), base_time());
    items.create(&again).await.unwrap();
    let Value::Object(patch) = json!({"a": {"c": 2}}) else {
        unreachable!()
    };
    let change = ItemChange {
        attributes: ObjectChange::Merge(patch),
        ..ItemChange::default()
    };
    let outcome = items
        .update(again.id, Scope::All, &change, None, base_time())
        .await
        .unwrap();
    let WriteOutcome::Done(merged) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(merged.attributes.to_value(), json!({"a": {"b": 1, "c": 2}}));
}
