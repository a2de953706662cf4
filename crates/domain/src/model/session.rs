//! Sessions and the refresh tokens that rotate within them.

use super::{Role, SessionId, Timestamp, UserId};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretBox};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// An opaque refresh token: 256 random bits, base64url. Only its
/// [`TokenHash`] is ever stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a token a client presented (not yet known to be valid).
    pub fn from_client(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The token text, to hand to the client.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The SHA-256 of the token. A fast hash is right here: the token has
    /// 256 bits of entropy, so there is nothing to brute-force.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0.as_bytes()).to_vec())
    }
}

/// The stored form of a refresh token.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TokenHash(pub Vec<u8>);

/// The server-side key (`SECRET_KEY`) for keyed hashes.
pub struct SecretKey(SecretBox<[u8]>);

impl SecretKey {
    /// Shortest key accepted, in bytes.
    pub const MIN_LEN: usize = 32;

    /// Wraps key bytes; `None` when shorter than 32 bytes.
    pub fn new(bytes: &[u8]) -> Option<Self> {
        (bytes.len() >= Self::MIN_LEN).then(|| Self(SecretBox::new(bytes.into())))
    }

    /// The successor of a refresh token: an HMAC-SHA256 of it under this key.
    /// Deterministic, so a rotation can be answered again (the grace window)
    /// without storing any token in plain text.
    pub fn successor(&self, token: &RefreshToken) -> RefreshToken {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"refresh-successor:");
        mac.update(token.as_str().as_bytes());
        RefreshToken(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }

    /// The CSRF token of browser mode for a refresh token: an HMAC-SHA256
    /// of it under this key, so the token belongs to one session (and one
    /// step of its rotation) and can't be planted from another.
    pub fn csrf_token(&self, refresh: &RefreshToken) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"csrf:");
        mac.update(refresh.as_str().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A 256-bit key for one purpose: HMAC-SHA256 of `label` under this key.
    pub(super) fn derive(&self, label: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"derive:");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// The claims of the access token minted with a refresh token, kept so the
/// identical access token can be minted again within the grace window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessGrant {
    /// The token's `jti`.
    pub jti: Uuid,
    /// The role it carries.
    pub role: Role,
    /// `iat`.
    pub issued_at: Timestamp,
    /// `exp`.
    pub expires_at: Timestamp,
}

/// One refresh token of a session's rotation chain, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    /// Hash of the token.
    pub hash: TokenHash,
    /// The session (login) it belongs to.
    pub session_id: SessionId,
    /// When it was handed out.
    pub issued_at: Timestamp,
    /// When it stops being accepted.
    pub expires_at: Timestamp,
    /// When it was exchanged for its successor; `None` while current.
    pub spent_at: Option<Timestamp>,
    /// The access token minted together with it.
    pub access: AccessGrant,
}

/// The state of a session that the auth rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// Identity.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// When the session was started (login).
    pub created_at: Timestamp,
    /// Set when logged out or revoked.
    pub revoked_at: Option<Timestamp>,
    /// When its newest refresh token expires.
    pub expires_at: Timestamp,
}

impl SessionState {
    /// Not revoked and not expired at `now`.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

/// A refresh token looked up by its hash, with its session and whether the
/// session's user is disabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshState {
    /// The token's record.
    pub record: RefreshRecord,
    /// Its session.
    pub session: SessionState,
    /// The session's user is disabled.
    pub user_disabled: bool,
    /// The user's current role.
    pub role: Role,
}

/// A session as its owner sees it in `GET /auth/sessions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Identity.
    pub id: SessionId,
    /// Login time.
    pub created_at: Timestamp,
    /// Last refresh (or login).
    pub last_used_at: Timestamp,
    /// User agent at login.
    pub user_agent: Option<String>,
    /// IP at login.
    pub ip: Option<String>,
    /// Whether this is the session of the asking token.
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successor_is_deterministic_and_keyed() {
        let token = RefreshToken::generate();
        let a = SecretKey::new(&[1u8; 32]).expect("long enough");
        let b = SecretKey::new(&[2u8; 32]).expect("long enough");
        assert_eq!(a.successor(&token), a.successor(&token));
        assert_ne!(a.successor(&token), b.successor(&token));
        assert_ne!(a.successor(&token), token);
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(SecretKey::new(&[0u8; 31]).is_none());
    }

    #[test]
    fn generated_tokens_carry_256_bits() {
        let token = RefreshToken::generate();
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(token.as_str())
                .expect("base64")
                .len(),
            32
        );
        assert_ne!(token, RefreshToken::generate());
    }
}
