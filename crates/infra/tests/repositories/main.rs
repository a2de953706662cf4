//! Repository behaviour on real databases: every test body runs on SQLite
//! and on PostgreSQL (when `TEST_DATABASE_URL` is set), each on a fresh
//! database.

#![allow(clippy::unwrap_used)]

#[path = "../common/mod.rs"]
#[allow(dead_code)] // the stored owner and `at` serve the other crates
mod common;

mod support;

mod mail;
mod migrations;
mod oauth;
mod sessions;
mod users;
