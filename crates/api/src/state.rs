//! What every handler can reach: the services and the edge configuration.

use crate::metrics::MetricsSource;
use crate::middleware::rate_limit::RateLimits;
use async_trait::async_trait;
use domain::services::{
    AccountService, AgentService, AuthService, CommandService, IdempotencyService, ItemService,
    OAuthService, UserService,
};
use ipnet::IpNet;
use std::sync::Arc;

/// A dependency that readiness checks (the database, a broker).
#[async_trait]
pub trait DependencyCheck: Send + Sync {
    /// Its name in the readiness report (`database`).
    fn name(&self) -> &'static str;

    /// `Ok` when it answers; else why not.
    ///
    /// # Errors
    /// A short reason, shown to operators.
    async fn check(&self) -> Result<(), String>;
}

/// Shared application state.
#[derive(Clone)]
pub struct AppState {
    /// Authentication use cases.
    pub auth: AuthService,
    /// Account use cases.
    pub users: UserService,
    /// Mail-driven account flows (verification, reset, email change).
    pub accounts: AccountService,
    /// Item use cases.
    pub items: ItemService,
    /// Agent use cases.
    pub agents: AgentService,
    /// Commands sent to agents.
    pub commands: CommandService,
    /// Idempotency keys for creates.
    pub idempotency: IdempotencyService,
    /// Sign-in through OAuth / OpenID Connect providers.
    pub oauth: OAuthService,
    /// What `/health/ready` checks.
    pub dependencies: Vec<Arc<dyn DependencyCheck>>,
    /// Set at shutdown; counts requests in flight (list it in
    /// `dependencies` too, for readiness).
    pub draining: crate::middleware::draining::Draining,
    /// Rate limits; `None` when `RATE_LIMIT_ENABLED=false`.
    pub rate_limits: Option<Arc<RateLimits>>,
    /// What `/metrics` serves; `None`: an empty exposition.
    pub metrics: Option<Arc<dyn MetricsSource>>,
}

/// Settings of the HTTP edge.
#[derive(Debug, Clone)]
pub struct ApiConfig {
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins allowed by CORS.
    pub cors_origins: Vec<String>,
    /// `APP_ENV=production`: `Strict-Transport-Security` and `Secure`
    /// cookies.
    pub production: bool,
    /// Lifetime of the browser-mode refresh cookie (the refresh token's).
    pub refresh_cookie_ttl: std::time::Duration,
    /// `OAUTH_SUCCESS_REDIRECT` (without a fragment): where an OAuth
    /// callback sends the browser with the tokens in the fragment.
    pub oauth_success_redirect: Option<String>,
    /// The names of `OAUTH_PROVIDERS`, as `GET /api/v1/auth/providers`
    /// lists them.
    pub oauth_providers: Vec<String>,
    /// Spans are exported over OpenTelemetry: request spans then take a
    /// caller's `traceparent` as their parent and carry `otel.*` fields.
    pub export_traces: bool,
    /// How long a request body may take to arrive once reading began
    /// (`BODY_READ_TIMEOUT_SECS`); slower → 408.
    pub body_read_timeout: std::time::Duration,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            trusted_proxies: Vec::new(),
            cors_origins: Vec::new(),
            production: false,
            refresh_cookie_ttl: std::time::Duration::from_secs(30 * 24 * 3600),
            oauth_success_redirect: None,
            oauth_providers: Vec::new(),
            export_traces: false,
            body_read_timeout: std::time::Duration::from_secs(30),
        }
    }
}
