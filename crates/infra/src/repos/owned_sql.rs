//! The SQL that rows of an owned, versioned resource (`items`, `agents`)
//! share: a row is addressed by id within a scope, renamed and described,
//! its JSON objects replaced or merged, deleted at a version, and searched
//! by name.

use super::sql::{Sql, escape_like};
use domain::model::{Description, Name, ObjectChange, SearchText, Timestamp, UserId};
use domain::ports::Scope;
use sea_orm::DbBackend;
use uuid::Uuid;

/// A row by id within a scope, and the version a write requires (if any).
pub(super) type Target = (Uuid, Scope, Option<i64>);

/// The lower-cased name that `q` searches (the `name_lower` column).
pub(super) fn name_lower(name: &str) -> String {
    name.to_lowercase()
}

/// `INSERT INTO <table> (id, owner_id, name, name_lower, description,
/// <columns>) VALUES (…, ` with the values every owned row has bound; the
/// caller binds its own `columns` and closes the parenthesis.
pub(super) fn insert_start(
    backend: DbBackend,
    table: &str,
    columns: &str,
    (id, owner, name, description): (Uuid, UserId, &Name, Option<&Description>),
) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("INSERT INTO ")
        .push(table)
        .push(" (id, owner_id, name, name_lower, description, ")
        .push(columns)
        .push(") VALUES (")
        .bind(id)
        .push(", ")
        .bind(owner.0)
        .push(", ")
        .bind(name.as_str())
        .push(", ")
        .bind(name_lower(name.as_str()))
        .push(", ")
        .bind(description.map(|d| d.as_str().to_owned()))
        .push(", ");
    sql
}

/// Adds `WHERE`/`AND owner_id = …` when `scope` is one owner's.
pub(super) fn where_owner(sql: &mut Sql, scope: Scope) {
    if let Scope::Owner(owner) = scope {
        sql.and().push("owner_id = ").bind(owner.0);
    }
}

/// Adds `WHERE`/`AND id = … AND owner_id = …` for `id` in `scope`.
pub(super) fn where_id(sql: &mut Sql, id: Uuid, scope: Scope) {
    sql.and().push("id = ").bind(id);
    where_owner(sql, scope);
}

/// Adds the conditions of `target`: its id in scope, and its version when
/// one is required.
fn where_target(sql: &mut Sql, (id, scope, expected): Target) {
    where_id(sql, id, scope);
    if let Some(version) = expected {
        sql.and().push("version = ").bind(version);
    }
}

/// Adds `WHERE`/`AND name_lower LIKE '%q%'`: the name contains `q`, case
/// insensitively, with `%` and `_` literal.
pub(super) fn where_name_contains(sql: &mut Sql, q: &SearchText) {
    sql.and()
        .push("name_lower LIKE ")
        .bind(format!("%{}%", escape_like(q.as_str())))
        .push(r" ESCAPE '\'");
}

/// `UPDATE <table> SET version = version + 1, updated_at = …`: how an
/// update of an owned row starts; the change's `, column = …` follow.
pub(super) fn update_start(backend: DbBackend, table: &str, now: Timestamp) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("UPDATE ")
        .push(table)
        .push(" SET version = version + 1, updated_at = ")
        .bind(now.unix_micros());
    sql
}

/// `, name = …, name_lower = …` when `name` is given, then
/// `, description = …` when `description` is given.
pub(super) fn set_name(
    sql: &mut Sql,
    name: Option<&Name>,
    description: Option<&Option<Description>>,
) {
    if let Some(name) = name {
        sql.push(", name = ")
            .bind(name.as_str())
            .push(", name_lower = ")
            .bind(name_lower(name.as_str()));
    }
    if let Some(description) = description {
        sql.push(", description = ")
            .bind(description.as_ref().map(|d| d.as_str().to_owned()));
    }
}

/// `, <column> = …` for a change of a JSON object column: replaced, or
/// merged by the database (`jsonb_merge_patch` / `json_patch`), never in
/// Rust.
pub(super) fn set_object(sql: &mut Sql, column: &str, change: &ObjectChange) {
    match change {
        ObjectChange::Keep => {}
        ObjectChange::Replace(object) => {
            sql.push(", ")
                .push(column)
                .push(" = ")
                .bind_json(&object.to_value());
        }
        ObjectChange::Merge(patch) => {
            let patch = serde_json::Value::Object(patch.clone());
            sql.push(", ").push(column).push(" = ");
            if sql.is_postgres() {
                sql.push("jsonb_merge_patch(")
                    .push(column)
                    .push(", ")
                    .bind_json(&patch)
                    .push(")");
            } else {
                // `json()` keeps the stored text compact.
                sql.push("json(json_patch(")
                    .push(column)
                    .push(", ")
                    .bind_json(&patch)
                    .push("))");
            }
        }
    }
}

/// How an update of an owned row ends: the conditions of `target`, and
/// `RETURNING columns`.
pub(super) fn update_end(sql: &mut Sql, target: Target, columns: &str) {
    where_target(sql, target);
    sql.push(" RETURNING ").push(columns);
}

/// `DELETE FROM <table> … RETURNING columns` of the row `target` names.
pub(super) fn delete(backend: DbBackend, table: &str, columns: &str, target: Target) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("DELETE FROM ").push(table);
    where_target(&mut sql, target);
    sql.push(" RETURNING ").push(columns);
    sql
}

/// `SELECT 1 FROM <table> …`: whether the row `id` exists in `scope`.
pub(super) fn exists(backend: DbBackend, table: &str, id: Uuid, scope: Scope) -> Sql {
    let mut sql = Sql::new(backend);
    sql.push("SELECT 1 AS found FROM ").push(table);
    where_id(&mut sql, id, scope);
    sql
}
