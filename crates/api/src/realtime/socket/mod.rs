//! A WebSocket on the bare TCP socket, once the HTTP/1 handshake is done
//! (see [`super::takeover`]): the client's frames decoded from a small
//! buffer that grows only while a large frame arrives, and the response
//! body's bytes written straight to the socket. No HTTP/1 dispatcher, and
//! none of its two 8 KiB buffers, stays with an open socket.

use super::header::{self, Header, HeaderError};
use super::hub::Outbound;
use super::outgoing::{self, Body, Outgoing};
use super::session::MAX_FRAME;
use super::takeover::Takeover;
use actix_codec::Decoder;
use actix_http::ws::{Codec, Frame, Item, ProtocolError};
use actix_web::web::{Bytes, BytesMut};
use bytestring::ByteString;
use futures_util::StreamExt;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::sync::mpsc;
use tracing::{Instrument, Span};

pub use actix_http::ws::{CloseCode, CloseReason};

/// Bytes the reader makes room for before each read: enough for the
/// protocol's usual frames; a larger one grows the buffer while it comes.
const READ_AHEAD: usize = 1024;
/// How long the body's last bytes (the close frame) may take to leave
/// once the connection is done; a client that doesn't read loses them.
const CLOSE_GRACE: Duration = Duration::from_secs(5);

/// A socket handed over by the HTTP/1 dispatcher, with the bytes it had
/// already read past the handshake.
pub struct Upgraded {
    /// The connection.
    pub io: TcpStream,
    /// What the client sent after its handshake request, not yet decoded.
    pub read: BytesMut,
}

/// A message from the client; continued frames arrive joined.
#[derive(Debug)]
pub enum Message {
    /// A text message.
    Text(ByteString),
    /// A binary message.
    Binary(Bytes),
    /// A ping, to be answered.
    Ping(Bytes),
    /// A pong.
    Pong(Bytes),
    /// The client's close.
    Close(Option<CloseReason>),
}

/// Why the client's bytes can't be read as WebSocket messages.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// A frame, or a message continued over frames, over the size limit:
    /// refused on the frame's header, before its payload is buffered.
    #[error("frame too large")]
    TooLarge,
    /// A text message that is not UTF-8.
    #[error("text is not UTF-8")]
    NotUtf8,
    /// Anything else malformed: an unmasked frame, a bad opcode, a
    /// continuation out of place.
    #[error("protocol error: {0}")]
    Protocol(ProtocolError),
    /// A frame header no client may send (reserved bits, no mask, a
    /// fragmented control frame).
    #[error("protocol error: {0}")]
    Header(#[from] HeaderError),
    /// The socket failed.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
}

impl From<ProtocolError> for ReadError {
    fn from(error: ProtocolError) -> Self {
        match error {
            ProtocolError::Overflow => Self::TooLarge,
            ProtocolError::Io(error) => Self::Io(error),
            other => Self::Protocol(other),
        }
    }
}

/// The reading half of a connection: the client's messages, each frame
/// and each joined message at most `max_size` bytes; it never holds more
/// than a frame's bytes (`max_size` and the longest header) unread.
pub struct Incoming {
    io: OwnedReadHalf,
    buf: BytesMut,
    codec: Codec,
    max_size: usize,
    /// A message continued over frames: whether it is text, and its bytes.
    continued: Option<(bool, BytesMut)>,
    /// Whether the client's close frame came.
    closed: bool,
    /// Bytes of a frame refused on its header still to be dropped as they
    /// arrive (never buffered), so the client's answering close can be
    /// read behind it.
    skip: u64,
}

impl Incoming {
    /// The next message; `None` once the client is gone. Cancel-safe: a
    /// read that doesn't complete loses nothing.
    pub async fn recv(&mut self) -> Option<Result<Message, ReadError>> {
        loop {
            self.skip_refused();
            if self.skip == 0 {
                if let Err(error) = self.check_header() {
                    return Some(Err(error));
                }
                match self.codec.decode(&mut self.buf) {
                    Ok(Some(frame)) => match self.message(frame) {
                        Ok(Some(message)) => return Some(Ok(message)),
                        Ok(None) => continue,
                        Err(error) => return Some(Err(error)),
                    },
                    Ok(None) => {}
                    Err(error) => return Some(Err(error.into())),
                }
            }
            // The buffer holds less than a frame here (a whole one would
            // have been decoded, a refused one is dropped): reading up to
            // a frame's worth keeps it within one, however much the
            // client sends at once.
            let room = (self.max_size + header::MAX_SIZE).saturating_sub(self.buf.len());
            self.buf.reserve(READ_AHEAD.min(room));
            let mut limited = (&mut self.io).take(u64::try_from(room).unwrap_or(u64::MAX));
            match limited.read_buf(&mut self.buf).await {
                Ok(0) => return None,
                Ok(_) => {}
                Err(error) => return Some(Err(error.into())),
            }
        }
    }

    /// Refuses the frame at the start of the buffer on its header alone,
    /// before its payload is buffered: one over the size limit, alone or
    /// with the message it continues (its bytes are then dropped as they
    /// arrive, see [`Incoming::skip_refused`]), or a header no client may
    /// send (which stays in the buffer: reading on fails the same way).
    fn check_header(&mut self) -> Result<(), ReadError> {
        let Some(header) = Header::read(&self.buf)? else {
            return Ok(());
        };
        let continued = match &self.continued {
            Some((_, bytes)) if header.opcode == header::CONTINUATION => bytes.len(),
            _ => 0,
        };
        let limit = u64::try_from(self.max_size.saturating_sub(continued)).unwrap_or(u64::MAX);
        if header.length > limit {
            self.continued = None;
            self.skip = header
                .length
                .saturating_add(u64::try_from(header.size).unwrap_or(0));
            return Err(ReadError::TooLarge);
        }
        Ok(())
    }

    /// Drops what arrived of a frame refused on its header.
    fn skip_refused(&mut self) {
        let arrived = usize::try_from(self.skip)
            .unwrap_or(usize::MAX)
            .min(self.buf.len());
        drop(self.buf.split_to(arrived));
        self.skip -= u64::try_from(arrived).unwrap_or(0);
    }

    /// The message `frame` completes, if any.
    fn message(&mut self, frame: Frame) -> Result<Option<Message>, ReadError> {
        Ok(Some(match frame {
            Frame::Text(bytes) => text(bytes)?,
            Frame::Binary(bytes) => Message::Binary(bytes),
            Frame::Ping(bytes) => Message::Ping(bytes),
            Frame::Pong(bytes) => Message::Pong(bytes),
            Frame::Close(reason) => {
                self.closed = true;
                Message::Close(reason)
            }
            Frame::Continuation(item) => return self.continuation(item),
        }))
    }

    /// The close handshake's end: reads (and drops) what the client still
    /// sends until its close frame or its end, unless its close already
    /// came.
    async fn drain(mut self) {
        while !self.closed {
            if !matches!(self.recv().await, Some(Ok(_))) {
                return;
            }
        }
    }

    fn continuation(&mut self, item: Item) -> Result<Option<Message>, ReadError> {
        match item {
            Item::FirstText(bytes) => self.start(true, &bytes),
            Item::FirstBinary(bytes) => self.start(false, &bytes),
            Item::Continue(bytes) => self.extend(&bytes).map(|()| None),
            Item::Last(bytes) => {
                self.extend(&bytes)?;
                let Some((is_text, bytes)) = self.continued.take() else {
                    return Err(ProtocolError::ContinuationNotStarted.into());
                };
                let bytes = bytes.freeze();
                Ok(Some(if is_text {
                    text(bytes)?
                } else {
                    Message::Binary(bytes)
                }))
            }
        }
    }

    fn start(&mut self, is_text: bool, bytes: &[u8]) -> Result<Option<Message>, ReadError> {
        if self.continued.is_some() {
            return Err(ProtocolError::ContinuationStarted.into());
        }
        self.continued = Some((is_text, BytesMut::from(bytes)));
        Ok(None)
    }

    fn extend(&mut self, more: &[u8]) -> Result<(), ReadError> {
        let Some((_, bytes)) = &mut self.continued else {
            return Err(ProtocolError::ContinuationNotStarted.into());
        };
        if bytes.len() + more.len() > self.max_size {
            self.continued = None;
            return Err(ReadError::TooLarge);
        }
        bytes.extend_from_slice(more);
        Ok(())
    }
}

/// A text message, if `bytes` is UTF-8.
fn text(bytes: Bytes) -> Result<Message, ReadError> {
    ByteString::try_from(bytes)
        .map(Message::Text)
        .map_err(|_| ReadError::NotUtf8)
}

/// The [`Takeover`] of a `/ws` or `/ws/agent` connection: once the socket
/// comes, `session` gets its sending handle (whose body the hub's `queue`
/// feeds, if any) and its reading half ([`MAX_FRAME`] per frame and
/// message), and runs in `span` alongside the writing of the body
/// ([`run`]).
pub fn takeover<S, F>(
    queue: Option<mpsc::Receiver<Arc<Outbound>>>,
    span: Span,
    session: S,
) -> Takeover
where
    S: FnOnce(Outgoing, Incoming) -> F + 'static,
    F: Future<Output = Incoming> + 'static,
{
    Takeover::new(move |upgraded| {
        let (incoming, writer) = split(upgraded, MAX_FRAME);
        let (outgoing, body) = outgoing::channel(queue);
        run(session(outgoing, incoming), body, writer).instrument(span)
    })
}

/// Splits `upgraded` into its reading half, whose frames and messages may
/// be at most `max_size` bytes, and its writing half.
fn split(upgraded: Upgraded, max_size: usize) -> (Incoming, Writer) {
    let (read, write) = upgraded.io.into_split();
    // The dispatcher's 8 KiB buffer goes; what it held past the handshake
    // (a client may send frames right behind it) is kept.
    let mut buf = BytesMut::with_capacity(upgraded.read.len());
    buf.extend_from_slice(&upgraded.read);
    let incoming = Incoming {
        io: read,
        buf,
        codec: Codec::new().max_size(max_size),
        max_size,
        continued: None,
        closed: false,
        skip: 0,
    };
    (incoming, Writer(write))
}

/// The writing half of a connection.
struct Writer(OwnedWriteHalf);

impl Writer {
    /// Writes what `body` yields until it ends or the client stops
    /// taking bytes, then ends the sending side.
    async fn send(mut self, mut body: Body) {
        while let Some(bytes) = body.next().await {
            if self.0.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = self.0.shutdown().await;
    }
}

/// Runs a connection: `session` (which reads the client's messages, ends
/// after ordering its close and gives the reading half back) alongside the
/// writing of `body`. Then the close handshake: the body sends its last
/// bytes (the close frame) and the client's answering close is awaited —
/// together for at most [`CLOSE_GRACE`] — before the socket closes, so a
/// client still answering pings isn't cut off mid-write. The session
/// always runs to its end, so it can let go of the hub.
async fn run(session: impl Future<Output = Incoming>, body: Body, writer: Writer) {
    let mut session = pin!(session);
    let mut sending = pin!(writer.send(body));
    tokio::select! {
        incoming = &mut session => {
            let closing = futures_util::future::join(sending, incoming.drain());
            let _ = tokio::time::timeout(CLOSE_GRACE, closing).await;
        }
        () = &mut sending => {
            session.await;
        }
    }
}

#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
