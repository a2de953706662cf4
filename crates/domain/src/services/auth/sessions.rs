//! Sessions once they exist: refresh-token rotation, authenticating an
//! access token, logout and the session list.

use super::AuthService;
use crate::ServiceError;
use crate::model::{
    Principal, RefreshState, RefreshToken, Session, SessionId, Timestamp, TokenPair, UserId,
};
use crate::ports::Revoked;

impl AuthService {
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

    /// The browser-mode CSRF token that goes with a refresh token (see
    /// [`SecretKey::csrf_token`]).
    pub fn csrf_token(&self, refresh: &str) -> String {
        self.secret.csrf_token(&RefreshToken::from_client(refresh))
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
}
