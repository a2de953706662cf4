//! Agents: remote programs (probes, devices, workers) a user registers and
//! that connect with their own token to report in.

use super::{
    AgentId, Description, JsonObject, Name, ObjectChange, RefreshToken, Timestamp, TokenHash,
    UserId,
};
use serde::Serialize;
use serde_json::{Map, Value};

/// An agent name: the same rules as an item name (one shared [`Name`]).
pub type AgentName = Name;

/// Whether an agent holds a live connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AgentStatus {
    /// Connected.
    Online,
    /// Not connected (and at creation).
    Offline,
}

impl AgentStatus {
    /// `online` or `offline`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Offline => "offline",
        }
    }

    /// The status named `raw`, if any.
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "online" => Some(Self::Online),
            "offline" => Some(Self::Offline),
            _ => None,
        }
    }
}

/// An agent as stored and returned (never with its token); its
/// `Serialize` is the one wire form (`Agent` of API.md), for the REST body
/// and the event payload alike.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    /// Identity (UUID v7).
    pub id: AgentId,
    /// Its owner.
    pub owner_id: UserId,
    /// Name.
    pub name: AgentName,
    /// Optional description.
    pub description: Option<Description>,
    /// Online or offline.
    pub status: AgentStatus,
    /// What it can do: a JSON object within the [`JsonObject`] limits.
    pub capabilities: JsonObject,
    /// Free JSON object within the [`JsonObject`] limits; filterable.
    pub metadata: JsonObject,
    /// The status object of its latest heartbeat; `None` before one.
    pub last_status: Option<Value>,
    /// 1 at creation, +1 on every change.
    pub version: i64,
    /// Its latest heartbeat or connection.
    pub last_seen_at: Option<Timestamp>,
    /// When its current (or last) connection opened.
    pub connected_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// The fields of a new agent, or of a full replacement (`PUT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDraft {
    /// Name.
    pub name: AgentName,
    /// Description (`None` when absent).
    pub description: Option<Description>,
    /// Capabilities (`{}` when absent).
    pub capabilities: JsonObject,
    /// Metadata (`{}` when absent).
    pub metadata: JsonObject,
}

/// A change to an agent (`PATCH`, or `PUT` with every field set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AgentChange {
    /// New name.
    pub name: Option<AgentName>,
    /// `Some(None)` clears the description.
    pub description: Option<Option<Description>>,
    /// Capabilities change (a merge is done by the database).
    pub capabilities: ObjectChange,
    /// Metadata change (a merge is done by the database).
    pub metadata: ObjectChange,
}

impl From<AgentDraft> for AgentChange {
    fn from(draft: AgentDraft) -> Self {
        Self {
            name: Some(draft.name),
            description: Some(draft.description),
            capabilities: ObjectChange::Replace(draft.capabilities),
            metadata: ObjectChange::Replace(draft.metadata),
        }
    }
}

/// An agent's secret: 256 random bits, base64url, shown once (on create
/// and rotate). Only its [`TokenHash`] (SHA-256) is stored — the same
/// scheme as a refresh token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentToken(RefreshToken);

impl AgentToken {
    /// A fresh random token.
    pub fn generate() -> Self {
        Self(RefreshToken::generate())
    }

    /// Wraps a token an agent presented (not yet known to be valid).
    pub fn from_client(raw: &str) -> Self {
        Self(RefreshToken::from_client(raw))
    }

    /// The token text, to hand to the client once.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// Its SHA-256, the stored form.
    pub fn hash(&self) -> TokenHash {
        self.0.hash()
    }
}

/// `?metadata.<key>=<value>`: the top-level metadata key `key` (a dot in
/// it is part of the name) holds the string `value`, or a number or
/// boolean whose JSON text is `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataFilter {
    /// The top-level key.
    pub key: String,
    /// The value as the client wrote it.
    pub value: String,
}

impl MetadataFilter {
    /// Whether `metadata` passes (the in-memory rule the databases follow).
    pub fn matches(&self, metadata: &Map<String, Value>) -> bool {
        match metadata.get(&self.key) {
            Some(Value::String(text)) => *text == self.value,
            Some(Value::Number(number)) => number.to_string() == self.value,
            Some(Value::Bool(flag)) => flag.to_string() == self.value,
            _ => false,
        }
    }

    /// The number or boolean whose JSON text is the value, if any (then
    /// it may match as well as a string): `1e2` or `1.50` is the text of
    /// no number (those are written `100.0` and `1.5`), `100.0` only of a
    /// float, `100` only of an integer. So a database, which can't keep a
    /// number's text, matches it by value and kind (integer or float).
    pub fn scalar(&self) -> Option<Value> {
        match serde_json::from_str::<Value>(&self.value) {
            Ok(value @ (Value::Number(_) | Value::Bool(_))) => serde_json::to_string(&value)
                .is_ok_and(|text| text == self.value)
                .then_some(value),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn filter(key: &str, value: &str) -> MetadataFilter {
        MetadataFilter {
            key: key.into(),
            value: value.into(),
        }
    }

    #[test]
    fn filters_match_strings_and_the_json_text_of_scalars() {
        let metadata =
            json!({"env": "prod", "n": 3, "on": true, "a.b": "x", "o": {"k": 1}, "s": "3"});
        let metadata = metadata.as_object().cloned().unwrap_or_default();
        assert!(filter("env", "prod").matches(&metadata));
        assert!(!filter("env", "\"prod\"").matches(&metadata));
        assert!(filter("n", "3").matches(&metadata));
        assert!(!filter("n", "3.0").matches(&metadata));
        assert!(filter("on", "true").matches(&metadata));
        assert!(filter("a.b", "x").matches(&metadata));
        assert!(filter("s", "3").matches(&metadata));
        assert!(!filter("o", "{\"k\":1}").matches(&metadata));
        assert!(!filter("missing", "").matches(&metadata));
        assert_eq!(filter("n", "3").scalar(), Some(json!(3)));
        assert_eq!(filter("env", "prod").scalar(), None);
        assert_eq!(filter("n", "100.0").scalar(), Some(json!(100.0)));
        assert_eq!(filter("n", "1e2").scalar(), None);
        assert_eq!(filter("n", "1.50").scalar(), None);
        assert_eq!(filter("n", "1e+20").scalar(), Some(json!(1e20)));
        assert_eq!(filter("n", "1e20").scalar(), None);
        // Parsed to the double it was written from, not one an ulp off.
        assert_eq!(filter("n", "3.66057e+44").scalar(), Some(json!(3.66057e44)));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let token = AgentToken::generate();
        assert_ne!(token, AgentToken::generate());
        assert_eq!(token.hash(), AgentToken::from_client(token.as_str()).hash());
        assert_eq!(token.hash().0.len(), 32);
    }
}
