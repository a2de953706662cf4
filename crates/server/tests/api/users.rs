//! The caller's account and admin user management.

use crate::helpers::{PASSWORD, TestApp, assert_problem, on_both, token};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

on_both!(
    profile_can_be_read_and_renamed,
    password_change_needs_the_current_one_and_revokes_other_sessions,
    account_deletion_needs_the_password_and_removes_everything,
    admins_list_users_page_by_page,
    admins_disable_users_and_revoke_their_sessions,
);

async fn profile_can_be_read_and_renamed(app: &TestApp) {
    let pair = app.signed_in("ada@example.com").await;
    let access = token(&pair, "access_token");
    let renamed = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&json!({"display_name": " Ada L. "})),
            &access,
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::OK);
    let user: Value = renamed.json().await.unwrap();
    assert_eq!(user["display_name"], "Ada L.");
    let me: Value = app
        .get("/api/v1/users/me", Some(&access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["display_name"], "Ada L.");
    let long = "x".repeat(201);
    let invalid = app
        .send(
            Method::PATCH,
            "/api/v1/users/me",
            Some(&json!({"display_name": long})),
            &access,
        )
        .await;
    assert_problem(
        invalid,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let anonymous = app.get("/api/v1/users/me", None).await;
    assert_problem(anonymous, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let garbage = app.get("/api/v1/users/me", Some("not.a.jwt")).await;
    assert_problem(garbage, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn password_change_needs_the_current_one_and_revokes_other_sessions(app: &TestApp) {
    let here = app.signed_in("ada@example.com").await;
    let there: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let access = token(&here, "access_token");
    let wrong = json!({"password": {"current": "not-the-password", "new": "new-password-1"}});
    let refused = app
        .send(Method::PATCH, "/api/v1/users/me", Some(&wrong), &access)
        .await;
    assert_problem(refused, StatusCode::FORBIDDEN, "forbidden").await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&token(&there, "access_token")))
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );

    let right = json!({"password": {"current": PASSWORD, "new": "new-password-1"}});
    let changed = app
        .send(Method::PATCH, "/api/v1/users/me", Some(&right), &access)
        .await;
    assert_eq!(changed.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/users/me", Some(&access)).await.status(),
        StatusCode::OK
    );
    let other = app
        .get("/api/v1/users/me", Some(&token(&there, "access_token")))
        .await;
    assert_problem(other, StatusCode::UNAUTHORIZED, "unauthorized").await;
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ada@example.com", "new-password-1")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn account_deletion_needs_the_password_and_removes_everything(app: &TestApp) {
    let pair = app.signed_in("ada@example.com").await;
    let access = token(&pair, "access_token");
    let wrong = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&json!({"password": "wrong-password"})),
            &access,
        )
        .await;
    assert_problem(wrong, StatusCode::FORBIDDEN, "forbidden").await;
    let missing = app
        .send(Method::DELETE, "/api/v1/users/me", None, &access)
        .await;
    assert_problem(
        missing,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&access)).await.status(),
        StatusCode::OK
    );
    let deleted = app
        .send(
            Method::DELETE,
            "/api/v1/users/me",
            Some(&json!({"password": PASSWORD})),
            &access,
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/users/me", Some(&access)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.login("ada@example.com", PASSWORD).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.refresh(&token(&pair, "refresh_token")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    app.register("ada@example.com").await;
}

async fn admins_list_users_page_by_page(app: &TestApp) {
    let admin = app.signed_in_admin("root@example.com").await;
    let admin_token = token(&admin, "access_token");
    for i in 0..5 {
        app.register(&format!("user{i}@example.com")).await;
    }
    let user = app
        .login("user0@example.com", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let forbidden = app
        .get("/api/v1/users", Some(&token(&user, "access_token")))
        .await;
    assert_problem(forbidden, StatusCode::FORBIDDEN, "forbidden").await;

    let mut emails = Vec::new();
    let mut path = "/api/v1/users?limit=2".to_owned();
    loop {
        let page: Value = app
            .get(&path, Some(&admin_token))
            .await
            .json()
            .await
            .unwrap();
        emails.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["email"].as_str().unwrap().to_owned()),
        );
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/users?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    let mut expected: Vec<String> = (0..5)
        .rev()
        .map(|i| format!("user{i}@example.com"))
        .collect();
    expected.push("root@example.com".into());
    assert_eq!(emails, expected, "newest first, each exactly once");

    let found: Value = app
        .get("/api/v1/users?q=USER3", Some(&admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let literal: Value = app
        .get("/api/v1/users?q=user_", Some(&admin_token))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        literal["data"].as_array().unwrap().len(),
        0,
        "`_` is literal"
    );

    let first: Value = app
        .get("/api/v1/users?limit=1", Some(&admin_token))
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    for bad in [
        format!("/api/v1/users?limit=1&cursor={cursor}&q=user"),
        format!("/api/v1/users?limit=1&cursor={cursor}&sort=created_at"),
        "/api/v1/users?cursor=garbage".to_owned(),
        "/api/v1/users?limit=0".to_owned(),
        "/api/v1/users?limit=101".to_owned(),
        "/api/v1/users?limit=abc".to_owned(),
        "/api/v1/users?sort=shoe_size".to_owned(),
    ] {
        assert_problem(
            app.get(&bad, Some(&admin_token)).await,
            StatusCode::BAD_REQUEST,
            "bad_request",
        )
        .await;
    }
}

async fn admins_disable_users_and_revoke_their_sessions(app: &TestApp) {
    let admin = app.signed_in_admin("root@example.com").await;
    let admin_token = token(&admin, "access_token");
    let ada = app.signed_in("ada@example.com").await;
    let ada_token = token(&ada, "access_token");
    let ada_id = app
        .get("/api/v1/users/me", Some(&ada_token))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users/{ada_id}");

    let not_admin = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"role": "admin"})),
            &ada_token,
        )
        .await;
    assert_problem(not_admin, StatusCode::FORBIDDEN, "forbidden").await;
    let bad_role = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"role": "root"})),
            &admin_token,
        )
        .await;
    assert_problem(
        bad_role,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    let unknown = format!("/api/v1/users/{}", uuid::Uuid::now_v7());
    let missing = app
        .send(
            Method::PATCH,
            &unknown,
            Some(&json!({"disabled": true})),
            &admin_token,
        )
        .await;
    assert_problem(missing, StatusCode::NOT_FOUND, "not_found").await;

    let disabled = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"disabled": true})),
            &admin_token,
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    assert_eq!(disabled.json::<Value>().await.unwrap()["disabled"], true);
    assert_problem(
        app.get("/api/v1/users/me", Some(&ada_token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.login("ada@example.com", PASSWORD).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        app.refresh(&token(&ada, "refresh_token")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;

    let enabled = app
        .send(
            Method::PATCH,
            &path,
            Some(&json!({"disabled": false, "role": "admin"})),
            &admin_token,
        )
        .await;
    let enabled: Value = enabled.json().await.unwrap();
    assert_eq!(
        (enabled["disabled"].as_bool(), enabled["role"].as_str()),
        (Some(false), Some("admin"))
    );
    let again: Value = app
        .login("ada@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let again_token = token(&again, "access_token");
    assert_eq!(
        app.get("/api/v1/users", Some(&again_token)).await.status(),
        StatusCode::OK
    );

    let sessions = format!("/api/v1/users/{ada_id}/sessions");
    let revoked = app
        .send(Method::DELETE, &sessions, None, &admin_token)
        .await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    assert_problem(
        app.get("/api/v1/users/me", Some(&again_token)).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    let nobody = format!("/api/v1/users/{}/sessions", uuid::Uuid::now_v7());
    assert_problem(
        app.send(Method::DELETE, &nobody, None, &admin_token).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
