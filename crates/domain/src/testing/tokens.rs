//! Unsigned, readable access tokens for tests.

use crate::model::{AccessClaims, AccessGrant, Role, SessionId, Timestamp, UserId};
use crate::ports::{Clock, TokenError, TokenIssuer};
use std::sync::Arc;

/// Tokens of the form `fake.<sub>.<sid>.<role>.<jti>.<iat µs>.<exp µs>`:
/// deterministic like a real signer, and expiring on the given clock.
pub struct FakeTokens {
    clock: Arc<dyn Clock>,
}

impl FakeTokens {
    /// Tokens that expire by `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

impl TokenIssuer for FakeTokens {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let g = &claims.grant;
        Ok(format!(
            "fake.{}.{}.{}.{}.{}.{}",
            claims.sub,
            claims.sid,
            claims.role.as_str(),
            g.jti,
            g.issued_at.unix_micros(),
            g.expires_at.unix_micros()
        ))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let parts: Vec<&str> = token.split('.').collect();
        let [_, sub, sid, role, jti, iat, exp] = parts.as_slice() else {
            return Err(TokenError::Invalid);
        };
        let uuid = |s: &str| s.parse::<uuid::Uuid>().map_err(|_| TokenError::Invalid);
        let at = |s: &str| {
            s.parse::<i64>()
                .ok()
                .and_then(Timestamp::from_unix_micros)
                .ok_or(TokenError::Invalid)
        };
        let role: Role = role.parse().map_err(|_| TokenError::Invalid)?;
        let grant = AccessGrant {
            jti: uuid(jti)?,
            role,
            issued_at: at(iat)?,
            expires_at: at(exp)?,
        };
        if grant.expires_at <= self.clock.now() {
            return Err(TokenError::Invalid);
        }
        Ok(AccessClaims {
            sub: UserId(uuid(sub)?),
            sid: SessionId(uuid(sid)?),
            role,
            grant,
        })
    }
}
