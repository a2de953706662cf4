//! A cursor altered by a client (each character replaced, or the text cut
//! short) is answered 400 or 200, never a 5xx; what a decoded cursor may
//! be is the domain's property tests' (`tests/properties/cursor.rs`).

use crate::helpers::{TestApp, on_both};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    tampered_cursors_are_refused_or_read,
    tampered_cursors_by_name_too
);

const ITEMS: &str = "/api/v1/items";

async fn tampered_cursors_are_refused_or_read(app: &TestApp) {
    tampered(app, "-created_at").await;
}

async fn tampered_cursors_by_name_too(app: &TestApp) {
    tampered(app, "name").await;
}

/// Lists `sort`ed pages of one item after cursors made from a real one.
async fn tampered(app: &TestApp, sort: &str) {
    let ada = app.access_token("ada@example.com").await;
    for name in ["first", "second", "third"] {
        app.create(ITEMS, &ada, &json!({"name": name})).await;
    }
    let page = |cursor: String| {
        let ada = ada.clone();
        async move {
            let path = format!("{ITEMS}?limit=1&sort={sort}&cursor={cursor}");
            app.get(&path, Some(&ada)).await
        }
    };
    let first: Value = app
        .get(&format!("{ITEMS}?limit=1&sort={sort}"), Some(&ada))
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let mut tampered = Vec::new();
    for at in 0..cursor.len() {
        for with in ['A', '0', '_'] {
            let mut altered = cursor.clone();
            altered.replace_range(at..=at, &with.to_string());
            tampered.push(altered);
        }
        tampered.push(cursor[..at].to_owned());
    }
    for altered in tampered {
        let response = page(altered.clone()).await;
        let status = response.status();
        assert!(
            status == StatusCode::OK || status == StatusCode::BAD_REQUEST,
            "{altered}: {status}"
        );
    }
}
