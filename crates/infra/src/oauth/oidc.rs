//! OpenID Connect providers: discovery (cached, refreshed once when an ID
//! token names a key the cached JWKS lacks), the authorization URL with
//! `state`, `nonce` and PKCE S256, and the code exchange whose ID token is
//! verified by `openidconnect` (signature by JWKS, `iss`, `aud`, `exp`,
//! `nonce`).

use super::{ProviderConfig, pkce_challenge, pkce_verifier};
use domain::model::ExternalIdentity;
use domain::ports::{AuthorizationRequest, CodeExchange, ProviderError};
use openidconnect::core::{
    CoreClient, CoreClientAuthMethod, CoreIdTokenClaims, CoreProviderMetadata, CoreResponseType,
    CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, AuthType, AuthenticationFlow, AuthorizationCode, ClaimsVerificationError,
    ClientId, ClientSecret, CsrfToken, DiscoveryError, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, RedirectUrl, Scope,
    SignatureVerificationError, TokenResponse,
};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How long discovered metadata (and its JWKS) is reused.
const DISCOVERY_TTL: Duration = Duration::from_secs(3600);

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// An OpenID Connect provider.
pub(super) struct OidcProvider {
    /// The issuer without and with a trailing slash: configuration parses
    /// it as a URL, which adds `/` to a bare host, while issuers differ
    /// (Google has none, Auth0 has one) and discovery compares exactly.
    issuers: [IssuerUrl; 2],
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    scopes: Vec<String>,
    http: reqwest::Client,
    discovered: Mutex<Option<(CoreProviderMetadata, Instant)>>,
}

fn rejected(err: &ClaimsVerificationError) -> ProviderError {
    ProviderError::Rejected(format!("the ID token failed verification: {err}"))
}

impl OidcProvider {
    /// Checks the issuer URL; discovery waits for the first sign-in.
    pub(super) fn new(
        config: &ProviderConfig,
        issuer: &str,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let bare = issuer.trim_end_matches('/');
        let issuer = |text: String| IssuerUrl::new(text).map_err(|e| format!("ISSUER: {e}"));
        let issuers = [issuer(bare.to_owned())?, issuer(format!("{bare}/"))?];
        let mut scopes: Vec<String> = config
            .scopes
            .iter()
            .filter(|scope| *scope != "openid")
            .cloned()
            .collect();
        if config.scopes.is_empty() {
            scopes = vec!["email".into(), "profile".into()];
        }
        Ok(Self {
            issuers,
            client_id: ClientId::new(config.client_id.clone()),
            client_secret: config.client_secret.clone().map(ClientSecret::new),
            scopes,
            http,
            discovered: Mutex::new(None),
        })
    }

    /// The provider's metadata: cached, or discovered now (`fresh` forces
    /// a new discovery).
    async fn metadata(&self, fresh: bool) -> Result<CoreProviderMetadata, ProviderError> {
        if !fresh {
            let cached = self
                .discovered
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some((metadata, at)) = cached.as_ref()
                && at.elapsed() < DISCOVERY_TTL
            {
                return Ok(metadata.clone());
            }
        }
        let [bare, slashed] = &self.issuers;
        let metadata = match CoreProviderMetadata::discover_async(bare.clone(), &self.http).await {
            // The document names the issuer with a trailing slash.
            Err(DiscoveryError::Validation(_)) => {
                CoreProviderMetadata::discover_async(slashed.clone(), &self.http).await
            }
            other => other,
        }
        .map_err(|e| {
            ProviderError::Unavailable(
                anyhow::Error::new(e).context("OpenID Connect discovery failed"),
            )
        })?;
        *self
            .discovered
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((metadata.clone(), Instant::now()));
        Ok(metadata)
    }

    async fn client(&self, fresh: bool, redirect_uri: &str) -> Result<Client, ProviderError> {
        let metadata = self.metadata(fresh).await?;
        let post_only = metadata
            .token_endpoint_auth_methods_supported()
            .is_some_and(|methods| {
                methods.contains(&CoreClientAuthMethod::ClientSecretPost)
                    && !methods.contains(&CoreClientAuthMethod::ClientSecretBasic)
            });
        let redirect = RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| {
            ProviderError::Unavailable(anyhow::Error::new(e).context("the redirect URI"))
        })?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            self.client_id.clone(),
            self.client_secret.clone(),
        )
        .set_redirect_uri(redirect);
        Ok(if post_only {
            client.set_auth_type(AuthType::RequestBody)
        } else {
            client
        })
    }

    /// The authorization URL: `state`, `nonce`, PKCE S256 and the scopes.
    pub(super) async fn authorization_url(
        &self,
        request: &AuthorizationRequest<'_>,
    ) -> Result<String, ProviderError> {
        let client = self.client(false, request.redirect_uri).await?;
        let state = request.state.as_str().to_owned();
        let nonce = request.nonce.as_str().to_owned();
        let (url, _, _) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                move || CsrfToken::new(state),
                move || Nonce::new(nonce),
            )
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(pkce_challenge(request.pkce_verifier))
            .url();
        Ok(url.into())
    }

    /// Exchanges the code and verifies the ID token; the email comes from
    /// userinfo when the ID token has none.
    pub(super) async fn exchange(
        &self,
        exchange: &CodeExchange<'_>,
    ) -> Result<ExternalIdentity, ProviderError> {
        let client = self.client(false, exchange.redirect_uri).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(exchange.code.to_owned()))
            .map_err(|e| {
                ProviderError::Unavailable(anyhow::Error::new(e).context("no token endpoint"))
            })?
            .set_pkce_verifier(pkce_verifier(exchange.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(super::token_errors::classify)?;
        let id_token = token.id_token().ok_or_else(|| {
            ProviderError::Unavailable(anyhow::anyhow!("the token answer has no ID token"))
        })?;
        let nonce = Nonce::new(exchange.nonce.as_str().to_owned());
        let claims = match id_token.claims(&client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                // The provider may have rotated its keys: discover again.
                let client = self.client(true, exchange.redirect_uri).await?;
                id_token
                    .claims(&client.id_token_verifier(), &nonce)
                    .map_err(|e| rejected(&e))?
                    .clone()
            }
            Err(e) => return Err(rejected(&e)),
        };
        let mut identity = identity(&claims);
        if identity.email.is_none() {
            self.add_userinfo_email(&client, token.access_token(), &claims, &mut identity)
                .await?;
        }
        Ok(identity)
    }

    /// Fills the email from userinfo (whose `sub` must match), when the
    /// provider has that endpoint.
    async fn add_userinfo_email(
        &self,
        client: &Client,
        access_token: &AccessToken,
        claims: &CoreIdTokenClaims,
        identity: &mut ExternalIdentity,
    ) -> Result<(), ProviderError> {
        let Ok(request) = client.user_info(access_token.clone(), Some(claims.subject().clone()))
        else {
            return Ok(());
        };
        let info: CoreUserInfoClaims = request.request_async(&self.http).await.map_err(|e| {
            ProviderError::Unavailable(anyhow::Error::new(e).context("calling userinfo"))
        })?;
        identity.email = info.email().map(|email| email.as_str().to_owned());
        identity.email_verified = info.email_verified().unwrap_or(false);
        Ok(())
    }
}

/// The identity in verified ID token claims.
fn identity(claims: &CoreIdTokenClaims) -> ExternalIdentity {
    ExternalIdentity {
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|email| email.as_str().to_owned()),
        email_verified: claims.email_verified().unwrap_or(false),
        name: claims
            .name()
            .and_then(|name| name.get(None))
            .map(|name| name.as_str().to_owned()),
    }
}
