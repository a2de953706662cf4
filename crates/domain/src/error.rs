//! Errors of the domain layer: what ports return and what services return.

use std::fmt;

/// One field that failed validation, with a sentence saying why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The field's name as the client sent it (`email`, `password.new`).
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A field error for `field` with `message`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// What a repository port may fail with.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A unique constraint was violated (an email already registered).
    #[error("a record with the same unique value already exists")]
    Conflict,
    /// Anything else: the storage is down or returned something unexpected.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// What a domain service may fail with; the API layer maps each variant to
/// one HTTP status and problem `code`.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Input broke a rule; each field says which.
    #[error("validation failed: {}", join(.0))]
    Invalid(Vec<FieldError>),
    /// Unknown email or wrong password (deliberately indistinguishable).
    #[error("invalid email or password")]
    InvalidCredentials,
    /// The refresh token is unknown, expired, spent or its session revoked.
    #[error("the refresh token is invalid, expired or revoked")]
    InvalidRefreshToken,
    /// No valid, unrevoked access token.
    #[error("authentication required")]
    Unauthorized,
    /// Authenticated, but the rule says no; the text says which rule.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The resource does not exist or belongs to someone else.
    #[error("not found")]
    NotFound,
    /// `If-Match` named a version that is no longer current.
    #[error("the resource changed: If-Match does not match its current version")]
    PreconditionFailed,
    /// A unique value is taken; the text says which.
    #[error("{0}")]
    Conflict(&'static str),
    /// An account token (in a mailed link) is unknown, expired or spent.
    #[error("the token is invalid, expired or already used")]
    InvalidToken,
    /// Sign-in refused until the address is proved.
    #[error("the email address is not verified yet")]
    EmailUnverified,
    /// Asked again too soon; the text says what may be retried when.
    #[error("{0}")]
    TooManyRequests(&'static str),
    /// A dependency failed; details go to the log, never to the client.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<RepoError> for ServiceError {
    fn from(err: RepoError) -> Self {
        match err {
            RepoError::Conflict => Self::Conflict("a record with the same unique value exists"),
            RepoError::Unexpected(e) => Self::Unexpected(e),
        }
    }
}

impl ServiceError {
    /// A validation error on a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }
}

fn join(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
