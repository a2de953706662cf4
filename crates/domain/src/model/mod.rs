//! Entities and validated value types. Each value type parses once at the
//! edge and cannot be built invalid.

mod agent;
mod client;
mod command;
mod event;
mod fields;
mod ids;
mod item;
mod mail;
mod metadata_patch;
mod name;
mod oauth;
mod owned;
mod page;
mod scope;
mod sealed;
mod session;
mod text;
mod time;
mod token;
mod user;

pub use agent::{
    Agent, AgentChange, AgentDraft, AgentName, AgentStatus, AgentToken, MetadataFilter,
};
pub use client::ClientInfo;
pub use command::{
    Command, CommandChange, CommandDraft, CommandStatus, CommandStep, DEFAULT_TIMEOUT_SECS,
    DEFAULT_TTL_SECS, Refused, TIMEOUT_SECS, TTL_SECS, capable, command_name, seconds_in,
};
pub use event::{Event, EventKind, NewEvent, Stream};
pub use fields::{Description, JsonObject, ObjectChange, merge_patch};
pub use ids::{AgentId, CommandId, ItemId, SessionId, UserId};
pub use item::{Item, ItemChange, ItemDraft, ItemName};
pub use mail::{AccountToken, Mail, NewAccountToken, RedeemedToken, TokenPurpose};
pub use metadata_patch::{MetadataPatch, PatchFailure};
pub use name::Name;
pub use oauth::{ExternalIdentity, FlowSecret, LinkedIdentity, PendingLogin, ProviderName};
pub use owned::OwnedResource;
pub use page::{Cursor, CursorError, CursorValue, Limit, Page, SortField, SortKey};
pub use scope::Scope;
pub use session::{
    AccessGrant, RefreshRecord, RefreshState, RefreshToken, SecretKey, Session, SessionState,
    TokenHash,
};
pub use time::Timestamp;
pub use token::{AccessClaims, Principal, TokenPair};
pub use user::{DisplayName, Email, NewUser, Password, PasswordHash, Role, SearchText, User};
