//! Items: the shared owned-resource use cases, and creating one.

use super::Ports;
use super::owned::OwnedService;
use crate::ServiceError;
use crate::model::{Item, ItemDraft, ItemId, Principal, SortField};
use crate::ports::{ItemRepository, ListQuery};

/// A page request over the caller's items (every item for an admin).
pub type ItemListQuery = ListQuery<()>;

/// The sorts items may be listed by.
pub const ITEM_SORTS: &[SortField] = &[SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];

/// Item use cases: get, list, update and delete as every owned resource
/// ([`OwnedService`]), and create.
pub type ItemService = OwnedService<dyn ItemRepository>;

impl ItemService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        Self::over(ports.items.clone(), ports, |_, _| {})
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
        self.repo().create(&item).await?;
        self.announce();
        Ok(item)
    }
}
