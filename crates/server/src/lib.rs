//! The `backend-api` server: configuration, wiring (the composition root),
//! the command line and telemetry. `main.rs` only calls [`cli::run`].

pub mod cli;
pub mod config;
pub mod edge;
pub mod janitor;
pub mod mail_sender;
pub mod startup;
pub mod telemetry;
mod wiring;

pub use config::Settings;
pub use startup::Application;
