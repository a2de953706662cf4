//! How items are stored: the `items` table description, a row as a domain
//! item, and the insert.

use super::owned_sql;
use super::rows::{Row, description, micros};
use super::sql::{Sql, json_column};
use super::table::OwnedTable;
use anyhow::anyhow;
use domain::model::{Item, ItemChange, ItemId, ItemName, JsonObject, UserId};
use sea_orm::{DbBackend, QueryResult};
use uuid::Uuid;

impl OwnedTable for Item {
    type Id = ItemId;
    type Change = ItemChange;
    type Filter = ();

    const TABLE: &'static str = "items";
    const COLUMNS: &'static str =
        "id, owner_id, name, description, attributes, version, created_at, updated_at";
    const NOUN: &'static str = "item";

    fn read(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Row<Self>> {
        let attributes =
            match JsonObject::parse(json_column(row, "attributes", backend)?, "attributes") {
                Ok(attributes) => attributes,
                Err(error) => return Ok(Row::Invalid(error)),
            };
        Ok(Row::Valid(Item {
            id: ItemId(row.try_get::<Uuid>("", "id")?),
            owner_id: UserId(row.try_get::<Uuid>("", "owner_id")?),
            name: ItemName::parse(&row.try_get::<String>("", "name")?)
                .map_err(|e| anyhow!("stored name is invalid: {e}"))?,
            description: description(row)?,
            attributes,
            version: row.try_get("", "version")?,
            created_at: micros(row, "created_at")?,
            updated_at: micros(row, "updated_at")?,
        }))
    }

    fn set(sql: &mut Sql, change: &ItemChange) {
        owned_sql::set_name(sql, change.name.as_ref(), change.description.as_ref());
        owned_sql::set_object(sql, "attributes", &change.attributes);
    }

    fn filter(_: &mut Sql, (): &()) {}
}

/// `INSERT INTO items …` for `item`.
pub(super) fn insert(backend: DbBackend, item: &Item) -> Sql {
    let head = (
        item.id.0,
        item.owner_id,
        &item.name,
        item.description.as_ref(),
    );
    let columns = "attributes, version, created_at, updated_at";
    let mut sql = owned_sql::insert_start(backend, Item::TABLE, columns, head);
    sql.bind_json(&item.attributes.to_value())
        .push(", ")
        .bind(item.version)
        .push(", ")
        .bind(item.created_at.unix_micros())
        .push(", ")
        .bind(item.updated_at.unix_micros())
        .push(")");
    sql
}
