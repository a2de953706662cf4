//! What every WebSocket connection (`/ws`, `/ws/agent`) does alike with
//! what the client sends: the closes its errors and the hub call for, and
//! the replies given before the connection's own frame handling.

use super::frames;
use super::hub::CloseSignal;
use super::outgoing::Outgoing;
use super::socket::{CloseCode, CloseReason, Message, ReadError};
use bytestring::ByteString;
use tokio::sync::oneshot::error::RecvError;

/// The close the hub's `signal` orders (`None`: the hub let go).
pub(super) fn ordered_close(signal: Result<CloseSignal, RecvError>) -> Option<CloseReason> {
    signal.ok().map(|s| reason(s.code, s.reason))
}

/// What the client sent, or the close it calls for: `None` when the
/// client is gone, 1009 for a frame over the limit, 1007 for text that is
/// not UTF-8, 1002 for anything else malformed. The client's mistakes are
/// logged at DEBUG only: a client must not be able to fill the logs.
pub(super) fn received(
    item: Option<Result<Message, ReadError>>,
) -> Result<Message, Option<CloseReason>> {
    let error = match item {
        Some(Ok(message)) => return Ok(message),
        None => return Err(None),
        Some(Err(error)) => error,
    };
    tracing::debug!(%error, "closing a connection on what the client sent");
    Err(match error {
        ReadError::Io(_) => None,
        ReadError::TooLarge => Some(reason(CloseCode::Size, "frame too large")),
        ReadError::NotUtf8 => Some(reason(CloseCode::Invalid, "text is not UTF-8")),
        ReadError::Protocol(_) | ReadError::Header(_) => {
            Some(reason(CloseCode::Protocol, "protocol error"))
        }
    })
}

/// A close with `code` and `text`.
pub(super) fn reason(code: CloseCode, text: &str) -> CloseReason {
    CloseReason {
        code,
        description: Some(text.to_owned()),
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
    session: &mut Outgoing,
    message: Message,
) -> Result<Received, Option<CloseReason>> {
    let sent = match message {
        Message::Text(text) => return Ok(Received::Text(text)),
        Message::Pong(_) => return Ok(Received::Pong),
        Message::Close(reason) => return Err(reason),
        Message::Binary(_) => {
            session
                .text(frames::error(
                    "bad_request",
                    "frames are JSON text",
                    "frame",
                ))
                .await
        }
        Message::Ping(bytes) => session.pong(&bytes).await,
    };
    sent.map(|()| Received::Answered).map_err(|_| None)
}
