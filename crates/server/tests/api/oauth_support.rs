//! What the OAuth tests share: a browser that keeps the binding cookie,
//! the macro that runs a test with its own provider on both databases, and
//! small readers of responses and URLs.

use crate::helpers::{TestApp, token};
use reqwest::{Response, StatusCode};
use serde_json::Value;

/// Runs `async fn $name(app: &TestApp, provider: &FakeProvider)` on SQLite
/// and PostgreSQL, each with its own provider and database.
macro_rules! on_both_with_provider {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::helpers::{Backend, spawn_app};
            use crate::oidc_provider::FakeProvider;

            async fn run(backend: Backend) {
                let provider = FakeProvider::start().await;
                let env = provider.env();
                let vars: Vec<(&str, &str)> =
                    env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                if let Some(app) = spawn_app(backend, &vars).await {
                    super::$name(&app, &provider).await;
                    app.cleanup().await;
                }
                provider.stop().await;
            }

            #[tokio::test]
            async fn sqlite() {
                run(Backend::Sqlite).await;
            }

            #[tokio::test]
            async fn postgres() {
                run(Backend::Postgres).await;
            }
        }
    )*};
}
pub(crate) use on_both_with_provider;

/// A browser: it keeps the binding cookie between requests.
#[derive(Default)]
pub struct Browser {
    cookie: Option<String>,
}

impl Browser {
    /// Goes to the app's authorize endpoint and through the provider;
    /// returns the provider URL it was sent to and the callback URL the
    /// provider sent it back to (not yet visited).
    pub async fn start(&mut self, app: &TestApp, provider: &str) -> (url::Url, String) {
        self.start_at(&app.client, &app.address, provider).await
    }

    /// [`Browser::start`] against the server at `base`.
    pub async fn start_at(
        &mut self,
        client: &reqwest::Client,
        base: &str,
        provider: &str,
    ) -> (url::Url, String) {
        let mut request = client.get(format!("{base}/api/v1/auth/oauth/{provider}/authorize"));
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(response.headers()["cache-control"], "no-store");
        let set_cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
        self.cookie = Some(set_cookie.split(';').next().unwrap().to_owned());
        let to_provider =
            url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        let back = client.get(to_provider.clone()).send().await.unwrap();
        assert_eq!(
            back.status(),
            StatusCode::FOUND,
            "{}",
            back.text().await.unwrap()
        );
        let callback = back.headers()["location"].to_str().unwrap().to_owned();
        assert!(callback.starts_with(base), "{callback}");
        (to_provider, callback)
    }

    /// Visits the callback URL with the cookie.
    pub async fn finish(&self, app: &TestApp, callback: &str) -> Response {
        self.finish_with(&app.client, callback).await
    }

    /// [`Browser::finish`] with `client`.
    pub async fn finish_with(&self, client: &reqwest::Client, callback: &str) -> Response {
        let mut request = client.get(callback);
        if let Some(cookie) = &self.cookie {
            request = request.header("cookie", cookie);
        }
        request.send().await.unwrap()
    }
}

/// A whole sign-in in a fresh browser; the response of the callback.
pub async fn sign_in(app: &TestApp, provider: &str) -> Response {
    let mut browser = Browser::default();
    let (_, callback) = browser.start(app, provider).await;
    browser.finish(app, &callback).await
}

pub async fn pair_of(response: Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    response.json().await.unwrap()
}

pub async fn me(app: &TestApp, pair: &Value) -> Value {
    let response = app
        .get("/api/v1/users/me", Some(&token(pair, "access_token")))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// Replaces one query parameter of `url`.
pub fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == name {
                value.to_owned()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}
