//! One publisher, C subscribers: the hub's fan-out measured end to end.

use crate::Common;
use crate::client::{self, Socket};
use crate::server::{self, mib};
use futures_util::{SinkExt, Stream, StreamExt};
use hdrhistogram::Histogram;
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// The room every connection joins.
const ROOM: &str = "chat:bench";

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Subscriber connections.
    pub connections: usize,
    /// Messages per second.
    pub rate: u32,
    /// Messages in all.
    pub messages: u32,
    /// Grace after the last message.
    pub drain: Duration,
}

/// What one subscriber saw.
struct Seen {
    deliveries: u64,
    /// Microseconds from publish to receipt, in arrival order: appending
    /// to a list is cheap, where recording into one of a thousand
    /// histograms missed the cache on every delivery (6 % of the machine's
    /// CPU in a profile of R = 1,000); they are counted at the end.
    latencies: Vec<u32>,
    last: Option<Instant>,
    closed: Option<String>,
}

/// Runs the plan and prints the report.
pub async fn run(
    common: &Common,
    token: &str,
    plan: Plan,
) -> Result<(), Box<dyn std::error::Error>> {
    let url = format!("{}/ws", common.url);
    let join = format!(r#"{{"type":"join","room":"{ROOM}"}}"#);
    let tokens = vec![token.to_owned(); plan.connections];
    let before_connect = server::sample(common.server_pid)?;
    eprintln!("connecting {} subscribers", plan.connections);
    let subscribers = client::connect_all(
        &url,
        &tokens,
        common.connect_concurrency,
        Some(&join),
        Some("\"joined\""),
    )
    .await?;
    let mut publisher = client::connect(&url, token).await?;
    publisher.send(Message::text(join.clone())).await?;
    client::wait_for(&mut publisher, "\"joined\"").await?;

    let base = Instant::now();
    let deadline = base
        + Duration::from_secs_f64(f64::from(plan.messages) / f64::from(plan.rate.max(1)))
        + plan.drain;
    let receivers: Vec<_> = subscribers
        .into_iter()
        .map(|socket| tokio::spawn(receive(socket, base, plan.messages, deadline)))
        .collect();
    let start = server::sample(common.server_pid)?;
    let tool_start = server::sample(std::process::id())?;
    let started = Instant::now();
    publish(publisher, base, plan, deadline).await?;

    let mut latencies = histogram();
    let (mut deliveries, mut last, mut closed) = (0_u64, started, Vec::new());
    for receiver in receivers {
        let seen = receiver.await?;
        deliveries += seen.deliveries;
        for latency in seen.latencies {
            latencies.saturating_record(u64::from(latency).max(1));
        }
        last = last.max(seen.last.unwrap_or(started));
        closed.extend(seen.closed);
    }
    let end = server::sample(common.server_pid)?;
    let tool = server::sample(std::process::id())?
        .cpu
        .saturating_sub(tool_start.cpu);
    let expected = plan.connections as u64 * u64::from(plan.messages);
    let window = last.duration_since(started).as_secs_f64().max(1e-9);
    let cpu = end.cpu.saturating_sub(start.cpu);
    let per_delivery = cpu.as_secs_f64() * 1e6 / deliveries.max(1) as f64;
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "fanout: C={} R={}/s M={}: {deliveries}/{expected} deliveries in {window:.2} s = {:.0}/s",
        plan.connections,
        plan.rate,
        plan.messages,
        deliveries as f64 / window
    );
    println!(
        "latency ms: p50 {:.2}  p99 {:.2}  max {:.2}",
        ms(0.5),
        ms(0.99),
        latencies.max() as f64 / 1000.0
    );
    println!(
        "server: CPU {:.2} s = {per_delivery:.2} µs/delivery ({:.0} % of one core); RSS {} before connecting, {} after the run",
        cpu.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / window,
        mib(before_connect.rss),
        mib(end.rss)
    );
    println!(
        "load tool: CPU {:.2} s ({:.0} % of one core)",
        tool.as_secs_f64(),
        100.0 * tool.as_secs_f64() / window
    );
    if !closed.is_empty() {
        println!("closed by the server: {} ({})", closed.len(), closed[0]);
    }
    println!(
        "RESULT fanout {} {} {} {deliveries} {expected} {:.0} {:.2} {:.2} {:.2} {:.1} {per_delivery:.2} {}",
        plan.connections,
        plan.rate,
        plan.messages,
        deliveries as f64 / window,
        ms(0.5),
        ms(0.99),
        latencies.max() as f64 / 1000.0,
        end.rss as f64 / (1024.0 * 1024.0),
        closed.len()
    );
    Ok(())
}

/// Sends `messages` chat messages at `rate`, each stamped with the
/// microseconds since `base`; reads the publisher's own echoes meanwhile
/// and closes once the last one is back (or at `deadline`), so no message
/// is still in flight when the connection goes.
async fn publish(
    socket: Socket,
    base: Instant,
    plan: Plan,
    deadline: Instant,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut sink, stream) = socket.split();
    let echoes = tokio::spawn(receive(stream, base, plan.messages, deadline));
    let step = Duration::from_secs_f64(1.0 / f64::from(plan.rate.max(1)));
    let first = Instant::now();
    for n in 0..plan.messages {
        tokio::time::sleep_until((first + step * n).into()).await;
        let t = base.elapsed().as_micros();
        let frame = format!(r#"{{"type":"publish","room":"{ROOM}","data":{{"n":{n},"t":{t}}}}}"#);
        sink.send(Message::text(frame)).await?;
    }
    echoes.await?;
    sink.close().await.ok();
    Ok(())
}

/// Counts `messages` deliveries (or stops at `deadline` or a close).
async fn receive(
    mut socket: impl Stream<Item = Result<Message, WsError>> + Unpin,
    base: Instant,
    messages: u32,
    deadline: Instant,
) -> Seen {
    let mut seen = Seen {
        deliveries: 0,
        latencies: Vec::with_capacity(messages as usize),
        last: None,
        closed: None,
    };
    // One timer for the whole run: a timeout per message would register
    // and cancel a timer a million times a second at R = 1,000.
    let expired = tokio::time::sleep_until(deadline.into());
    tokio::pin!(expired);
    while seen.deliveries < u64::from(messages) {
        let next = tokio::select! {
            biased;
            next = socket.next() => next,
            () = &mut expired => break,
        };
        let message = match next {
            None => break,
            Some(Err(error)) => {
                seen.closed = Some(error.to_string());
                break;
            }
            Some(Ok(message)) => message,
        };
        match message {
            Message::Text(text) => {
                if let Some(sent) = stamp(&text) {
                    let now = Instant::now();
                    let at = now.duration_since(base).as_micros() as u64;
                    let latency = at.saturating_sub(sent);
                    seen.latencies
                        .push(u32::try_from(latency).unwrap_or(u32::MAX));
                    seen.deliveries += 1;
                    seen.last = Some(now);
                }
            }
            Message::Close(frame) => {
                let code = frame.as_ref().map_or(CloseCode::Status, |f| f.code);
                let reason = frame.map(|f| f.reason.to_string()).unwrap_or_default();
                seen.closed = Some(format!("{code} {reason}"));
                break;
            }
            _ => {}
        }
    }
    seen
}

/// The `"t":<micros>` stamp of a chat message frame.
fn stamp(text: &str) -> Option<u64> {
    let at = text.find("\"t\":")? + 4;
    let digits = &text[at..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    digits[..end].parse().ok()
}

/// Microseconds from 1 µs to an hour, two significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 3_600_000_000, 2).expect("constant bounds are valid")
}
