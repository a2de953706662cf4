//! Running the schema migrations of the `migration` crate.
//!
//! On PostgreSQL every change runs inside one transaction that first takes
//! `pg_advisory_xact_lock`: instances starting together queue on the lock,
//! and the migrator runs on that same transaction (nested migrations become
//! savepoints), so a pool of one connection can't deadlock against itself
//! and a failed run leaves nothing half-applied. The lock goes with the
//! commit or rollback. (A future migration that needs to run outside a
//! transaction, such as `CREATE INDEX CONCURRENTLY`, needs its own path.)
//!
//! SQLite has a single writer and no advisory locks; the migrator runs on
//! the pool directly.

use crate::{Db, InfraError};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Statement, TransactionTrait,
};
use std::future::Future;
use std::pin::Pin;

/// The advisory-lock key of schema migrations: any constant all instances
/// share; this one spells "backmigr".
const MIGRATION_LOCK_KEY: i64 = i64::from_be_bytes(*b"backmigr");

/// One migration and whether it is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// Its name, e.g. `m20261126_000001_users_and_sessions`.
    pub name: String,
    /// Whether it is applied.
    pub applied: bool,
}

/// Applies pending migrations: all, or the first `steps` of them.
///
/// # Errors
/// [`InfraError::Migrate`] when a migration fails.
pub async fn up(db: &Db, steps: Option<u32>) -> Result<(), InfraError> {
    if db.is_postgres() {
        locked(db, move |txn| Box::pin(Migrator::up(txn, steps))).await
    } else {
        Migrator::up(db.connection(), steps)
            .await
            .map_err(InfraError::Migrate)
    }
}

/// Rolls back the last `steps` applied migrations.
///
/// # Errors
/// [`InfraError::Migrate`] when a migration fails.
pub async fn down(db: &Db, steps: u32) -> Result<(), InfraError> {
    if db.is_postgres() {
        locked(db, move |txn| Box::pin(Migrator::down(txn, Some(steps)))).await
    } else {
        Migrator::down(db.connection(), Some(steps))
            .await
            .map_err(InfraError::Migrate)
    }
}

/// Every known migration, oldest first, and whether it is applied. Creates
/// nothing in the database.
///
/// # Errors
/// [`InfraError::Migrate`] when the database can't be read, or it records
/// a migration this build doesn't know.
pub async fn status(db: &Db) -> Result<Vec<MigrationState>, InfraError> {
    let migrations = Migrator::get_migration_with_status_read_only(db.connection())
        .await
        .map_err(InfraError::Migrate)?;
    Ok(migrations
        .iter()
        .map(|m| MigrationState {
            name: m.name().to_owned(),
            applied: m.status() == migration::MigrationStatus::Applied,
        })
        .collect())
}

/// Drops every table and applies all migrations again. Destroys all data:
/// for development and tests only.
///
/// # Errors
/// [`InfraError::Migrate`] when dropping or migrating fails.
pub async fn fresh(db: &Db) -> Result<(), InfraError> {
    if db.is_postgres() {
        locked(db, |txn| Box::pin(Migrator::fresh(txn))).await
    } else {
        Migrator::fresh(db.connection())
            .await
            .map_err(InfraError::Migrate)
    }
}

/// Runs `step` on a PostgreSQL transaction holding the migration lock.
async fn locked<F>(db: &Db, step: F) -> Result<(), InfraError>
where
    F: for<'t> FnOnce(
        &'t DatabaseTransaction,
    ) -> Pin<Box<dyn Future<Output = Result<(), DbErr>> + Send + 't>>,
{
    let txn = db.connection().begin().await.map_err(InfraError::Migrate)?;
    let lock = Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock($1)",
        [MIGRATION_LOCK_KEY.into()],
    );
    txn.execute_raw(lock).await.map_err(InfraError::Migrate)?;
    match step(&txn).await {
        Ok(()) => txn.commit().await.map_err(InfraError::Migrate),
        Err(err) => {
            // The error that matters is the migration's; a failed rollback
            // ends with the connection anyway.
            let _ = txn.rollback().await;
            Err(InfraError::Migrate(err))
        }
    }
}
