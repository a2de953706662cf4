//! One generic in-memory table for every owned, versioned resource: the
//! [`OwnedRepository`] path (find, list, update, delete with their events)
//! written once, as the SQL adapters share one table description.

use super::lock;
use super::owned::{keyset_page, refused, writable};
use super::store::MemoryStore;
use crate::RepoError;
use crate::model::{OwnedResource, PatchFailure, Scope, Timestamp};
use crate::ports::{ListQuery, OwnedRepository, WriteOutcome};
use async_trait::async_trait;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// The rows of one resource, each with what the resource keeps beside it
/// (an agent's token hash).
pub(super) type Rows<T, X> = Mutex<HashMap<Uuid, (T, X)>>;

/// What an in-memory table needs to know of its resource.
pub trait Stored: OwnedResource + Clone + Send + Sync + 'static {
    /// Its typed id.
    type Id: Copy + Send + Sync + Into<Uuid>;
    /// A change to it.
    type Change: Send + Sync;
    /// Its own list filters.
    type Filter: Send + Sync;
    /// What is stored beside each row.
    type Extra: Send + 'static;

    /// Its table in `store`.
    fn rows(store: &MemoryStore) -> &Rows<Self, Self::Extra>;
    /// Applies `change` in place (merges as RFC 7396), or says why not.
    ///
    /// # Errors
    /// The [`PatchFailure`] a merged object outside the limits is.
    fn apply(&mut self, change: &Self::Change) -> Result<(), PatchFailure>;
    /// Whether it passes its own filters.
    fn passes(&self, filter: &Self::Filter) -> bool;
    /// Bumps its version and sets `updated_at`.
    fn bump(&mut self, now: Timestamp);
}

/// The rows of resource `T` in a shared [`MemoryStore`].
#[derive(Debug)]
pub struct InMemory<T>(pub(super) Arc<MemoryStore>, PhantomData<fn() -> T>);

impl<T> Clone for InMemory<T> {
    fn clone(&self) -> Self {
        Self(self.0.clone(), PhantomData)
    }
}

impl<T: Stored> InMemory<T> {
    /// The rows kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store, PhantomData)
    }

    /// Inserts `row` with `extra` and logs its creation.
    pub(super) fn insert(&self, row: &T, extra: T::Extra, at: Timestamp) {
        lock(T::rows(&self.0)).insert(row.uuid(), (row.clone(), extra));
        self.0.append_event(row.event(T::CREATED), at);
    }

    /// Runs `write` on the row `id` in `scope` at `expected`, then bumps
    /// its version and logs the update.
    pub(super) fn write(
        &self,
        (id, scope, expected, now): (T::Id, Scope, Option<i64>, Timestamp),
        write: impl FnOnce(&mut T) -> Result<(), PatchFailure>,
    ) -> WriteOutcome<T> {
        let mut rows = lock(T::rows(&self.0));
        let current = rows.get_mut(&id.into()).map(|(row, _)| row);
        let row = match writable(current, scope, expected) {
            Ok(row) => row,
            Err(refusal) => return refusal,
        };
        let mut next = row.clone();
        if let Err(failure) = write(&mut next) {
            return refused(failure);
        }
        next.bump(now);
        *row = next.clone();
        drop(rows);
        self.0.append_event(next.event(T::UPDATED), now);
        WriteOutcome::Done(next)
    }
}

#[async_trait]
impl<T: Stored> OwnedRepository for InMemory<T> {
    type Entity = T;
    type Id = T::Id;
    type Change = T::Change;
    type Filter = T::Filter;

    async fn find(&self, id: T::Id, scope: Scope) -> Result<Option<T>, RepoError> {
        Ok(lock(T::rows(&self.0))
            .get(&id.into())
            .map(|(row, _)| row)
            .filter(|row| scope.admits(row.owner()))
            .cloned())
    }

    async fn list(&self, scope: Scope, query: &ListQuery<T::Filter>) -> Result<Vec<T>, RepoError> {
        let rows = lock(T::rows(&self.0));
        let visible = rows
            .values()
            .map(|(row, _)| row)
            .filter(|row| scope.admits(row.owner()) && row.passes(&query.filter));
        Ok(keyset_page(visible, query))
    }

    async fn update(
        &self,
        id: T::Id,
        scope: Scope,
        change: &T::Change,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<T>, RepoError> {
        Ok(self.write((id, scope, expected, now), |row| row.apply(change)))
    }

    async fn delete(
        &self,
        id: T::Id,
        scope: Scope,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<T>, RepoError> {
        let mut rows = lock(T::rows(&self.0));
        let current = rows.get(&id.into()).map(|(row, _)| row);
        if let Err(refusal) = writable(current, scope, expected) {
            return Ok(refusal);
        }
        let Some((removed, _)) = rows.remove(&id.into()) else {
            return Ok(WriteOutcome::NotFound);
        };
        drop(rows);
        let at = now.max(removed.updated_at());
        self.0.append_event(removed.event(T::DELETED), at);
        Ok(WriteOutcome::Done(removed))
    }
}
