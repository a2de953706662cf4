//! SeaORM entities of the tables the repositories use. They never leave this
//! crate: repositories translate them to domain types.

pub mod account_tokens;
pub mod mail_outbox;
pub mod oauth_states;
pub mod refresh_tokens;
pub mod sessions;
pub mod user_identities;
pub mod users;
