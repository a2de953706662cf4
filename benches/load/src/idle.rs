//! C connections held open: the server's memory per connection.

use crate::Common;
use crate::client;
use crate::server::{self, mib};
use std::time::Duration;

/// Opens `connections` sockets joined to `items`, holds them for `hold`,
/// and prints the server's RSS before and after.
pub async fn run(
    common: &Common,
    token: &str,
    connections: usize,
    hold: Duration,
) -> Result<(), Box<dyn std::error::Error>> {
    let url = format!("{}/ws", common.url);
    let tokens = vec![token.to_owned(); connections];
    let before = server::sample(common.server_pid)?;
    eprintln!("connecting {connections} idle connections");
    let sockets = client::connect_all(
        &url,
        &tokens,
        common.connect_concurrency,
        Some(r#"{"type":"join","room":"items"}"#),
        Some("\"joined\""),
    )
    .await?;
    let connected = server::sample(common.server_pid)?;
    tokio::time::sleep(hold).await;
    let held = server::sample(common.server_pid)?;
    let per_connection = held.rss.saturating_sub(before.rss) / connections.max(1) as u64;
    println!(
        "idle: {} connections joined to items; server RSS {} before, {} after {:.0} s ({per_connection} bytes per connection); server CPU while connecting {:.2} s, while holding {:.2} s",
        sockets.len(),
        mib(before.rss),
        mib(held.rss),
        hold.as_secs_f64(),
        connected.cpu.saturating_sub(before.cpu).as_secs_f64(),
        held.cpu.saturating_sub(connected.cpu).as_secs_f64(),
    );
    println!(
        "RESULT idle {} {:.1} {:.1} {per_connection}",
        sockets.len(),
        before.rss as f64 / (1024.0 * 1024.0),
        held.rss as f64 / (1024.0 * 1024.0),
    );
    drop(sockets);
    Ok(())
}
