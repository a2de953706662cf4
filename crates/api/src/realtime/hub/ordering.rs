//! Delivers each stream's events in seq order, without gaps: an event that
//! arrives early waits for the ones before it, and a gap is filled from the
//! event log (the source of truth) before moving on.
//!
//! The sequencer numbers each stream densely (1, 2, 3, …), so a missing
//! number is a real gap: an event another instance published late, or one
//! the bus lost.

use super::Hub;
use domain::model::{Event, Stream};
use domain::ports::{EventFilter, EventLog};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

#[derive(Default)]
struct StreamOrder {
    next: Option<i64>,
    pending: BTreeMap<i64, Event>,
    filling: bool,
}

pub(super) struct Ordering {
    streams: HashMap<Stream, StreamOrder>,
    events: Arc<dyn EventLog>,
    hub: Hub,
}

impl Ordering {
    pub fn new(events: Arc<dyn EventLog>, hub: Hub) -> Self {
        Self {
            streams: HashMap::new(),
            events,
            hub,
        }
    }

    /// Events of `stream` after `seq` are the ones to deliver.
    pub fn start_after(&mut self, stream: Stream, seq: i64) {
        self.streams.entry(stream).or_default().next = Some(seq + 1);
    }

    /// An event arrived; returns the events now deliverable, in order.
    pub fn arrived(&mut self, event: Event) -> Vec<Event> {
        let stream = event.stream;
        let order = self.streams.entry(stream).or_default();
        let next = *order.next.get_or_insert(event.seq);
        if event.seq >= next {
            order.pending.insert(event.seq, event);
        }
        let ready = drain(order);
        self.request_fill(stream);
        ready
    }

    /// A gap fill of `stream` came back; anything still missing below
    /// `upto` is gone from the log (pruned) and is skipped.
    pub fn filled(&mut self, stream: Stream, events: Vec<Event>, upto: i64) -> Vec<Event> {
        let order = self.streams.entry(stream).or_default();
        order.filling = false;
        let next = order.next.unwrap_or(upto);
        for event in events.into_iter().filter(|e| e.seq >= next) {
            order.pending.entry(event.seq).or_insert(event);
        }
        let mut ready = drain(order);
        if order.next.is_some_and(|n| n < upto) {
            order.next = Some(upto);
            ready.extend(drain(order));
        }
        self.request_fill(stream);
        ready
    }

    /// With events of `stream` waiting behind a gap, fetches the gap.
    fn request_fill(&mut self, stream: Stream) {
        let Some(order) = self.streams.get_mut(&stream) else {
            return;
        };
        let (Some(next), Some(&upto)) = (order.next, order.pending.keys().next()) else {
            return;
        };
        if order.filling {
            return;
        }
        order.filling = true;
        let events = self.events.clone();
        let hub = self.hub.clone();
        let limit = u64::try_from(upto - next).unwrap_or(0);
        tokio::spawn(async move {
            let all = EventFilter {
                resource: None,
                owner: None,
            };
            let found = match events.replay(stream, next - 1, all, limit).await {
                Ok(batch) => batch.into_iter().filter(|e| e.seq < upto).collect(),
                Err(error) => {
                    tracing::warn!(%error, "could not fill a gap in the event order");
                    Vec::new()
                }
            };
            hub.filled(stream, found, upto);
        });
    }
}

fn drain(order: &mut StreamOrder) -> Vec<Event> {
    let mut ready = Vec::new();
    while let Some(next) = order.next {
        match order.pending.remove(&next) {
            Some(event) => {
                ready.push(event);
                order.next = Some(next + 1);
            }
            None => break,
        }
    }
    ready
}
