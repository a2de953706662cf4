//! The stream's position in every joined room: parsed from `?since=` and
//! `Last-Event-ID` (`items:41,agents:3`), written as each event's `id`.

use crate::error::ApiError;
use crate::realtime::rooms::Room;

/// The last seq sent (or to resume after) per room, in the order the
/// rooms were asked for. Only rooms with events (not chat) have one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor(Vec<(String, i64)>);

impl Cursor {
    /// Parses `room:seq,room:seq` (a room's name may hold `:` itself:
    /// the seq follows the last one). An empty text is an empty cursor.
    ///
    /// # Errors
    /// 400 `bad_request` naming `what` for anything else: a part without a
    /// seq, a seq that is no non-negative integer, a room that is no room
    /// or has no seqs (chat).
    pub fn parse(text: &str, what: &str) -> Result<Self, ApiError> {
        let mut cursor = Self::default();
        for part in text.split(',').filter(|part| !part.is_empty()) {
            let bad = || ApiError::bad_request(format!("{what}: `{part}` is not `room:seq`"));
            let (room, seq) = part.rsplit_once(':').ok_or_else(bad)?;
            let seq: i64 = seq.parse().ok().filter(|seq| *seq >= 0).ok_or_else(bad)?;
            let room = Room::parse(room)
                .filter(|room| room.stream().is_some())
                .ok_or_else(bad)?;
            cursor.set(&room.name(), seq);
        }
        Ok(cursor)
    }

    /// The position in `room`, if any.
    pub fn get(&self, room: &str) -> Option<i64> {
        self.0
            .iter()
            .find(|(name, _)| name == room)
            .map(|(_, seq)| *seq)
    }

    /// Sets the position in `room`.
    pub fn set(&mut self, room: &str, seq: i64) {
        match self.0.iter_mut().find(|(name, _)| name == room) {
            Some((_, position)) => *position = seq,
            None => self.0.push((room.to_owned(), seq)),
        }
    }

    /// The rooms it names.
    pub fn rooms(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(name, _)| name.as_str())
    }

    /// `room:seq,room:seq`: what an event's `id` carries.
    pub fn id(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(room, seq)| format!("{room}:{seq}"))
            .collect();
        parts.join(",")
    }

    /// Whether it holds no position.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_writes_positions_per_room() {
        let id = uuid::Uuid::now_v7();
        let text = format!("items:41,item:{id}:7,agents:3");
        let cursor = Cursor::parse(&text, "since").expect("valid");
        assert_eq!(cursor.get("items"), Some(41));
        assert_eq!(cursor.get(&format!("item:{id}")), Some(7));
        assert_eq!(cursor.id(), text);
        assert!(Cursor::parse("", "since").expect("empty").is_empty());
        for bad in [
            "items",
            "items:x",
            "items:-1",
            "chat:lobby:3",
            "nope:3",
            "items:1,",
        ] {
            let parsed = Cursor::parse(bad, "since");
            assert_eq!(parsed.is_err(), bad != "items:1,", "{bad}");
        }
    }
}
