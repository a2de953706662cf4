//! `Application`: connect, migrate, wire, bind; then serve until stopped.

use crate::config::{AppEnv, Settings};
use crate::{janitor, wiring};
use anyhow::Context;
use api::{ApiConfig, AppState, DependencyCheck, build_app};
use async_trait::async_trait;
use infra::Db;
use std::net::TcpListener;
use std::sync::Arc;
use tokio::task::JoinHandle;

/// A built server, bound to its port, not yet serving.
pub struct Application {
    port: u16,
    server: actix_web::dev::Server,
    janitor: JoinHandle<()>,
}

impl Application {
    /// Connects to the database (creating an SQLite folder if needed),
    /// applies pending migrations, wires the services and binds
    /// `settings.addr` (port 0 picks a free port).
    ///
    /// # Errors
    /// When the database can't be reached or migrated, or the address bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect(&settings.database_url, settings.database_max_connections)
            .await
            .context("connecting to DATABASE_URL")?;
        infra::migrate::up(&db, None)
            .await
            .context("applying pending migrations")?;
        let services = wiring::services(&settings, &db)?;
        let listener = TcpListener::bind(settings.addr)
            .with_context(|| format!("binding APP_ADDR {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let state = AppState {
            auth: services.auth,
            users: services.users,
            items: services.items,
            idempotency: services.idempotency.clone(),
            dependencies: vec![Arc::new(DatabaseCheck(db))],
        };
        let config = ApiConfig {
            max_body_bytes: settings.max_body_bytes,
            trusted_proxies: settings.trusted_proxies.clone(),
            cors_origins: settings.cors_origins.clone(),
            hsts: settings.env == AppEnv::Production,
        };
        let server = actix_web::HttpServer::new(move || build_app(state.clone(), config.clone()))
            .listen(listener)?
            .shutdown_timeout(settings.shutdown_grace.as_secs())
            .run();
        let janitor = tokio::spawn(janitor::run(
            services.ports.sessions.clone(),
            services.idempotency,
            services.ports.clock.clone(),
        ));
        Ok(Self {
            port,
            server,
            janitor,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT/SIGTERM; in-flight requests get the shutdown
    /// grace period to finish.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.janitor.abort();
        result
    }
}

/// Readiness of the database: a ping.
struct DatabaseCheck(Db);

#[async_trait]
impl DependencyCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}
