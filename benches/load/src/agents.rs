//! Agents heartbeating: the server's CPU, RSS and database writes.

use crate::Common;
use crate::client::{self, Socket};
use crate::server::{self, mib};
use futures_util::{SinkExt, StreamExt};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

/// What to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Between one agent's heartbeats.
    pub interval: Duration,
    /// Heartbeating before the window.
    pub warmup: Duration,
    /// The measured window.
    pub duration: Duration,
    /// Prints a cumulative count of database row writes.
    pub stats_cmd: Option<String>,
}

/// Connects one agent per token, heartbeats for warm-up + window, and
/// prints the report.
pub async fn run(
    common: &Common,
    tokens: Vec<String>,
    plan: Plan,
) -> Result<(), Box<dyn std::error::Error>> {
    let url = format!("{}/ws/agent", common.url);
    let before = server::sample(common.server_pid)?;
    eprintln!("connecting {} agents", tokens.len());
    let sockets =
        client::connect_all(&url, &tokens, common.connect_concurrency, None, None).await?;
    let count = sockets.len();
    let sent = Arc::new(AtomicU64::new(0));
    let begin = Instant::now();
    let end = begin + plan.warmup + plan.duration;
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(n, socket)| {
            // Spread the agents evenly over one interval.
            let offset = plan.interval.mul_f64(n as f64 / count.max(1) as f64);
            tokio::spawn(heartbeat(
                socket,
                begin + offset,
                plan.interval,
                end,
                Arc::clone(&sent),
            ))
        })
        .collect();

    tokio::time::sleep_until((begin + plan.warmup).into()).await;
    let start = server::sample(common.server_pid)?;
    let writes_start = row_writes(plan.stats_cmd.as_deref()).await;
    let sent_start = sent.load(Ordering::Relaxed);
    tokio::time::sleep_until(end.into()).await;
    let stop = server::sample(common.server_pid)?;
    let writes_stop = row_writes(plan.stats_cmd.as_deref()).await;
    let heartbeats = sent.load(Ordering::Relaxed) - sent_start;
    let mut dropped = 0;
    for task in tasks {
        if !task.await? {
            dropped += 1;
        }
    }
    let window = plan.duration.as_secs_f64();
    let cpu = stop.cpu.saturating_sub(start.cpu).as_secs_f64();
    let writes = match (writes_start, writes_stop) {
        (Some(a), Some(b)) => format!("{:.0}", (b - a) / window),
        _ => "n/a".to_owned(),
    };
    println!(
        "agents: {count} connected, {:.0} heartbeats/s over {window:.0} s; server CPU {:.1} % of one core ({:.1} µs per heartbeat); RSS {} before connecting, {} at the end; database row writes {writes}/s; {dropped} connections dropped",
        heartbeats as f64 / window,
        100.0 * cpu / window,
        cpu * 1e6 / heartbeats.max(1) as f64,
        mib(before.rss),
        mib(stop.rss),
    );
    println!(
        "RESULT agents {count} {:.0} {:.1} {:.1} {:.1} {writes} {dropped}",
        heartbeats as f64 / window,
        100.0 * cpu / window,
        before.rss as f64 / (1024.0 * 1024.0),
        stop.rss as f64 / (1024.0 * 1024.0),
    );
    Ok(())
}

/// Heartbeats every `interval` from `first` until `end`, reading (and
/// dropping) what the server sends. `false` if the connection ended early.
async fn heartbeat(
    socket: Socket,
    first: Instant,
    interval: Duration,
    end: Instant,
    sent: Arc<AtomicU64>,
) -> bool {
    let (mut sink, mut stream) = socket.split();
    let reader = tokio::spawn(async move { while let Some(Ok(_)) = stream.next().await {} });
    let mut ticks = tokio::time::interval_at(first.into(), interval);
    let mut n = 0_u64;
    let alive = loop {
        let at = ticks.tick().await;
        if at.into_std() >= end {
            break true;
        }
        n += 1;
        let frame = format!(
            r#"{{"type":"heartbeat","status":{{"load":{},"n":{n}}}}}"#,
            n % 100
        );
        if sink.send(Message::text(frame)).await.is_err() {
            break false;
        }
        sent.fetch_add(1, Ordering::Relaxed);
    };
    let alive = alive && !reader.is_finished();
    sink.close().await.ok();
    reader.abort();
    alive
}

/// Runs `cmd` (if any) and parses its output as a number.
async fn row_writes(cmd: Option<&str>) -> Option<f64> {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(cmd?)
        .output()
        .await
        .ok()?;
    String::from_utf8_lossy(&output.stdout).trim().parse().ok()
}
