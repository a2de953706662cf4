//! Services: the use cases. Each checks authorization and invariants and
//! talks to ports only.

mod accounts;
mod agents;
mod auth;
mod commands;
mod event_feed;
mod idempotency;
mod items;
mod mail_templates;
mod oauth;
mod owned;
mod ports;
mod users;

pub use accounts::{AccountService, MAIL_THROTTLE};
pub use agents::{AGENT_SORTS, AgentListQuery, AgentService};
pub use auth::{AuthService, AuthSettings, RegisterInput};
pub use commands::{Answer, COMMAND_SORTS, CommandListQuery, CommandService};
pub use event_feed::{EventFeed, StreamPosition};
pub use idempotency::{IdempotencyService, KEEP_FOR, STALE_AFTER};
pub use items::{ITEM_SORTS, ItemListQuery, ItemService};
pub use mail_templates::MailTemplates;
pub use oauth::{OAuthCallback, OAuthError, OAuthService, OAuthStart, STATE_TTL};
pub use owned::OwnedService;
pub use ports::Ports;
pub use users::{AdminUpdate, PasswordChange, UpdateMe, UserService};
