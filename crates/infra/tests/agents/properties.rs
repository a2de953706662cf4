//! `metadata.<key>=<value>` filters run by the database against the
//! domain's rule (`MetadataFilter::matches`: a string equal to the value,
//! or a number or boolean whose JSON text is the value), for generated
//! stored scalars and filter values written close to them.

use crate::support::{agent, base_time, on_both, store, user};
use domain::model::{Limit, MetadataFilter, SortKey};
use domain::ports::{AgentFilter, ListQuery, OwnedRepository, Scope};
use infra::{Db, SeaAgents};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};

on_both!(the_database_filters_as_the_domain_rule_says);

/// A stored scalar: strings, booleans, integers and floats of every size.
fn stored() -> impl Strategy<Value = Value> {
    prop_oneof![
        "[0-9a-z.e+-]{0,6}".prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        (-1000i64..1000).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        // Floats as people write them: few digits, at any scale (with an
        // exponent below 1e-5 and from 1e16 on).
        (-999_999i32..999_999, -40i32..40).prop_filter_map("a float", |(m, e)| {
            serde_json::from_str(&format!("{m}.0e{e}")).ok()
        }),
        (-1000i32..1000, 0u32..4)
            .prop_map(|(m, e)| Value::from(f64::from(m) / f64::from(10u32.pow(e)))),
    ]
}

/// A filter value for `stored`: its JSON text, or text near it.
fn filter_value(stored: &Value) -> impl Strategy<Value = String> + use<> {
    let text = match stored {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    prop_oneof![
        3 => Just(text.clone()),
        1 => Just(format!("{text}0")),
        1 => Just(format!("{text}.0")),
        1 => "[0-9.e+-]{1,6}",
        1 => stored_text(),
    ]
}

fn stored_text() -> impl Strategy<Value = String> {
    stored().prop_map(|value| value.to_string())
}

async fn the_database_filters_as_the_domain_rule_says(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db);
    let made = AtomicUsize::new(0);
    let cases = stored().prop_flat_map(|stored| (Just(stored.clone()), filter_value(&stored)));
    let mut runner = TestRunner::new(Config::with_cases(48));
    let outcome = runner.run(&cases, |(stored, value)| {
        // A key of its own per case (some that a JSON path must quote).
        let made = made.fetch_add(1, Ordering::Relaxed);
        let key = if made.is_multiple_of(2) {
            format!("k{made}")
        } else {
            format!("k.{made} $")
        };
        // Neither database tells -0.0 from 0.0 (docs/api.md).
        if value == "-0.0" || stored == json!(-0.0) {
            return Ok(());
        }
        let filter = MetadataFilter {
            key: key.clone(),
            value,
        };
        let metadata: Map<String, Value> = [(key.clone(), stored)].into_iter().collect();
        let expected = filter.matches(&metadata);
        let row = agent(ada, &key, Value::Object(metadata), base_time());
        let query = ListQuery {
            filter: AgentFilter {
                status: None,
                metadata: vec![filter],
            },
            q: None,
            sort: SortKey::NEWEST_FIRST,
            limit: Limit::DEFAULT,
            after: None,
        };
        let found = tokio::task::block_in_place(|| {
            tokio::runtime::Handle::current().block_on(async {
                store(&agents, &row).await;
                agents.list(Scope::All, &query).await.unwrap()
            })
        });
        prop_assert_eq!(
            found.len() == 1,
            expected,
            "{}",
            json!({"stored": row.metadata.to_value(), "filter": query.filter.metadata[0].value})
        );
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
