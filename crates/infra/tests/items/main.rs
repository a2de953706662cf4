//! `SeaItems` and `SeaIdempotency` on real databases: every test body runs
//! on SQLite and on PostgreSQL (when `TEST_DATABASE_URL` is set), each on a
//! fresh database, and behaves as the domain's in-memory adapters do.

#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

mod support;

mod idempotency;
mod keyset;
mod merges;
mod migrations;
mod properties;
mod writes;
