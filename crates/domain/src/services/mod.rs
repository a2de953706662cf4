//! Services: the use cases. Each checks authorization and invariants and
//! talks to ports only.

mod agents;
mod auth;
mod idempotency;
mod items;
mod oauth;
mod ports;
mod users;

pub use agents::{AGENT_SORTS, AgentListQuery, AgentService, agent_cursor_value};
pub use auth::{AuthService, AuthSettings, RegisterInput};
pub use idempotency::{IdempotencyService, KEEP_FOR, STALE_AFTER};
pub use items::{ITEM_SORTS, ItemListQuery, ItemService, cursor_value};
pub use oauth::{OAuthCallback, OAuthError, OAuthService, OAuthStart, STATE_TTL};
pub use ports::Ports;
pub use users::{AdminUpdate, PasswordChange, UpdateMe, UserService};
