//! Adapters for the domain ports: SeaORM repositories and the event log on
//! PostgreSQL and SQLite, the Argon2 password hasher and the JWT
//! access-token issuer, plus the database handle and the migration runner
//! the server wires them with.
//!
//! With the `testing` feature, `testing::TestDatabase` hands out a fresh,
//! migrated database per test.

pub mod bus;
mod db;
mod entities;
mod error;
mod hasher;
mod jwt;
pub mod mail;
pub mod migrate;
mod oauth;
mod repos;
#[cfg(feature = "testing")]
pub mod testing;

pub use bus::{NatsBus, RedisBus};
pub use db::Db;
pub use error::InfraError;
pub use hasher::Argon2Hasher;
pub use jwt::{JwtAlgorithm, JwtIssuer};
pub use oauth::{OAuthProviders, ProviderConfig, ProviderEndpoints};
pub use repos::{
    SeaAccounts, SeaAgents, SeaCommands, SeaEventLog, SeaIdempotency, SeaIdentities, SeaItems,
    SeaOutbox, SeaPendingLogins, SeaSessions, SeaUsers,
};
