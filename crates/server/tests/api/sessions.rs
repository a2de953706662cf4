//! Refresh rotation, reuse detection, logout and the session list.

use crate::helpers::{Backend, TestApp, assert_problem, on_both, spawn_app, token};
use reqwest::{Method, StatusCode};
use serde_json::Value;

on_both!(
    refresh_rotates_and_reuse_within_grace_returns_the_same_pair,
    concurrent_refreshes_of_one_token_all_get_the_same_pair,
    logout_rejects_the_access_token_at_once,
    sessions_are_listed_and_revocable,
);

async fn refresh_rotates_and_reuse_within_grace_returns_the_same_pair(app: &TestApp) {
    let first = app.signed_in("ada@example.com").await;
    let response = app.refresh(&token(&first, "refresh_token")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let second: Value = response.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    let replay: Value = app
        .refresh(&token(&first, "refresh_token"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        replay, second,
        "a reuse inside the grace window answers the same pair"
    );
    let third = app.refresh(&token(&second, "refresh_token")).await;
    assert_eq!(third.status(), StatusCode::OK);
}

async fn concurrent_refreshes_of_one_token_all_get_the_same_pair(app: &TestApp) {
    let pair = app.signed_in("ada@example.com").await;
    let refresh_token = token(&pair, "refresh_token");
    let attempts = (0..8).map(|_| app.refresh(&refresh_token));
    let responses = futures_util::future::join_all(attempts).await;
    let mut bodies = Vec::new();
    for response in responses {
        assert_eq!(response.status(), StatusCode::OK);
        bodies.push(response.json::<Value>().await.unwrap());
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "every concurrent refresh gets the one successor"
    );
    let me = app
        .get("/api/v1/users/me", Some(&token(&bodies[0], "access_token")))
        .await;
    assert_eq!(me.status(), StatusCode::OK);
}

#[tokio::test]
async fn reuse_after_the_grace_window_revokes_the_whole_session() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend, &[("REFRESH_REUSE_GRACE_SECS", "0")]).await else {
            continue;
        };
        let first = app.signed_in("ada@example.com").await;
        let second: Value = app
            .refresh(&token(&first, "refresh_token"))
            .await
            .json()
            .await
            .unwrap();
        let reuse = app.refresh(&token(&first, "refresh_token")).await;
        assert_problem(reuse, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let descendant = app.refresh(&token(&second, "refresh_token")).await;
        assert_problem(descendant, StatusCode::UNAUTHORIZED, "unauthorized").await;
        let me = app
            .get("/api/v1/users/me", Some(&token(&second, "access_token")))
            .await;
        assert_problem(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
        app.cleanup().await;
    }
}

async fn logout_rejects_the_access_token_at_once(app: &TestApp) {
    let pair = app.signed_in("ada@example.com").await;
    let access = token(&pair, "access_token");
    let logout = app
        .send(Method::POST, "/api/v1/auth/logout", None, &access)
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let me = app.get("/api/v1/users/me", Some(&access)).await;
    assert_problem(me, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let refresh = app.refresh(&token(&pair, "refresh_token")).await;
    assert_problem(refresh, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let again = app
        .send(Method::POST, "/api/v1/auth/logout", None, &access)
        .await;
    assert_problem(again, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let none = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["www-authenticate"], "Bearer");
    assert_problem(none, StatusCode::UNAUTHORIZED, "unauthorized").await;
}

async fn sessions_are_listed_and_revocable(app: &TestApp) {
    let here = app.signed_in("ada@example.com").await;
    let there: Value = app
        .login("ada@example.com", crate::helpers::PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    let access = token(&here, "access_token");
    let list: Vec<Value> = app
        .get("/api/v1/auth/sessions", Some(&access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|s| s["current"] == true).count(), 1);
    assert_eq!(list[0]["user_agent"], "backend-api-tests/1.0");
    assert_eq!(list[0]["ip"], "127.0.0.1");
    let other = list.iter().find(|s| s["current"] == false).unwrap();
    let path = format!("/api/v1/auth/sessions/{}", other["id"].as_str().unwrap());
    let revoked = app.send(Method::DELETE, &path, None, &access).await;
    assert_eq!(revoked.status(), StatusCode::NO_CONTENT);
    let gone = app
        .get("/api/v1/users/me", Some(&token(&there, "access_token")))
        .await;
    assert_problem(gone, StatusCode::UNAUTHORIZED, "unauthorized").await;
    let twice = app.send(Method::DELETE, &path, None, &access).await;
    assert_problem(twice, StatusCode::NOT_FOUND, "not_found").await;
    let malformed = app
        .send(
            Method::DELETE,
            "/api/v1/auth/sessions/not-a-uuid",
            None,
            &access,
        )
        .await;
    assert_problem(malformed, StatusCode::BAD_REQUEST, "bad_request").await;
    let list: Vec<Value> = app
        .get("/api/v1/auth/sessions", Some(&access))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    // Someone else's session is a 404.
    let bob = app.signed_in("bob@example.com").await;
    let bob_sessions: Vec<Value> = app
        .get("/api/v1/auth/sessions", Some(&token(&bob, "access_token")))
        .await
        .json()
        .await
        .unwrap();
    let bobs = format!(
        "/api/v1/auth/sessions/{}",
        bob_sessions[0]["id"].as_str().unwrap()
    );
    let foreign = app.send(Method::DELETE, &bobs, None, &access).await;
    assert_problem(foreign, StatusCode::NOT_FOUND, "not_found").await;
}
