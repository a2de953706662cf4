//! The storage every owned, versioned resource shares: find in a scope, a
//! keyset list, a conditional update and a conditional delete, each write
//! with its event in the same transaction. A resource's own port extends
//! [`OwnedRepository`] with what only it does (creating, tokens, presence).

use crate::model::{Cursor, Limit, OwnedResource, Scope, SearchText, SortKey, Timestamp};
use crate::{FieldError, RepoError};
use async_trait::async_trait;

/// What a conditional write came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome<T> {
    /// Written.
    Done(T),
    /// No such row in scope.
    NotFound,
    /// The expected version is not the current one; nothing written.
    VersionMismatch,
    /// The merged result broke a limit; nothing written.
    Invalid(Vec<FieldError>),
    /// A JSON Patch `test` operation failed; nothing written.
    TestFailed,
}

/// A keyset page request: which rows (the resource's own `filter`, a name
/// search), in which order, and from where.
#[derive(Debug, Clone)]
pub struct ListQuery<F> {
    /// The resource's own filters (`()` when it has none).
    pub filter: F,
    /// Case-insensitive substring of the name (`%`, `_` literal).
    pub q: Option<SearchText>,
    /// Order; ties broken by id in the same direction.
    pub sort: SortKey,
    /// Rows wanted; the adapter returns up to `limit + 1`.
    pub limit: Limit,
    /// Continue after this row.
    pub after: Option<Cursor>,
}

/// Stores one owned, versioned resource. Every write also appends its
/// event ([`OwnedResource::UPDATED`], [`OwnedResource::DELETED`]) to the
/// event log in the same transaction, so an event exists if and only if
/// its change committed. The associated types keep `dyn` ports possible:
/// a resource's port names them once (`ItemRepository: OwnedRepository<
/// Entity = Item, …>`).
#[async_trait]
pub trait OwnedRepository: Send + Sync {
    /// The resource.
    type Entity: OwnedResource + Send + Sync;
    /// Its typed id.
    type Id: Copy + Send + Sync;
    /// A change to it (`PATCH`/`PUT`).
    type Change: Send + Sync;
    /// Its own list filters.
    type Filter: Send + Sync;

    /// The row with `id` in `scope`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find(&self, id: Self::Id, scope: Scope) -> Result<Option<Self::Entity>, RepoError>;

    /// Up to `limit + 1` rows in `scope` passing the query, in order after
    /// its cursor.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn list(
        &self,
        scope: Scope,
        query: &ListQuery<Self::Filter>,
    ) -> Result<Vec<Self::Entity>, RepoError>;

    /// Applies `change` atomically — a merge of a JSON object is done by
    /// the database in the same `UPDATE`, never read-modify-write — bumping
    /// `version` and setting `updated_at` to `now`, when the current
    /// version is `expected` (any, when `None`). A merged result outside
    /// the [`crate::model::JsonObject`] limits is rolled back as
    /// [`WriteOutcome::Invalid`].
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn update(
        &self,
        id: Self::Id,
        scope: Scope,
        change: &Self::Change,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Self::Entity>, RepoError>;

    /// Deletes the row when its version is `expected` (any, when `None`);
    /// its event is written at `now`, or at its last update if later.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn delete(
        &self,
        id: Self::Id,
        scope: Scope,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Self::Entity>, RepoError>;
}
