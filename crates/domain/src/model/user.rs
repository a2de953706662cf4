//! Users and the validated values that describe them.

use super::{Timestamp, UserId};
use crate::FieldError;
use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::str::FromStr;
use unicode_normalization::UnicodeNormalization;

/// An email address, trimmed and lower-cased; unique per user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// Longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Parses an address: one `@`, a non-empty local part and a domain with
    /// a dot, no whitespace, control, invisible or format characters
    /// (zero-width, bidi controls), at most 254 characters. It is kept in
    /// Unicode NFC and lower case, so two spellings of one address (a
    /// precomposed `é` or `e` + combining accent) are the same address.
    ///
    /// # Errors
    /// A [`FieldError`] on `email` saying what is wrong.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        if raw.chars().any(super::text::is_invisible) {
            return Err(FieldError::new(
                "email",
                "must not contain invisible or formatting characters (zero-width, bidi controls)",
            ));
        }
        let email: String = raw
            .trim()
            .nfc()
            .collect::<String>()
            .to_lowercase()
            .nfc()
            .collect();
        let invalid = || FieldError::new("email", "must be a valid email address");
        if email.is_empty() || email.chars().count() > Self::MAX_LEN {
            return Err(invalid());
        }
        if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    /// The address as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password in plain text, kept secret: 8–128 characters, any Unicode.
#[derive(Debug, Clone)]
pub struct Password(SecretString);

impl Password {
    /// Fewest characters accepted.
    pub const MIN_CHARS: usize = 8;
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 128;

    /// Accepts a password of 8–128 characters, reported against `field`.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when the length is outside the range.
    pub fn parse_field(raw: &str, field: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if !(Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            return Err(FieldError::new(field, "must be 8-128 characters"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// Longest text accepted as a password *candidate* (bounds hashing cost).
    pub const MAX_CANDIDATE_CHARS: usize = 1024;

    /// Accepts any text of at most 1024 characters as a candidate to check
    /// against a stored hash (at login): a too-short guess is simply wrong,
    /// never a validation error that would tell it apart.
    ///
    /// # Errors
    /// A [`FieldError`] on `field` when longer than 1024 characters.
    pub fn candidate(raw: &str, field: &str) -> Result<Self, FieldError> {
        if raw.chars().count() > Self::MAX_CANDIDATE_CHARS {
            return Err(FieldError::new(field, "must be at most 1024 characters"));
        }
        Ok(Self(SecretString::from(raw)))
    }

    /// [`Password::parse_field`] on the field `password`.
    ///
    /// # Errors
    /// As [`Password::parse_field`].
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        Self::parse_field(raw, "password")
    }

    /// The plain text, for the hasher only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A stored password hash in PHC string format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash(pub String);

/// A display name: at most 200 characters, trimmed, no control characters;
/// empty is allowed and is the default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DisplayName(String);

impl DisplayName {
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 200;

    /// Parses a display name.
    ///
    /// # Errors
    /// A [`FieldError`] on `display_name` when too long or holding control
    /// characters.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        if name.chars().count() > Self::MAX_CHARS {
            return Err(FieldError::new(
                "display_name",
                "must be at most 200 characters",
            ));
        }
        if name
            .chars()
            .any(|c| c.is_control() || super::text::is_bidi_control(c))
        {
            return Err(FieldError::new(
                "display_name",
                "must not contain control characters (bidi controls included)",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A case-insensitive substring to search for (`q`), 1–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText(String);

impl SearchText {
    /// Parses `q`; an empty one means no filter (`None`).
    ///
    /// # Errors
    /// A [`FieldError`] on `q` when longer than 200 characters.
    pub fn parse(raw: &str) -> Result<Option<Self>, FieldError> {
        if raw.is_empty() {
            return Ok(None);
        }
        if raw.chars().count() > 200 || raw.chars().any(char::is_control) {
            return Err(FieldError::new(
                "q",
                "must be at most 200 characters without control characters",
            ));
        }
        Ok(Some(Self(raw.to_lowercase())))
    }

    /// The lower-cased text; `%` and `_` in it are literal characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees and changes only their own resources.
    User,
    /// Sees and changes everything, manages users.
    Admin,
}

impl Role {
    /// The role as stored and sent: `user` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            _ => Err(FieldError::new("role", "must be \"user\" or \"admin\"")),
        }
    }
}

/// A user as clients see it: never a password hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Identity.
    pub id: UserId,
    /// Unique, lower case.
    pub email: Email,
    /// Free text, `""` by default.
    pub display_name: DisplayName,
    /// `user` or `admin`.
    pub role: Role,
    /// A disabled user can't log in and has no live sessions.
    pub disabled: bool,
    /// Whether the address was proved (a mailed link was followed).
    pub email_verified: bool,
    /// An address the user asked to move to, not yet confirmed.
    pub pending_email: Option<Email>,
    /// When the account was created.
    pub created_at: Timestamp,
}

/// A user about to be stored.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The user to insert (its id and timestamps already set).
    pub user: User,
    /// Its password hash; `None` for accounts that sign in elsewhere.
    pub password_hash: Option<PasswordHash>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ada@example.com");
    }

    #[test]
    fn emails_compare_in_nfc_and_refuse_invisible_characters() {
        let composed = Email::parse("JOS\u{00C9}@example.com").expect("valid");
        let decomposed = Email::parse("jose\u{0301}@example.com").expect("valid");
        assert_eq!(composed, decomposed);
        assert_eq!(composed.as_str(), "jos\u{00E9}@example.com");
        for raw in [
            "ada\u{200B}@example.com",
            "ada@exa\u{200D}mple.com",
            "\u{202E}moc.elpmaxe@ada",
            "ada\u{2066}@example.com",
            "\u{FEFF}ada@example.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn malformed_emails_are_refused() {
        for raw in [
            "",
            "ada",
            "@example.com",
            "ada@",
            "ada@example",
            "a b@example.com",
            "a@b@c.com",
            "ada@.com",
        ] {
            assert!(Email::parse(raw).is_err(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn password_length_counts_characters_not_bytes() {
        assert!(Password::parse("ééééééé").is_err());
        assert!(Password::parse("éééééééé").is_ok());
        assert!(Password::parse(&"x".repeat(129)).is_err());
        assert!(Password::parse(&"x".repeat(128)).is_ok());
    }

    #[test]
    fn display_name_refuses_control_characters() {
        assert!(DisplayName::parse("Ada\u{7}").is_err());
        assert!(DisplayName::parse("Ada\u{202E}nimda").is_err());
        assert_eq!(DisplayName::parse("  Ada ").expect("valid").as_str(), "Ada");
    }
}
