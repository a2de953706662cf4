//! Running hand-written reads and turning their rows into domain values:
//! the columns the item and agent rows share, and what a row came to.

use super::sql::Sql;
use super::unexpected;
use anyhow::anyhow;
use domain::model::{Description, Timestamp};
use domain::{FieldError, RepoError};
use sea_orm::{ConnectionTrait, DbBackend, QueryResult};

/// Reads one row as a `T`; the backend says how JSON columns are stored.
pub(super) type Reader<T> = fn(&QueryResult, DbBackend) -> anyhow::Result<T>;

/// What a row holding client-supplied JSON objects came to.
pub enum Row<T> {
    /// A valid value.
    Valid(T),
    /// A stored object breaks the limits (only a merge can do that).
    Invalid(FieldError),
}

/// The row `statement` returns, if any, read by `read`.
pub(super) async fn fetch_one<T>(
    conn: &impl ConnectionTrait,
    statement: Sql,
    read: Reader<T>,
    context: &'static str,
) -> Result<Option<T>, RepoError> {
    let row = conn
        .query_one_raw(statement.build())
        .await
        .map_err(unexpected(context))?;
    Ok(row
        .map(|row| read(&row, conn.get_database_backend()))
        .transpose()?)
}

/// Every row `statement` returns, read by `read`.
pub(super) async fn fetch_all<T>(
    conn: &impl ConnectionTrait,
    statement: Sql,
    read: Reader<T>,
    context: &'static str,
) -> Result<Vec<T>, RepoError> {
    let rows = conn
        .query_all_raw(statement.build())
        .await
        .map_err(unexpected(context))?;
    let backend = conn.get_database_backend();
    Ok(rows
        .iter()
        .map(|row| read(row, backend))
        .collect::<anyhow::Result<_>>()?)
}

/// A stored microsecond count of column `col` as a timestamp.
fn timestamp(value: i64, col: &str) -> anyhow::Result<Timestamp> {
    Timestamp::from_unix_micros(value).ok_or_else(|| anyhow!("{col} {value} out of range"))
}

/// The microsecond timestamp column `col`.
pub(super) fn micros(row: &QueryResult, col: &str) -> anyhow::Result<Timestamp> {
    timestamp(row.try_get("", col)?, col)
}

/// The nullable microsecond timestamp column `col`.
pub(super) fn optional_micros(row: &QueryResult, col: &str) -> anyhow::Result<Option<Timestamp>> {
    row.try_get::<Option<i64>>("", col)?
        .map(|value| timestamp(value, col))
        .transpose()
}

/// The nullable `description` column.
pub(super) fn description(row: &QueryResult) -> anyhow::Result<Option<Description>> {
    row.try_get::<Option<String>>("", "description")?
        .map(|text| Description::parse(&text))
        .transpose()
        .map_err(|e| anyhow!("stored description is invalid: {e}"))
}
