//! An example agent: connects to `/ws/agent` with its token, reports a
//! heartbeat every few seconds, runs the commands it is sent, and
//! reconnects when the connection drops.
//!
//! Commands (declared in the agent's `capabilities.commands`): `echo`
//! returns its args; `sleep` (`{"seconds": n}`) reports progress each
//! second and can be cancelled; `uptime` returns how long this process has
//! run. Delivery is at least once, so a command id seen before is not run
//! again: it is acknowledged, and its result sent again when it has one.
//!
//! ```sh
//! cargo run -p server --example agent -- ws://127.0.0.1:8080/ws/agent "$AGENT_TOKEN"
//! ```

#![allow(missing_docs)]

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const HEARTBEAT: Duration = Duration::from_secs(5);

/// The commands this agent runs (what its `capabilities.commands` lists).
const COMMANDS: [&str; 3] = ["echo", "sleep", "uptime"];

/// Commands seen, across connections: the result frame once finished.
type Seen = HashMap<String, Option<Value>>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token)) = (args.next(), args.next()) else {
        eprintln!("usage: agent <ws://host:port/ws/agent> <agent token>");
        std::process::exit(2);
    };
    let started = Instant::now();
    let mut seen = Seen::new();
    let mut backoff = Duration::from_millis(500);
    loop {
        match run(&url, &token, started, &mut seen).await {
            Ok(()) => println!("connection closed by the server; reconnecting"),
            Err(error) => println!("connection failed: {error}; retrying in {backoff:?}"),
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(30));
    }
}

async fn run(
    url: &str,
    token: &str,
    started: Instant,
    seen: &mut Seen,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut request = url.into_client_request()?;
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    let (socket, _) = tokio_tungstenite::connect_async(request).await?;
    println!("connected to {url}: online, running {COMMANDS:?}");
    let (mut sink, mut stream) = socket.split();
    let (out, mut outgoing) = mpsc::unbounded_channel::<Value>();
    let mut running: HashMap<String, AbortHandle> = HashMap::new();
    let mut ticker = tokio::time::interval(HEARTBEAT);
    let mut beats = 0u64;
    let result = loop {
        tokio::select! {
            _ = ticker.tick() => {
                beats += 1;
                let uptime = started.elapsed().as_secs();
                let status = json!({"type": "heartbeat", "status": {"beats": beats, "uptime_secs": uptime, "healthy": true}});
                sink.send(Message::text(status.to_string())).await?;
            }
            Some(frame) = outgoing.recv() => {
                if frame["type"] == "result" {
                    let id = frame["id"].as_str().unwrap_or_default().to_owned();
                    running.remove(&id);
                    seen.insert(id, Some(frame.clone()));
                }
                sink.send(Message::text(frame.to_string())).await?;
            }
            message = stream.next() => match message {
                Some(Ok(Message::Text(text))) => {
                    println!("server: {text}");
                    let frame: Value = serde_json::from_str(&text).unwrap_or_default();
                    on_frame(&frame, started, seen, &mut running, &out);
                }
                Some(Ok(Message::Close(frame))) => {
                    println!("closed: {frame:?}");
                    break Ok(());
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => break Err(error.into()),
                None => break Ok(()),
            },
        }
    };
    // Unfinished commands are sent again on the next connection.
    for (id, task) in running {
        task.abort();
        seen.remove(&id);
    }
    result
}

/// A frame from the server: a command to run (or seen before), a cancel.
fn on_frame(
    frame: &Value,
    started: Instant,
    seen: &mut Seen,
    running: &mut HashMap<String, AbortHandle>,
    out: &mpsc::UnboundedSender<Value>,
) {
    let id = frame["id"].as_str().unwrap_or_default().to_owned();
    match frame["type"].as_str() {
        Some("command") => {
            let _ = out.send(json!({"type": "ack", "id": id}));
            if let Some(known) = seen.get(&id) {
                if let Some(result) = known {
                    let _ = out.send(result.clone());
                }
                return;
            }
            seen.insert(id.clone(), None);
            let (name, args) = (frame["name"].clone(), frame["args"].clone());
            let task = tokio::spawn(execute(id.clone(), name, args, started, out.clone()));
            running.insert(id, task.abort_handle());
        }
        Some("cancel") => {
            if let Some(task) = running.remove(&id) {
                task.abort();
                println!("cancelled {id}");
            }
        }
        _ => {}
    }
}

/// Runs one command and sends its result (and, for `sleep`, progress).
async fn execute(
    id: String,
    name: Value,
    args: Value,
    started: Instant,
    out: mpsc::UnboundedSender<Value>,
) {
    let result = match name.as_str() {
        Some("echo") => json!({"type": "result", "id": id, "ok": true, "data": args}),
        Some("uptime") => {
            let data = json!({"uptime_secs": started.elapsed().as_secs()});
            json!({"type": "result", "id": id, "ok": true, "data": data})
        }
        Some("sleep") => {
            let seconds = args["seconds"].as_u64().unwrap_or(1).min(3600);
            for done in 1..=seconds {
                tokio::time::sleep(Duration::from_secs(1)).await;
                let data = json!({"done": done, "of": seconds});
                let _ = out.send(json!({"type": "progress", "id": id, "data": data}));
            }
            json!({"type": "result", "id": id, "ok": true, "data": {"slept": seconds}})
        }
        _ => {
            let error = json!({"message": format!("unknown command {name}")});
            json!({"type": "result", "id": id, "ok": false, "error": error})
        }
    };
    let _ = out.send(result);
}
