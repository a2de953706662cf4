//! Merges done by the database (`jsonb_merge_patch` on PostgreSQL, SQLite's
//! `json_patch`) against RFC 7396 — the domain's `merge_patch`, itself
//! checked against the RFC's algorithm — for generated attributes and
//! patches. Few cases: each is two round trips.

use crate::support::{base_time, item, merge, on_both, user};
use domain::model::merge_patch;
use domain::ports::{ItemRepository, OwnedRepository, Scope, WriteOutcome};
use domain::testing::json::object;
use infra::{Db, SeaItems};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};

on_both!(the_database_merges_as_rfc_7396_says);

async fn the_database_merges_as_rfc_7396_says(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db);
    let made = AtomicUsize::new(0);
    let mut runner = TestRunner::new(Config::with_cases(24));
    let outcome = runner.run(&(object(), object()), |(target, patch)| {
        let name = format!("Thing {}", made.fetch_add(1, Ordering::Relaxed));
        let created = item(ada, &name, Value::Object(target.clone()), base_time());
        let mut expected = Value::Object(target);
        let patch = Value::Object(patch);
        merge_patch(&mut expected, &patch);
        let updated = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                items.create(&created).await.unwrap();
                items
                    .update(
                        created.id,
                        Scope::Owner(ada),
                        &merge(patch),
                        None,
                        base_time(),
                    )
                    .await
                    .unwrap()
            })
        });
        let WriteOutcome::Done(updated) = updated else {
            return Err(TestCaseError::fail("the merge was refused"));
        };
        prop_assert_eq!(updated.attributes.to_value(), expected);
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
