//! Room names and which events of a stream each may see.

use domain::model::{AgentId, ItemId, Principal, Stream};
use domain::ports::EventFilter;

/// Longest chat room name (after `chat:`).
const MAX_CHAT_NAME: usize = 100;

/// A room a client can join.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Room {
    /// Every item event the caller may see.
    Items,
    /// One item's events.
    Item(ItemId),
    /// Every agent event the caller may see.
    Agents,
    /// One agent's events.
    Agent(AgentId),
    /// A chat room: live messages and presence, no events.
    Chat(String),
}

impl Room {
    /// Parses a room name; `None` for names that are no room.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "items" => return Some(Self::Items),
            "agents" => return Some(Self::Agents),
            _ => {}
        }
        if let Some(id) = name.strip_prefix("item:") {
            return id.parse().ok().map(|id| Self::Item(ItemId(id)));
        }
        if let Some(id) = name.strip_prefix("agent:") {
            return id.parse().ok().map(|id| Self::Agent(AgentId(id)));
        }
        let chat = name.strip_prefix("chat:")?;
        let valid = !chat.is_empty()
            && chat.chars().count() <= MAX_CHAT_NAME
            && !chat.chars().any(char::is_control);
        valid.then(|| Self::Chat(chat.to_owned()))
    }

    /// The canonical name (the hub's key, and what frames carry).
    pub fn name(&self) -> String {
        match self {
            Self::Items => "items".to_owned(),
            Self::Item(id) => format!("item:{id}"),
            Self::Agents => "agents".to_owned(),
            Self::Agent(id) => format!("agent:{id}"),
            Self::Chat(name) => format!("chat:{name}"),
        }
    }

    /// The event stream the room draws from, if any.
    pub fn stream(&self) -> Option<Stream> {
        match self {
            Self::Items | Self::Item(_) => Some(Stream::Items),
            Self::Agents | Self::Agent(_) => Some(Stream::Agents),
            Self::Chat(_) => None,
        }
    }

    /// Which of the stream's events `principal` receives in this room.
    pub fn filter(&self, principal: &Principal) -> EventFilter {
        let owner = principal.scope().owner();
        match self {
            Self::Item(ItemId(id)) | Self::Agent(AgentId(id)) => EventFilter {
                resource: Some(*id),
                owner,
            },
            _ => EventFilter {
                resource: None,
                owner,
            },
        }
    }

    /// The name of the per-resource room of `stream` for `resource`.
    pub fn resource_room(stream: Stream, resource: uuid::Uuid) -> String {
        match stream {
            Stream::Items => format!("item:{resource}"),
            Stream::Agents => format!("agent:{resource}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_rooms() {
        assert_eq!(Room::parse("items"), Some(Room::Items));
        assert_eq!(Room::parse("chat:lobby"), Some(Room::Chat("lobby".into())));
        let id = uuid::Uuid::now_v7();
        assert_eq!(
            Room::parse(&format!("item:{}", id.to_string().to_uppercase())).map(|r| r.name()),
            Some(format!("item:{id}"))
        );
        assert_eq!(
            Room::parse(&format!("agent:{id}")),
            Some(Room::Agent(AgentId(id)))
        );
        for bad in ["", "item:nope", "agent:nope", "chat:", "secret", "users"] {
            assert_eq!(Room::parse(bad), None, "{bad}");
        }
    }
}
