//! Item storage.

use crate::model::{
    Cursor, Item, ItemChange, ItemId, Limit, SearchText, SortKey, Timestamp, UserId,
};
use crate::{FieldError, RepoError};
use async_trait::async_trait;

/// Whose items an operation may touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only this owner's (another owner's item is "not found").
    Owner(UserId),
    /// Everyone's (admins).
    All,
}

/// What a conditional write came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteOutcome<T> {
    /// Written.
    Done(T),
    /// No such item in scope.
    NotFound,
    /// The expected version is not the current one; nothing written.
    VersionMismatch,
    /// The merged result broke a limit; nothing written.
    Invalid(Vec<FieldError>),
    /// A JSON Patch `test` operation failed; nothing written.
    TestFailed,
}

/// Which items to list, and from where.
#[derive(Debug, Clone)]
pub struct ItemQuery {
    /// Whose.
    pub scope: Scope,
    /// Case-insensitive substring of the name (`%`, `_` literal).
    pub q: Option<SearchText>,
    /// Order; ties broken by id in the same direction.
    pub sort: SortKey,
    /// Rows wanted; the adapter returns up to `limit + 1`.
    pub limit: Limit,
    /// Continue after this row.
    pub after: Option<Cursor>,
}

/// Stores items. Every write also appends its event (`item.created`,
/// `item.updated`, `item.deleted`, from [`Item::event`]) to the event log in
/// the same transaction, so an event exists if and only if its change
/// committed.
///
/// [`Item::event`]: crate::model::Item::event
#[async_trait]
pub trait ItemRepository: Send + Sync {
    /// Inserts an item.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn create(&self, item: &Item) -> Result<(), RepoError>;

    /// The item with `id` in `scope`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn find(&self, id: ItemId, scope: Scope) -> Result<Option<Item>, RepoError>;

    /// Up to `limit + 1` items in order after `after`.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn list(&self, query: &ItemQuery) -> Result<Vec<Item>, RepoError>;

    /// Applies `change` atomically — an attributes merge is done by the
    /// database in the same `UPDATE`, never read-modify-write — bumping
    /// `version` and setting `updated_at`, when the current version is
    /// `expected` (any, when `None`). A merged result outside the
    /// [`crate::model::Attributes`] limits is rolled back as
    /// [`WriteOutcome::Invalid`].
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn update(
        &self,
        id: ItemId,
        scope: Scope,
        change: &ItemChange,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Item>, RepoError>;

    /// Deletes the item when its version is `expected` (any, when `None`).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn delete(
        &self,
        id: ItemId,
        scope: Scope,
        expected: Option<i64>,
    ) -> Result<WriteOutcome<Item>, RepoError>;
}
