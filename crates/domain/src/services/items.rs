//! Items: ownership, versions and listing.

use super::Ports;
use super::owned::{page, scope, written};
use crate::ServiceError;
use crate::model::{
    Cursor, Item, ItemChange, ItemDraft, ItemId, Limit, Page, Principal, SearchText, SortField,
    SortKey,
};
use crate::ports::ItemQuery;

/// A page request over the caller's items (every item for an admin).
#[derive(Debug, Clone)]
pub struct ItemListQuery {
    /// Substring of the name.
    pub q: Option<SearchText>,
    /// Order.
    pub sort: SortKey,
    /// Page size.
    pub limit: Limit,
    /// Continue after this cursor's row.
    pub after: Option<Cursor>,
}

/// The sorts items may be listed by.
pub const ITEM_SORTS: &[SortField] = &[SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];

/// Item use cases. A user sees and changes only their own items (another's
/// is "not found", never "forbidden"); an admin sees and changes all.
#[derive(Clone)]
pub struct ItemService {
    ports: Ports,
}

impl ItemService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Creates an item owned by the caller, at version 1.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn create(
        &self,
        principal: &Principal,
        draft: ItemDraft,
    ) -> Result<Item, ServiceError> {
        let now = self.ports.clock.now();
        let item = Item {
            id: ItemId::new(),
            owner_id: principal.user_id,
            name: draft.name,
            description: draft.description,
            attributes: draft.attributes,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        self.ports.items.create(&item).await?;
        self.ports.notifier.events_written();
        Ok(item)
    }

    /// One item the caller may see.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] when absent or someone else's.
    pub async fn get(&self, principal: &Principal, id: ItemId) -> Result<Item, ServiceError> {
        self.ports
            .items
            .find(id, scope(principal))
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// A page of the items the caller may see.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn list(
        &self,
        principal: &Principal,
        query: ItemListQuery,
    ) -> Result<Page<Item>, ServiceError> {
        let rows = self
            .ports
            .items
            .list(&ItemQuery {
                scope: scope(principal),
                q: query.q.clone(),
                sort: query.sort,
                limit: query.limit,
                after: query.after,
            })
            .await?;
        Ok(page(rows, query.sort, query.q.as_ref(), query.limit))
    }

    /// Changes an item (a merge of `attributes` happens in the database),
    /// if its version is `expected` when given.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`], [`ServiceError::PreconditionFailed`], or
    /// [`ServiceError::Invalid`] when the merged attributes break a limit.
    pub async fn update(
        &self,
        principal: &Principal,
        id: ItemId,
        change: ItemChange,
        expected: Option<i64>,
    ) -> Result<Item, ServiceError> {
        let now = self.ports.clock.now();
        let outcome = self
            .ports
            .items
            .update(id, scope(principal), &change, expected, now)
            .await?;
        written(&self.ports, outcome)
    }

    /// Deletes an item, if its version is `expected` when given.
    ///
    /// # Errors
    /// [`ServiceError::NotFound`] or [`ServiceError::PreconditionFailed`].
    pub async fn delete(
        &self,
        principal: &Principal,
        id: ItemId,
        expected: Option<i64>,
    ) -> Result<Item, ServiceError> {
        let outcome = self
            .ports
            .items
            .delete(id, scope(principal), expected)
            .await?;
        written(&self.ports, outcome)
    }
}
