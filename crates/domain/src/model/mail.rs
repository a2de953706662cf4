//! Messages the server mails, and the single-use tokens their links carry.

use super::{Email, RefreshToken, SecretKey, Timestamp, TokenHash, UserId};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::fmt;
use time::Duration;

/// One message to one recipient, in plain text and HTML.
#[derive(Clone, PartialEq, Eq)]
pub struct Mail {
    /// The recipient.
    pub to: Email,
    /// The subject line.
    pub subject: String,
    /// The `text/plain` body.
    pub text: String,
    /// The `text/html` body.
    pub html: String,
}

impl fmt::Debug for Mail {
    /// Never the bodies: they hold links with tokens.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mail")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

/// What an account token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenPurpose {
    /// Prove the account's address (24 h).
    VerifyEmail,
    /// Set a new password (1 h).
    ResetPassword,
    /// Move the account to its pending address (24 h).
    ConfirmEmail,
}

impl TokenPurpose {
    /// The purpose as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::VerifyEmail => "verify_email",
            Self::ResetPassword => "reset_password",
            Self::ConfirmEmail => "confirm_email",
        }
    }

    /// How long a token of this purpose stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Self::ResetPassword => Duration::hours(1),
            Self::VerifyEmail | Self::ConfirmEmail => Duration::hours(24),
        }
    }
}

/// A single-use token mailed in a link: 256 random bits, base64url. Only
/// its keyed hash ([`SecretKey::account_token_hash`]) is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct AccountToken(RefreshToken);

impl AccountToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        Self(RefreshToken::generate())
    }

    /// Wraps a token a client presented (not yet known to be valid).
    pub fn from_client(raw: &str) -> Self {
        Self(RefreshToken::from_client(raw))
    }

    /// The token text, for the link only.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for AccountToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccountToken(..)")
    }
}

impl SecretKey {
    /// The stored form of an account token: HMAC-SHA256 under this key, so
    /// a leaked table can't even be checked against guesses offline.
    pub fn account_token_hash(&self, token: &AccountToken) -> TokenHash {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.derive("account-token"))
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(token.as_str().as_bytes());
        TokenHash(mac.finalize().into_bytes().to_vec())
    }
}

/// An account token about to be stored.
#[derive(Debug, Clone)]
pub struct NewAccountToken {
    /// Its keyed hash.
    pub hash: TokenHash,
    /// Whose account it acts on.
    pub user_id: UserId,
    /// What it allows.
    pub purpose: TokenPurpose,
    /// For [`TokenPurpose::ConfirmEmail`]: the address to move to.
    pub new_email: Option<Email>,
    /// When it was made.
    pub created_at: Timestamp,
}

/// What spending a token gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedeemedToken {
    /// Whose account it acts on.
    pub user_id: UserId,
    /// For [`TokenPurpose::ConfirmEmail`]: the address to move to.
    pub new_email: Option<Email>,
}
