//! An example agent: connects to `/ws/agent` with its token, reports a
//! heartbeat every few seconds, and reconnects when the connection drops.
//!
//! ```sh
//! cargo run -p server --example agent -- ws://127.0.0.1:8080/ws/agent "$AGENT_TOKEN"
//! ```

#![allow(missing_docs)]

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const HEARTBEAT: Duration = Duration::from_secs(5);

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token)) = (args.next(), args.next()) else {
        eprintln!("usage: agent <ws://host:port/ws/agent> <agent token>");
        std::process::exit(2);
    };
    let mut backoff = Duration::from_millis(500);
    loop {
        match run(&url, &token).await {
            Ok(()) => println!("connection closed by the server; reconnecting"),
            Err(error) => println!("connection failed: {error}; retrying in {backoff:?}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn run(url: &str, token: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    println!("connected to {url}: online");
    let (mut sink, mut stream) = socket.split();
    let mut ticker = tokio::time::interval(HEARTBEAT);
    let mut beats = 0u64;
    loop {
        tokio::select! {
            _ = ticker.tick() => {
                beats += 1;
                let uptime = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
                let status = json!({"type": "heartbeat", "status": {"beats": beats, "clock": uptime, "healthy": true}});
                sink.send(Message::text(status.to_string())).await?;
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => println!("server: {text}"),
                Some(Ok(Message::Close(frame))) => {
                    println!("closed: {frame:?}");
                    return Ok(());
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error.into()),
                None => return Ok(()),
            },
        }
    }
}
