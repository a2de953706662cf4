//! Hand-written SQL with every value bound as a parameter, in the
//! backend's placeholder style (`$1` on PostgreSQL, `?` on SQLite), for the
//! statements the query builder can't express (`UPDATE … RETURNING` with a
//! JSON merge, keyset conditions with `COLLATE "C"`).

use anyhow::Context;
use sea_orm::{DbBackend, QueryResult, Statement, Value};

/// SQL text and the values its placeholders stand for.
#[derive(Debug)]
pub struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
    conditions: usize,
}

impl Sql {
    /// Empty SQL for `backend`.
    pub(super) fn new(backend: DbBackend) -> Self {
        Self {
            backend,
            text: String::new(),
            values: Vec::new(),
            conditions: 0,
        }
    }

    /// Whether this is PostgreSQL (else SQLite).
    pub(super) fn is_postgres(&self) -> bool {
        self.backend == DbBackend::Postgres
    }

    /// Appends SQL text (never a value).
    pub(super) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Puts `text` before everything written so far (placeholders keep
    /// their numbers).
    pub(super) fn prepend(&mut self, text: &str) -> &mut Self {
        self.text.insert_str(0, text);
        self
    }

    /// Appends a placeholder bound to `value`.
    pub(super) fn bind(&mut self, value: impl Into<Value>) -> &mut Self {
        self.values.push(value.into());
        if self.is_postgres() {
            self.text.push('$');
            self.text.push_str(&self.values.len().to_string());
        } else {
            self.text.push('?');
        }
        self
    }

    /// Appends a placeholder bound to a JSON value: `jsonb` on PostgreSQL,
    /// compact JSON text on SQLite.
    pub(super) fn bind_json(&mut self, value: &serde_json::Value) -> &mut Self {
        if self.is_postgres() {
            self.bind(Value::Json(Some(Box::new(value.clone()))))
                .push("::jsonb")
        } else {
            self.bind(value.to_string())
        }
    }

    /// Starts the next condition of a `WHERE` clause: ` WHERE ` the first
    /// time, ` AND ` after.
    pub(super) fn and(&mut self) -> &mut Self {
        let joiner = if self.conditions == 0 {
            " WHERE "
        } else {
            " AND "
        };
        self.conditions += 1;
        self.push(joiner)
    }

    /// The statement to run.
    pub(super) fn build(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// Reads the JSON column `col`: `jsonb` on PostgreSQL, text on SQLite.
pub(super) fn json_column(
    row: &QueryResult,
    col: &str,
    backend: DbBackend,
) -> anyhow::Result<serde_json::Value> {
    if backend == DbBackend::Postgres {
        row.try_get::<serde_json::Value>("", col)
            .with_context(|| format!("reading JSON column {col}"))
    } else {
        let text: String = row
            .try_get("", col)
            .with_context(|| format!("reading JSON text column {col}"))?;
        serde_json::from_str(&text).with_context(|| format!("parsing JSON column {col}"))
    }
}

/// Escapes `%`, `_` and `\` so that `text` matches literally inside a
/// `LIKE … ESCAPE '\'` pattern.
pub(super) fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{Sql, escape_like};
    use sea_orm::DbBackend;

    #[test]
    fn placeholders_follow_the_backend() {
        for (backend, expected) in [
            (
                DbBackend::Postgres,
                "SELECT 1 WHERE a = $1 AND b = $2::jsonb",
            ),
            (DbBackend::Sqlite, "SELECT 1 WHERE a = ? AND b = ?"),
        ] {
            let mut sql = Sql::new(backend);
            sql.push("SELECT 1").and().push("a = ").bind(1_i64);
            sql.and()
                .push("b = ")
                .bind_json(&serde_json::json!({"k": 1}));
            assert_eq!(sql.text, expected);
            assert_eq!(sql.values.len(), 2);
        }
    }

    #[test]
    fn like_wildcards_and_the_escape_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("plain"), "plain");
    }
}
