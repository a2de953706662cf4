//! Entities and validated value types. Each value type parses once at the
//! edge and cannot be built invalid.

mod client;
mod event;
mod ids;
mod item;
mod page;
mod session;
mod time;
mod token;
mod user;

pub use client::ClientInfo;
pub use event::{Event, NewEvent, Stream};
pub use ids::{ItemId, SessionId, UserId};
pub use item::{
    Attributes, AttributesChange, Description, Item, ItemChange, ItemDraft, ItemName, merge_patch,
};
pub use page::{Cursor, CursorError, CursorValue, Limit, Page, SortField, SortKey};
pub use session::{
    AccessGrant, RefreshRecord, RefreshState, RefreshToken, SecretKey, Session, SessionState,
    TokenHash,
};
pub use time::Timestamp;
pub use token::{AccessClaims, Principal, TokenPair};
pub use user::{DisplayName, Email, NewUser, Password, PasswordHash, Role, SearchText, User};
