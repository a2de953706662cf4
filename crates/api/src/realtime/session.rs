//! One WebSocket connection: a single `select!` loop over the client's
//! frames, the hub's queue, the hub's close signal and the heartbeat timer,
//! ending in one close.

use super::Realtime;
use super::bucket::TokenBucket;
use super::frames::{self, ClientFrame};
use super::hub::{CloseSignal, ConnId};
use super::incoming::{self, Received};
use super::outgoing::{Closed, Outgoing};
use super::rooms::Room;
use super::socket::{CloseCode, CloseReason, Incoming, Message};
use domain::model::Principal;
use domain::services::{AgentService, ItemService};
use std::time::Instant;
use tokio::sync::oneshot;

/// Largest client frame accepted (bytes); a larger one closes with 1009.
pub const MAX_FRAME: usize = 64 * 1024;
/// Events replayed per log query.
const REPLAY_BATCH: u64 = 1000;

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
            session.forget(name.clone()).await?;
            conn.realtime.hub.leave(conn.id, name);
            Ok(())
        }
        ClientFrame::Publish { room, data } => {
            let name = Room::parse(&room).map_or(room, |r| r.name());
            conn.realtime.hub.publish(conn.id, name, data);
            Ok(())
        }
        ClientFrame::Join { room, since } => join(conn, session, &room, since).await,
    }
}

/// Joins `requested`: replays its log `since` a seq if asked, then sends
/// `joined`. Live frames wait in the hub queue from before the hub knows
/// the member until after `joined`, and then only events past the replay
/// are sent: no gap, no duplicate.
async fn join(
    conn: &mut Connection,
    session: &mut Outgoing,
    requested: &str,
    since: Option<i64>,
) -> Result<(), Closed> {
    let Some(room) = authorized(conn, requested).await else {
        return session
            .text(frames::error(
                "forbidden",
                "you may not join this room",
                requested,
            ))
            .await;
    };
    let name = room.name();
    session.hold().await?;
    conn.realtime.hub.join(conn.id, room.clone()).await;
    let Some(stream) = room.stream() else {
        session.text(frames::joined(&name, 0)).await?;
        return session.release(Some((name, 0))).await;
    };
    let log = &conn.realtime.events;
    let (latest, pruned) = match (
        log.latest_seq(stream).await,
        log.pruned_through(stream).await,
    ) {
        (Ok(latest), Ok(pruned)) => (latest, pruned),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(%error, "event log unavailable for a join");
            session
                .text(frames::error(
                    "unavailable",
                    "the event log is unavailable",
                    &name,
                ))
                .await?;
            return session.release(None).await;
        }
    };
    if let Some(since) = since {
        if since < pruned {
            session
                .text(frames::error(
                    "resync_required",
                    "events were lost to retention; reload over REST",
                    &name,
                ))
                .await?;
        } else {
            replay(conn, session, &room, since, latest).await?;
        }
    }
    session.text(frames::joined(&name, latest)).await?;
    session.release(Some((name, latest))).await
}

/// Sends the room's events in (since, latest] that the caller may see.
async fn replay(
    conn: &Connection,
    session: &mut Outgoing,
    room: &Room,
    mut since: i64,
    latest: i64,
) -> Result<(), Closed> {
    let Some(stream) = room.stream() else {
        return Ok(());
    };
    let name = room.name();
    let filter = room.filter(&conn.principal);
    while since < latest {
        let batch = match conn
            .realtime
            .events
            .replay(stream, since, filter, REPLAY_BATCH)
            .await
        {
            Ok(batch) => batch,
            Err(error) => {
                tracing::warn!(%error, "event log replay failed");
                return session
                    .text(frames::error(
                        "resync_required",
                        "replay failed; reload over REST",
                        &name,
                    ))
                    .await;
            }
        };
        let Some(last) = batch.last().map(|e| e.seq) else {
            break;
        };
        for event in batch.iter().take_while(|e| e.seq <= latest) {
            session
                .text(frames::event(&name, event.seq, &event.kind, &event.data))
                .await?;
        }
        since = last;
    }
    Ok(())
}

/// The room, if the caller may join it.
async fn authorized(conn: &Connection, requested: &str) -> Option<Room> {
    let room = Room::parse(requested)?;
    match &room {
        Room::Items | Room::Agents | Room::Chat(_) => Some(room),
        Room::Item(id) => conn
            .items
            .get(&conn.principal, *id)
            .await
            .ok()
            .map(|_| room),
        Room::Agent(id) => conn
            .agents
            .get(&conn.principal, *id)
            .await
            .ok()
            .map(|_| room),
    }
}
