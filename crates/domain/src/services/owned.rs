//! The use cases every owned, versioned resource (items, agents) shares:
//! one generic service over its [`OwnedRepository`] port. A caller sees and
//! changes only what their [`Scope`](crate::model::Scope) admits (another
//! owner's row is "not found", never "forbidden"); an admin, everything.

use super::Ports;
use crate::ServiceError;
use crate::model::{Cursor, OwnedResource, Page, Principal};
use crate::ports::{ListQuery, OwnedRepository, WriteOutcome};
use std::sync::Arc;

/// Get, list, update and delete of one resource kind, over its port `R`
/// (a `dyn` resource port). Each resource's service is this type with its
/// own port, plus the use cases only it has.
pub struct OwnedService<R: ?Sized + OwnedRepository> {
    repo: Arc<R>,
    pub(super) ports: Ports,
    /// What else a deletion sets off, beyond telling live connections.
    deleted: fn(&Ports, &R::Entity),
}

impl<R: ?Sized + OwnedRepository> Clone for OwnedService<R> {
    fn clone(&self) -> Self {
        Self {
            repo: self.repo.clone(),
            ports: self.ports.clone(),
            deleted: self.deleted,
        }
    }
}

impl<R: ?Sized + OwnedRepository> OwnedService<R> {
    /// The service over `repo`; `deleted` runs after each deletion.
    pub(super) fn over(repo: Arc<R>, ports: Ports, deleted: fn(&Ports, &R::Entity)) -> Self {
        Self {
            repo,
            ports,
            deleted,
        }
    }

    /// The resource's port.
    pub(super) fn repo(&self) -> &R {
        &self.repo
    }

    /// One row the caller may see.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when absent or someone else's.
    pub async fn get(&self, principal: &Principal, id: R::Id) -> Result<R::Entity, ServiceError> {
        self.repo
            .find(id, principal.scope())
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A page of the rows the caller may see that pass `query`.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn list(
        &self,
        principal: &Principal,
        query: ListQuery<R::Filter>,
    ) -> Result<Page<R::Entity>, ServiceError> {
        let rows = self.repo.list(principal.scope(), &query).await?;
        let (sort, q) = (query.sort, query.q.as_ref().map(|q| q.as_str()));
        Ok(Page::from_overfetch(rows, query.limit, |row| {
            Cursor::new(sort, q, row.cursor_value(sort.field), row.uuid())
        }))
    }

    /// Changes a row (merges of JSON objects happen in the database), if
    /// its version is `expected` when given.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::PreconditionFailed`], or
    /// [`ServiceError::Invalid`] when a merged object breaks a limit.
    pub async fn update(
        &self,
        principal: &Principal,
        id: R::Id,
        change: R::Change,
        expected: Option<i64>,
    ) -> Result<R::Entity, ServiceError> {
        let now = self.ports.clock.now();
        let outcome = self
            .repo
            .update(id, principal.scope(), &change, expected, now)
            .await?;
        self.written(outcome)
    }

    /// Deletes a row, if its version is `expected` when given.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] or [`ServiceError::PreconditionFailed`].
    pub async fn delete(
        &self,
        principal: &Principal,
        id: R::Id,
        expected: Option<i64>,
    ) -> Result<R::Entity, ServiceError> {
        let now = self.ports.clock.now();
        let outcome = self
            .repo
            .delete(id, principal.scope(), expected, now)
            .await?;
        let row = self.written(outcome)?;
        (self.deleted)(&self.ports, &row);
        Ok(row)
    }

    /// Tells live connections that new events are in the log.
    pub(super) fn announce(&self) {
        self.ports.notifier.events_written();
    }

    /// The service's answer to a conditional write; when it was written,
    /// live connections are told that new events are in the log.
    ///
    /// # Errors
    /// As [`settled`].
    pub(super) fn written<T>(&self, outcome: WriteOutcome<T>) -> Result<T, ServiceError> {
        let row = settled(outcome)?;
        self.announce();
        Ok(row)
    }
}

/// The written row of `outcome`, or the error a refusal is.
///
/// # Errors
/// [`ServiceError::NotFound`], [`ServiceError::PreconditionFailed`],
/// [`ServiceError::Invalid`] or [`ServiceError::Conflict`] (a failed JSON
/// Patch `test`), as the outcome says.
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
