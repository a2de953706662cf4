//! What every WebSocket connection (`/ws`, `/ws/agent`) does alike with a
//! client message before its own frame handling.

use super::frames;
use super::outgoing::Outgoing;
use actix_ws::{AggregatedMessage, CloseReason, Closed};
use bytestring::ByteString;

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
