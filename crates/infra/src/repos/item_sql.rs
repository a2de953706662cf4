//! The SQL of [`super::SeaItems`]: the statements, and `items` rows as
//! domain items.

use super::rows::{Row, description, micros};
use super::sql::{Sql, json_column, rfc3339_sql};
use super::{event_sql, keyset, owned_sql};
use anyhow::anyhow;
use domain::model::{Attributes, Item, ItemChange, ItemId, ItemName, Stream, Timestamp, UserId};
use domain::ports::{ItemQuery, Scope};
use sea_orm::{DbBackend, QueryResult};
use std::sync::LazyLock;
use uuid::Uuid;

/// The columns every read returns, in [`item`]'s order.
pub(super) const COLUMNS: &str =
    "id, owner_id, name, description, attributes, version, created_at, updated_at";

/// Reads an `items` row; attributes outside the limits are reported, not
/// an error, so that a merge can be rolled back as invalid.
pub(super) fn item(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Row<Item>> {
    let attributes = match Attributes::parse(json_column(row, "attributes", backend)?, "attributes")
    {
        Ok(attributes) => attributes,
        Err(error) => return Ok(Row::Invalid(error)),
    };
    let description = description(row)?;
    Ok(Row::Valid(Item {
        id: ItemId(row.try_get::<Uuid>("", "id")?),
        owner_id: UserId(row.try_get::<Uuid>("", "owner_id")?),
        name: ItemName::parse(&row.try_get::<String>("", "name")?)
            .map_err(|e| anyhow!("stored name is invalid: {e}"))?,
        description,
        attributes,
        version: row.try_get("", "version")?,
        created_at: micros(row, "created_at")?,
        updated_at: micros(row, "updated_at")?,
    }))
}

/// Reads an `items` row that must hold a valid item.
pub(super) fn valid_item(row: &QueryResult, backend: DbBackend) -> anyhow::Result<Item> {
    match item(row, backend)? {
        Row::Valid(item) => Ok(item),
        Row::Invalid(error) => Err(anyhow!("stored attributes are invalid: {error}")),
    }
}

/// `SELECT … FROM items …` of the item with `id` in `scope`.
pub(super) fn select(backend: DbBackend, id: ItemId, scope: Scope) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(COLUMNS).push(" FROM items");
    owned_sql::where_id(&mut sql, id.0, scope);
    sql
}

/// `INSERT INTO items …` for `item`.
pub(super) fn insert(backend: DbBackend, item: &Item) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("INSERT INTO items (id, owner_id, name, name_lower, description, attributes, ")
        .push("version, created_at, updated_at) VALUES (")
        .bind(item.id.0)
        .push(", ")
        .bind(item.owner_id.0)
        .push(", ")
        .bind(item.name.as_str())
        .push(", ")
        .bind(owned_sql::name_lower(item.name.as_str()))
        .push(", ")
        .bind(item.description.as_ref().map(|d| d.as_str().to_owned()))
        .push(", ")
        .bind_json(&item.attributes.to_value())
        .push(", ")
        .bind(item.version)
        .push(", ")
        .bind(item.created_at.unix_micros())
        .push(", ")
        .bind(item.updated_at.unix_micros())
        .push(")");
    sql
}

/// The one `UPDATE … RETURNING` of a change: an attributes merge is done
/// by the database (`jsonb_merge_patch` / `json_patch`), never in Rust.
pub(super) fn update(
    backend: DbBackend,
    id: ItemId,
    scope: Scope,
    change: &ItemChange,
    expected: Option<i64>,
    now: Timestamp,
) -> Sql {
    let name = change.name.as_ref().map(ItemName::as_str);
    let mut sql = owned_sql::update_start(backend, "items", name, change.description.as_ref());
    owned_sql::set_object(&mut sql, "attributes", &change.attributes);
    owned_sql::update_end(&mut sql, now, (id.0, scope, expected), COLUMNS);
    sql
}

/// `DELETE … RETURNING` of the item when its version is `expected`.
pub(super) fn delete(backend: DbBackend, id: ItemId, scope: Scope, expected: Option<i64>) -> Sql {
    owned_sql::delete(backend, "items", COLUMNS, (id.0, scope, expected))
}

/// PostgreSQL: a returned `items` row as the API renders it
/// ([`Item::to_json`]), as `json` text (what `events.data` holds); the
/// same SQL for every statement, so written once.
static ITEM_JSON: LazyLock<String> = LazyLock::new(|| {
    format!(
        "json_build_object('id', id, 'owner_id', owner_id, 'name', name, \
         'description', description, 'attributes', attributes, 'version', version, \
         'created_at', {}, 'updated_at', {})",
        rfc3339_sql("created_at"),
        rfc3339_sql("updated_at")
    )
});

/// PostgreSQL: `change` — an `UPDATE`/`DELETE … RETURNING` [`COLUMNS`] of
/// an item — as one statement that also appends the change's `kind` event
/// to the log, a round trip fewer than a separate `INSERT`. The event's
/// data is the item as the API renders it ([`Item::to_json`]), built by
/// the database from the row `change` returns; it is written at `at` or at
/// the item's `updated_at`, whichever is later. The statement returns what
/// `change` returns; no row changed, no event.
pub(super) fn with_event(mut change: Sql, kind: &'static str, at: Timestamp) -> Sql {
    change.prepend("WITH changed AS (");
    change
        .push("), logged AS (")
        .push(event_sql::INSERT_INTO)
        .push("SELECT ")
        .bind(Stream::Items.as_str())
        .push(", ")
        .bind(kind)
        .push(", id, owner_id, ")
        .push(&ITEM_JSON)
        .push(", ");
    let xid = event_sql::xid(&change);
    change
        .push(xid)
        .push(", GREATEST(")
        .bind(at.unix_micros())
        .push(", updated_at) FROM changed) SELECT ")
        .push(COLUMNS)
        .push(" FROM changed");
    change
}

/// `SELECT 1 FROM items …`: whether the item exists in scope.
pub(super) fn exists(backend: DbBackend, id: ItemId, scope: Scope) -> Sql {
    owned_sql::exists(backend, "items", id.0, scope)
}

/// The keyset page of `query`: rows after its cursor in (sort column, id)
/// order, `limit + 1` of them. `None` when the cursor's value can't belong
/// to the sort column.
pub(super) fn list(backend: DbBackend, query: &ItemQuery) -> Option<Sql> {
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(COLUMNS).push(" FROM items");
    owned_sql::where_owner(&mut sql, query.scope);
    if let Some(q) = &query.q {
        owned_sql::where_name_contains(&mut sql, q);
    }
    keyset::page(sql, query.sort, query.after.as_ref(), query.limit)
}
