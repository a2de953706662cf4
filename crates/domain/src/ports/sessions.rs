//! Session and refresh-token storage.

use crate::RepoError;
use crate::model::{
    ClientInfo, Principal, RefreshRecord, RefreshState, Session, SessionId, SessionState,
    Timestamp, TokenHash, UserId,
};
use async_trait::async_trait;

/// Stores sessions and their refresh-token chains.
///
/// Revocation is immediate: [`SessionRepository::principal`] is consulted on
/// every authenticated request (one primary-key lookup). An adapter may put a
/// cache in front only if every revocation invalidates it at once, on every
/// instance.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// Starts a session with its first refresh token.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn create(
        &self,
        session: &SessionState,
        client: &ClientInfo,
        first: &RefreshRecord,
    ) -> Result<(), RepoError>;

    /// The refresh token with `hash`, its session and user state.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find_refresh(&self, hash: &TokenHash) -> Result<Option<RefreshState>, RepoError>;

    /// Atomically marks `spent` as spent at `next.issued_at` and stores
    /// `next`, moving the session's expiry and `last_used_at`. Returns
    /// `false`, changing nothing, when `spent` was already spent (a
    /// concurrent rotation won).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn rotate(&self, spent: &TokenHash, next: &RefreshRecord) -> Result<bool, RepoError>;

    /// The caller behind a live session of an enabled user, with the user's
    /// current role; `None` when revoked, expired, disabled or gone.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn principal(
        &self,
        session: SessionId,
        now: Timestamp,
    ) -> Result<Option<Principal>, RepoError>;

    /// The session with `id` of `user`, live or not.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find(&self, user: UserId, id: SessionId) -> Result<Option<SessionState>, RepoError>;

    /// The live sessions of `user`, newest first (`current` left `false`).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn list_live(&self, user: UserId, now: Timestamp) -> Result<Vec<Session>, RepoError>;

    /// Revokes one live session of `user`; `false` when there is none.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn revoke(&self, user: UserId, id: SessionId, now: Timestamp) -> Result<bool, RepoError>;

    /// Revokes every live session of `user` except `keep`; returns how many.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: Timestamp,
    ) -> Result<u64, RepoError>;

    /// Deletes sessions that expired or were revoked before `before`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn prune(&self, before: Timestamp) -> Result<u64, RepoError>;
}
