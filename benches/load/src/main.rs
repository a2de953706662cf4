//! Load tool for the real-time paths of backend-api, run by `make bench`
//! (scripts/ws-bench.sh and scripts/agents-bench.sh).
//!
//! * `fanout`: C dashboard connections join one chat room; one publisher
//!   sends M messages at R a second; reports deliveries/s, end-to-end
//!   latency p50/p99, the server's RSS and its CPU time per delivery.
//! * `idle`: C connections join a room and stay; reports the server's RSS
//!   before and after.
//! * `agents`: N agents connect to `/ws/agent` and heartbeat every
//!   interval; reports the server's CPU, RSS and (through `--stats-cmd`)
//!   the database's writes per second.
//!
//! The server's figures come from `/proc/<server-pid>`, so they do not
//! depend on how fast this tool is.

mod agents;
mod client;
mod fanout;
mod idle;
mod server;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::time::Duration;

/// What every mode needs.
#[derive(Debug, clap::Args)]
struct Common {
    /// The server's WebSocket base, e.g. `ws://127.0.0.1:8080`.
    #[arg(long)]
    url: String,
    /// The server's process id (for its CPU time and RSS).
    #[arg(long)]
    server_pid: u32,
    /// Handshakes in flight at once while connecting.
    #[arg(long, default_value_t = 64)]
    connect_concurrency: usize,
}

#[derive(Debug, Parser)]
#[command(about = "WebSocket load for backend-api")]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// One publisher, C subscribers in one chat room.
    Fanout {
        #[command(flatten)]
        common: Common,
        /// A user access token (every connection uses it).
        #[arg(long)]
        token: String,
        /// Subscriber connections.
        #[arg(long)]
        connections: usize,
        /// Messages per second from the publisher.
        #[arg(long)]
        rate: u32,
        /// Messages in all.
        #[arg(long)]
        messages: u32,
        /// How long to wait for stragglers after the last message.
        #[arg(long, default_value = "10", value_parser = seconds)]
        drain: Duration,
    },
    /// C connections joined to one room, doing nothing.
    Idle {
        #[command(flatten)]
        common: Common,
        /// A user access token (every connection uses it).
        #[arg(long)]
        token: String,
        /// Connections.
        #[arg(long)]
        connections: usize,
        /// How long to hold them before reading the server's RSS.
        #[arg(long, default_value = "5", value_parser = seconds)]
        hold: Duration,
    },
    /// Agents heartbeating on `/ws/agent`.
    Agents {
        #[command(flatten)]
        common: Common,
        /// A file with one agent token per line.
        #[arg(long)]
        tokens: PathBuf,
        /// Seconds between one agent's heartbeats.
        #[arg(long, default_value = "1", value_parser = seconds)]
        interval: Duration,
        /// Heartbeating before the measured window.
        #[arg(long, default_value = "10", value_parser = seconds)]
        warmup: Duration,
        /// The measured window.
        #[arg(long, default_value = "30", value_parser = seconds)]
        duration: Duration,
        /// A shell command printing a cumulative count of database row
        /// writes; run at both ends of the window.
        #[arg(long)]
        stats_cmd: Option<String>,
    },
}

fn seconds(raw: &str) -> Result<Duration, String> {
    raw.parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{raw:?} is not a number of seconds"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    match Cli::parse().mode {
        Mode::Fanout {
            common,
            token,
            connections,
            rate,
            messages,
            drain,
        } => {
            let plan = fanout::Plan {
                connections,
                rate,
                messages,
                drain,
            };
            fanout::run(&common, &token, plan).await
        }
        Mode::Idle {
            common,
            token,
            connections,
            hold,
        } => idle::run(&common, &token, connections, hold).await,
        Mode::Agents {
            common,
            tokens,
            interval,
            warmup,
            duration,
            stats_cmd,
        } => {
            let tokens = std::fs::read_to_string(tokens)?;
            let tokens: Vec<String> = tokens
                .lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect();
            let plan = agents::Plan {
                interval,
                warmup,
                duration,
                stats_cmd,
            };
            agents::run(&common, tokens, plan).await
        }
    }
}
