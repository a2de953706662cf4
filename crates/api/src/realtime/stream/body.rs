//! The body of a stream: joins its rooms one after another (replaying
//! from the log where a position was given), then sends what the hub
//! queues for it, as server-sent events, with a comment every ping
//! interval. It is a hub member like a socket; only the encoding differs.

use super::cursor::Cursor;
use super::events::{Closing, Resync};
use crate::realtime::Realtime;
use crate::realtime::hub::{CloseSignal, ConnId, Outbound};
use crate::realtime::joining::{Replay, start};
use crate::realtime::rooms::Room;
use actix_web::web::{Bytes, BytesMut};
use domain::model::{Event, Principal};
use domain::services::StreamPosition;
use futures_util::Stream;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Interval;

/// A stream subscriber registered with the hub.
pub struct Member {
    /// Its id at the hub.
    pub id: ConnId,
    /// The caller.
    pub principal: Principal,
    /// The hub and the log.
    pub realtime: Realtime,
    /// What the hub queues for it.
    pub queue: mpsc::Receiver<Arc<Outbound>>,
    /// A close ordered by the hub.
    pub close: oneshot::Receiver<CloseSignal>,
}

impl Drop for Member {
    /// Lets go of the hub registration when the body ends or is dropped
    /// (the client went away).
    fn drop(&mut self) {
        self.realtime.hub.disconnect(self.id);
    }
}

/// The body's state between chunks.
struct Body {
    member: Member,
    /// Rooms still to join, with the position to replay from.
    pending: VecDeque<(Room, Option<i64>)>,
    /// The room being replayed.
    replaying: Option<(String, i64, Replay)>,
    /// What `id` carries: the last seq sent per room.
    cursor: Cursor,
    keep_alive: Interval,
    ended: bool,
}

/// The event-stream body of `member` joining `rooms` (each with the seq to
/// resume after, if any).
pub fn body(
    member: Member,
    rooms: Vec<(Room, Option<i64>)>,
) -> impl Stream<Item = Result<Bytes, Infallible>> + 'static {
    let mut cursor = Cursor::default();
    for (room, since) in &rooms {
        if let Some(since) = since {
            cursor.set(&room.name(), *since);
        }
    }
    let every = member.realtime.config.ping;
    let body = Body {
        member,
        pending: rooms.into(),
        replaying: None,
        cursor,
        keep_alive: tokio::time::interval_at(tokio::time::Instant::now() + every, every),
        ended: false,
    };
    futures_util::stream::unfold(body, |mut body| async move {
        let chunk = body.next_chunk().await?;
        Some((Ok(chunk), body))
    })
}

impl Body {
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.ended {
            return None;
        }
        if !self.pending.is_empty() || self.replaying.is_some() {
            return self.join_step().await;
        }
        loop {
            tokio::select! {
                biased;
                signal = &mut self.member.close => {
                    self.ended = true;
                    let reason = signal.map_or("closed", |s| s.reason);
                    return Some(event(None, "close", &Closing { reason }));
                }
                outbound = self.member.queue.recv() => {
                    if let Some(chunk) = self.live(&*outbound?) {
                        return Some(chunk);
                    }
                }
                _ = self.keep_alive.tick() => return Some(Bytes::from_static(b": keep-alive\n\n")),
            }
        }
    }

    /// The next step of joining: a batch of replayed events, or a room's
    /// `joined` (after `resync_required` when its events were lost).
    /// `None` ends the stream (the log can't be read: the client
    /// reconnects and resumes).
    async fn join_step(&mut self) -> Option<Bytes> {
        loop {
            if let Some((name, latest, replay)) = &mut self.replaying {
                match replay.next(&self.member.realtime).await {
                    Ok(Some(batch)) => {
                        let mut buf = BytesMut::new();
                        for replayed in &batch {
                            self.cursor.set(name, replayed.seq);
                            buf.extend_from_slice(&stored(&self.cursor, name, replayed));
                        }
                        if !buf.is_empty() {
                            return Some(buf.freeze());
                        }
                    }
                    Ok(None) => {
                        let (name, latest) = (name.clone(), *latest);
                        self.replaying = None;
                        return Some(self.joined(&name, latest));
                    }
                    Err(error) => {
                        tracing::warn!(%error, "event log replay failed");
                        return self.end();
                    }
                }
                continue;
            }
            let (room, since) = self.pending.pop_front()?;
            let realtime = &self.member.realtime;
            realtime.hub.join(self.member.id, room.clone()).await;
            let name = room.name();
            let Some(stream) = room.stream() else {
                return Some(event(None, "joined", &json!({"room": name, "seq": 0})));
            };
            let StreamPosition { latest, pruned } = match start(realtime, stream).await {
                Ok(start) => start,
                Err(error) => {
                    tracing::warn!(%error, "event log unavailable for a stream");
                    return self.end();
                }
            };
            match since {
                Some(since) if since < pruned => {
                    let mut buf = BytesMut::from(
                        &event(None, "resync_required", &Resync { room: &name })[..],
                    );
                    buf.extend_from_slice(&self.joined(&name, latest));
                    return Some(buf.freeze());
                }
                Some(since) => {
                    let replay = Replay::new(&room, &self.member.principal, since, latest)?;
                    self.replaying = Some((name, latest, replay));
                }
                None => return Some(self.joined(&name, latest)),
            }
        }
    }

    fn end(&mut self) -> Option<Bytes> {
        self.ended = true;
        None
    }

    /// `joined` for a room whose events are live from `latest` on.
    fn joined(&mut self, name: &str, latest: i64) -> Bytes {
        self.cursor.set(name, latest);
        event(
            Some(&self.cursor),
            "joined",
            &json!({"room": name, "seq": latest}),
        )
    }

    /// A frame the hub queued, as a server-sent event; `None` for an event
    /// the stream already sent (replay and live overlap) or no longer wants.
    fn live(&mut self, outbound: &Outbound) -> Option<Bytes> {
        let cursor = match &outbound.event {
            None => None,
            Some((room, seq)) => {
                if self.cursor.get(room).is_none_or(|last| *seq <= last) {
                    return None;
                }
                self.cursor.set(room, *seq);
                Some(&self.cursor)
            }
        };
        let (name, data) = outbound.streamed(streamed)?;
        Some(encoded(cursor, name, data))
    }
}

/// A socket frame as a stream's event name and data: the frame without
/// its `type`, named after it — or, for an event, without `event` either,
/// named after that.
fn streamed(frame: &str) -> Option<(String, String)> {
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(frame) else {
        return None;
    };
    let kind = fields.remove("type");
    match fields.remove("event").or(kind) {
        Some(Value::String(name)) => Some((name, Value::Object(fields).to_string())),
        _ => None,
    }
}

/// A logged event of `room` as a server-sent event.
fn stored(cursor: &Cursor, room: &str, logged: &Event) -> Bytes {
    event(
        Some(cursor),
        &logged.kind,
        &json!({"room": room, "seq": logged.seq, "data": logged.data}),
    )
}

/// `id: …` (when there is a cursor), `event: …`, `data: …` and the blank
/// line ending the event. JSON text holds no line break.
fn event(cursor: Option<&Cursor>, name: &str, data: &impl Serialize) -> Bytes {
    encoded(
        cursor,
        name,
        &serde_json::to_string(data).unwrap_or_default(),
    )
}

/// [`event`] with `data` already JSON text.
fn encoded(cursor: Option<&Cursor>, name: &str, data: &str) -> Bytes {
    let mut text = String::with_capacity(name.len() + data.len() + 64);
    if let Some(cursor) = cursor.filter(|c| !c.is_empty()) {
        text.push_str("id: ");
        text.push_str(&cursor.id());
        text.push('\n');
    }
    text.push_str("event: ");
    text.push_str(name);
    text.push_str("\ndata: ");
    text.push_str(data);
    text.push_str("\n\n");
    Bytes::from(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::realtime::frames;

    #[test]
    fn socket_frames_become_events_named_after_their_type_or_event() {
        let data = json!({"a": 1});
        let (name, text) =
            streamed(&frames::event("items", 46, "item.updated", &data)).expect("an event");
        assert_eq!(name, "item.updated");
        let parsed: Value = serde_json::from_str(&text).expect("json");
        assert_eq!(
            parsed,
            json!({"room": "items", "seq": 46, "data": {"a": 1}})
        );
        let (name, text) =
            streamed(&frames::message("chat:x", uuid::Uuid::nil(), &data)).expect("a message");
        assert_eq!(name, "message");
        assert!(!text.contains("\"type\""), "{text}");
        let sent = encoded(None, &name, &text);
        assert!(sent.starts_with(b"event: message\ndata: {") && sent.ends_with(b"}\n\n"));
    }
}
