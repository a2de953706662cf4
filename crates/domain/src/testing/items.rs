//! In-memory [`ItemRepository`].

use super::lock;
use super::store::MemoryStore;
use crate::RepoError;
use crate::model::{
    Attributes, AttributesChange, CursorValue, Item, ItemChange, ItemId, SortField, Timestamp,
    merge_patch,
};
use crate::ports::{ItemQuery, ItemRepository, Scope, WriteOutcome};
use crate::services::cursor_value;
use async_trait::async_trait;
use serde_json::Value;
use std::cmp::Ordering;
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

fn visible(item: &Item, scope: Scope) -> bool {
    match scope {
        Scope::All => true,
        Scope::Owner(owner) => item.owner_id == owner,
    }
}

pub(super) fn compare(a: &CursorValue, b: &CursorValue) -> Ordering {
    match (a, b) {
        (CursorValue::Micros(x), CursorValue::Micros(y)) => x.cmp(y),
        (CursorValue::Text(x), CursorValue::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => Ordering::Equal,
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
            .filter(|item| visible(item, scope))
            .cloned())
    }

    async fn list(&self, query: &ItemQuery) -> Result<Vec<Item>, RepoError> {
        let field: SortField = query.sort.field;
        let key = |item: &Item| (cursor_value(item, field), item.id.0);
        let order = |a: &Item, b: &Item| {
            let (va, ia) = key(a);
            let (vb, ib) = key(b);
            compare(&va, &vb).then(ia.cmp(&ib))
        };
        let mut rows: Vec<Item> = lock(&self.0.items)
            .values()
            .filter(|item| visible(item, query.scope))
            .filter(|item| {
                query
                    .q
                    .as_ref()
                    .is_none_or(|q| item.name.as_str().to_lowercase().contains(q.as_str()))
            })
            .filter(|item| {
                query.after.as_ref().is_none_or(|cursor| {
                    let (value, id) = key(item);
                    let relative = compare(&value, &cursor.value).then(id.cmp(&cursor.id));
                    if query.sort.descending {
                        relative == Ordering::Less
                    } else {
                        relative == Ordering::Greater
                    }
                })
            })
            .cloned()
            .collect();
        rows.sort_by(order);
        if query.sort.descending {
            rows.reverse();
        }
        rows.truncate(usize::try_from(query.limit.get() + 1).unwrap_or(usize::MAX));
        Ok(rows)
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
        let Some(item) = items.get_mut(&id.0).filter(|item| visible(item, scope)) else {
            return Ok(WriteOutcome::NotFound);
        };
        if expected.is_some_and(|version| version != item.version) {
            return Ok(WriteOutcome::VersionMismatch);
        }
        let attributes = match &change.attributes {
            AttributesChange::Keep => item.attributes.clone(),
            AttributesChange::Replace(attributes) => attributes.clone(),
            AttributesChange::Merge(patch) => {
                let mut merged = item.attributes.to_value();
                merge_patch(&mut merged, &Value::Object(patch.clone()));
                match Attributes::parse(merged, "attributes") {
                    Ok(attributes) => attributes,
                    Err(error) => return Ok(WriteOutcome::Invalid(vec![error])),
                }
            }
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
        let Some(item) = items.get(&id.0).filter(|item| visible(item, scope)) else {
            return Ok(WriteOutcome::NotFound);
        };
        if expected.is_some_and(|version| version != item.version) {
            return Ok(WriteOutcome::VersionMismatch);
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
