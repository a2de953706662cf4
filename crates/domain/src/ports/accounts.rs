//! Account tokens and the mail that carries them, written together.

use crate::RepoError;
use crate::model::{
    Mail, NewAccountToken, NewUser, RedeemedToken, Timestamp, TokenHash, TokenPurpose,
};
use async_trait::async_trait;

/// Stores account tokens, each in one transaction with the outbox rows of
/// the mail that carries it.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Inserts `user`, its verification `token` and `mail` atomically.
    ///
    /// # Errors
    /// [`RepoError::Conflict`] when the email is taken (nothing is stored).
    async fn register(
        &self,
        user: &NewUser,
        token: &NewAccountToken,
        mail: &[Mail],
    ) -> Result<(), RepoError>;

    /// Stores `token` and queues `mail` atomically — unless `throttle_since`
    /// is given and the user already has a token of the same purpose made
    /// after it: then nothing is written and the answer is `false`. A
    /// [`TokenPurpose::ConfirmEmail`] token also sets the user's pending
    /// address.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn issue(
        &self,
        token: &NewAccountToken,
        mail: &[Mail],
        throttle_since: Option<Timestamp>,
    ) -> Result<bool, RepoError>;

    /// Spends a token: `Some` only when it exists with `purpose`, is unused
    /// and younger than [`TokenPurpose::lifetime`] at `now`; it can't be
    /// spent again.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn redeem(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<RedeemedToken>, RepoError>;
}
