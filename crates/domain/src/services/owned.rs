//! The steps the use cases of every owned, versioned resource (items,
//! agents) share: the scope a caller may touch, a page with its cursor, and
//! the answer a conditional write comes to.

use super::Ports;
use crate::ServiceError;
use crate::model::{
    Cursor, CursorValue, Limit, OwnedResource, Page, Principal, SearchText, SortField, SortKey,
};
use crate::ports::{Scope, WriteOutcome};

/// What a caller may see and change: their own resources (another's is
/// "not found", never "forbidden"), or all of them for an admin.
pub(super) fn scope(principal: &Principal) -> Scope {
    if principal.is_admin() {
        Scope::All
    } else {
        Scope::Owner(principal.user_id)
    }
}

/// The value of the sort column of `row`, for its cursor.
pub fn cursor_value<T: OwnedResource>(row: &T, field: SortField) -> CursorValue {
    row.cursor_value(field)
}

/// A page of up to `limit + 1` rows listed by `sort` and `q`, with the
/// cursor of its last row when another page follows.
pub(super) fn page<T: OwnedResource>(
    rows: Vec<T>,
    sort: SortKey,
    q: Option<&SearchText>,
    limit: Limit,
) -> Page<T> {
    let q = q.map(SearchText::as_str);
    Page::from_overfetch(rows, limit, |row| {
        Cursor::new(sort, q, row.cursor_value(sort.field), row.uuid())
    })
}

/// The service's answer to a conditional write; when it was written, live
/// connections are told that new events are in the log.
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::PreconditionFailed`],
/// [`ServiceError::Invalid`] or [`ServiceError::Conflict`] (a failed JSON
/// Patch `test`), as the outcome says.
pub(super) fn written<T>(ports: &Ports, outcome: WriteOutcome<T>) -> Result<T, ServiceError> {
    let row = settled(outcome)?;
    ports.notifier.events_written();
    Ok(row)
}

/// The written row of `outcome`, or the error a refusal is.
///
/// # Errors
/// As [`written`].
pub(super) fn settled<T>(outcome: WriteOutcome<T>) -> Result<T, ServiceError> {
    match outcome {
        WriteOutcome::Done(row) => Ok(row),
        WriteOutcome::NotFound => Err(ServiceError::NotFound),
        WriteOutcome::VersionMismatch => Err(ServiceError::PreconditionFailed),
        WriteOutcome::Invalid(errors) => Err(ServiceError::Invalid(errors)),
        WriteOutcome::TestFailed => Err(ServiceError::Conflict(
            "a JSON Patch test operation failed; nothing was applied",
        )),
    }
}
