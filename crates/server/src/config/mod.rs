//! Typed configuration, read once at start from the environment and `.env`
//! (real environment variables win). Every variable of API.md's table is
//! parsed and validated here, also those whose feature comes later.

mod mail;
mod otel;
mod parse;
mod secrets;

use parse::Source;
use secrecy::SecretBox;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use mail::MailSettings;
pub use otel::{DEFAULT_SERVICE_NAME, OtelSettings, OtlpProtocol};
pub use parse::ConfigError;

/// `development` or `production`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    /// Laptop defaults: generated secrets, pretty logs.
    Development,
    /// Secrets required, JSON logs, `Secure` cookies and HSTS.
    Production,
}

/// How the access-token signing key is given.
#[derive(Debug)]
pub enum JwtKey {
    /// HS256 with a shared secret.
    Hs256(SecretBox<[u8]>),
    /// EdDSA or RS256 with PEM key files.
    Pem {
        /// `EdDSA` or `RS256`.
        algorithm: infra::JwtAlgorithm,
        /// `JWT_PRIVATE_KEY_FILE`.
        private_key: PathBuf,
        /// `JWT_PUBLIC_KEY_FILE`.
        public_key: PathBuf,
    },
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Rate-limit settings (enforced by the security layer).
#[derive(Debug, Clone, Copy)]
pub struct RateLimits {
    /// `RATE_LIMIT_ENABLED`.
    pub enabled: bool,
    /// `RATE_LIMIT_AUTH_PER_MIN`.
    pub auth_per_min: u32,
    /// `RATE_LIMIT_AUTH_BURST`.
    pub auth_burst: u32,
    /// `RATE_LIMIT_API_PER_SEC`.
    pub api_per_sec: u32,
    /// `RATE_LIMIT_API_BURST`.
    pub api_burst: u32,
}

/// WebSocket settings.
#[derive(Debug, Clone, Copy)]
pub struct WebSocketSettings {
    /// `WS_PING_SECS`.
    pub ping: Duration,
    /// `WS_IDLE_TIMEOUT_SECS`.
    pub idle_timeout: Duration,
    /// `WS_SEND_QUEUE` (frames).
    pub send_queue: usize,
    /// `WS_MAX_CONNECTIONS_PER_USER`.
    pub max_connections_per_user: usize,
    /// `AGENT_MAX_IN_FLIGHT`: commands per agent sent or running at once.
    pub agent_max_in_flight: u64,
}

/// One OAuth provider of `OAUTH_PROVIDERS`.
#[derive(Debug, Clone)]
pub struct OAuthProvider {
    /// Name as in paths (`acme-id`).
    pub name: String,
    /// `OAUTH_<NAME>_CLIENT_ID`.
    pub client_id: String,
    /// `OAUTH_<NAME>_CLIENT_SECRET`.
    pub client_secret: Option<String>,
    /// `OAUTH_<NAME>_ISSUER` (OpenID Connect discovery).
    pub issuer: Option<url::Url>,
    /// `OAUTH_<NAME>_AUTH_URL`, `_TOKEN_URL`, `_USERINFO_URL` (plain OAuth2).
    pub endpoints: Option<(url::Url, url::Url, url::Url)>,
    /// `OAUTH_<NAME>_SCOPES`.
    pub scopes: Vec<String>,
    /// `OAUTH_<NAME>_REDIRECT_URL`.
    pub redirect_url: Option<url::Url>,
}

/// Every setting of the server.
#[derive(Debug)]
pub struct Settings {
    /// `APP_ADDR`.
    pub addr: SocketAddr,
    /// `APP_ENV`.
    pub env: AppEnv,
    /// `DATABASE_URL`.
    pub database_url: String,
    /// `DATABASE_MAX_CONNECTIONS`.
    pub database_max_connections: u32,
    /// `BROKER_URL`.
    pub broker_url: Option<url::Url>,
    /// `BROKER_CHANNEL`: the Redis channel / NATS subject instances share.
    pub broker_channel: String,
    /// `JWT_SECRET` or the PEM files of `JWT_ALGORITHM`.
    pub jwt_key: JwtKey,
    /// `SECRET_KEY`.
    pub secret_key: SecretBox<[u8]>,
    /// `ACCESS_TOKEN_TTL_SECS`.
    pub access_ttl: Duration,
    /// `REFRESH_TOKEN_TTL_SECS`.
    pub refresh_ttl: Duration,
    /// `REFRESH_REUSE_GRACE_SECS`.
    pub refresh_reuse_grace: Duration,
    /// `CORS_ORIGINS`.
    pub cors_origins: Vec<String>,
    /// `TRUSTED_PROXIES`.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `RATE_LIMIT_*`.
    pub rate_limits: RateLimits,
    /// `MAX_BODY_BYTES`.
    pub max_body_bytes: usize,
    /// `BODY_READ_TIMEOUT_SECS`.
    pub body_read_timeout: Duration,
    /// `WS_*`.
    pub websocket: WebSocketSettings,
    /// `SHUTDOWN_GRACE_SECS`.
    pub shutdown_grace: Duration,
    /// `EVENT_RETENTION_HOURS`.
    pub event_retention: Duration,
    /// `EVENT_RETENTION_PER_ROOM`.
    pub event_retention_per_room: u64,
    /// `LOG_FORMAT`.
    pub log_format: LogFormat,
    /// `RUST_LOG`.
    pub log_filter: String,
    /// `OTEL_EXPORTER_OTLP_ENDPOINT` and the other `OTEL_*` variables:
    /// trace export, `None` when off.
    pub otel: Option<OtelSettings>,
    /// `OAUTH_PROVIDERS` and their variables.
    pub oauth_providers: Vec<OAuthProvider>,
    /// `OAUTH_SUCCESS_REDIRECT`.
    pub oauth_success_redirect: Option<url::Url>,
    /// `MAIL_*`, `FRONTEND_URL`, `REQUIRE_VERIFIED_EMAIL`.
    pub mail: MailSettings,
}

impl Settings {
    /// Reads the process environment, then `.env` in the working directory.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::load(&Source::process(), &PathBuf::from("data"))
    }

    /// Reads variables from `vars` only (tests); development secrets that
    /// are missing are generated into `data_dir`.
    ///
    /// # Errors
    /// [`ConfigError`] naming the first bad variable.
    pub fn from_vars<'a>(
        vars: impl IntoIterator<Item = (&'a str, &'a str)>,
        data_dir: &std::path::Path,
    ) -> Result<Self, ConfigError> {
        Self::load(&Source::from_pairs(vars), data_dir)
    }

    fn load(src: &Source, data_dir: &std::path::Path) -> Result<Self, ConfigError> {
        let env = match src.get("APP_ENV").as_deref().unwrap_or("development") {
            "development" | "dev" => AppEnv::Development,
            "production" | "prod" => AppEnv::Production,
            other => {
                return Err(ConfigError::new(
                    "APP_ENV",
                    format!("must be development or production, not {other:?}"),
                ));
            }
        };
        let database_url = src
            .get("DATABASE_URL")
            .unwrap_or_else(|| "sqlite://data/app.db?mode=rwc".into());
        parse::database_url(&database_url)?;
        let jwt_key = secrets::jwt_key(src, env, data_dir)?;
        let secret_key = secrets::secret_key(src, env, data_dir)?;
        let websocket = WebSocketSettings {
            ping: src.seconds("WS_PING_SECS", 15)?,
            idle_timeout: src.seconds("WS_IDLE_TIMEOUT_SECS", 45)?,
            send_queue: src.positive("WS_SEND_QUEUE", 1024)?,
            max_connections_per_user: src.positive("WS_MAX_CONNECTIONS_PER_USER", 32)?,
            agent_max_in_flight: src.positive("AGENT_MAX_IN_FLIGHT", 16)?,
        };
        let rate_limits = RateLimits {
            enabled: src.boolean("RATE_LIMIT_ENABLED", true)?,
            auth_per_min: src.positive("RATE_LIMIT_AUTH_PER_MIN", 10)?,
            auth_burst: src.positive("RATE_LIMIT_AUTH_BURST", 5)?,
            api_per_sec: src.positive("RATE_LIMIT_API_PER_SEC", 100)?,
            api_burst: src.positive("RATE_LIMIT_API_BURST", 200)?,
        };
        let default_format = if env == AppEnv::Production {
            "json"
        } else {
            "pretty"
        };
        let log_format = match src.get("LOG_FORMAT").as_deref().unwrap_or(default_format) {
            "pretty" => LogFormat::Pretty,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "LOG_FORMAT",
                    format!("must be pretty or json, not {other:?}"),
                ));
            }
        };
        let log_filter = src.get("RUST_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log_filter)
            .map_err(|e| ConfigError::new("RUST_LOG", e.to_string()))?;
        let addr = src.parsed("APP_ADDR", "127.0.0.1:8080")?;
        Ok(Self {
            addr,
            env,
            database_url,
            database_max_connections: src.positive("DATABASE_MAX_CONNECTIONS", 16)?,
            broker_url: src.url("BROKER_URL", &["redis", "rediss", "nats"])?,
            broker_channel: parse::channel(src)?,
            jwt_key,
            secret_key,
            access_ttl: src.positive_seconds("ACCESS_TOKEN_TTL_SECS", 900)?,
            refresh_ttl: src.positive_seconds("REFRESH_TOKEN_TTL_SECS", 2_592_000)?,
            refresh_reuse_grace: src.seconds("REFRESH_REUSE_GRACE_SECS", 10)?,
            cors_origins: parse::origins(src)?,
            trusted_proxies: parse::trusted_proxies(src)?,
            rate_limits,
            max_body_bytes: src.positive("MAX_BODY_BYTES", 1_048_576)?,
            body_read_timeout: src.positive_seconds("BODY_READ_TIMEOUT_SECS", 30)?,
            websocket,
            shutdown_grace: src.seconds("SHUTDOWN_GRACE_SECS", 30)?,
            event_retention: Duration::from_secs(
                3600 * src.positive::<u64>("EVENT_RETENTION_HOURS", 24)?,
            ),
            event_retention_per_room: src.positive("EVENT_RETENTION_PER_ROOM", 10_000)?,
            log_format,
            log_filter,
            otel: OtelSettings::load(src)?,
            oauth_providers: parse::oauth_providers(src)?,
            oauth_success_redirect: src.url("OAUTH_SUCCESS_REDIRECT", &["http", "https"])?,
            mail: MailSettings::load(src, addr, data_dir)?,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
