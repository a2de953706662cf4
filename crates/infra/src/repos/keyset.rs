//! Keyset pagination for any table with a unique `id`: rows after a cursor
//! in (sort column, id) order, written out for both databases.

use super::sql::Sql;
use domain::model::{Cursor, CursorValue, Limit, SortField, SortKey};
use sea_orm::Value;

/// The column `field` sorts by. Names compare bytewise on both databases
/// (`COLLATE "C"` on PostgreSQL, SQLite's default `BINARY`).
fn sort_column(sql: &Sql, field: SortField) -> &'static str {
    match field {
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt => "updated_at",
        SortField::Name if sql.is_postgres() => r#"name COLLATE "C""#,
        SortField::Name => "name",
    }
}

/// The cursor's value as a bound value, when it can belong to `field`.
fn cursor_value(cursor: &Cursor, field: SortField) -> Option<Value> {
    match (&cursor.value, field) {
        (CursorValue::Text(text), SortField::Name) => Some(text.clone().into()),
        (CursorValue::Micros(at), SortField::CreatedAt | SortField::UpdatedAt) => {
            Some((*at).into())
        }
        _ => None,
    }
}

/// Ends the filtered `SELECT` in `sql` as one keyset page: the rows after
/// `after` (when given) in `sort` order, ties broken by id in the same
/// direction, `limit + 1` of them so the caller can tell whether another
/// page follows. `None` when the cursor's value can't belong to the sort
/// column (such a cursor matches nothing).
pub(super) fn page(
    mut sql: Sql,
    sort: SortKey,
    after: Option<&Cursor>,
    limit: Limit,
) -> Option<Sql> {
    let column = sort_column(&sql, sort.field);
    let (beyond, direction) = if sort.descending {
        ("<", "DESC")
    } else {
        (">", "ASC")
    };
    if let Some(after) = after {
        let value = cursor_value(after, sort.field)?;
        // `(col, id) > (v, i)` spelled out, for both databases.
        sql.and()
            .push("(")
            .push(column)
            .push(" ")
            .push(beyond)
            .push(" ");
        sql.bind(value.clone())
            .push(" OR (")
            .push(column)
            .push(" = ");
        sql.bind(value).push(" AND id ").push(beyond).push(" ");
        sql.bind(after.id).push("))");
    }
    sql.push(" ORDER BY ")
        .push(column)
        .push(" ")
        .push(direction)
        .push(", id ")
        .push(direction)
        .push(" LIMIT ")
        .bind(i64::try_from(limit.get() + 1).unwrap_or(i64::MAX));
    Some(sql)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::page;
    use crate::repos::sql::Sql;
    use domain::model::{Cursor, CursorValue, Limit, SortField, SortKey};
    use sea_orm::{DbBackend, Value};
    use uuid::Uuid;

    fn select(backend: DbBackend) -> Sql {
        let mut sql = Sql::new(backend);
        sql.push("SELECT id FROM t");
        sql
    }

    #[test]
    fn the_first_page_is_only_ordered_and_limited() {
        let sort = SortKey::NEWEST_FIRST;
        let sql = page(select(DbBackend::Sqlite), sort, None, Limit::DEFAULT).unwrap();
        let statement = sql.build();
        assert_eq!(
            statement.sql,
            "SELECT id FROM t ORDER BY created_at DESC, id DESC LIMIT ?"
        );
        assert_eq!(statement.values.unwrap().0, [Value::from(21_i64)]);
    }

    #[test]
    fn a_later_page_starts_after_the_cursor_row() {
        let sort = SortKey {
            field: SortField::Name,
            descending: false,
        };
        let cursor = Cursor::new(sort, None, CursorValue::Text("lamp".into()), Uuid::nil());
        let sql = page(
            select(DbBackend::Postgres),
            sort,
            Some(&cursor),
            Limit::DEFAULT,
        )
        .unwrap();
        assert_eq!(
            sql.build().sql,
            r#"SELECT id FROM t WHERE (name COLLATE "C" > $1 OR (name COLLATE "C" = $2 AND id > $3)) ORDER BY name COLLATE "C" ASC, id ASC LIMIT $4"#
        );
    }

    #[test]
    fn a_cursor_of_another_column_matches_nothing() {
        let sort = SortKey::NEWEST_FIRST;
        let cursor = Cursor::new(sort, None, CursorValue::Text("lamp".into()), Uuid::nil());
        assert!(
            page(
                select(DbBackend::Sqlite),
                sort,
                Some(&cursor),
                Limit::DEFAULT
            )
            .is_none()
        );
    }
}
