//! What the in-memory stores of owned, versioned resources (items, agents)
//! do alike: scope, the `If-Match` check, keyset pages and merges of JSON
//! object fields — as the SQL adapters do them.

use crate::model::{
    Attributes, AttributesChange, Cursor, CursorValue, Limit, OwnedResource, PatchFailure,
    SearchText, SortKey, merge_patch,
};
use crate::ports::{Scope, WriteOutcome};
use serde_json::Value;
use std::cmp::Ordering;
use std::ops::Deref;
use uuid::Uuid;

/// Whether `row` is in `scope`.
pub(super) fn visible<T: OwnedResource>(row: &T, scope: Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Owner(owner) => row.owner() == owner,
    }
}

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
        .filter(|row| visible(&**row, scope))
        .ok_or(WriteOutcome::NotFound)?;
    if expected.is_some_and(|version| version != row.version()) {
        return Err(WriteOutcome::VersionMismatch);
    }
    Ok(row)
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
    current: &Attributes,
    change: &AttributesChange,
    field: &str,
) -> Result<Attributes, PatchFailure> {
    match change {
        AttributesChange::Keep => Ok(current.clone()),
        AttributesChange::Replace(value) => Ok(value.clone()),
        AttributesChange::Merge(patch) => {
            let mut merged = current.to_value();
            merge_patch(&mut merged, &Value::Object(patch.clone()));
            Attributes::parse(merged, field).map_err(PatchFailure::Invalid)
        }
    }
}

/// Up to `limit + 1` of `rows` in `scope` whose name holds `q` and that
/// pass `filter`, ordered by `sort` (ties by id) after the row of `after`.
pub(super) fn keyset_page<'r, T: OwnedResource + Clone + 'r>(
    rows: impl Iterator<Item = &'r T>,
    scope: Scope,
    q: Option<&SearchText>,
    sort: SortKey,
    limit: Limit,
    after: Option<&Cursor>,
    filter: impl Fn(&T) -> bool,
) -> Vec<T> {
    let key = |row: &T| (row.cursor_value(sort.field), row.uuid());
    let relative = |row: &T, value: &CursorValue, id: Uuid| {
        let (row_value, row_id) = key(row);
        compare(&row_value, value).then(row_id.cmp(&id))
    };
    let mut page: Vec<T> = rows
        .filter(|row| visible(*row, scope) && filter(row))
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
    page.truncate(usize::try_from(limit.get() + 1).unwrap_or(usize::MAX));
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
