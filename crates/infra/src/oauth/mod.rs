//! The [`IdentityProviders`] port with the `openidconnect` and `oauth2`
//! crates: OpenID Connect providers found by discovery (ID token checked:
//! signature by JWKS, `iss`, `aud`, `exp`, `nonce`), and plain OAuth 2
//! providers (GitHub-style) configured by explicit URLs, whose identity
//! comes from their userinfo document.
//!
//! Discovery runs on first use and is cached, so the server starts while a
//! provider is down; a down provider answers [`ProviderError::Unavailable`].
//! The HTTP client follows no redirects (server-side request forgery
//! guidance of `openidconnect`) and gives up after a few seconds.

mod identity;
mod oidc;
mod plain;
mod token_errors;

use crate::InfraError;
use async_trait::async_trait;
use domain::model::{ExternalIdentity, FlowSecret, ProviderName};
use domain::ports::{AuthorizationRequest, CodeExchange, IdentityProviders, ProviderError};
use openidconnect::{PkceCodeChallenge, PkceCodeVerifier};
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// How long one call to a provider may take.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a provider's endpoints come from.
#[derive(Debug, Clone)]
pub enum ProviderEndpoints {
    /// OpenID Connect: discovered from `<issuer>/.well-known/openid-configuration`.
    Discovery {
        /// The issuer URL.
        issuer: String,
    },
    /// Plain OAuth 2: explicit authorization, token and userinfo URLs.
    Explicit {
        /// The authorization endpoint.
        auth_url: String,
        /// The token endpoint.
        token_url: String,
        /// The userinfo endpoint (JSON with `sub` or `id`, `email`, ...).
        userinfo_url: String,
    },
}

/// One configured provider.
#[derive(Clone)]
pub struct ProviderConfig {
    /// Its name in paths.
    pub name: ProviderName,
    /// The client id registered at the provider.
    pub client_id: String,
    /// The client secret, if the client has one.
    pub client_secret: Option<String>,
    /// Its endpoints.
    pub endpoints: ProviderEndpoints,
    /// Scopes to ask for; empty: `openid email profile` for OpenID
    /// Connect, none for plain OAuth 2.
    pub scopes: Vec<String>,
    /// The callback URL registered at the provider, if configured.
    pub redirect_url: Option<String>,
}

impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("name", &self.name)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret.as_ref().map(|_| ".."))
            .field("endpoints", &self.endpoints)
            .field("scopes", &self.scopes)
            .field("redirect_url", &self.redirect_url)
            .finish()
    }
}

/// A configured provider, ready to use.
enum Provider {
    Oidc(Box<oidc::OidcProvider>),
    Plain(Box<plain::PlainProvider>),
}

/// Every configured provider, by name.
pub struct OAuthProviders {
    providers: HashMap<ProviderName, (Provider, Option<String>)>,
}

impl OAuthProviders {
    /// Checks every provider's URLs and builds the HTTP client.
    ///
    /// # Errors
    /// [`InfraError::OAuth`] naming the provider with a malformed URL.
    pub fn new(configs: Vec<ProviderConfig>) -> Result<Self, InfraError> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .connect_timeout(PROVIDER_TIMEOUT / 2)
            .user_agent(concat!("backend-api/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| InfraError::OAuth(format!("HTTP client: {e}")))?;
        let mut providers = HashMap::new();
        for config in configs {
            let invalid = |e: String| InfraError::OAuth(format!("provider {}: {e}", config.name));
            let provider = match &config.endpoints {
                ProviderEndpoints::Discovery { issuer } => Provider::Oidc(Box::new(
                    oidc::OidcProvider::new(&config, issuer, http.clone()).map_err(invalid)?,
                )),
                ProviderEndpoints::Explicit { .. } => Provider::Plain(Box::new(
                    plain::PlainProvider::new(&config, http.clone()).map_err(invalid)?,
                )),
            };
            providers.insert(config.name.clone(), (provider, config.redirect_url));
        }
        Ok(Self { providers })
    }

    fn get(&self, name: &ProviderName) -> Result<&Provider, ProviderError> {
        self.providers
            .get(name)
            .map(|(provider, _)| provider)
            .ok_or(ProviderError::Unknown)
    }
}

/// The S256 challenge of a verifier.
fn pkce_challenge(verifier: &FlowSecret) -> PkceCodeChallenge {
    PkceCodeChallenge::from_code_verifier_sha256(&pkce_verifier(verifier))
}

fn pkce_verifier(verifier: &FlowSecret) -> PkceCodeVerifier {
    PkceCodeVerifier::new(verifier.as_str().to_owned())
}

#[async_trait]
impl IdentityProviders for OAuthProviders {
    fn knows(&self, provider: &ProviderName) -> bool {
        self.providers.contains_key(provider)
    }

    fn redirect_uri(&self, provider: &ProviderName) -> Option<String> {
        self.providers
            .get(provider)
            .and_then(|(_, redirect)| redirect.clone())
    }

    #[tracing::instrument(skip_all, fields(provider = %provider))]
    async fn authorization_url(
        &self,
        provider: &ProviderName,
        request: AuthorizationRequest<'_>,
    ) -> Result<String, ProviderError> {
        match self.get(provider)? {
            Provider::Oidc(oidc) => oidc.authorization_url(&request).await,
            Provider::Plain(plain) => plain.authorization_url(&request),
        }
    }

    #[tracing::instrument(skip_all, fields(provider = %provider))]
    async fn exchange(
        &self,
        provider: &ProviderName,
        exchange: CodeExchange<'_>,
    ) -> Result<ExternalIdentity, ProviderError> {
        match self.get(provider)? {
            Provider::Oidc(oidc) => oidc.exchange(&exchange).await,
            Provider::Plain(plain) => plain.exchange(&exchange).await,
        }
    }
}
