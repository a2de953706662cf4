//! Remembered responses for `Idempotency-Key`.

use crate::model::{Timestamp, UserId};
use crate::{FieldError, RepoError};
use async_trait::async_trait;

/// A client's `Idempotency-Key`: 1–255 printable ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Accepts 1–255 characters in `' '..='~'`.
    ///
    /// # Errors
    /// A [`FieldError`] on `Idempotency-Key`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let printable = raw.bytes().all(|b| (b' '..=b'~').contains(&b));
        if raw.is_empty() || raw.len() > 255 || !printable {
            return Err(FieldError::new(
                "Idempotency-Key",
                "must be 1-255 printable ASCII characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers worth replaying (`Location`, `ETag`).
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The body holds a secret (an agent's token): the store only ever sees
    /// it sealed under `SECRET_KEY`, and keeps this flag with it.
    pub secret: bool,
}

/// A request's claim on a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// The caller.
    pub user: UserId,
    /// The operation (`POST /api/v1/items`): keys are per user and operation.
    pub operation: &'static str,
    /// The key.
    pub key: IdempotencyKey,
    /// SHA-256 of the request body.
    pub fingerprint: Vec<u8>,
}

/// What claiming a key found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// First use (or the previous one expired or was abandoned): proceed.
    Claimed,
    /// Done before with the same body: replay this.
    Replay(StoredResponse),
    /// The first request is still running.
    InProgress,
    /// Used before with another body.
    Mismatch,
}

/// Stores idempotency records for 24 hours.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `claim.key` at `now`. A record older than `expires_before`
    /// counts as absent; an unfinished one older than `stale_before` is
    /// taken over (its request died).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn claim(
        &self,
        claim: &IdempotencyClaim,
        now: Timestamp,
        expires_before: Timestamp,
        stale_before: Timestamp,
    ) -> Result<ClaimOutcome, RepoError>;

    /// Stores the successful response of a claimed key.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn complete(
        &self,
        claim: &IdempotencyClaim,
        response: &StoredResponse,
    ) -> Result<(), RepoError>;

    /// Forgets a claimed key whose request failed, so it may be retried.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn release(&self, claim: &IdempotencyClaim) -> Result<(), RepoError>;

    /// Deletes records created before `before`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn prune(&self, before: Timestamp) -> Result<u64, RepoError>;
}
