//! The write transactions every owned resource shares: an insert
//! with its event, and settling a conditional `UPDATE`/`DELETE … RETURNING`.

use super::rows::{Reader, Row};
use super::sql::Sql;
use super::{begin_write, event_sql, unexpected};
use domain::RepoError;
use domain::model::{NewEvent, Timestamp};
use domain::ports::WriteOutcome;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};

/// Runs `insert` and appends `event`, written at `at`, atomically: on
/// PostgreSQL as one statement (the insert a data-modifying CTE before the
/// event's `INSERT`), on SQLite as two in one write transaction.
/// `insert_failed` translates an error of the insert (a unique constraint
/// may be a conflict); any other is unexpected.
pub(super) async fn insert_with_event(
    db: &DatabaseConnection,
    mut insert: Sql,
    (event, at): (&NewEvent, Timestamp),
    insert_failed: impl FnOnce(DbErr) -> RepoError,
    context: &'static str,
) -> Result<(), RepoError> {
    if insert.is_postgres() {
        insert.prepend("WITH inserted AS (").push(") ");
        event_sql::push_insert(&mut insert, event, at);
        return db
            .execute_raw(insert.build())
            .await
            .map(drop)
            .map_err(insert_failed);
    }
    let txn = begin_write(db).await.map_err(unexpected(context))?;
    txn.execute_raw(insert.build())
        .await
        .map_err(insert_failed)?;
    event_sql::append(&txn, event, at)
        .await
        .map_err(unexpected(context))?;
    txn.commit().await.map_err(unexpected(context))
}

/// A write of one row that may touch none: the row is addressed by id
/// within a scope, and perhaps required to be at a version.
#[derive(Debug)]
pub(super) struct Conditional {
    /// The `UPDATE`/`DELETE … RETURNING` of the row.
    pub(super) statement: Sql,
    /// `SELECT 1 …` of the row in its scope: tells a version mismatch from
    /// an absent row.
    pub(super) exists: Sql,
    /// The version `statement` requires, if any.
    pub(super) expected: Option<i64>,
    /// What the write does, the context of an unexpected error.
    pub(super) context: &'static str,
}

/// Runs `write` in a write transaction of its own, then [`settle`]s it.
pub(super) async fn run<T>(
    db: &DatabaseConnection,
    write: Conditional,
    read: Reader<Row<T>>,
    event_of: impl FnOnce(&T) -> (NewEvent, Timestamp),
) -> Result<WriteOutcome<T>, RepoError> {
    let txn = begin_write(db).await.map_err(unexpected(write.context))?;
    settle(txn, write, read, event_of).await
}

/// Runs `write` inside `txn` and finishes the transaction. A valid row
/// returned (read by `read`) is committed, after appending the event
/// `event_of` gives for it (the one way every backend logs a conditional
/// write); otherwise it rolls back and says why nothing was written.
pub(super) async fn settle<T>(
    txn: DatabaseTransaction,
    write: Conditional,
    read: Reader<Row<T>>,
    event_of: impl FnOnce(&T) -> (NewEvent, Timestamp),
) -> Result<WriteOutcome<T>, RepoError> {
    let context = write.context;
    let row = txn
        .query_one_raw(write.statement.build())
        .await
        .map_err(unexpected(context))?;
    let outcome = match row {
        Some(row) => match read(&row, txn.get_database_backend())? {
            Row::Valid(value) => {
                let (event, at) = event_of(&value);
                event_sql::append(&txn, &event, at)
                    .await
                    .map_err(unexpected(context))?;
                txn.commit().await.map_err(unexpected(context))?;
                return Ok(WriteOutcome::Done(value));
            }
            Row::Invalid(error) => WriteOutcome::Invalid(vec![error]),
        },
        None => missing(&txn, write.exists, write.expected, context).await?,
    };
    txn.rollback().await.map_err(unexpected(context))?;
    Ok(outcome)
}

/// Why a conditional write touched no row: absent, or at another version
/// than `expected`.
async fn missing<T>(
    txn: &DatabaseTransaction,
    exists: Sql,
    expected: Option<i64>,
    context: &'static str,
) -> Result<WriteOutcome<T>, RepoError> {
    if expected.is_none() {
        return Ok(WriteOutcome::NotFound);
    }
    // Under READ COMMITTED this statement takes a new snapshot: the row may
    // have changed or gone since the write. The answer still holds for the
    // write: an id is never used again, so a row found now existed then,
    // at another version than `expected` (412); a row gone now is 404, as
    // a write a moment later would have found it.
    let found = txn
        .query_one_raw(exists.build())
        .await
        .map_err(unexpected(context))?;
    Ok(if found.is_some() {
        WriteOutcome::VersionMismatch
    } else {
        WriteOutcome::NotFound
    })
}
