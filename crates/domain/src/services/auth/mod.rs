//! Registration, login and starting a session; what follows a session
//! (rotation, logout, the list) is in `sessions`.

mod sessions;

use super::Ports;
use crate::model::{
    AccessClaims, AccessGrant, ClientInfo, DisplayName, Email, NewUser, Password, RefreshRecord,
    RefreshToken, Role, SecretKey, SessionId, SessionState, Timestamp, TokenPair, User, UserId,
};
use crate::{RepoError, ServiceError};
use anyhow::Context;
use std::sync::Arc;
use time::Duration;
use uuid::Uuid;

/// Token lifetimes and the refresh reuse window.
#[derive(Debug, Clone, Copy)]
pub struct AuthSettings {
    /// Access-token lifetime.
    pub access_ttl: Duration,
    /// Refresh-token lifetime (renewed on each rotation).
    pub refresh_ttl: Duration,
    /// How long a just-rotated refresh token still returns its successor.
    pub reuse_grace: Duration,
    /// Refuse login until the address is verified.
    pub require_verified_email: bool,
}

impl Default for AuthSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::minutes(15),
            refresh_ttl: Duration::days(30),
            reuse_grace: Duration::seconds(10),
            require_verified_email: false,
        }
    }
}

/// A registration, already validated.
#[derive(Debug, Clone)]
pub struct RegisterInput {
    /// The address to sign in with.
    pub email: Email,
    /// The password to hash.
    pub password: Password,
    /// Optional display name (default `""`).
    pub display_name: Option<DisplayName>,
}

/// Authentication use cases.
#[derive(Clone)]
pub struct AuthService {
    ports: Ports,
    secret: Arc<SecretKey>,
    settings: AuthSettings,
}

impl AuthService {
    /// Builds the service; `secret` derives refresh-token successors.
    pub fn new(ports: Ports, secret: Arc<SecretKey>, settings: AuthSettings) -> Self {
        Self {
            ports,
            secret,
            settings,
        }
    }

    /// Creates an account with any role (the command line's `user create`),
    /// its address taken as verified (an operator typed it).
    ///
    /// # Errors
    /// [`ServiceError::Conflict`] when the email is registered.
    pub async fn create_user(
        &self,
        input: RegisterInput,
        role: Role,
    ) -> Result<User, ServiceError> {
        let mut new_user = self.new_user(input, role).await?;
        new_user.user.email_verified = true;
        match self.ports.users.create(&new_user).await {
            Ok(()) => Ok(new_user.user),
            Err(RepoError::Conflict) => Err(ServiceError::Conflict("email is already registered")),
            Err(other) => Err(other.into()),
        }
    }

    /// A new, unverified account with its password hashed, not yet stored.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when hashing fails.
    pub async fn new_user(
        &self,
        input: RegisterInput,
        role: Role,
    ) -> Result<NewUser, ServiceError> {
        let hash = self
            .ports
            .hasher
            .hash(&input.password)
            .await
            .context("hashing a new password")?;
        let user = User {
            id: UserId::new(),
            email: input.email,
            display_name: input.display_name.unwrap_or_default(),
            role,
            disabled: false,
            email_verified: false,
            pending_email: None,
            created_at: self.ports.clock.now(),
        };
        Ok(NewUser {
            user,
            password_hash: Some(hash),
        })
    }

    /// Checks credentials and starts a session. An unknown email and a wrong
    /// password take the same path (a dummy hash is verified) and fail alike.
    ///
    /// # Errors
    /// [`ServiceError::InvalidCredentials`]; [`ServiceError::Forbidden`] for
    /// a disabled account (only once the password was right).
    pub async fn login(
        &self,
        email: &Email,
        password: &Password,
        client: ClientInfo,
    ) -> Result<TokenPair, ServiceError> {
        let found = self.ports.users.find_with_password(email).await?;
        let (user, hash) = match found {
            Some((user, Some(hash))) => (Some(user), hash),
            _ => (None, self.ports.hasher.dummy_hash().clone()),
        };
        let matches = self
            .ports
            .hasher
            .verify(password, &hash)
            .await
            .context("verifying a password")?;
        let user = user
            .filter(|_| matches)
            .ok_or(ServiceError::InvalidCredentials)?;
        if user.disabled {
            return Err(ServiceError::Forbidden("the account is disabled"));
        }
        if self.settings.require_verified_email && !user.email_verified {
            return Err(ServiceError::EmailUnverified);
        }
        self.start_session(&user, client).await
    }

    /// Starts a session for a user already authenticated by other means.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn start_session(
        &self,
        user: &User,
        client: ClientInfo,
    ) -> Result<TokenPair, ServiceError> {
        let now = self.ports.clock.now();
        let session = SessionState {
            id: SessionId::new(),
            user_id: user.id,
            created_at: now,
            revoked_at: None,
            expires_at: now + self.settings.refresh_ttl,
        };
        let token = RefreshToken::generate();
        let record = self.record_for(&token, session.id, user.role, now);
        self.ports
            .sessions
            .create(&session, &client, &record)
            .await?;
        self.pair(user.id, token, &record)
    }

    fn record_for(
        &self,
        token: &RefreshToken,
        session_id: SessionId,
        role: Role,
        now: Timestamp,
    ) -> RefreshRecord {
        RefreshRecord {
            hash: token.hash(),
            session_id,
            issued_at: now,
            expires_at: now + self.settings.refresh_ttl,
            spent_at: None,
            access: AccessGrant {
                jti: Uuid::new_v4(),
                role,
                issued_at: now,
                expires_at: now + self.settings.access_ttl,
            },
        }
    }

    fn pair(
        &self,
        user_id: UserId,
        refresh_token: RefreshToken,
        record: &RefreshRecord,
    ) -> Result<TokenPair, ServiceError> {
        let claims = AccessClaims {
            sub: user_id,
            sid: record.session_id,
            role: record.access.role,
            grant: record.access.clone(),
        };
        let access_token = self
            .ports
            .tokens
            .issue(&claims)
            .context("signing an access token")?;
        Ok(TokenPair {
            access_token,
            refresh_token,
            expires_in: (record.access.expires_at - record.access.issued_at).whole_seconds(),
            session_id: record.session_id,
            issued_at: record.access.issued_at,
        })
    }
}
