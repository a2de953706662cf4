//! What items and agents share as owned, versioned resources: an owner
//! whose scope they live in, a version that is their ETag, and the columns
//! a keyset list sorts by.

use super::{Agent, CursorValue, Item, Name, SortField, UserId};
use uuid::Uuid;

/// A resource a user owns, changed only at a known version and listed a
/// keyset page at a time.
pub trait OwnedResource {
    /// Its identity, which also breaks ties in every sort.
    fn uuid(&self) -> Uuid;
    /// Its owner.
    fn owner(&self) -> UserId;
    /// 1 at creation, +1 on every change.
    fn version(&self) -> i64;
    /// Its name (searched by `q`).
    fn name(&self) -> &Name;
    /// The value of its `field` column, for a keyset cursor.
    fn cursor_value(&self, field: SortField) -> CursorValue;
}

/// Implements [`OwnedResource`] for entities that name these fields alike.
macro_rules! owned_resource {
    ($($entity:ty),*) => {$(
        impl OwnedResource for $entity {
            fn uuid(&self) -> Uuid {
                self.id.0
            }
            fn owner(&self) -> UserId {
                self.owner_id
            }
            fn version(&self) -> i64 {
                self.version
            }
            fn name(&self) -> &Name {
                &self.name
            }
            fn cursor_value(&self, field: SortField) -> CursorValue {
                match field {
                    SortField::CreatedAt => CursorValue::Micros(self.created_at.unix_micros()),
                    SortField::UpdatedAt => CursorValue::Micros(self.updated_at.unix_micros()),
                    SortField::Name => CursorValue::Text(self.name.as_str().to_owned()),
                }
            }
        }
    )*};
}

owned_resource!(Item, Agent);
