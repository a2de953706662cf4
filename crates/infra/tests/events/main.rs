//! `SeaEventLog` and the events `SeaItems` appends, on real databases:
//! every test body runs on SQLite and on PostgreSQL (when
//! `TEST_DATABASE_URL` is set), each on a fresh database.

#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
mod common;

#[path = "../items/support.rs"]
#[allow(dead_code)]
mod support;

mod helpers;

mod concurrency;
mod long_transactions;
mod migration;
mod prune;
mod release;
mod replay;
mod writes;
