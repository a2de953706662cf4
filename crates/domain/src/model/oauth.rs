//! Sign-in through an outside identity provider (OAuth 2 / OpenID
//! Connect): provider names, the secrets of one authorization request, and
//! the identity a provider vouches for.

use super::{Timestamp, UserId};
use crate::FieldError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::fmt;

/// A configured provider's name as it appears in paths (`acme-id`): 1–64
/// characters of `a–z 0–9 -`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProviderName(String);

impl ProviderName {
    /// Parses a provider name.
    ///
    /// # Errors
    /// A [`FieldError`] on `provider` for anything outside the alphabet.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let valid = (1..=64).contains(&raw.len())
            && raw
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(FieldError::new(
                "provider",
                "must be 1-64 characters of a-z, 0-9 and -",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A random value of 256 bits, base64url (43 characters): a `state`, a
/// `nonce`, a PKCE verifier or a browser binding.
#[derive(Clone, PartialEq, Eq)]
pub struct FlowSecret(String);

impl FlowSecret {
    /// A fresh random value.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Wraps a value a client or the store handed back (not yet known to
    /// be valid).
    pub fn from_raw(raw: &str) -> Self {
        Self(raw.to_owned())
    }

    /// The value.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its SHA-256: what is stored of a `state` or a binding. The value has
    /// 256 bits of entropy, so a fast hash leaves nothing to brute-force.
    pub fn hash(&self) -> Vec<u8> {
        Sha256::digest(self.0.as_bytes()).to_vec()
    }
}

impl fmt::Debug for FlowSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FlowSecret(..)")
    }
}

/// One authorization request between the redirect to the provider and its
/// callback: single use, bound to the browser that started it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingLogin {
    /// SHA-256 of the `state` sent to the provider (the key).
    pub state_hash: Vec<u8>,
    /// The provider it was sent to.
    pub provider: ProviderName,
    /// SHA-256 of the browser-binding cookie's value.
    pub binding_hash: Vec<u8>,
    /// The PKCE code verifier (its S256 challenge went to the provider).
    pub pkce_verifier: FlowSecret,
    /// The OpenID Connect `nonce` the ID token must carry.
    pub nonce: FlowSecret,
    /// The redirect URI sent with the authorization request (the token
    /// request must repeat it).
    pub redirect_uri: String,
    /// When the request started.
    pub created_at: Timestamp,
    /// After this it is refused.
    pub expires_at: Timestamp,
}

/// Who a provider says the user is (from the ID token or userinfo).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalIdentity {
    /// The provider's stable id of the account (`sub`, or `id`).
    pub subject: String,
    /// The address the provider gave, if any (not yet validated).
    pub email: Option<String>,
    /// Whether the provider says it verified that address.
    pub email_verified: bool,
    /// The person's name, if given.
    pub name: Option<String>,
}

/// A provider account linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedIdentity {
    /// The provider.
    pub provider: ProviderName,
    /// The provider's id of the account.
    pub subject: String,
    /// The user signed in through it.
    pub user_id: UserId,
    /// The address the provider gave when it was linked.
    pub email: Option<String>,
    /// Whether the provider said it verified that address.
    pub email_verified: bool,
    /// When it was linked.
    pub created_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_use_the_path_alphabet() {
        assert!(ProviderName::parse("acme-id").is_ok());
        for bad in ["", "Acme", "a_b", "a/b", &"x".repeat(65)] {
            assert!(ProviderName::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn flow_secrets_are_random_and_never_printed() {
        let one = FlowSecret::generate();
        assert_eq!(one.as_str().len(), 43);
        assert_ne!(one, FlowSecret::generate());
        assert_eq!(format!("{one:?}"), "FlowSecret(..)");
        assert_eq!(one.hash(), FlowSecret::from_raw(one.as_str()).hash());
    }
}
