//! Black-box tests: the real server on a random port, a real HTTP client,
//! a fresh database per test (SQLite, and PostgreSQL when
//! `TEST_DATABASE_URL` is set).

#![allow(clippy::unwrap_used, missing_docs)]

mod binary;
mod helpers;
mod smtp_sink;

mod account_mail;
mod account_mail_edges;
mod agent_numbers;
mod agent_ws;
mod agents;
mod asyncapi;
mod auth;
mod browser;
mod cli;
mod cluster;
mod command_ws;
mod commands;
mod console;
mod contract;
mod cors;
mod errors;
mod field_paths;
mod health;
mod hostile;
mod item_cursors;
mod items;
mod json_depth;
mod logs;
mod oauth;
mod oauth_edges;
mod oauth_support;
mod oidc_provider;
mod openapi_docs;
mod otel;
mod realtime;
mod resources;
mod sessions;
mod shutdown;
mod sse;
mod stream;
mod stream_edges;
mod text_rules;
mod users;
mod wire;
mod ws;
mod ws_frames;
mod ws_visibility;
