//! Spawning the server and talking to it.

use infra::testing::TestDatabase;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use server::{Application, Settings};
use std::path::PathBuf;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body once on SQLite and once on PostgreSQL, each on a
/// fresh server and database.
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::helpers::{Backend, spawn_app};
            #[tokio::test]
            async fn sqlite() {
                let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
                super::$name(&app).await;
                app.cleanup().await;
            }
            #[tokio::test]
            async fn postgres() {
                if let Some(app) = spawn_app(Backend::Postgres, &[]).await {
                    super::$name(&app).await;
                    app.cleanup().await;
                }
            }
        }
    )*};
}
pub(crate) use on_both;

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub database_url: String,
    pub data_dir: PathBuf,
    postgres: Option<TestDatabase>,
}

pub const PASSWORD: &str = "correct horse battery";

/// Starts a server on a fresh database; `None` when PostgreSQL is asked
/// for but not configured (and not required). `extra` overrides settings.
pub async fn spawn_app(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    let data_dir = std::env::temp_dir().join(format!(
        "backend-api-test-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&data_dir).unwrap();
    let (database_url, postgres) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}/app.db?mode=rwc", data_dir.display()),
            None,
        ),
        Backend::Postgres => {
            let db = TestDatabase::postgres().await?;
            (db.url().to_owned(), Some(db))
        }
    };
    Some(start(database_url, postgres, data_dir, extra).await)
}

impl TestApp {
    /// A second server instance on the same database (a peer behind the
    /// same load balancer).
    pub async fn peer(&self, extra: &[(&str, &str)]) -> TestApp {
        let data_dir = std::env::temp_dir().join(format!(
            "backend-api-test-{}",
            uuid::Uuid::new_v4().simple()
        ));
        std::fs::create_dir_all(&data_dir).unwrap();
        start(self.database_url.clone(), None, data_dir, extra).await
    }
}

async fn start(
    database_url: String,
    postgres: Option<TestDatabase>,
    data_dir: PathBuf,
    extra: &[(&str, &str)],
) -> TestApp {
    let mut vars = vec![
        ("APP_ADDR", "127.0.0.1:0"),
        ("DATABASE_URL", database_url.as_str()),
        ("DATABASE_MAX_CONNECTIONS", "8"),
        (
            "JWT_SECRET",
            "test-jwt-secret-that-is-long-enough-0123456789",
        ),
        (
            "SECRET_KEY",
            "test-secret-key-that-is-long-enough-0123456789",
        ),
        ("RATE_LIMIT_ENABLED", "false"),
    ];
    vars.extend_from_slice(extra);
    let settings = Settings::from_vars(vars, &data_dir).unwrap();
    if std::env::var_os("TEST_LOG").is_some() {
        // Logs only: the subscriber is process-wide, trace export is
        // tested on the binary (otel.rs).
        server::telemetry::init(settings.log_format, "debug", None)
            .unwrap()
            .shutdown();
    }
    let app = Application::build(settings).await.unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("backend-api-tests/1.0")
        .build()
        .unwrap();
    TestApp {
        address,
        client,
        database_url,
        data_dir,
        postgres,
    }
}

impl TestApp {
    /// Drops the test's PostgreSQL database while the server still runs.
    pub async fn drop_database(&mut self) {
        if let Some(db) = self.postgres.take() {
            db.drop_database().await;
        }
    }

    /// Drops the test's database and folder.
    pub async fn cleanup(self) {
        if let Some(db) = self.postgres {
            db.drop_database().await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.unwrap()
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: &str,
    ) -> Response {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.unwrap()
    }

    pub async fn register(&self, email: &str) -> Value {
        let response = self
            .post_json(
                "/api/v1/auth/register",
                &json!({"email": email, "password": PASSWORD}),
                None,
            )
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        response.json().await.unwrap()
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
            None,
        )
        .await
    }

    /// Registers `email` and logs in; returns the token pair.
    pub async fn signed_in(&self, email: &str) -> Value {
        self.register(email).await;
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    pub async fn refresh(&self, refresh_token: &str) -> Response {
        self.post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": refresh_token}),
            None,
        )
        .await
    }

    /// Creates an admin with the real command line, then logs in.
    pub async fn signed_in_admin(&self, email: &str) -> Value {
        let output = self.cli(&[
            "user",
            "create",
            "--email",
            email,
            "--password",
            PASSWORD,
            "--admin",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let response = self.login(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    /// Runs the `backend-api` binary against this test's database.
    pub fn cli(&self, args: &[&str]) -> std::process::Output {
        std::process::Command::new(env!("CARGO_BIN_EXE_backend-api"))
            .args(args)
            .current_dir(&self.data_dir)
            .env_clear()
            .env("DATABASE_URL", &self.database_url)
            .env(
                "JWT_SECRET",
                "test-jwt-secret-that-is-long-enough-0123456789",
            )
            .env(
                "SECRET_KEY",
                "test-secret-key-that-is-long-enough-0123456789",
            )
            .env("RUST_LOG", "warn")
            .output()
            .unwrap()
    }
}

pub fn token(pair: &Value, field: &str) -> String {
    pair[field].as_str().unwrap().to_owned()
}

/// Asserts a problem+json response with `status` and `code`; returns it.
pub async fn assert_problem(response: Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert_eq!(body["request_id"], request_id.as_str());
    assert!(body["title"].is_string());
    body
}
