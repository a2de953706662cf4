//! One table description for every owned, versioned resource, and the
//! [`OwnedRepository`] path written once over it: find, keyset list,
//! conditional update and delete, each write with its event appended in
//! the same transaction. A resource adds its columns, its row reader, the
//! `SET` of a change and its list filters ([`OwnedTable`]).

use super::keyset;
use super::owned_sql::{self, Target};
use super::rows::{Row, fetch_all, fetch_one};
use super::sql::Sql;
use super::writes::{self, Conditional};
use crate::Db;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{OwnedResource, Scope, Timestamp};
use domain::ports::{ListQuery, OwnedRepository, WriteOutcome};
use sea_orm::{DbBackend, QueryResult};
use std::marker::PhantomData;
use uuid::Uuid;

/// How a resource is stored: its table and columns, how a row reads, how
/// a change and the resource's own filters are written.
pub trait OwnedTable: OwnedResource + Send + Sync + Sized + 'static {
    /// Its typed id.
    type Id: Copy + Send + Sync + Into<Uuid>;
    /// A change to it.
    type Change: Send + Sync;
    /// Its own list filters.
    type Filter: Send + Sync;

    /// The table.
    const TABLE: &'static str;
    /// The columns every read returns, in [`OwnedTable::read`]'s order.
    const COLUMNS: &'static str;
    /// What it is called in an error's context (`item`).
    const NOUN: &'static str;

    /// Reads a row; a stored JSON object outside the limits is reported,
    /// not an error, so that a merge can be rolled back as invalid.
    ///
    /// # Errors
    /// A column missing or unreadable.
    fn read(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Row<Self>>;

    /// Appends `, column = …` for each field `change` sets (merges done by
    /// the database).
    fn set(sql: &mut Sql, change: &Self::Change);

    /// `AND`s the conditions of `filter`.
    fn filter(sql: &mut Sql, filter: &Self::Filter);
}

/// Reads a row of `T` that must hold a valid value.
///
/// # Errors
/// A column unreadable, or a stored object outside the limits.
pub(super) fn valid<T: OwnedTable>(row: &QueryResult, backend: DbBackend) -> anyhow::Result<T> {
    match T::read(row, backend)? {
        Row::Valid(value) => Ok(value),
        Row::Invalid(error) => Err(anyhow::anyhow!("stored {} is invalid: {error}", T::NOUN)),
    }
}

/// `SELECT <columns> FROM <table>`, conditions to follow.
pub(super) fn select<T: OwnedTable>(backend: DbBackend) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ")
        .push(T::COLUMNS)
        .push(" FROM ")
        .push(T::TABLE);
    sql
}

/// The row `id` in `scope`; with `lock`, `FOR UPDATE` on PostgreSQL
/// (SQLite's `IMMEDIATE` transaction already holds the write lock).
pub(super) fn select_one<T: OwnedTable>(
    backend: DbBackend,
    id: T::Id,
    scope: Scope,
    lock: bool,
) -> Sql {
    let mut sql = select::<T>(backend);
    owned_sql::where_id(&mut sql, id.into(), scope);
    if lock && sql.is_postgres() {
        sql.push(" FOR UPDATE");
    }
    sql
}

/// A conditional write of `target` by `statement`, with what tells a
/// version mismatch from an absent row.
pub(super) fn conditional<T: OwnedTable>(
    backend: DbBackend,
    statement: Sql,
    (id, scope, expected): Target,
    context: &'static str,
) -> Conditional {
    Conditional {
        statement,
        exists: owned_sql::exists(backend, T::TABLE, id, scope),
        expected,
        context,
    }
}

/// The resource `T` in its table.
#[derive(Debug)]
pub struct SeaTable<T> {
    pub(super) db: Db,
    resource: PhantomData<fn() -> T>,
}

impl<T> Clone for SeaTable<T> {
    fn clone(&self) -> Self {
        Self::new(self.db.clone())
    }
}

impl<T> SeaTable<T> {
    /// The rows stored in `db`.
    pub fn new(db: Db) -> Self {
        Self {
            db,
            resource: PhantomData,
        }
    }

    /// The database's backend, which the SQL is written for.
    pub(super) fn backend(&self) -> DbBackend {
        self.db.connection().get_database_backend()
    }
}

impl<T: OwnedTable> SeaTable<T> {
    /// Runs `statement`, a conditional write of `target`, and appends the
    /// `UPDATED` event of the row it returns (written at `now`), in one
    /// transaction.
    pub(super) async fn write(
        &self,
        statement: Sql,
        target: Target,
        now: Timestamp,
        context: &'static str,
    ) -> Result<WriteOutcome<T>, RepoError> {
        let write = conditional::<T>(self.backend(), statement, target, context);
        writes::run(self.db.connection(), write, T::read, |row: &T| {
            (row.event(T::UPDATED), now)
        })
        .await
    }
}

#[async_trait]
impl<T: OwnedTable> OwnedRepository for SeaTable<T> {
    type Entity = T;
    type Id = T::Id;
    type Change = T::Change;
    type Filter = T::Filter;

    #[tracing::instrument(name = "owned.find", skip_all, fields(table = T::TABLE))]
    async fn find(&self, id: T::Id, scope: Scope) -> Result<Option<T>, RepoError> {
        let sql = select_one::<T>(self.backend(), id, scope, false);
        fetch_one(self.db.connection(), sql, valid::<T>, "loading a row").await
    }

    #[tracing::instrument(name = "owned.list", skip_all, fields(table = T::TABLE))]
    async fn list(&self, scope: Scope, query: &ListQuery<T::Filter>) -> Result<Vec<T>, RepoError> {
        let mut sql = select::<T>(self.backend());
        owned_sql::where_owner(&mut sql, scope);
        T::filter(&mut sql, &query.filter);
        if let Some(q) = &query.q {
            owned_sql::where_name_contains(&mut sql, q);
        }
        let Some(sql) = keyset::page(sql, query.sort, query.after.as_ref(), query.limit) else {
            // A cursor of another sort column matches nothing.
            return Ok(Vec::new());
        };
        fetch_all(self.db.connection(), sql, valid::<T>, "listing rows").await
    }

    #[tracing::instrument(name = "owned.update", skip_all, fields(table = T::TABLE))]
    async fn update(
        &self,
        id: T::Id,
        scope: Scope,
        change: &T::Change,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<T>, RepoError> {
        let target = (id.into(), scope, expected);
        let mut sql = owned_sql::update_start(self.backend(), T::TABLE, now);
        T::set(&mut sql, change);
        owned_sql::update_end(&mut sql, target, T::COLUMNS);
        self.write(sql, target, now, "updating a row").await
    }

    #[tracing::instrument(name = "owned.delete", skip_all, fields(table = T::TABLE))]
    async fn delete(
        &self,
        id: T::Id,
        scope: Scope,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<T>, RepoError> {
        let target = (id.into(), scope, expected);
        let sql = owned_sql::delete(self.backend(), T::TABLE, T::COLUMNS, target);
        let write = conditional::<T>(self.backend(), sql, target, "deleting a row");
        writes::run(self.db.connection(), write, T::read, |row: &T| {
            (row.event(T::DELETED), now.max(row.updated_at()))
        })
        .await
    }
}
