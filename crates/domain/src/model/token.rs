//! Access tokens and who a request acts as.

use super::{AccessGrant, RefreshToken, Role, SessionId, Timestamp, UserId};

/// The claims of an access token (a JWT): `sub`, `sid`, `role`, `iat`, `exp`,
/// `jti`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessClaims {
    /// The user.
    pub sub: UserId,
    /// The session.
    pub sid: SessionId,
    /// Role when minted (authorization re-reads the current one).
    pub role: Role,
    /// `iat` and `exp` and `jti`.
    pub grant: AccessGrant,
}

/// The caller of a request, after its token and session were checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The user.
    pub user_id: UserId,
    /// The session the token belongs to.
    pub session_id: SessionId,
    /// The user's current role.
    pub role: Role,
}

impl Principal {
    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

/// What a login or refresh hands back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenPair {
    /// The signed access token.
    pub access_token: String,
    /// The opaque refresh token.
    pub refresh_token: RefreshToken,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// The session both belong to.
    pub session_id: SessionId,
    /// When the access token was issued.
    pub issued_at: Timestamp,
}
