//! SeaORM implementations of the repository ports, and what they share:
//! error translation, row conversion, write transactions.

mod accounts;
mod agent_sql;
mod agents;
mod command_sql;
mod commands;
mod convert;
mod event_sql;
mod events;
mod idempotency;
mod item_sql;
mod items;
mod keyset;
mod oauth;
mod outbox;
mod owned_sql;
mod queries;
mod rows;
mod sessions;
mod sql;
mod table;
mod users;
mod watermark;
mod writes;

pub use accounts::SeaAccounts;
pub use agents::SeaAgents;
pub use commands::SeaCommands;
pub use events::SeaEventLog;
pub use idempotency::SeaIdempotency;
pub use items::SeaItems;
pub use oauth::{SeaIdentities, SeaPendingLogins};
pub use outbox::SeaOutbox;
pub use sessions::SeaSessions;
pub use users::SeaUsers;

use domain::RepoError;
use sea_orm::{
    DatabaseConnection, DatabaseTransaction, DbErr, SqlErr, SqliteTransactionMode,
    TransactionOptions, TransactionTrait,
};

/// Wraps any database error as [`RepoError::Unexpected`] with `context`.
fn unexpected(context: &'static str) -> impl FnOnce(DbErr) -> RepoError {
    move |err| RepoError::Unexpected(anyhow::Error::new(err).context(context))
}

/// Like [`unexpected`], but a unique-constraint violation is a
/// [`RepoError::Conflict`].
fn conflict_or_unexpected(context: &'static str) -> impl FnOnce(DbErr) -> RepoError {
    move |err| match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => RepoError::Conflict,
        _ => unexpected(context)(err),
    }
}

/// Begins a transaction that will write: `BEGIN IMMEDIATE` on SQLite, so
/// it takes the write lock at once (waiting up to the busy timeout) instead
/// of failing with "database is locked" when it first writes after a read.
async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}
