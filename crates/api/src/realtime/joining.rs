//! Joining a room: authorization, waiting for the log to catch up,
//! replay, and the `joined` frame, with no gap and no duplicate between
//! replay and live delivery.

use super::frames;
use super::outgoing::{Closed, Outgoing};
use super::rooms::Room;
use super::session::Connection;

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
    let Some(room) = authorized(conn, requested).await else {
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
    let log = &conn.realtime.events;
    let read = async {
        conn.realtime.caught_up().await?;
        Ok::<_, domain::RepoError>((
            log.latest_seq(stream).await?,
            log.pruned_through(stream).await?,
        ))
    };
    let (latest, pruned) = match read.await {
        Ok(read) => read,
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
