//! Browser mode: the refresh token in an HttpOnly cookie, CSRF by
//! double-submit.

use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, on_both, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

on_both!(
    a_csrf_token_of_another_session_is_refused,
    cookie_mode_without_a_cookie_is_unauthorized,
);

/// `name=value` of a `Set-Cookie` header, and the whole header.
fn set_cookie<'a>(response: &'a reqwest::Response, name: &str) -> (String, &'a str) {
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"));
    (header.split(';').next().unwrap().to_owned(), header)
}

#[tokio::test]
async fn cookie_mode_refreshes_and_logs_out_with_csrf() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    app.register("ada@example.com").await;
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-auth-mode", "cookie")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    assert_eq!(login.headers()["cache-control"], "no-store");
    let (refresh, refresh_header) = set_cookie(&login, "refresh_token");
    let lower = refresh_header.to_ascii_lowercase();
    for attribute in ["httponly", "samesite=strict", "path=/api/v1/auth"] {
        assert!(lower.contains(attribute), "{refresh_header}");
    }
    assert!(
        !lower.contains("secure"),
        "no Secure outside production: {refresh_header}"
    );
    let (csrf, csrf_header) = set_cookie(&login, "csrf_token");
    assert!(!csrf_header.to_ascii_lowercase().contains("httponly"));
    let body: Value = login.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    let csrf_value = csrf.split_once('=').unwrap().1.to_owned();
    assert_eq!(body["csrf_token"], csrf_value.as_str());
    let me = app
        .get("/api/v1/users/me", body["access_token"].as_str())
        .await;
    assert_eq!(me.status(), StatusCode::OK);

    let cookies = format!("{refresh}; {csrf}");
    let refresh_with = |token: Option<&str>| {
        let mut request = app
            .client
            .post(app.url("/api/v1/auth/refresh"))
            .header("cookie", cookies.clone());
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        request.send()
    };
    assert_problem(
        refresh_with(None).await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_problem(
        refresh_with(Some("wrong")).await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let refreshed = refresh_with(Some(&csrf_value)).await.unwrap();
    assert_eq!(refreshed.status(), StatusCode::OK);
    let (new_refresh, _) = set_cookie(&refreshed, "refresh_token");
    let (new_csrf, _) = set_cookie(&refreshed, "csrf_token");
    assert_ne!(new_refresh, refresh);
    let refreshed: Value = refreshed.json().await.unwrap();
    assert!(refreshed.get("refresh_token").is_none());

    let new_csrf_value = new_csrf.split_once('=').unwrap().1.to_owned();
    let logout = |token: &str| {
        app.client
            .post(app.url("/api/v1/auth/logout"))
            .header("cookie", format!("{new_refresh}; {new_csrf}"))
            .header("x-csrf-token", token.to_owned())
            .send()
    };
    assert_problem(
        logout("nope").await.unwrap(),
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    assert_eq!(
        logout(&new_csrf_value).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let gone = app
        .get("/api/v1/users/me", refreshed["access_token"].as_str())
        .await;
    assert_problem(gone, StatusCode::UNAUTHORIZED, "unauthorized").await;
    app.cleanup().await;
}

#[tokio::test]
async fn production_cookies_are_secure() {
    let secret = "p".repeat(40);
    let app = spawn_app(
        Backend::Sqlite,
        &[
            ("APP_ENV", "production"),
            ("JWT_SECRET", &secret),
            ("SECRET_KEY", &secret),
        ],
    )
    .await
    .unwrap();
    app.register("ada@example.com").await;
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-auth-mode", "cookie")
        .json(&json!({"email": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (_, header) = set_cookie(&login, "refresh_token");
    assert!(header.to_ascii_lowercase().contains("secure"), "{header}");
    assert!(login.headers().contains_key("strict-transport-security"));
    app.cleanup().await;
}

/// A cookie-mode login: the refresh cookie and the CSRF cookie
/// (`name=value`), and the CSRF token.
async fn cookie_login(app: &TestApp, email: &str) -> (String, String, String) {
    let login = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("x-auth-mode", "cookie")
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), StatusCode::OK);
    let (refresh, _) = set_cookie(&login, "refresh_token");
    let (csrf, _) = set_cookie(&login, "csrf_token");
    let value = csrf.split_once('=').unwrap().1.to_owned();
    (refresh, csrf, value)
}

/// Double-submit alone accepts any CSRF token the attacker can also set
/// as a cookie (a sibling subdomain can): the token is bound to its
/// session, so another session's pair is refused, on refresh and logout.
async fn a_csrf_token_of_another_session_is_refused(app: &TestApp) {
    app.register("ada@example.com").await;
    app.register("eve@example.com").await;
    let (ada_refresh, _, _) = cookie_login(app, "ada@example.com").await;
    let (_, eve_csrf, eve_value) = cookie_login(app, "eve@example.com").await;
    for path in ["/api/v1/auth/refresh", "/api/v1/auth/logout"] {
        let forged = app
            .client
            .post(app.url(path))
            .header("cookie", format!("{ada_refresh}; {eve_csrf}"))
            .header("x-csrf-token", eve_value.clone())
            .send()
            .await
            .unwrap();
        assert_problem(forged, StatusCode::FORBIDDEN, "forbidden").await;
    }
    let (ada_refresh, ada_csrf, ada_value) = cookie_login(app, "ada@example.com").await;
    let own = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("cookie", format!("{ada_refresh}; {ada_csrf}"))
        .header("x-csrf-token", ada_value)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::OK);
}

/// A page on another site gets no SameSite=Strict cookie: its cookie-mode
/// refresh finds none and answers 401, not a 422 about a body field.
async fn cookie_mode_without_a_cookie_is_unauthorized(app: &TestApp) {
    let refresh = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("x-auth-mode", "cookie")
        .header("x-csrf-token", "anything")
        .send()
        .await
        .unwrap();
    assert_problem(refresh, StatusCode::UNAUTHORIZED, "unauthorized").await;
}
