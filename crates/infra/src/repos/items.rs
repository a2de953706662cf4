//! [`ItemRepository`] on SeaORM: one atomic `UPDATE … RETURNING` per change,
//! with the attributes merge done by the database, and the change's event
//! appended to the event log in the same transaction — on PostgreSQL by the
//! same statement.

use super::item_sql;
use super::rows::{fetch_all, fetch_one};
use super::sql::Sql;
use super::unexpected;
use super::writes::{self, Conditional};
use crate::Db;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{Item, ItemChange, ItemId, Timestamp};
use domain::ports::{ItemQuery, ItemRepository, Scope, WriteOutcome};
use sea_orm::DbBackend;

/// The event a successful write appends, and when it happened.
#[derive(Debug, Clone, Copy)]
enum Announce {
    /// `item.updated` at this instant.
    Updated(Timestamp),
    /// `item.deleted`, now (the port passes no clock reading for deletes;
    /// never before the item's last update).
    Deleted,
}

impl Announce {
    /// The event's kind.
    fn kind(self) -> &'static str {
        match self {
            Self::Updated(_) => "item.updated",
            Self::Deleted => "item.deleted",
        }
    }

    /// When it happened, before the item's `updated_at` is taken into
    /// account.
    fn at_least(self) -> Timestamp {
        match self {
            Self::Updated(at) => at,
            Self::Deleted => Timestamp::now(),
        }
    }

    /// When it happened: never before the item's last update.
    fn at(self, item: &Item) -> Timestamp {
        self.at_least().max(item.updated_at)
    }
}

/// Items in the `items` table.
#[derive(Debug, Clone)]
pub struct SeaItems {
    db: Db,
}

impl SeaItems {
    /// Items stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// The database's backend, which the SQL is written for.
    fn backend(&self) -> DbBackend {
        self.db.connection().get_database_backend()
    }

    /// Runs `change`, a conditional write of the item `id` in `scope` that
    /// requires version `expected` (if any), and appends its `announce`
    /// event: on PostgreSQL in the same statement, on SQLite with a second
    /// one in the same transaction.
    async fn write(
        &self,
        change: Sql,
        (id, scope, expected): (ItemId, Scope, Option<i64>),
        announce: Announce,
        context: &'static str,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        let postgres = self.db.is_postgres();
        let statement = if postgres {
            item_sql::with_event(change, announce.kind(), announce.at_least())
        } else {
            change
        };
        let write = Conditional {
            statement,
            exists: item_sql::exists(self.backend(), id, scope),
            expected,
            context,
        };
        writes::run(self.db.connection(), write, item_sql::item, |item| {
            (!postgres).then(|| (item.event(announce.kind()), announce.at(item)))
        })
        .await
    }
}

#[async_trait]
impl ItemRepository for SeaItems {
    #[tracing::instrument(name = "items.create", skip_all, fields(item_id = %item.id))]
    async fn create(&self, item: &Item) -> Result<(), RepoError> {
        let context = "inserting an item";
        writes::insert_with_event(
            self.db.connection(),
            item_sql::insert(self.backend(), item),
            (&item.event("item.created"), item.created_at),
            unexpected(context),
            context,
        )
        .await
    }

    #[tracing::instrument(name = "items.find", skip_all, fields(item_id = %id))]
    async fn find(&self, id: ItemId, scope: Scope) -> Result<Option<Item>, RepoError> {
        fetch_one(
            self.db.connection(),
            item_sql::select(self.backend(), id, scope),
            item_sql::valid_item,
            "loading an item",
        )
        .await
    }

    #[tracing::instrument(name = "items.list", skip_all)]
    async fn list(&self, query: &ItemQuery) -> Result<Vec<Item>, RepoError> {
        let Some(sql) = item_sql::list(self.backend(), query) else {
            // A cursor of another sort column matches nothing.
            return Ok(Vec::new());
        };
        fetch_all(
            self.db.connection(),
            sql,
            item_sql::valid_item,
            "listing items",
        )
        .await
    }

    #[tracing::instrument(name = "items.update", skip_all, fields(item_id = %id))]
    async fn update(
        &self,
        id: ItemId,
        scope: Scope,
        change: &ItemChange,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        self.write(
            item_sql::update(self.backend(), id, scope, change, expected, now),
            (id, scope, expected),
            Announce::Updated(now),
            "updating an item",
        )
        .await
    }

    #[tracing::instrument(name = "items.delete", skip_all, fields(item_id = %id))]
    async fn delete(
        &self,
        id: ItemId,
        scope: Scope,
        expected: Option<i64>,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        self.write(
            item_sql::delete(self.backend(), id, scope, expected),
            (id, scope, expected),
            Announce::Deleted,
            "deleting an item",
        )
        .await
    }
}
