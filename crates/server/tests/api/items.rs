//! Items: CRUD, ownership, ETags, merge-patch, idempotency and pages.

use crate::helpers::{TestApp, assert_problem, on_both, token};
use crate::resources::{assert_precondition_failed, names, resource_path, row_count};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both!(
    items_walk_through_create_get_patch_put_delete,
    someone_elses_item_is_a_404_and_admins_see_all,
    etags_drive_conditional_requests,
    patch_merges_attributes_recursively_and_validates_the_result,
    invalid_items_are_refused_whole,
    idempotent_creates_replay_and_refuse_other_bodies,
    lists_page_by_every_sort_and_search_literally,
    concurrent_patches_to_different_keys_all_survive,
    walking_pages_during_inserts_sees_every_old_row_once,
);

const ITEMS: &str = "/api/v1/items";

async fn create(app: &TestApp, access: &str, body: &Value) -> Value {
    app.create(ITEMS, access, body).await
}

async fn items_walk_through_create_get_patch_put_delete(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let response = app
        .post_json(
            "/api/v1/items",
            &json!({"name": "  Desk lamp ", "attributes": {"color": "red"}}),
            Some(&access),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let item: Value = response.json().await.unwrap();
    assert_eq!(location, resource_path(ITEMS, &item));
    assert_eq!(item["name"], "Desk lamp");
    assert_eq!(item["description"], Value::Null);
    assert_eq!(item["version"], 1);
    assert_eq!(item["created_at"], item["updated_at"]);

    let fetched = app.get_json(&location, &access).await;
    assert_eq!(fetched, item);

    let patch = json!({"description": "by the window", "attributes": {"size": 3}});
    let patched = app
        .send(Method::PATCH, &location, Some(&patch), &access)
        .await;
    assert_eq!(patched.headers()["etag"], "\"2\"");
    let patched: Value = patched.json().await.unwrap();
    assert_eq!(patched["attributes"], json!({"color": "red", "size": 3}));
    assert_eq!(patched["description"], "by the window");
    assert_eq!(patched["version"], 2);

    let put = app
        .send(
            Method::PUT,
            &location,
            Some(&json!({"name": "Lamp"})),
            &access,
        )
        .await;
    let put: Value = put.json().await.unwrap();
    assert_eq!(
        (
            put["name"].as_str(),
            put["description"].clone(),
            put["attributes"].clone()
        ),
        (Some("Lamp"), Value::Null, json!({}))
    );
    assert_eq!(put["version"], 3);

    let listed = app.get_json(ITEMS, &access).await;
    assert_eq!(row_count(&listed), 1);
    assert_eq!(listed["next_cursor"], Value::Null);

    let deleted = app.send(Method::DELETE, &location, None, &access).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get(&location, Some(&access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.send(Method::DELETE, &location, None, &access).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    assert_problem(
        app.get("/api/v1/items/nope", Some(&access)).await,
        StatusCode::BAD_REQUEST,
        "bad_request",
    )
    .await;
    assert_problem(
        app.get("/api/v1/items", None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

async fn someone_elses_item_is_a_404_and_admins_see_all(app: &TestApp) {
    let ada = app.access_token("ada@example.com").await;
    let bob = app.access_token("bob@example.com").await;
    let admin = token(
        &app.signed_in_admin("root@example.com").await,
        "access_token",
    );
    let item = create(app, &ada, &json!({"name": "mine"})).await;
    let path = resource_path(ITEMS, &item);
    for method in [Method::GET, Method::DELETE] {
        assert_problem(
            app.send(method, &path, None, &bob).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let patch = app
        .send(Method::PATCH, &path, Some(&json!({"name": "theirs"})), &bob)
        .await;
    assert_problem(patch, StatusCode::NOT_FOUND, "not_found").await;
    let bobs = app.get_json(ITEMS, &bob).await;
    assert_eq!(row_count(&bobs), 0);
    create(app, &bob, &json!({"name": "bob's"})).await;
    let all = app.get_json(ITEMS, &admin).await;
    assert_eq!(row_count(&all), 2);
    let renamed = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"name": "by admin"})),
            &admin,
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
}

async fn etags_drive_conditional_requests(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let item = create(app, &access, &json!({"name": "lamp"})).await;
    let path = resource_path(ITEMS, &item);
    let cached = app
        .conditional(Method::GET, &path, &access, ("if-none-match", "\"1\""))
        .await;
    assert_eq!(cached.status(), StatusCode::NOT_MODIFIED);
    let stale = app
        .conditional(Method::GET, &path, &access, ("if-none-match", "\"0\""))
        .await;
    assert_eq!(stale.status(), StatusCode::OK);
    let conditional = |version: &str, body: Value| {
        app.client
            .patch(app.url(&path))
            .bearer_auth(&access)
            .header("if-match", version)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
            .send()
    };
    let refused = conditional("\"7\"", json!({"name": "x"})).await.unwrap();
    assert_precondition_failed(refused).await;
    let garbage = conditional("nonsense", json!({"name": "x"})).await.unwrap();
    assert_precondition_failed(garbage).await;
    let accepted = conditional("\"1\"", json!({"name": "x"})).await.unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let unchanged = app.get_json(&path, &access).await;
    assert_eq!(
        (unchanged["name"].as_str(), unchanged["version"].as_i64()),
        (Some("x"), Some(2))
    );
    let delete_stale = app
        .conditional(Method::DELETE, &path, &access, ("if-match", "\"1\""))
        .await;
    assert_precondition_failed(delete_stale).await;
    let delete = app
        .conditional(Method::DELETE, &path, &access, ("if-match", "\"2\""))
        .await;
    assert_eq!(delete.status(), StatusCode::NO_CONTENT);
}

async fn patch_merges_attributes_recursively_and_validates_the_result(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let start = json!({"name": "n", "description": "d", "attributes": {"a": {"b": 1, "c": {"d": 2}}, "keep": [1, 2], "gone": true}});
    let item = create(app, &access, &start).await;
    let path = resource_path(ITEMS, &item);
    let patch =
        json!({"attributes": {"a": {"c": {"e": 3}, "b": null}, "gone": null, "new": {"x": "y"}}});
    let merged = app
        .send_json(Method::PATCH, &path, Some(&patch), &access)
        .await;
    assert_eq!(
        merged["attributes"],
        json!({"a": {"c": {"d": 2, "e": 3}}, "keep": [1, 2], "new": {"x": "y"}})
    );
    assert_eq!(merged["description"], "d");
    let cleared = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&json!({"description": null})),
            &access,
        )
        .await;
    assert_eq!(cleared["description"], Value::Null);
    let reset = app
        .send_json(
            Method::PATCH,
            &path,
            Some(&json!({"attributes": null})),
            &access,
        )
        .await;
    assert_eq!(reset["attributes"], json!({}));
    let null_name = app
        .send(Method::PATCH, &path, Some(&json!({"name": null})), &access)
        .await;
    assert_problem(
        null_name,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;

    // A merge whose result breaks the size limit is refused whole.
    let half = "x".repeat(40_000);
    app.send(
        Method::PATCH,
        &path,
        Some(&json!({"attributes": {"one": half}})),
        &access,
    )
    .await;
    let before = app.get_json(&path, &access).await;
    let too_big = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"name": "renamed", "attributes": {"two": half}})),
            &access,
        )
        .await;
    assert_problem(
        too_big,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let after = app.get_json(&path, &access).await;
    assert_eq!(before, after, "nothing changed");
}

async fn invalid_items_are_refused_whole(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let mut deep = json!(1);
    for _ in 0..17 {
        deep = json!({"k": deep});
    }
    for body in [
        json!({"name": ""}),
        json!({"name": "   "}),
        json!({"name": "x".repeat(201)}),
        json!({"name": "bell\u{7}"}),
        json!({"name": "ok", "description": "d".repeat(10_001)}),
        json!({"name": "ok", "attributes": [1, 2]}),
        json!({"name": "ok", "attributes": deep}),
        json!({"description": "no name"}),
    ] {
        let response = app.post_json(ITEMS, &body, Some(&access)).await;
        assert_problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
        )
        .await;
    }
    let listed = app.get_json(ITEMS, &access).await;
    assert_eq!(row_count(&listed), 0);
    let form = app
        .client
        .post(app.url("/api/v1/items"))
        .bearer_auth(&access)
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_problem(
        form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}

async fn idempotent_creates_replay_and_refuse_other_bodies(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let post = |key: &str, body: &str| {
        app.client
            .post(app.url("/api/v1/items"))
            .bearer_auth(&access)
            .header("content-type", "application/json")
            .header("idempotency-key", key)
            .body(body.to_owned())
            .send()
    };
    let first = post("key-1", r#"{"name":"once"}"#).await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let location = first.headers()["location"].clone();
    let first_body: Value = first.json().await.unwrap();
    let again = post("key-1", r#"{"name":"once"}"#).await.unwrap();
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.headers()["location"], location);
    assert_eq!(again.json::<Value>().await.unwrap(), first_body);
    let other = post("key-1", r#"{"name":"twice"}"#).await.unwrap();
    assert_problem(
        other,
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
    )
    .await;
    let failed = post("key-2", r#"{"name":""}"#).await.unwrap();
    assert_eq!(failed.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let retried = post("key-2", r#"{"name":"fixed"}"#).await.unwrap();
    assert_eq!(
        retried.status(),
        StatusCode::CREATED,
        "a failed request may be retried with its key"
    );
    let bad_key = post(&"k".repeat(256), r#"{"name":"x"}"#).await.unwrap();
    assert_problem(bad_key, StatusCode::BAD_REQUEST, "bad_request").await;
    let listed = app.get_json(ITEMS, &access).await;
    assert_eq!(row_count(&listed), 2);
    // Keys are per user.
    let bob = app.access_token("bob@example.com").await;
    let bobs = app
        .client
        .post(app.url("/api/v1/items"))
        .bearer_auth(&bob)
        .header("idempotency-key", "key-1")
        .json(&json!({"name":"once"}))
        .send()
        .await
        .unwrap();
    assert!(bobs.headers().get("idempotent-replayed").is_none());
    assert_eq!(bobs.status(), StatusCode::CREATED);
}

async fn walk(app: &TestApp, access: &str, query: &str) -> Vec<String> {
    let path = format!("{ITEMS}?limit=2&{query}");
    names(&app.walk_pages(&path, access, async || {}).await)
}

async fn lists_page_by_every_sort_and_search_literally(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    for name in ["delta", "alpha", "Charlie", "bravo_1", "bravo%2", "echo"] {
        create(app, &access, &json!({"name": name})).await;
    }
    let created = ["delta", "alpha", "Charlie", "bravo_1", "bravo%2", "echo"];
    let newest: Vec<&str> = created.iter().rev().copied().collect();
    assert_eq!(walk(app, &access, "").await, newest);
    assert_eq!(walk(app, &access, "sort=-created_at").await, newest);
    assert_eq!(walk(app, &access, "sort=created_at").await, created);
    assert_eq!(
        walk(app, &access, "sort=name").await,
        ["Charlie", "alpha", "bravo%2", "bravo_1", "delta", "echo"]
    );
    assert_eq!(
        walk(app, &access, "sort=-name").await,
        ["echo", "delta", "bravo_1", "bravo%2", "alpha", "Charlie"]
    );
    assert_eq!(walk(app, &access, "sort=updated_at").await, created);
    assert_eq!(walk(app, &access, "q=CHAR").await, ["Charlie"]);
    assert_eq!(walk(app, &access, "q=_").await, ["bravo_1"]);
    assert_eq!(walk(app, &access, "q=%25").await, ["bravo%2"]);
    let first = app
        .get_json("/api/v1/items?limit=1&sort=name", &access)
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let mismatch = app
        .get(
            &format!("/api/v1/items?limit=1&sort=-name&cursor={cursor}"),
            Some(&access),
        )
        .await;
    assert_problem(mismatch, StatusCode::BAD_REQUEST, "bad_request").await;
    let with_q = app
        .get(
            &format!("/api/v1/items?limit=1&sort=name&q=a&cursor={cursor}"),
            Some(&access),
        )
        .await;
    assert_problem(with_q, StatusCode::BAD_REQUEST, "bad_request").await;
}

async fn concurrent_patches_to_different_keys_all_survive(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let item = create(app, &access, &json!({"name": "shared"})).await;
    let path = resource_path(ITEMS, &item);
    let patches = (0..50).map(|i| {
        let body = json!({"attributes": {format!("k{i}"): i, "nested": {format!("n{i}"): true}}});
        let path = path.clone();
        let access = access.clone();
        async move {
            app.send(Method::PATCH, &path, Some(&body), &access)
                .await
                .status()
        }
    });
    let statuses = futures_util::future::join_all(patches).await;
    assert!(
        statuses.iter().all(|s| *s == StatusCode::OK),
        "{statuses:?}"
    );
    let item = app.get_json(&path, &access).await;
    let attributes = item["attributes"].as_object().unwrap();
    for i in 0..50 {
        assert_eq!(attributes[&format!("k{i}")], i, "key k{i} lost");
        assert_eq!(
            attributes["nested"][&format!("n{i}")],
            true,
            "nested n{i} lost"
        );
    }
    assert_eq!(item["version"], 51);
}

async fn walking_pages_during_inserts_sees_every_old_row_once(app: &TestApp) {
    let access = app.access_token("ada@example.com").await;
    let mut old = Vec::new();
    for i in 0..9 {
        old.push(
            create(app, &access, &json!({"name": format!("old-{i}")})).await["name"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for sort in ["-created_at", "created_at", "name", "-name"] {
        let path = format!("{ITEMS}?limit=2&sort={sort}");
        let mut inserted = 0;
        let rows = app
            .walk_pages(&path, &access, async || {
                let name = format!("new-{sort}-{inserted}");
                create(app, &access, &json!({ "name": name })).await;
                inserted += 1;
            })
            .await;
        let seen = names(&rows);
        for name in &old {
            assert_eq!(
                seen.iter().filter(|s| *s == name).count(),
                1,
                "{sort}: {name} not seen exactly once"
            );
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{sort}: a row was seen twice");
    }
}
