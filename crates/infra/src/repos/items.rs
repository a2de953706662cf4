//! [`ItemRepository`] on SeaORM: the shared owned-resource path over the
//! `items` table description ([`SeaTable`]), and inserting an item with its
//! `item.created` event.

use super::item_sql;
use super::table::SeaTable;
use super::unexpected;
use super::writes;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{Item, OwnedResource};
use domain::ports::ItemRepository;

/// Items in the `items` table.
pub type SeaItems = SeaTable<Item>;

#[async_trait]
impl ItemRepository for SeaItems {
    #[tracing::instrument(name = "items.create", skip_all, fields(item_id = %item.id))]
    async fn create(&self, item: &Item) -> Result<(), RepoError> {
        let context = "inserting an item";
        writes::insert_with_event(
            self.db.connection(),
            item_sql::insert(self.backend(), item),
            (&item.event(Item::CREATED), item.created_at),
            unexpected(context),
            context,
        )
        .await
    }
}
