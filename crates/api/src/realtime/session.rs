//! One WebSocket connection: a single `select!` loop over the client's
//! frames, the hub's queue, the hub's close signal and the heartbeat timer,
//! ending in one close.

use super::Realtime;
use super::bucket::TokenBucket;
use super::frames::{self, ClientFrame};
use super::hub::{CloseSignal, ConnId};
use super::incoming::{self, Received};
use super::joining::join;
use super::outgoing::{Closed, Outgoing};
use super::rooms::Room;
use super::socket::{CloseCode, CloseReason, Incoming, Message};
use domain::model::Principal;
use domain::services::{AgentService, ItemService};
use std::collections::HashSet;
use std::time::Instant;
use tokio::sync::oneshot;

/// Largest client frame accepted (bytes); a larger one closes with 1009.
pub const MAX_FRAME: usize = 64 * 1024;
/// Rooms one connection may be in at once; a join past it gets `error`
/// `rate_limited`.
pub const MAX_ROOMS: usize = 100;

/// Everything one connection needs.
pub struct Connection {
    /// The caller.
    pub principal: Principal,
    /// Its id at the hub.
    pub id: ConnId,
    /// The hub and the event log.
    pub realtime: Realtime,
    /// To check `item:<id>` visibility.
    pub items: ItemService,
    /// To check `agent:<id>` visibility.
    pub agents: AgentService,
    /// A close ordered by the hub.
    pub close: oneshot::Receiver<CloseSignal>,
}

impl Drop for Connection {
    /// Lets go of the hub registration: when the connection ends, and
    /// also when its socket never came (a `101` that was not taken over).
    fn drop(&mut self) {
        self.realtime.hub.disconnect(self.id);
    }
}

/// Why the loop ended and how to close.
type Ending = Option<CloseReason>;

struct State {
    bucket: TokenBucket,
    last_heard: Instant,
    /// The rooms joined (by canonical name), for [`MAX_ROOMS`].
    rooms: HashSet<String>,
}

/// Runs the connection until either side ends it, and gives the reading
/// half back for the close handshake ([`super::socket::run`]).
///
/// An `async` block rather than an `async fn`: an `async fn` keeps a
/// second copy of its arguments in its future for the connection's whole
/// life (770 bytes a socket here).
#[expect(
    clippy::manual_async_fn,
    reason = "an async fn would keep its arguments twice in the future"
)]
pub fn run(
    mut conn: Connection,
    mut session: Outgoing,
    mut stream: Incoming,
) -> impl Future<Output = Incoming> {
    async move {
        let config = conn.realtime.config;
        let mut heartbeat = tokio::time::interval(config.ping);
        heartbeat.tick().await;
        let mut state = State {
            bucket: TokenBucket::new(config.frames_per_second),
            last_heard: Instant::now(),
            rooms: HashSet::new(),
        };
        let ending: Ending = loop {
            tokio::select! {
                biased;
                signal = &mut conn.close => break incoming::ordered_close(signal),
                item = stream.recv() => {
                    let step = match incoming::received(item) {
                        Ok(message) => {
                            state.last_heard = Instant::now();
                            // Boxed: the idle connection's future stays
                            // small; messages are rare.
                            Box::pin(on_message(&mut conn, &mut session, &mut state, message)).await
                        }
                        Err(ending) => Err(ending),
                    };
                    if let Err(ending) = step {
                        break ending;
                    }
                }
                _ = heartbeat.tick() => {
                    if state.last_heard.elapsed() > config.idle_timeout {
                        break Some(incoming::reason(CloseCode::Normal, "idle_timeout"));
                    }
                    if session.ping().await.is_err() {
                        break None;
                    }
                }
            }
        };
        session.close(ending);
        stream
    }
}

/// Handles one client message; `Err` ends the connection with that close.
async fn on_message(
    conn: &mut Connection,
    session: &mut Outgoing,
    state: &mut State,
    message: Message,
) -> Result<(), Ending> {
    match incoming::answer(session, message).await? {
        Received::Text(text) => on_text(conn, session, state, &text).await.map_err(|_| None),
        Received::Pong | Received::Answered => Ok(()),
    }
}

async fn on_text(
    conn: &mut Connection,
    session: &mut Outgoing,
    state: &mut State,
    text: &str,
) -> Result<(), Closed> {
    let frame = match ClientFrame::parse(text) {
        Ok(frame) => frame,
        Err(reference) => {
            return session
                .text(frames::error("bad_request", "malformed frame", &reference))
                .await;
        }
    };
    let limited = matches!(
        frame,
        ClientFrame::Join { .. } | ClientFrame::Publish { .. }
    );
    if limited && conn.realtime.config.rate_limit && !state.bucket.take() {
        let reference = match &frame {
            ClientFrame::Join { .. } => "join",
            _ => "publish",
        };
        return session
            .text(frames::error(
                "rate_limited",
                "over 20 join/publish frames a second",
                reference,
            ))
            .await;
    }
    match frame {
        ClientFrame::Ping { id } => session.text(frames::pong(&id)).await,
        ClientFrame::Leave { room } => {
            let name = Room::parse(&room).map_or(room, |r| r.name());
            state.rooms.remove(&name);
            session.forget(name.clone()).await?;
            conn.realtime.hub.leave(conn.id, name);
            Ok(())
        }
        ClientFrame::Publish { room, data } => {
            let name = Room::parse(&room).map_or(room, |r| r.name());
            conn.realtime.hub.publish(conn.id, name, data);
            Ok(())
        }
        ClientFrame::Join { room, since } => {
            let name = Room::parse(&room).map_or_else(|| room.clone(), |r| r.name());
            if state.rooms.len() >= MAX_ROOMS && !state.rooms.contains(&name) {
                return session
                    .text(frames::error(
                        "rate_limited",
                        "over 100 rooms on one connection; leave one first",
                        &room,
                    ))
                    .await;
            }
            if join(conn, session, &room, since).await? {
                state.rooms.insert(name);
            }
            Ok(())
        }
    }
}
