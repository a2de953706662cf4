//! What every WebSocket connection (`/ws`, `/ws/agent`) does alike with
//! what the client sends: the frame limits, the closes its errors and the
//! hub call for, and the replies given before the connection's own frame
//! handling.

use super::frames;
use super::hub::CloseSignal;
use super::outgoing::Outgoing;
use super::session::MAX_FRAME;
use actix_ws::{
    AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Closed, MessageStream,
    ProtocolError,
};
use bytestring::ByteString;
use tokio::sync::oneshot::error::RecvError;

/// `stream` with the limits every connection has: frames, and messages
/// continued over several frames, of at most [`MAX_FRAME`] bytes.
pub(super) fn limited(stream: MessageStream) -> AggregatedMessageStream {
    stream
        .max_frame_size(MAX_FRAME)
        .aggregate_continuations()
        .max_continuation_size(MAX_FRAME)
}

/// The close the hub's `signal` orders (`None`: the hub let go).
pub(super) fn ordered_close(signal: Result<CloseSignal, RecvError>) -> Option<CloseReason> {
    signal.ok().map(|s| reason(s.code, s.reason))
}

/// What the client sent, or the close it calls for: `None` when the
/// client is gone, 1009 for a frame over the limit, 1002 for anything else
/// malformed.
pub(super) fn received(
    item: Option<Result<AggregatedMessage, ProtocolError>>,
) -> Result<AggregatedMessage, Option<CloseReason>> {
    match item {
        None => Err(None),
        Some(Err(ProtocolError::Overflow)) => Err(Some(reason(CloseCode::Size, "frame too large"))),
        Some(Err(_)) => Err(Some(reason(CloseCode::Protocol, "protocol error"))),
        Some(Ok(message)) => Ok(message),
    }
}

/// A close with `code` and `text`.
pub(super) fn reason(code: CloseCode, text: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(text.to_owned()),
    }
}

/// Where a connection's replies go: actix-ws's session (`/ws/agent`) or
/// [`Outgoing`] (`/ws`).
pub(super) trait Replies {
    /// Sends a text frame.
    async fn text(&mut self, frame: ByteString) -> Result<(), Closed>;
    /// Answers a ping.
    async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed>;
}

impl Replies for actix_ws::Session {
    async fn text(&mut self, frame: ByteString) -> Result<(), Closed> {
        actix_ws::Session::text(self, frame).await
    }

    async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        actix_ws::Session::pong(self, bytes).await
    }
}

impl Replies for Outgoing {
    async fn text(&mut self, frame: ByteString) -> Result<(), Closed> {
        Outgoing::text(self, frame).await
    }

    async fn pong(&mut self, bytes: &[u8]) -> Result<(), Closed> {
        Outgoing::pong(self, bytes).await
    }
}

/// A client message, once the replies every connection gives alike are sent.
pub(super) enum Received {
    /// A text frame, for the connection to parse.
    Text(ByteString),
    /// A pong: the client is alive.
    Pong,
    /// Nothing more to do (a ping was answered, a binary frame refused).
    Answered,
}

/// Answers a binary frame with `error` `bad_request` (frames are JSON text)
/// and a ping with its pong. `Err` ends the connection: the client closed
/// (with its reason), or the socket is gone (`None`).
pub(super) async fn answer(
    session: &mut impl Replies,
    message: AggregatedMessage,
) -> Result<Received, Option<CloseReason>> {
    let sent = match message {
        AggregatedMessage::Text(text) => return Ok(Received::Text(text)),
        AggregatedMessage::Pong(_) => return Ok(Received::Pong),
        AggregatedMessage::Close(reason) => return Err(reason),
        AggregatedMessage::Binary(_) => {
            session
                .text(frames::error(
                    "bad_request",
                    "frames are JSON text",
                    "frame",
                ))
                .await
        }
        AggregatedMessage::Ping(bytes) => session.pong(&bytes).await,
    };
    sent.map(|()| Received::Answered).map_err(|_| None)
}
