//! The composition root: adapters into ports, ports into services.

use crate::config::{JwtKey, OAuthProvider, Settings};
use anyhow::Context;
use domain::model::{ProviderName, SecretKey};
use domain::ports::{EventLog, Notifier, SystemClock};
use domain::services::{
    AccountService, AgentService, AuthService, AuthSettings, CommandService, IdempotencyService,
    ItemService, MailTemplates, OAuthService, Ports, UserService,
};
use infra::{
    Argon2Hasher, Db, JwtIssuer, OAuthProviders, ProviderConfig, ProviderEndpoints, SeaAccounts,
    SeaAgents, SeaCommands, SeaEventLog, SeaIdempotency, SeaIdentities, SeaItems, SeaPendingLogins,
    SeaSessions, SeaUsers,
};
use secrecy::ExposeSecret;
use std::sync::Arc;

/// The services, wired to real adapters on `db`.
pub struct Services {
    /// Authentication.
    pub auth: AuthService,
    /// Accounts.
    pub users: UserService,
    /// Mail-driven account flows.
    pub accounts: AccountService,
    /// Items.
    pub items: ItemService,
    /// Agents.
    pub agents: AgentService,
    /// Commands sent to agents.
    pub commands: CommandService,
    /// Idempotency keys.
    pub idempotency: IdempotencyService,
    /// Sign-in through OAuth / OpenID Connect providers.
    pub oauth: OAuthService,
    /// The ports, for background jobs.
    pub ports: Ports,
}

/// Builds every adapter and service; `notifier` receives the services'
/// signals (the real-time layer when serving).
pub fn services(
    settings: &Settings,
    db: &Db,
    events: Arc<dyn EventLog>,
    notifier: Arc<dyn Notifier>,
) -> anyhow::Result<Services> {
    let tokens = match &settings.jwt_key {
        JwtKey::Hs256(secret) => JwtIssuer::hs256(secret.expose_secret())?,
        JwtKey::Pem {
            algorithm,
            private_key,
            public_key,
        } => {
            let private = std::fs::read(private_key).context("reading JWT_PRIVATE_KEY_FILE")?;
            let public = std::fs::read(public_key).context("reading JWT_PUBLIC_KEY_FILE")?;
            JwtIssuer::from_pem(*algorithm, &private, &public)?
        }
    };
    let ports = Ports {
        users: Arc::new(SeaUsers::new(db.clone())),
        accounts: Arc::new(SeaAccounts::new(db.clone())),
        sessions: Arc::new(SeaSessions::new(db.clone())),
        items: Arc::new(SeaItems::new(db.clone())),
        agents: Arc::new(SeaAgents::new(db.clone())),
        commands: Arc::new(SeaCommands::new(db.clone())),
        idempotency: Arc::new(SeaIdempotency::new(db.clone())),
        identities: Arc::new(SeaIdentities::new(db.clone())),
        pending_logins: Arc::new(SeaPendingLogins::new(db.clone())),
        events,
        notifier,
        hasher: Arc::new(Argon2Hasher::new()?),
        tokens: Arc::new(tokens),
        clock: Arc::new(SystemClock),
    };
    let secret = SecretKey::new(settings.secret_key.expose_secret())
        .context("SECRET_KEY must be at least 32 bytes")?;
    let secret = Arc::new(secret);
    let auth_settings = AuthSettings {
        access_ttl: to_time(settings.access_ttl),
        refresh_ttl: to_time(settings.refresh_ttl),
        reuse_grace: to_time(settings.refresh_reuse_grace),
        require_verified_email: settings.mail.require_verified_email,
    };
    let auth = AuthService::new(ports.clone(), secret.clone(), auth_settings);
    let providers = oauth_providers(&settings.oauth_providers)?;
    let templates = MailTemplates::new(
        infra::mail::product_name(&settings.mail.from),
        &settings.mail.frontend_url,
    );
    Ok(Services {
        accounts: AccountService::new(ports.clone(), secret.clone(), templates, auth.clone()),
        oauth: OAuthService::new(ports.clone(), auth.clone(), Arc::new(providers)),
        auth,
        users: UserService::new(ports.clone()),
        items: ItemService::new(ports.clone()),
        agents: AgentService::new(ports.clone()),
        commands: CommandService::new(ports.clone()),
        idempotency: IdempotencyService::new(ports.clone(), secret),
        ports,
    })
}

/// The OAuth providers of `OAUTH_PROVIDERS`, ready to use (discovery
/// waits for the first sign-in).
fn oauth_providers(configured: &[OAuthProvider]) -> anyhow::Result<OAuthProviders> {
    let mut configs = Vec::new();
    for provider in configured {
        let endpoints = match (&provider.issuer, &provider.endpoints) {
            (Some(issuer), _) => ProviderEndpoints::Discovery {
                issuer: issuer.to_string(),
            },
            (None, Some((auth, token, userinfo))) => ProviderEndpoints::Explicit {
                auth_url: auth.to_string(),
                token_url: token.to_string(),
                userinfo_url: userinfo.to_string(),
            },
            (None, None) => anyhow::bail!("OAuth provider {} has no endpoints", provider.name),
        };
        configs.push(ProviderConfig {
            name: ProviderName::parse(&provider.name)
                .map_err(|e| anyhow::anyhow!("OAuth provider {:?}: {e}", provider.name))?,
            client_id: provider.client_id.clone(),
            client_secret: provider.client_secret.clone(),
            endpoints,
            scopes: provider.scopes.clone(),
            redirect_url: provider.redirect_url.as_ref().map(ToString::to_string),
        });
    }
    Ok(OAuthProviders::new(configs)?)
}

fn to_time(duration: std::time::Duration) -> time::Duration {
    time::Duration::try_from(duration).unwrap_or(time::Duration::MAX)
}

/// The event log on `db`.
pub fn event_log(db: &Db) -> Arc<dyn EventLog> {
    Arc::new(SeaEventLog::new(db.clone()))
}
