//! Errors of the infrastructure set-up: connecting, migrating, loading keys.
//! (Repository calls return the domain's `RepoError` instead, and the message
//! bus the domain's `BusError`.)

use sea_orm::DbErr;
use std::path::PathBuf;

/// Why the infrastructure could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum InfraError {
    /// The database URL names a database other than SQLite or PostgreSQL.
    /// (The URL itself is left out: it may hold a password.)
    #[error("unsupported database URL: expected sqlite:, postgres:// or postgresql://")]
    UnsupportedDatabase,
    /// The folder for the SQLite file could not be created.
    #[error("could not create the database folder {}", path.display())]
    CreateDir {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Connecting to the database failed.
    #[error("could not connect to the database")]
    Connect(#[source] DbErr),
    /// The database did not answer or refused a statement.
    #[error("database error")]
    Database(#[source] DbErr),
    /// A migration failed.
    #[error("database migration failed")]
    Migrate(#[source] DbErr),
    /// A signing key or secret is unusable; the text says why.
    #[error("invalid key: {0}")]
    Key(String),
    /// The password hasher could not be set up.
    #[error("password hasher set-up failed: {0}")]
    Hasher(String),
    /// The message-bus URL names a broker other than Redis or NATS.
    /// (The URL itself is left out: it may hold a password.)
    #[error("unsupported message bus URL: expected redis://, rediss:// or nats://")]
    UnsupportedBus,
    /// The message-bus client could not be set up (a malformed URL, say);
    /// the text says why.
    #[error("message bus set-up failed: {0}")]
    Bus(String),
    /// An OAuth provider's configuration is unusable; the text says which.
    #[error("OAuth provider set-up failed: {0}")]
    OAuth(String),
    /// `MAIL_URL` or `MAIL_FROM` is unusable; the text says why (never the
    /// URL, which may hold a password).
    #[error("mail set-up failed: {0}")]
    Mail(String),
}
