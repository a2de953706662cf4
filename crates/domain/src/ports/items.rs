//! Item storage.

use super::OwnedRepository;
use crate::RepoError;
use crate::model::{Item, ItemChange, ItemId};
use async_trait::async_trait;

/// Stores items: the shared [`OwnedRepository`] path, and inserting.
#[async_trait]
pub trait ItemRepository:
    OwnedRepository<Entity = Item, Id = ItemId, Change = ItemChange, Filter = ()>
{
    /// Inserts an item and appends `item.created` in the same transaction.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn create(&self, item: &Item) -> Result<(), RepoError>;
}
