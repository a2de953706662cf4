//! Every schema change of backend-api, in order, each with a working `down`.
//!
//! Timestamps are `BIGINT` microseconds since the Unix epoch on every
//! database, so they sort as numbers and keep microsecond precision.
//! Migrations use the portable `schema::*` helpers and sea-query builders,
//! never entities, so they stay valid however the code evolves.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261126_000001_users_and_sessions;
mod m20261126_000002_items_and_idempotency;
mod m20261126_000003_events;
mod m20261126_000004_agents;
mod m20261126_000005_oauth;
mod m20261126_000006_sequence_function;
mod m20261126_000007_event_seqs;
mod m20261126_000008_event_watermark;
mod m20261207_000009_drop_agent_instance;
mod m20261207_000010_mail_outbox;
mod m20261207_000020_agent_commands;

/// The list of migrations, oldest first.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_users_and_sessions::Migration),
            Box::new(m20261126_000002_items_and_idempotency::Migration),
            Box::new(m20261126_000003_events::Migration),
            Box::new(m20261126_000004_agents::Migration),
            Box::new(m20261126_000005_oauth::Migration),
            Box::new(m20261126_000006_sequence_function::Migration),
            Box::new(m20261126_000007_event_seqs::Migration),
            Box::new(m20261126_000008_event_watermark::Migration),
            Box::new(m20261207_000009_drop_agent_instance::Migration),
            Box::new(m20261207_000010_mail_outbox::Migration),
            Box::new(m20261207_000020_agent_commands::Migration),
        ]
    }
}
