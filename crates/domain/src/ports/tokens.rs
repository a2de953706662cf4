//! Access-token signing.

use crate::model::AccessClaims;

/// Why an access token was refused or could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// Malformed, badly signed or expired.
    #[error("invalid access token")]
    Invalid,
    /// Signing failed (a broken key).
    #[error("token signing failed: {0}")]
    Signing(String),
}

/// Mints and checks access tokens. Minting must be deterministic: the same
/// claims give the same token (the refresh grace window relies on it).
pub trait TokenIssuer: Send + Sync {
    /// Signs `claims`.
    ///
    /// # Errors
    /// [`TokenError::Signing`] when the key can't sign.
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError>;

    /// Checks signature and expiry and returns the claims.
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for any token that isn't valid now.
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError>;
}
