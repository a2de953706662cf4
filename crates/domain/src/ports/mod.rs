//! Ports: the capabilities the services need, as object-safe traits held as
//! `Arc<dyn Port>`. Adapters live in the `infra` crate; in-memory ones in
//! [`crate::testing`].

mod accounts;
mod agents;
mod bus;
mod clock;
mod commands;
mod events;
mod hasher;
mod idempotency;
mod items;
mod mailer;
mod notifier;
mod oauth;
mod owned;
mod sessions;
mod tokens;
mod users;

pub use crate::model::Scope;
pub use accounts::AccountStore;
pub use agents::{AgentFilter, AgentRepository};
pub use bus::{BusError, BusSink, MessageBus};
pub use clock::{Clock, SystemClock};
pub use commands::{CommandFilter, CommandRepository};
pub use events::{EventFilter, EventLog, Released};
pub use hasher::{HashError, PasswordHasher};
pub use idempotency::{
    ClaimOutcome, IdempotencyClaim, IdempotencyKey, IdempotencyStore, StoredResponse,
};
pub use items::ItemRepository;
pub use mailer::{MailError, MailOutbox, Mailer, OutboxMessage};
pub use notifier::{NoNotifier, Notifier, Revoked};
pub use oauth::{
    AuthorizationRequest, CodeExchange, IdentityProviders, IdentityRepository, PendingLoginClaim,
    PendingLoginStore, ProviderError,
};
pub use owned::{ListQuery, OwnedRepository, WriteOutcome};
pub use sessions::SessionRepository;
pub use tokens::{TokenError, TokenIssuer};
pub use users::{UserQuery, UserRepository, UserUpdate};
