//! In-memory [`ItemRepository`]: the generic table, and what an item change
//! does.

use super::owned::changed;
use super::store::MemoryStore;
use super::table::{InMemory, Rows, Stored};
use crate::RepoError;
use crate::model::{Item, ItemChange, ItemId, PatchFailure, Timestamp};
use crate::ports::ItemRepository;
use async_trait::async_trait;

/// Items in a map.
pub type InMemoryItems = InMemory<Item>;

impl Stored for Item {
    type Id = ItemId;
    type Change = ItemChange;
    type Filter = ();
    type Extra = ();

    fn rows(store: &MemoryStore) -> &Rows<Self, ()> {
        &store.items
    }

    fn apply(&mut self, change: &ItemChange) -> Result<(), PatchFailure> {
        self.attributes = changed(&self.attributes, &change.attributes, "attributes")?;
        if let Some(name) = &change.name {
            self.name = name.clone();
        }
        if let Some(description) = &change.description {
            self.description = description.clone();
        }
        Ok(())
    }

    fn passes(&self, (): &()) -> bool {
        true
    }

    fn bump(&mut self, now: Timestamp) {
        self.version += 1;
        self.updated_at = now;
    }
}

#[async_trait]
impl ItemRepository for InMemoryItems {
    async fn create(&self, item: &Item) -> Result<(), RepoError> {
        self.insert(item, (), item.created_at);
        Ok(())
    }
}
