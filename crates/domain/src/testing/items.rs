//! In-memory [`ItemRepository`].

use super::lock;
use super::owned::{changed, keyset_page, refused, visible, writable};
use super::store::MemoryStore;
use crate::RepoError;
use crate::model::{Item, ItemChange, ItemId, Timestamp};
use crate::ports::{ItemQuery, ItemRepository, Scope, WriteOutcome};
use async_trait::async_trait;
use std::sync::Arc;

/// Items in a map.
#[derive(Debug, Clone)]
pub struct InMemoryItems(Arc<MemoryStore>);

impl InMemoryItems {
    /// Items kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

#[async_trait]
impl ItemRepository for InMemoryItems {
    async fn create(&self, item: &Item) -> Result<(), RepoError> {
        lock(&self.0.items).insert(item.id.0, item.clone());
        self.0
            .append_event(item.event("item.created"), item.created_at);
        Ok(())
    }

    async fn find(&self, id: ItemId, scope: Scope) -> Result<Option<Item>, RepoError> {
        Ok(lock(&self.0.items)
            .get(&id.0)
            .filter(|item| visible(*item, scope))
            .cloned())
    }

    async fn list(&self, query: &ItemQuery) -> Result<Vec<Item>, RepoError> {
        let items = lock(&self.0.items);
        Ok(keyset_page(
            items.values(),
            query.scope,
            query.q.as_ref(),
            query.sort,
            query.limit,
            query.after.as_ref(),
            |_| true,
        ))
    }

    async fn update(
        &self,
        id: ItemId,
        scope: Scope,
        change: &ItemChange,
        expected: Option<i64>,
        now: Timestamp,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        let mut items = lock(&self.0.items);
        let item = match writable(items.get_mut(&id.0), scope, expected) {
            Ok(item) => item,
            Err(refusal) => return Ok(refusal),
        };
        let attributes = match changed(&item.attributes, &change.attributes, "attributes") {
            Ok(attributes) => attributes,
            Err(failure) => return Ok(refused(failure)),
        };
        if let Some(name) = &change.name {
            item.name = name.clone();
        }
        if let Some(description) = &change.description {
            item.description = description.clone();
        }
        item.attributes = attributes;
        item.version += 1;
        item.updated_at = now;
        let item = item.clone();
        drop(items);
        self.0.append_event(item.event("item.updated"), now);
        Ok(WriteOutcome::Done(item))
    }

    async fn delete(
        &self,
        id: ItemId,
        scope: Scope,
        expected: Option<i64>,
    ) -> Result<WriteOutcome<Item>, RepoError> {
        let mut items = lock(&self.0.items);
        if let Err(refusal) = writable(items.get(&id.0), scope, expected) {
            return Ok(refusal);
        }
        let Some(removed) = items.remove(&id.0) else {
            return Ok(WriteOutcome::NotFound);
        };
        drop(items);
        self.0
            .append_event(removed.event("item.deleted"), removed.updated_at);
        Ok(WriteOutcome::Done(removed))
    }
}
