//! OAuth sign-in with settings of its own: a provider that is down from
//! the start, and `OAUTH_SUCCESS_REDIRECT`.

use crate::helpers::{Backend, TestApp, assert_problem, spawn_app};
use crate::oauth_support::Browser;
use crate::oidc_provider::FakeProvider;
use reqwest::StatusCode;
use std::collections::HashMap;

/// Runs `check` on a fresh app on each database the machine offers.
async fn on_each_backend<F, Fut>(vars: &[(&str, &str)], check: F)
where
    F: Fn(TestApp) -> Fut,
    Fut: std::future::Future<Output = TestApp>,
{
    for backend in [Backend::Sqlite, Backend::Postgres] {
        if let Some(app) = spawn_app(backend, vars).await {
            check(app).await.cleanup().await;
        }
    }
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_bad_gateway_and_the_server_still_starts() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let issuer = format!("http://127.0.0.1:{port}");
    let vars = [
        ("OAUTH_PROVIDERS", "down"),
        ("OAUTH_DOWN_CLIENT_ID", "client"),
        ("OAUTH_DOWN_ISSUER", issuer.as_str()),
    ];
    on_each_backend(&vars, |app| async move {
        for _ in 0..2 {
            let response = app.get("/api/v1/auth/oauth/down/authorize", None).await;
            assert!(response.headers().get("set-cookie").is_none());
            assert_problem(response, StatusCode::BAD_GATEWAY, "bad_gateway").await;
        }
        let live = app.get("/health/live", None).await;
        assert_eq!(live.status(), StatusCode::OK);
        app
    })
    .await;
}

#[tokio::test]
async fn the_success_redirect_carries_the_pair_in_the_fragment() {
    let provider = FakeProvider::start().await;
    let mut env = provider.env();
    env.push((
        "OAUTH_SUCCESS_REDIRECT".into(),
        "https://app.example.com/signed-in?from=oauth#stale".into(),
    ));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    on_each_backend(&vars, |app| async move {
        let mut browser = Browser::default();
        let (_, callback) = browser.start(&app, "acme").await;
        let response = browser.finish(&app, &callback).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let (front_end, fragment) = location.split_once('#').unwrap();
        assert_eq!(front_end, "https://app.example.com/signed-in?from=oauth");
        let pair: HashMap<String, String> = url::form_urlencoded::parse(fragment.as_bytes())
            .into_owned()
            .collect();
        assert_eq!(pair["token_type"], "Bearer");
        assert_eq!(pair["expires_in"], "900");
        assert!(!pair["refresh_token"].is_empty());
        let me = app
            .get("/api/v1/users/me", Some(&pair["access_token"]))
            .await;
        assert_eq!(me.status(), StatusCode::OK);
        let refreshed = app.refresh(&pair["refresh_token"]).await;
        assert_eq!(refreshed.status(), StatusCode::OK);
        app
    })
    .await;
    provider.stop().await;
}

#[tokio::test]
async fn in_production_the_binding_cookie_is_secure_and_the_callback_https() {
    let provider = FakeProvider::start().await;
    let mut env = provider.env();
    env.push(("APP_ENV".into(), "production".into()));
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app(Backend::Sqlite, &vars).await.unwrap();
    let response = app.get("/api/v1/auth/oauth/acme/authorize", None).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    for attribute in [
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/api/v1/auth/oauth",
    ] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let redirect_uri = location
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(redirect_uri.starts_with("https://"), "{redirect_uri}");
    app.cleanup().await;
    provider.stop().await;
}

#[tokio::test]
async fn an_issuer_named_with_a_trailing_slash_is_discovered() {
    let provider = FakeProvider::start_with_slashed_issuer().await;
    let env = provider.env();
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = spawn_app(Backend::Sqlite, &vars).await.unwrap();
    let mut browser = Browser::default();
    let (_, callback) = browser.start(&app, "acme").await;
    let response = browser.finish(&app, &callback).await;
    assert_eq!(response.status(), StatusCode::OK);
    app.cleanup().await;
    provider.stop().await;
}
