//! In-memory [`ItemRepository`]: the generic table, and what an item change
//! does.

use super::owned::{changed, rename};
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
        rename(
            (&mut self.name, &mut self.description),
            (change.name.as_ref(), change.description.as_ref()),
        );
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
