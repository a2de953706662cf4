//! The rules the in-memory table of owned, versioned resources follows as
//! the SQL adapters do: the `If-Match` check, keyset pages and merges of
//! JSON object fields.

use crate::model::{
    CursorValue, Description, JsonObject, Name, ObjectChange, OwnedResource, PatchFailure, Scope,
    merge_patch,
};
use crate::ports::{ListQuery, WriteOutcome};
use serde_json::Value;
use std::cmp::Ordering;
use std::ops::Deref;
use uuid::Uuid;

/// `row` when it exists in `scope` at version `expected` (any, when
/// `None`); else the refusal a conditional write answers.
pub(super) fn writable<R, T, U>(
    row: Option<R>,
    scope: Scope,
    expected: Option<i64>,
) -> Result<R, WriteOutcome<U>>
where
    R: Deref<Target = T>,
    T: OwnedResource,
{
    let row = row
        .filter(|row| scope.admits(row.owner()))
        .ok_or(WriteOutcome::NotFound)?;
    if expected.is_some_and(|version| version != row.version()) {
        return Err(WriteOutcome::VersionMismatch);
    }
    Ok(row)
}

/// Renames and re-describes as a change says (each when given).
pub(super) fn rename(
    (name, description): (&mut Name, &mut Option<Description>),
    (new_name, new_description): (Option<&Name>, Option<&Option<Description>>),
) {
    if let Some(new_name) = new_name {
        *name = new_name.clone();
    }
    if let Some(new_description) = new_description {
        *description = new_description.clone();
    }
}

/// The outcome a patch that could not be applied comes to.
pub(super) fn refused<T>(failure: PatchFailure) -> WriteOutcome<T> {
    match failure {
        PatchFailure::TestFailed => WriteOutcome::TestFailed,
        PatchFailure::Invalid(error) => WriteOutcome::Invalid(vec![error]),
    }
}

/// The object `change` makes of `current` (a merge as RFC 7396), or why it
/// can't.
pub(super) fn changed(
    current: &JsonObject,
    change: &ObjectChange,
    field: &str,
) -> Result<JsonObject, PatchFailure> {
    match change {
        ObjectChange::Keep => Ok(current.clone()),
        ObjectChange::Replace(value) => Ok(value.clone()),
        ObjectChange::Merge(patch) => {
            let mut merged = current.to_value();
            merge_patch(&mut merged, &Value::Object(patch.clone()));
            JsonObject::parse(merged, field).map_err(PatchFailure::Invalid)
        }
    }
}

/// Up to `limit + 1` of `rows` whose name holds the query's `q`, ordered
/// by its sort (ties by id) after the row of its cursor.
pub(super) fn keyset_page<'r, T: OwnedResource + Clone + 'r, F>(
    rows: impl Iterator<Item = &'r T>,
    query: &ListQuery<F>,
) -> Vec<T> {
    let (sort, q, after) = (query.sort, query.q.as_ref(), query.after.as_ref());
    let key = |row: &T| (row.cursor_value(sort.field), row.uuid());
    let relative = |row: &T, value: &CursorValue, id: Uuid| {
        let (row_value, row_id) = key(row);
        compare(&row_value, value).then(row_id.cmp(&id))
    };
    let mut page: Vec<T> = rows
        .filter(|row| q.is_none_or(|q| row.name().as_str().to_lowercase().contains(q.as_str())))
        .filter(|row| {
            after.is_none_or(|cursor| {
                let relative = relative(row, &cursor.value, cursor.id);
                if sort.descending {
                    relative == Ordering::Less
                } else {
                    relative == Ordering::Greater
                }
            })
        })
        .cloned()
        .collect();
    page.sort_by(|a, b| {
        let (value, id) = key(b);
        relative(a, &value, id)
    });
    if sort.descending {
        page.reverse();
    }
    page.truncate(usize::try_from(query.limit.get() + 1).unwrap_or(usize::MAX));
    page
}

/// The order of two sort values: times by time, names by their bytes (as
/// `COLLATE "C"` does).
fn compare(a: &CursorValue, b: &CursorValue) -> Ordering {
    match (a, b) {
        (CursorValue::Micros(x), CursorValue::Micros(y)) => x.cmp(y),
        (CursorValue::Text(x), CursorValue::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => Ordering::Equal,
    }
}
