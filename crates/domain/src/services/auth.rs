//! Registration, login, refresh-token rotation, logout and sessions.

use super::Ports;
use crate::model::{
    AccessClaims, AccessGrant, ClientInfo, DisplayName, Email, NewUser, Password, Principal,
    RefreshRecord, RefreshState, RefreshToken, Role, SecretKey, Session, SessionId, SessionState,
    Timestamp, TokenPair, User, UserId,
};
use crate::ports::Revoked;
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

    /// Exchanges a refresh token for a new pair, spending it. A token spent
    /// less than the grace window ago answers with the very pair its
    /// rotation produced; one spent earlier revokes its whole session.
    ///
    /// # Errors
    /// [`ServiceError::InvalidRefreshToken`] for an unknown, expired, reused
    /// or revoked token.
    pub async fn refresh(&self, raw: &str) -> Result<TokenPair, ServiceError> {
        let token = RefreshToken::from_client(raw);
        let hash = token.hash();
        let now = self.ports.clock.now();
        let state = self.live_refresh(&hash, now).await?;
        if state.record.spent_at.is_some() {
            return self.replay_or_revoke(&token, &state, now).await;
        }
        if state.record.expires_at <= now {
            return Err(ServiceError::InvalidRefreshToken);
        }
        let successor = self.secret.successor(&token);
        let next = self.record_for(&successor, state.session.id, state.role, now);
        if self.ports.sessions.rotate(&hash, &next).await? {
            return self.pair(state.session.user_id, successor, &next);
        }
        // A concurrent refresh of the same token won the rotation.
        let state = self.live_refresh(&hash, now).await?;
        self.replay_or_revoke(&token, &state, now).await
    }

    async fn live_refresh(
        &self,
        hash: &crate::model::TokenHash,
        now: Timestamp,
    ) -> Result<RefreshState, ServiceError> {
        self.ports
            .sessions
            .find_refresh(hash)
            .await?
            .filter(|state| state.session.is_live(now) && !state.user_disabled)
            .ok_or(ServiceError::InvalidRefreshToken)
    }

    async fn replay_or_revoke(
        &self,
        token: &RefreshToken,
        state: &RefreshState,
        now: Timestamp,
    ) -> Result<TokenPair, ServiceError> {
        let within_grace = state
            .record
            .spent_at
            .is_some_and(|spent| now - spent <= self.settings.reuse_grace);
        if within_grace {
            let successor = self.secret.successor(token);
            if let Some(next) = self.ports.sessions.find_refresh(&successor.hash()).await? {
                return self.pair(state.session.user_id, successor, &next.record);
            }
        }
        // Reuse outside the window: someone replayed an old token, so the
        // whole session (every token descended from that login) is revoked.
        if self
            .ports
            .sessions
            .revoke(state.session.user_id, state.session.id, now)
            .await?
        {
            self.ports
                .notifier
                .sessions_revoked(state.session.user_id, Revoked::One(state.session.id));
        }
        Err(ServiceError::InvalidRefreshToken)
    }

    /// Who an access token acts for: signature and expiry checked, then its
    /// session looked up (so a revoked session fails at once).
    ///
    /// # Errors
    /// [`ServiceError::Unauthorized`] for any token that is not valid now.
    pub async fn authenticate(&self, access_token: &str) -> Result<Principal, ServiceError> {
        let claims = self
            .ports
            .tokens
            .verify(access_token)
            .map_err(|_| ServiceError::Unauthorized)?;
        let now = self.ports.clock.now();
        self.ports
            .sessions
            .principal(claims.sid, now)
            .await?
            .filter(|principal| principal.user_id == claims.sub)
            .ok_or(ServiceError::Unauthorized)
    }

    /// Revokes the session a refresh token belongs to (browser-mode logout,
    /// where the cookie is all the client sends).
    ///
    /// # Errors
    /// [`ServiceError::Unauthorized`] when the token belongs to no live
    /// session.
    pub async fn logout_by_refresh_token(&self, raw: &str) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        let state = self
            .live_refresh(&RefreshToken::from_client(raw).hash(), now)
            .await
            .map_err(|_| ServiceError::Unauthorized)?;
        let user = state.session.user_id;
        self.ports
            .sessions
            .revoke(user, state.session.id, now)
            .await?;
        self.ports
            .notifier
            .sessions_revoked(user, Revoked::One(state.session.id));
        Ok(())
    }

    /// The user a validly signed, unexpired access token names, without
    /// the session lookup: for keying rate limits, never for authorization.
    pub fn token_subject(&self, access_token: &str) -> Option<UserId> {
        self.ports
            .tokens
            .verify(access_token)
            .ok()
            .map(|claims| claims.sub)
    }

    /// Revokes the caller's session: its access and refresh tokens fail from
    /// now on.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn logout(&self, principal: &Principal) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        self.ports
            .sessions
            .revoke(principal.user_id, principal.session_id, now)
            .await?;
        self.ports
            .notifier
            .sessions_revoked(principal.user_id, Revoked::One(principal.session_id));
        Ok(())
    }

    /// The caller's live sessions, its own marked `current`.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn sessions(&self, principal: &Principal) -> Result<Vec<Session>, ServiceError> {
        let now = self.ports.clock.now();
        let mut sessions = self
            .ports
            .sessions
            .list_live(principal.user_id, now)
            .await?;
        for session in &mut sessions {
            session.current = session.id == principal.session_id;
        }
        Ok(sessions)
    }

    /// Revokes one of the caller's own sessions.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when it is not a live session of the caller.
    pub async fn revoke_session(
        &self,
        principal: &Principal,
        id: SessionId,
    ) -> Result<(), ServiceError> {
        let now = self.ports.clock.now();
        if self
            .ports
            .sessions
            .revoke(principal.user_id, id, now)
            .await?
        {
            self.ports
                .notifier
                .sessions_revoked(principal.user_id, Revoked::One(id));
            Ok(())
        } else {
            Err(ServiceError::NotFound)
        }
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
