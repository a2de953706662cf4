//! Sign-in through outside providers: the linked accounts, the pending
//! authorization requests, and the provider protocol itself.

use crate::RepoError;
use crate::model::{
    ExternalIdentity, FlowSecret, LinkedIdentity, NewUser, PendingLogin, ProviderName, Timestamp,
    User, UserId,
};
use async_trait::async_trait;

/// Stores which provider accounts belong to which user.
#[async_trait]
pub trait IdentityRepository: Send + Sync {
    /// The user linked to `subject` at `provider`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find_user(
        &self,
        provider: &ProviderName,
        subject: &str,
    ) -> Result<Option<User>, RepoError>;

    /// Creates `user` and links `identity` to it, both or neither.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the email is registered or the
    /// provider account is already linked.
    async fn create_linked(
        &self,
        user: &NewUser,
        identity: &LinkedIdentity,
    ) -> Result<(), RepoError>;

    /// The provider accounts linked to `user`, oldest first.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn list(&self, user: UserId) -> Result<Vec<LinkedIdentity>, RepoError>;
}

/// What a callback presents to consume a pending request.
#[derive(Debug, Clone, Copy)]
pub struct PendingLoginClaim<'a> {
    /// SHA-256 of the `state` in the callback.
    pub state_hash: &'a [u8],
    /// The provider in the callback's path.
    pub provider: &'a ProviderName,
    /// SHA-256 of the browser's binding cookie.
    pub binding_hash: &'a [u8],
    /// Requests that expired at or before this are not taken.
    pub now: Timestamp,
}

/// Stores pending authorization requests, shared by every instance.
#[async_trait]
pub trait PendingLoginStore: Send + Sync {
    /// Stores a new request.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn save(&self, login: &PendingLogin) -> Result<(), RepoError>;

    /// Removes and returns the request `claim` names, if it matches in
    /// every part (state, provider, browser binding) and has not expired,
    /// in one atomic step: of two concurrent takes of one state, one gets
    /// it and the other `None`. A claim that matches nothing removes
    /// nothing, so a forged callback can't spend someone else's state.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn take(&self, claim: &PendingLoginClaim<'_>) -> Result<Option<PendingLogin>, RepoError>;

    /// Deletes requests that expired before `now`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn prune(&self, now: Timestamp) -> Result<u64, RepoError>;
}

/// What the browser is sent to the provider with.
#[derive(Debug, Clone)]
pub struct AuthorizationRequest<'a> {
    /// The `state` (its hash is stored).
    pub state: &'a FlowSecret,
    /// The OpenID Connect `nonce` (ignored by plain OAuth 2 providers).
    pub nonce: &'a FlowSecret,
    /// The PKCE verifier; the provider gets its S256 challenge.
    pub pkce_verifier: &'a FlowSecret,
    /// Where the provider sends the browser back.
    pub redirect_uri: &'a str,
}

/// What the callback hands to the provider to learn who signed in.
#[derive(Debug, Clone)]
pub struct CodeExchange<'a> {
    /// The authorization code from the callback.
    pub code: &'a str,
    /// The PKCE verifier of the request.
    pub pkce_verifier: &'a FlowSecret,
    /// The nonce the ID token must carry.
    pub nonce: &'a FlowSecret,
    /// The redirect URI of the request.
    pub redirect_uri: &'a str,
}

/// Why a provider gave no identity.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// No provider of that name is configured.
    #[error("no such OAuth provider")]
    Unknown,
    /// The provider refused the code, or what it returned failed
    /// verification (signature, issuer, audience, expiry, nonce); the text
    /// says which.
    #[error("the provider's answer was refused: {0}")]
    Rejected(String),
    /// The provider is unreachable or answered with an error of its own.
    #[error("the provider is unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// The OAuth 2 / OpenID Connect protocol with configured providers.
#[async_trait]
pub trait IdentityProviders: Send + Sync {
    /// Whether `provider` is configured.
    fn knows(&self, provider: &ProviderName) -> bool;

    /// The redirect URI configured for `provider`, if any.
    fn redirect_uri(&self, provider: &ProviderName) -> Option<String>;

    /// The provider URL to send the browser to: `state`, PKCE S256 and,
    /// for OpenID Connect, `nonce`.
    ///
    /// # Errors
    /// [`ProviderError::Unknown`]; [`ProviderError::Unavailable`] when
    /// discovery fails.
    async fn authorization_url(
        &self,
        provider: &ProviderName,
        request: AuthorizationRequest<'_>,
    ) -> Result<String, ProviderError>;

    /// Exchanges the code and returns the verified identity: from the ID
    /// token (signature, `iss`, `aud`, `exp`, `nonce` checked), or the
    /// userinfo document of a plain OAuth 2 provider.
    ///
    /// # Errors
    /// [`ProviderError::Rejected`] for a bad code or a token that fails
    /// verification; [`ProviderError::Unavailable`] when the provider
    /// can't be reached or fails.
    async fn exchange(
        &self,
        provider: &ProviderName,
        exchange: CodeExchange<'_>,
    ) -> Result<ExternalIdentity, ProviderError>;
}
