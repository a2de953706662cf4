//! What hubs tell each other: the messages every instance applies, sent
//! through the message bus (or applied at once when there is none).

use super::frames::Member;
use domain::model::{SessionId, UserId};
use domain::ports::Revoked;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// A message for every hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum Broadcast {
    /// An instance released events from the log: the others look for
    /// them too (each instance reads the log itself, in order).
    Released {
        /// The instance that released them.
        instance: Uuid,
    },
    /// A chat message.
    Chat {
        /// The room.
        room: String,
        /// The sender.
        from: Uuid,
        /// The message.
        data: Value,
    },
    /// A user appeared in (or left) a chat room on one instance.
    Presence {
        /// The instance.
        instance: Uuid,
        /// The room.
        room: String,
        /// Who.
        member: Member,
        /// Present now (`false`: gone from that instance).
        present: bool,
    },
    /// Sessions of a user were revoked.
    Revoke {
        /// The user.
        user: Uuid,
        /// One session, or all but one (or all).
        session: Option<Uuid>,
        /// `true`: every session but `session`.
        all_but: bool,
    },
    /// An agent connected on one instance: its other connections close.
    AgentConnected {
        /// The agent.
        agent: Uuid,
        /// The instance holding the new connection.
        instance: Uuid,
        /// The connection there.
        conn: u64,
    },
    /// An agent's token was rotated (or it was deleted).
    AgentRevoke {
        /// The agent.
        agent: Uuid,
    },
    /// A live-only agent event (`agent.heartbeat`, `command.progress`).
    Heartbeat {
        /// The agent.
        agent: Uuid,
        /// Its owner (who, with admins, may see it).
        owner: Uuid,
        /// The event's name.
        event: String,
        /// The event's data.
        data: Value,
    },
}

impl Broadcast {
    /// The revocation of `which` sessions of `user`.
    pub fn revoke(user: UserId, which: Revoked) -> Self {
        let (session, all_but) = match which {
            Revoked::One(id) => (Some(id.0), false),
            Revoked::AllBut(keep) => (keep.map(|id| id.0), true),
        };
        Self::Revoke {
            user: user.0,
            session,
            all_but,
        }
    }

    /// The revocation carried by a `Revoke` message.
    pub fn revoked(session: Option<Uuid>, all_but: bool) -> Option<Revoked> {
        match (session, all_but) {
            (Some(id), false) => Some(Revoked::One(SessionId(id))),
            (keep, true) => Some(Revoked::AllBut(keep.map(SessionId))),
            (None, false) => None,
        }
    }

    /// Encodes for the bus.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Decodes from the bus; `None` for a message this version can't read.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let message = Broadcast::revoke(UserId::new(), Revoked::AllBut(None));
        assert_eq!(Broadcast::decode(&message.encode()), Some(message));
        assert_eq!(Broadcast::decode(b"garbage"), None);
    }
}
