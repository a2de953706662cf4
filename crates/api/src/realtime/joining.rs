//! Joining a room: authorization, waiting for the log to catch up,
//! replay, and the `joined` frame, with no gap and no duplicate between
//! replay and live delivery.

use super::Realtime;
use super::frames;
use super::outgoing::{Closed, Outgoing};
use super::rooms::Room;
use super::session::Connection;
use domain::RepoError;
use domain::model::{Event, Principal, Stream};
use domain::ports::EventFilter;
use domain::services::{AgentService, ItemService, StreamPosition};

/// Events replayed per log query.
const REPLAY_BATCH: u64 = 1000;

/// Joins `requested`: replays its log `since` a seq if asked, then sends
/// `joined`; `false` when the caller may not join it. Live frames wait in
/// the hub queue from before the hub knows the member until after
/// `joined`, and then only events past the replay are sent: no gap, no
/// duplicate. Before the latest seq is read, every event committed before
/// the join is released to the hub (on any instance): it is at most
/// `joined.seq`, so it never arrives after `joined` as if it were new.
pub(super) async fn join(
    conn: &mut Connection,
    session: &mut Outgoing,
    requested: &str,
    since: Option<i64>,
) -> Result<bool, Closed> {
    let Some(room) = authorized(&conn.items, &conn.agents, &conn.principal, requested).await else {
        session
            .text(frames::error(
                "forbidden",
                "you may not join this room",
                requested,
            ))
            .await?;
        return Ok(false);
    };
    let name = room.name();
    session.hold().await?;
    conn.realtime.hub.join(conn.id, room.clone()).await;
    let Some(stream) = room.stream() else {
        session.text(frames::joined(&name, 0)).await?;
        session.release(Some((name, 0))).await?;
        return Ok(true);
    };
    let StreamPosition { latest, pruned } = match start(&conn.realtime, stream).await {
        Ok(start) => start,
        Err(error) => {
            tracing::warn!(%error, "event log unavailable for a join");
            session
                .text(frames::error(
                    "unavailable",
                    "the event log is unavailable",
                    &name,
                ))
                .await?;
            session.release(None).await?;
            return Ok(true);
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
    session.release(Some((name, latest))).await?;
    Ok(true)
}

/// Sends the room's events in (since, latest] that the caller may see.
async fn replay(
    conn: &Connection,
    session: &mut Outgoing,
    room: &Room,
    since: i64,
    latest: i64,
) -> Result<(), Closed> {
    let name = room.name();
    let Some(mut replay) = Replay::new(room, &conn.principal, since, latest) else {
        return Ok(());
    };
    loop {
        match replay.next(&conn.realtime).await {
            Ok(Some(batch)) => {
                for event in &batch {
                    session
                        .text(frames::event(&name, event.seq, &event.kind, &event.data))
                        .await?;
                }
            }
            Ok(None) => return Ok(()),
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
        }
    }
}

/// Waits until every event committed before the call is released to the
/// hub ([`Realtime::caught_up`]), then reads the latest seq of `stream`
/// and the highest lost to retention.
///
/// # Errors
/// When the event log can't be read.
pub(super) async fn start(
    realtime: &Realtime,
    stream: Stream,
) -> Result<StreamPosition, RepoError> {
    realtime.caught_up().await?;
    realtime.events.position(stream).await
}

/// A replay of one room's events in (since, latest] that a principal may
/// see, read from the log in batches.
pub(super) struct Replay {
    stream: Stream,
    filter: EventFilter,
    since: i64,
    latest: i64,
}

impl Replay {
    /// The replay of `room` for `principal`; `None` for a room without
    /// events (chat).
    pub(super) fn new(room: &Room, principal: &Principal, since: i64, latest: i64) -> Option<Self> {
        Some(Self {
            stream: room.stream()?,
            filter: room.filter(principal),
            since,
            latest,
        })
    }

    /// The next batch of events, in seq order; `None` once done.
    ///
    /// # Errors
    /// When the event log can't be read.
    pub(super) async fn next(
        &mut self,
        realtime: &Realtime,
    ) -> Result<Option<Vec<Event>>, RepoError> {
        if self.since >= self.latest {
            return Ok(None);
        }
        let mut batch = realtime
            .events
            .replay(self.stream, self.since, self.filter, REPLAY_BATCH)
            .await?;
        let Some(last) = batch.last().map(|e| e.seq) else {
            self.since = self.latest;
            return Ok(None);
        };
        self.since = last;
        batch.retain(|e| e.seq <= self.latest);
        Ok(Some(batch))
    }
}

/// The room named `requested`, if `principal` may join it.
pub(super) async fn authorized(
    items: &ItemService,
    agents: &AgentService,
    principal: &Principal,
    requested: &str,
) -> Option<Room> {
    let room = Room::parse(requested)?;
    match &room {
        Room::Items | Room::Agents | Room::Chat(_) => Some(room),
        Room::Item(id) => items.get(principal, *id).await.ok().map(|_| room),
        Room::Agent(id) => agents.get(principal, *id).await.ok().map(|_| room),
    }
}
