//! What every WebSocket connection (`/ws`, `/ws/agent`) does alike with a
//! client message before its own frame handling.

use super::frames;
use actix_ws::{AggregatedMessage, CloseReason};
use bytestring::ByteString;

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
    session: &mut actix_ws::Session,
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
