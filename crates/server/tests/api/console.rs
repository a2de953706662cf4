//! The web console at `/console`: its files come from the binary under a
//! CSP that lets it load only its own files, they are never rate limited,
//! the paths mail links open serve the page, and the sign-in page learns the
//! configured OAuth providers.

use crate::helpers::{Backend, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn the_console_is_served_from_the_binary_under_its_own_csp() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    for (path, kind) in [
        ("/console", "text/html"),
        ("/console/", "text/html"),
        ("/console/js/main.js", "text/javascript"),
        ("/console/style.css", "text/css"),
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert!(headers["content-type"].to_str().unwrap().starts_with(kind));
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self';"), "{csp}");
        assert!(csp.contains("script-src 'self';"), "{csp}");
        assert!(!csp.contains("unsafe"), "{csp}");
        assert_eq!(headers["x-frame-options"], "DENY");
    }
    let page = app.get("/console", None).await.text().await.unwrap();
    assert!(page.contains(r#"<script type="module" src="/console/js/main.js">"#));
    assert_eq!(
        app.get("/console/nope.js", None).await.status(),
        StatusCode::NOT_FOUND
    );
    // Everything else keeps the strict policy.
    let api = app.get("/health/live", None).await;
    assert!(
        api.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .starts_with("default-src 'none'")
    );
    app.cleanup().await;
}

#[tokio::test]
async fn the_mail_link_paths_serve_the_console_page() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let page = app.get("/console", None).await.text().await.unwrap();
    for path in [
        "/console/verify-email",
        "/console/reset-password",
        "/console/confirm-email",
    ] {
        let response = app.get(path, None).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let headers = response.headers();
        assert!(
            headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self';"), "{csp}");
        assert_eq!(response.text().await.unwrap(), page, "{path}");
    }
    // Only those: any other page-like path is still unknown.
    let other = app.get("/console/reset-passwords", None).await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    app.cleanup().await;
}

#[tokio::test]
async fn the_console_files_are_not_rate_limited() {
    let limits = [
        ("RATE_LIMIT_ENABLED", "true"),
        ("RATE_LIMIT_API_PER_SEC", "1"),
        ("RATE_LIMIT_API_BURST", "1"),
    ];
    let app = spawn_app(Backend::Sqlite, &limits).await.unwrap();
    for _ in 0..5 {
        let file = app.get("/console/js/api.js", None).await;
        assert_eq!(file.status(), StatusCode::OK);
    }
    // The API itself still is, for the same anonymous caller.
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(app.get("/api/v1/auth/providers", None).await.status());
    }
    assert!(
        statuses.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    app.cleanup().await;
}

#[tokio::test]
async fn providers_lists_the_configured_oauth_providers() {
    let none = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let response = none.get("/api/v1/auth/providers", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.json::<Value>().await.unwrap(), json!([]));
    none.cleanup().await;

    let configured = [
        ("OAUTH_PROVIDERS", "acme-id,gh"),
        ("OAUTH_ACME_ID_CLIENT_ID", "console"),
        ("OAUTH_ACME_ID_ISSUER", "https://id.example.com"),
        ("OAUTH_GH_CLIENT_ID", "console"),
        ("OAUTH_GH_AUTH_URL", "https://gh.example.com/authorize"),
        ("OAUTH_GH_TOKEN_URL", "https://gh.example.com/token"),
        ("OAUTH_GH_USERINFO_URL", "https://gh.example.com/user"),
    ];
    let app = spawn_app(Backend::Sqlite, &configured).await.unwrap();
    let names: Value = app
        .get("/api/v1/auth/providers", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(names, json!(["acme-id", "gh"]));
    app.cleanup().await;
}
