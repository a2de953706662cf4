//! Sign-in through an outside provider: start an authorization request,
//! then turn its callback into a session of the linked user — or of a new
//! account when no account has the provider's email. An existing account
//! is never linked by email (that would hand it to whoever controls the
//! address at the provider): that answers [`OAuthError::EmailTaken`].

use super::{AuthService, Ports};
use crate::model::{
    ClientInfo, DisplayName, Email, ExternalIdentity, FlowSecret, LinkedIdentity, NewUser,
    PendingLogin, ProviderName, Role, TokenPair, User, UserId,
};
use crate::ports::{
    AuthorizationRequest, CodeExchange, IdentityProviders, PendingLoginClaim, ProviderError,
};
use crate::{RepoError, ServiceError};
use std::sync::Arc;
use time::Duration;

/// How long an authorization request may take, from redirect to callback.
pub const STATE_TTL: Duration = Duration::minutes(10);

/// Where to send the browser, and the binding its cookie must carry back.
#[derive(Debug)]
pub struct OAuthStart {
    /// The provider's authorization URL.
    pub redirect_to: String,
    /// The value of the browser-binding cookie.
    pub binding: FlowSecret,
}

/// The callback as the browser brought it back.
#[derive(Debug, Clone, Copy)]
pub struct OAuthCallback<'a> {
    /// The provider in the path.
    pub provider: &'a str,
    /// The authorization code.
    pub code: &'a str,
    /// The `state`.
    pub state: &'a str,
    /// The browser-binding cookie, if the browser sent it.
    pub binding: Option<&'a str>,
}

/// Why an OAuth sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum OAuthError {
    /// No provider of that name is configured.
    #[error("no such OAuth provider")]
    UnknownProvider,
    /// The `state` is unknown, already used, expired, for another
    /// provider, or not from the browser that started the request.
    #[error("the state is unknown, used, expired or from another browser")]
    InvalidState,
    /// The provider refused the code or its token failed verification.
    #[error("{0}")]
    Rejected(String),
    /// The provider gave no email address.
    #[error("the provider gave no email address")]
    NoEmail,
    /// The provider's email address is malformed.
    #[error("the provider's email address is not a valid address")]
    InvalidEmail,
    /// An account with that email exists and is not linked to this
    /// provider account.
    #[error(
        "an account with this email already exists; sign in to it directly (it is never linked automatically)"
    )]
    EmailTaken,
    /// The linked account is disabled.
    #[error("the account is disabled")]
    Disabled,
    /// The provider is unreachable or failing.
    #[error("the identity provider is unavailable")]
    ProviderUnavailable(#[source] anyhow::Error),
    /// Storage failed.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for OAuthError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::Unexpected(e) => Self::Unexpected(e),
            RepoError::Conflict => Self::Unexpected(anyhow::anyhow!(err)),
        }
    }
}

impl From<ServiceError> for OAuthError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::Unexpected(e) => Self::Unexpected(e),
            other => Self::Unexpected(anyhow::anyhow!(other.to_string())),
        }
    }
}

impl From<ProviderError> for OAuthError {
    fn from(err: ProviderError) -> Self {
        match err {
            ProviderError::Unknown => Self::UnknownProvider,
            ProviderError::Rejected(why) => Self::Rejected(why),
            ProviderError::Unavailable(cause) => Self::ProviderUnavailable(cause),
        }
    }
}

/// OAuth 2 / OpenID Connect sign-in use cases.
#[derive(Clone)]
pub struct OAuthService {
    ports: Ports,
    auth: AuthService,
    providers: Arc<dyn IdentityProviders>,
}

impl OAuthService {
    /// Builds the service; sessions are issued by `auth`, as for a password
    /// login.
    pub fn new(ports: Ports, auth: AuthService, providers: Arc<dyn IdentityProviders>) -> Self {
        Self {
            ports,
            auth,
            providers,
        }
    }

    /// Checks that `raw` names a configured provider.
    ///
    /// # Errors
    /// [`OAuthError::UnknownProvider`].
    pub fn provider(&self, raw: &str) -> Result<ProviderName, OAuthError> {
        ProviderName::parse(raw)
            .ok()
            .filter(|name| self.providers.knows(name))
            .ok_or(OAuthError::UnknownProvider)
    }

    /// Starts an authorization request: a fresh `state`, PKCE verifier and
    /// nonce, stored for [`STATE_TTL`] and bound to the browser's binding
    /// cookie (`binding`, reused when the browser has a well-formed one, so
    /// two tabs can sign in at once). `fallback_redirect` is the callback
    /// URL used when the provider has none configured.
    ///
    /// # Errors
    /// [`OAuthError::UnknownProvider`]; [`OAuthError::ProviderUnavailable`]
    /// when discovery fails (nothing is stored then).
    pub async fn start(
        &self,
        provider: &str,
        binding: Option<&str>,
        fallback_redirect: &str,
    ) -> Result<OAuthStart, OAuthError> {
        let provider = self.provider(provider)?;
        let binding = binding
            .filter(|raw| is_flow_secret(raw))
            .map_or_else(FlowSecret::generate, FlowSecret::from_raw);
        let state = FlowSecret::generate();
        let nonce = FlowSecret::generate();
        let pkce_verifier = FlowSecret::generate();
        let redirect_uri = self
            .providers
            .redirect_uri(&provider)
            .unwrap_or_else(|| fallback_redirect.to_owned());
        let redirect_to = self
            .providers
            .authorization_url(
                &provider,
                AuthorizationRequest {
                    state: &state,
                    nonce: &nonce,
                    pkce_verifier: &pkce_verifier,
                    redirect_uri: &redirect_uri,
                },
            )
            .await?;
        let now = self.ports.clock.now();
        let login = PendingLogin {
            state_hash: state.hash(),
            provider,
            binding_hash: binding.hash(),
            pkce_verifier,
            nonce,
            redirect_uri,
            created_at: now,
            expires_at: now + STATE_TTL,
        };
        self.ports.pending_logins.save(&login).await?;
        Ok(OAuthStart {
            redirect_to,
            binding,
        })
    }

    /// Completes an authorization request: the `state` is consumed only
    /// when provider, expiry and the browser's binding match (a second use
    /// fails; a mismatch spends nothing), the code exchanged, and a session started for
    /// the linked user or a new account.
    ///
    /// # Errors
    /// [`OAuthError::UnknownProvider`], [`OAuthError::InvalidState`],
    /// [`OAuthError::Rejected`], [`OAuthError::NoEmail`],
    /// [`OAuthError::InvalidEmail`], [`OAuthError::EmailTaken`],
    /// [`OAuthError::Disabled`], [`OAuthError::ProviderUnavailable`].
    pub async fn complete(
        &self,
        callback: OAuthCallback<'_>,
        client: ClientInfo,
    ) -> Result<TokenPair, OAuthError> {
        let provider = self.provider(callback.provider)?;
        // Without the binding cookie nothing can match; a mismatch of any
        // part takes (and spends) nothing.
        let binding = callback.binding.ok_or(OAuthError::InvalidState)?;
        let login = self
            .ports
            .pending_logins
            .take(&PendingLoginClaim {
                state_hash: &FlowSecret::from_raw(callback.state).hash(),
                provider: &provider,
                binding_hash: &FlowSecret::from_raw(binding).hash(),
                now: self.ports.clock.now(),
            })
            .await?
            .ok_or(OAuthError::InvalidState)?;
        let identity = self
            .providers
            .exchange(
                &provider,
                CodeExchange {
                    code: callback.code,
                    pkce_verifier: &login.pkce_verifier,
                    nonce: &login.nonce,
                    redirect_uri: &login.redirect_uri,
                },
            )
            .await?;
        let user = self.user_for(&provider, identity).await?;
        if user.disabled {
            return Err(OAuthError::Disabled);
        }
        Ok(self.auth.start_session(&user, client).await?)
    }

    /// The user linked to `identity`, or a new account linked to it.
    async fn user_for(
        &self,
        provider: &ProviderName,
        identity: ExternalIdentity,
    ) -> Result<User, OAuthError> {
        let identities = &self.ports.identities;
        if let Some(user) = identities.find_user(provider, &identity.subject).await? {
            return Ok(user);
        }
        let raw_email = identity.email.as_deref().ok_or(OAuthError::NoEmail)?;
        let email = Email::parse(raw_email).map_err(|_| OAuthError::InvalidEmail)?;
        let now = self.ports.clock.now();
        let user = User {
            id: UserId::new(),
            email: email.clone(),
            display_name: display_name(identity.name.as_deref()),
            role: Role::User,
            disabled: false,
            email_verified: identity.email_verified,
            pending_email: None,
            created_at: now,
        };
        // No password: such an account can't sign in with any password.
        let new_user = NewUser {
            user: user.clone(),
            password_hash: None,
        };
        let link = LinkedIdentity {
            provider: provider.clone(),
            subject: identity.subject.clone(),
            user_id: user.id,
            email: Some(email.as_str().to_owned()),
            email_verified: identity.email_verified,
            created_at: now,
        };
        match identities.create_linked(&new_user, &link).await {
            Ok(()) => Ok(user),
            Err(RepoError::Conflict) => {
                // A concurrent first sign-in of the same provider account
                // may have created it; else the email belongs to someone.
                identities
                    .find_user(provider, &identity.subject)
                    .await?
                    .ok_or(OAuthError::EmailTaken)
            }
            Err(other) => Err(other.into()),
        }
    }
}

/// Whether `raw` has the form of a [`FlowSecret`] (43 base64url characters).
fn is_flow_secret(raw: &str) -> bool {
    raw.len() == 43
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The provider's name made acceptable: control characters dropped, cut to
/// the longest display name; empty when there is none.
fn display_name(name: Option<&str>) -> DisplayName {
    let cleaned: String = name
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(DisplayName::MAX_CHARS)
        .collect();
    DisplayName::parse(&cleaned).unwrap_or_default()
}
