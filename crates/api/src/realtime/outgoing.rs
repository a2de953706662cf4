//! The sending half of a `/ws` connection: the HTTP response body itself
//! pulls frames from the connection's hub queue and from its task, and
//! encodes them, so a delivery crosses one queue and wakes one task (the
//! HTTP/1 dispatcher's) instead of going hub → connection task → channel
//! → body.
//!
//! Order. The task's frames come first, then the hub's. While the task
//! replays a room's log ([`Outgoing::hold`]) the body leaves the hub queue
//! alone, so live events wait there and, once released, are sent only
//! past the seq the replay ended at; a connection that stays behind too
//! long fills its queue and the hub closes it as a slow consumer.

use super::hub::Outbound;
use super::socket::CloseReason;
use actix_web::web::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::Stream;
use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::sync::mpsc;

/// What the connection's task asks the body to do, in order.
enum Command {
    /// Send a text frame.
    Text(ByteString),
    /// Send a ping.
    Ping,
    /// Answer a ping.
    Pong(Bytes),
    /// Stop taking frames from the hub queue (a replay is being sent).
    Hold,
    /// Take frames from the hub queue again; with a room, start sending its
    /// events past that seq.
    Release(Option<(String, i64)>),
    /// Stop sending the room's events.
    Forget(String),
    /// Send the close frame and end.
    Close(Option<CloseReason>),
}

/// Commands the task may queue before it waits for the body.
const COMMANDS: usize = 64;
/// How long the task waits for the body to take a command when
/// [`COMMANDS`] are queued. The body stalls only while the socket takes no
/// bytes: a client that stopped reading (and, say, keeps sending pings)
/// counts as gone after this, instead of holding its task forever.
const SEND_WAIT: Duration = Duration::from_secs(10);
/// The most bytes one poll of the body encodes; the rest waits for the next.
const CHUNK: usize = 64 * 1024;

/// The body is gone: the connection's socket is closed or closing.
#[derive(Debug, thiserror::Error)]
#[error("the connection is closed")]
pub struct Closed;

/// The task's handle on the body. Every method fails with [`Closed`] once
/// the body is gone.
pub struct Outgoing {
    commands: mpsc::Sender<Box<Command>>,
}

/// The response body of a `/ws` connection.
pub struct Body {
    commands: mpsc::Receiver<Box<Command>>,
    /// The hub's queue (`None` for an agent, which joins no rooms).
    queue: Option<mpsc::Receiver<Arc<Outbound>>>,
    /// The rooms whose events are sent, and the last seq sent in each.
    rooms: HashMap<String, i64>,
    held: bool,
    closing: bool,
}

/// The handle and the body of a connection fed by the hub's `queue`.
pub fn channel(queue: Option<mpsc::Receiver<Arc<Outbound>>>) -> (Outgoing, Body) {
    let (commands, commands_rx) = mpsc::channel(COMMANDS);
    let body = Body {
        commands: commands_rx,
        queue,
        rooms: HashMap::new(),
        held: false,
        closing: false,
    };
    (Outgoing { commands }, body)
}

impl Outgoing {
    async fn send(&self, command: Command) -> Result<(), Closed> {
        match tokio::time::timeout(SEND_WAIT, self.commands.send(Box::new(command))).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) | Err(_) => Err(Closed),
        }
    }

    /// Sends a text frame.
    pub async fn text(&mut self, frame: impl Into<ByteString>) -> Result<(), Closed> {
        self.send(Command::Text(frame.into())).await
    }

    /// Sends a ping.
    pub async fn ping(&mut self) -> Result<(), Closed> {
        self.send(Command::Ping).await
    }

    /// Answers a ping with `bytes`.
    pub async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        self.send(Command::Pong(Bytes::copy_from_slice(bytes)))
            .await
    }

    /// Leaves the hub queue alone until [`Outgoing::release`].
    pub async fn hold(&mut self) -> Result<(), Closed> {
        self.send(Command::Hold).await
    }

    /// Takes from the hub queue again; with `(room, seq)`, sends that
    /// room's events past `seq` from now on.
    pub async fn release(&mut self, joined: Option<(String, i64)>) -> Result<(), Closed> {
        self.send(Command::Release(joined)).await
    }

    /// Stops sending `room`'s events.
    pub async fn forget(&mut self, room: String) -> Result<(), Closed> {
        self.send(Command::Forget(room)).await
    }

    /// Sends the close frame and ends the body. Never waits: when the
    /// body is too far behind to take the order, it ends without the
    /// frame, as it does once this handle is gone.
    pub fn close(self, reason: Option<CloseReason>) {
        let _ = self.commands.try_send(Box::new(Command::Close(reason)));
    }
}

impl Body {
    /// Applies `command`, encoding what it sends into `buf`.
    fn apply(&mut self, command: Command, buf: &mut BytesMut) {
        match command {
            Command::Text(text) => frame(buf, OP_TEXT, text.as_bytes()),
            Command::Ping => frame(buf, OP_PING, b""),
            Command::Pong(bytes) => frame(buf, OP_PONG, &bytes[..bytes.len().min(125)]),
            Command::Hold => self.held = true,
            Command::Release(joined) => {
                self.held = false;
                if let Some((room, seq)) = joined {
                    self.rooms.insert(room, seq);
                }
            }
            Command::Forget(room) => {
                self.rooms.remove(&room);
            }
            Command::Close(reason) => {
                close_frame(buf, reason.as_ref());
                self.closing = true;
            }
        }
    }

    /// Encodes `outbound` into `buf` unless its room's events are not
    /// (or no longer, or already) due.
    fn deliver(&mut self, outbound: &Outbound, buf: &mut BytesMut) {
        if let Some((room, seq)) = &outbound.event {
            match self.rooms.get_mut(&**room) {
                Some(last) if *seq > *last => *last = *seq,
                _ => return,
            }
        }
        frame(buf, OP_TEXT, outbound.frame.as_bytes());
    }
}

impl Stream for Body {
    type Item = Bytes;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.closing {
            return Poll::Ready(None);
        }
        let mut buf = BytesMut::new();
        let mut ended = false;
        while buf.len() < CHUNK && !this.closing {
            match this.commands.poll_recv(cx) {
                Poll::Ready(Some(command)) => {
                    this.apply(*command, &mut buf);
                    continue;
                }
                // The task is gone without a close: end.
                Poll::Ready(None) => {
                    ended = true;
                    break;
                }
                Poll::Pending => {}
            }
            if this.held {
                break;
            }
            let Some(queue) = &mut this.queue else {
                break;
            };
            match queue.poll_recv(cx) {
                Poll::Ready(Some(outbound)) => this.deliver(&outbound, &mut buf),
                // The hub let go of the connection; its task closes it.
                Poll::Ready(None) | Poll::Pending => break,
            }
        }
        if !buf.is_empty() {
            if buf.len() >= CHUNK {
                // More may be ready: come back for it.
                cx.waker().wake_by_ref();
            }
            return Poll::Ready(Some(buf.freeze()));
        }
        if ended || this.closing {
            Poll::Ready(None)
        } else {
            Poll::Pending
        }
    }
}

const OP_TEXT: u8 = 0x1;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

/// Appends one unmasked, final WebSocket frame (RFC 6455 §5.2).
fn frame(buf: &mut BytesMut, opcode: u8, payload: &[u8]) {
    buf.reserve(payload.len() + 10);
    buf.extend_from_slice(&[0x80 | opcode]);
    let len = payload.len();
    if len < 126 {
        buf.extend_from_slice(&[u8::try_from(len).unwrap_or(125)]);
    } else if let Ok(len) = u16::try_from(len) {
        buf.extend_from_slice(&[126]);
        buf.extend_from_slice(&len.to_be_bytes());
    } else {
        buf.extend_from_slice(&[127]);
        buf.extend_from_slice(&u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes());
    }
    buf.extend_from_slice(payload);
}

/// Appends a close frame: the code, then the reason cut to the 123 bytes a
/// control frame has room for.
fn close_frame(buf: &mut BytesMut, reason: Option<&CloseReason>) {
    let Some(reason) = reason else {
        return frame(buf, OP_CLOSE, b"");
    };
    let mut payload = Vec::with_capacity(125);
    payload.extend_from_slice(&u16::from(reason.code).to_be_bytes());
    if let Some(text) = &reason.description {
        let mut end = text.len().min(123);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        payload.extend_from_slice(&text.as_bytes()[..end]);
    }
    frame(buf, OP_CLOSE, &payload);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::socket::CloseCode;

    fn encoded(opcode: u8, payload: &[u8]) -> Vec<u8> {
        let mut buf = BytesMut::new();
        frame(&mut buf, opcode, payload);
        buf.to_vec()
    }

    #[tokio::test(start_paused = true)]
    async fn a_body_that_takes_nothing_for_too_long_counts_as_closed() {
        let (mut outgoing, body) = channel(None);
        for _ in 0..COMMANDS {
            outgoing.ping().await.expect("room in the queue");
        }
        let waited = tokio::time::Instant::now();
        assert!(outgoing.ping().await.is_err());
        assert!(waited.elapsed() >= SEND_WAIT);
        drop(body);
    }

    #[test]
    fn frame_lengths_take_one_three_or_nine_bytes() {
        assert_eq!(encoded(OP_TEXT, b"hi"), [0x81, 2, b'h', b'i']);
        let medium = vec![b'a'; 300];
        assert_eq!(encoded(OP_TEXT, &medium)[..4], [0x81, 126, 1, 44]);
        assert_eq!(encoded(OP_TEXT, &medium).len(), 304);
        let large = vec![b'a'; 70_000];
        let head = encoded(OP_TEXT, &large)[..10].to_vec();
        assert_eq!(head, [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70]);
    }

    #[test]
    fn close_frames_carry_the_code_and_a_cut_reason() {
        let mut buf = BytesMut::new();
        let reason = CloseReason {
            code: CloseCode::Policy,
            description: Some("é".repeat(100)),
        };
        close_frame(&mut buf, Some(&reason));
        assert_eq!(buf[0], 0x88);
        let len = usize::from(buf[1]);
        assert!(len <= 125, "{len}");
        assert_eq!(&buf[2..4], &1008u16.to_be_bytes());
        assert!(std::str::from_utf8(&buf[4..]).is_ok());
        let mut empty = BytesMut::new();
        close_frame(&mut empty, None);
        assert_eq!(&empty[..], [0x88, 0]);
    }
}
