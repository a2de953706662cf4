//! Password hashing.

use crate::model::{Password, PasswordHash};
use async_trait::async_trait;

/// A hasher failed (a malformed stored hash, the worker pool gone).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(pub String);

/// Hashes and verifies passwords. Implementations must keep slow work off
/// the async executor.
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes `password` with a fresh salt.
    ///
    /// # Errors
    /// [`HashError`] when hashing could not run.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;

    /// Whether `password` matches `hash`.
    ///
    /// # Errors
    /// [`HashError`] when `hash` is malformed or hashing could not run; a
    /// mismatch is `Ok(false)`.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError>;

    /// A valid hash of no real password, verified against when the email is
    /// unknown so that both failures cost the same time.
    fn dummy_hash(&self) -> &PasswordHash;
}
