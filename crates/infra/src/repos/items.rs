//! [`ItemRepository`] on SeaORM: one atomic `UPDATE … RETURNING` per change,
//! with the attributes merge done by the database, and the change's event
//! appended to the event log in the same transaction — on PostgreSQL by the
//! same statement.

use super::item_sql::{self, Row};
use super::sql::Sql;
use super::{begin_write, event_sql, unexpected};
use crate::Db;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{Item, ItemChange, ItemId, Timestamp};
use domain::ports::{ItemQuery, ItemRepository, Scope, WriteOutcome};
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, QueryResult};

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

    fn backend(&self) -> DbBackend {
        self.db.connection().get_database_backend()
    }

    /// `change` (an `UPDATE`/`DELETE … RETURNING`) that, on PostgreSQL,
    /// also appends its event; on SQLite [`Self::settle`] appends it with a
    /// second statement.
    fn announcing(&self, change: Sql, announce: Announce) -> Sql {
        if self.db.is_postgres() {
            item_sql::with_event(change, announce.kind(), announce.at_least())
        } else {
            change
        }
    }

    /// Finishes a conditional write whose `RETURNING` gave `row`: appends
    /// the event of a valid result and commits, else rolls back and says why
    /// nothing was written.
    async fn settle(
        &self,
        txn: DatabaseTransaction,
        row: Option<QueryResult>,
        (id, scope): (ItemId, Scope),
        (expected, announce): (Option<i64>, Announce),
        context: &'static str,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        let backend = self.backend();
        let outcome = match row {
            Some(row) => match item_sql::item(&row, backend)? {
                Row::Item(item) => {
                    if !self.db.is_postgres() {
                        event_sql::append(&txn, &item.event(announce.kind()), announce.at(&item))
                            .await
                            .map_err(unexpected(context))?;
                    }
                    txn.commit().await.map_err(unexpected(context))?;
                    return Ok(WriteOutcome::Done(item));
                }
                Row::Invalid(error) => WriteOutcome::Invalid(vec![error]),
            },
            None if expected.is_none() => WriteOutcome::NotFound,
            None => {
                // Same transaction: the row can't change between the two.
                let found = txn
                    .query_one_raw(item_sql::exists(backend, id, scope).build())
                    .await
                    .map_err(unexpected(context))?;
                if found.is_some() {
                    WriteOutcome::VersionMismatch
                } else {
                    WriteOutcome::NotFound
                }
            }
        };
        txn.rollback().await.map_err(unexpected(context))?;
        Ok(outcome)
    }
}

#[async_trait]
impl ItemRepository for SeaItems {
    #[tracing::instrument(name = "items.create", skip_all, fields(item_id = %item.id))]
    async fn create(&self, item: &Item) -> Result<(), RepoError> {
        let context = "inserting an item";
        let mut sql = item_sql::insert(self.backend(), item);
        let event = item.event("item.created");
        if self.db.is_postgres() {
            // One statement: no transaction of our own needed.
            sql.prepend("WITH created AS (").push(") ");
            event_sql::push_insert(&mut sql, &event, item.created_at);
            return self
                .db
                .connection()
                .execute_raw(sql.build())
                .await
                .map(drop)
                .map_err(unexpected(context));
        }
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        txn.execute_raw(sql.build())
            .await
            .map_err(unexpected(context))?;
        event_sql::append(&txn, &event, item.created_at)
            .await
            .map_err(unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))
    }

    #[tracing::instrument(name = "items.find", skip_all, fields(item_id = %id))]
    async fn find(&self, id: ItemId, scope: Scope) -> Result<Option<Item>, RepoError> {
        let row = self
            .db
            .connection()
            .query_one_raw(item_sql::select(self.backend(), id, scope).build())
            .await
            .map_err(unexpected("loading an item"))?;
        Ok(row
            .map(|row| item_sql::valid_item(&row, self.backend()))
            .transpose()?)
    }

    #[tracing::instrument(name = "items.list", skip_all)]
    async fn list(&self, query: &ItemQuery) -> Result<Vec<Item>, RepoError> {
        let Some(sql) = item_sql::list(self.backend(), query) else {
            // A cursor of another sort column matches nothing.
            return Ok(Vec::new());
        };
        let rows = self
            .db
            .connection()
            .query_all_raw(sql.build())
            .await
            .map_err(unexpected("listing items"))?;
        Ok(rows
            .iter()
            .map(|row| item_sql::valid_item(row, self.backend()))
            .collect::<anyhow::Result<_>>()?)
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
        let context = "updating an item";
        let announce = Announce::Updated(now);
        let statement = self.announcing(
            item_sql::update(self.backend(), id, scope, change, expected, now),
            announce,
        );
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let row = txn
            .query_one_raw(statement.build())
            .await
            .map_err(unexpected(context))?;
        self.settle(txn, row, (id, scope), (expected, announce), context)
            .await
    }

    #[tracing::instrument(name = "items.delete", skip_all, fields(item_id = %id))]
    async fn delete(
        &self,
        id: ItemId,
        scope: Scope,
        expected: Option<i64>,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        let context = "deleting an item";
        let announce = Announce::Deleted;
        let statement = self.announcing(
            item_sql::delete(self.backend(), id, scope, expected),
            announce,
        );
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let row = txn
            .query_one_raw(statement.build())
            .await
            .map_err(unexpected(context))?;
        self.settle(txn, row, (id, scope), (expected, announce), context)
            .await
    }
}
