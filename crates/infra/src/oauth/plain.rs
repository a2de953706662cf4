//! Plain OAuth 2 providers (GitHub-style): explicit endpoints, PKCE S256,
//! the identity from the userinfo document.

use super::{ProviderConfig, ProviderEndpoints, identity, pkce_challenge, pkce_verifier};
use domain::model::ExternalIdentity;
use domain::ports::{AuthorizationRequest, CodeExchange, ProviderError};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, RedirectUrl, Scope, TokenResponse, TokenUrl,
};

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A plain OAuth 2 provider.
pub(super) struct PlainProvider {
    client: Client,
    userinfo_url: String,
    scopes: Vec<String>,
    http: reqwest::Client,
}

impl PlainProvider {
    /// Checks the configured URLs.
    pub(super) fn new(config: &ProviderConfig, http: reqwest::Client) -> Result<Self, String> {
        let ProviderEndpoints::Explicit {
            auth_url,
            token_url,
            userinfo_url,
        } = &config.endpoints
        else {
            return Err("not a plain OAuth 2 provider".into());
        };
        let mut client = BasicClient::new(ClientId::new(config.client_id.clone()))
            .set_auth_uri(AuthUrl::new(auth_url.clone()).map_err(|e| format!("AUTH_URL: {e}"))?)
            .set_token_uri(TokenUrl::new(token_url.clone()).map_err(|e| format!("TOKEN_URL: {e}"))?)
            // GitHub-style providers take the client credentials in the body.
            .set_auth_type(AuthType::RequestBody);
        if let Some(secret) = &config.client_secret {
            client = client.set_client_secret(ClientSecret::new(secret.clone()));
        }
        url::Url::parse(userinfo_url).map_err(|e| format!("USERINFO_URL: {e}"))?;
        Ok(Self {
            client,
            userinfo_url: userinfo_url.clone(),
            scopes: config.scopes.clone(),
            http,
        })
    }

    fn redirect(redirect_uri: &str) -> Result<RedirectUrl, ProviderError> {
        RedirectUrl::new(redirect_uri.to_owned()).map_err(|e| {
            ProviderError::Unavailable(anyhow::Error::new(e).context("the redirect URI"))
        })
    }

    /// The authorization URL: `state` and the PKCE S256 challenge.
    pub(super) fn authorization_url(
        &self,
        request: &AuthorizationRequest<'_>,
    ) -> Result<String, ProviderError> {
        let state = request.state.as_str().to_owned();
        let (url, _) = self
            .client
            .clone()
            .set_redirect_uri(Self::redirect(request.redirect_uri)?)
            .authorize_url(move || CsrfToken::new(state))
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(pkce_challenge(request.pkce_verifier))
            .url();
        Ok(url.into())
    }

    /// Exchanges the code (with the PKCE verifier), then reads userinfo.
    pub(super) async fn exchange(
        &self,
        exchange: &CodeExchange<'_>,
    ) -> Result<ExternalIdentity, ProviderError> {
        let client = self
            .client
            .clone()
            .set_redirect_uri(Self::redirect(exchange.redirect_uri)?);
        let token = client
            .exchange_code(AuthorizationCode::new(exchange.code.to_owned()))
            .set_pkce_verifier(pkce_verifier(exchange.pkce_verifier))
            .request_async(&self.http)
            .await
            .map_err(super::token_errors::classify)?;
        let doc = identity::fetch_userinfo(
            &self.http,
            &self.userinfo_url,
            token.access_token().secret(),
        )
        .await?;
        identity::from_userinfo(&doc)
    }
}
