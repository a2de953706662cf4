//! Builders for agents, and what every infra test crate shares
//! (`crate::common`), re-exported.

use domain::model::{
    Agent, AgentChange, AgentId, AgentName, AgentStatus, AgentToken, Event, JsonObject,
    ObjectChange, Stream, Timestamp, UserId,
};
use domain::ports::{AgentRepository, EventFilter, EventLog};
use infra::{Db, SeaAgents, SeaEventLog};
use serde_json::Value;

pub(crate) use crate::common::on_both;
pub use crate::common::{at, base_time, user};

/// An unsaved agent of `owner`, created and updated at `when`.
pub fn agent(owner: UserId, name: &str, metadata: Value, when: Timestamp) -> Agent {
    Agent {
        id: AgentId::new(),
        owner_id: owner,
        name: AgentName::parse(name).unwrap(),
        description: None,
        status: AgentStatus::Offline,
        capabilities: JsonObject::parse(serde_json::json!({"probe": true}), "capabilities")
            .unwrap(),
        metadata: JsonObject::parse(metadata, "metadata").unwrap(),
        last_status: None,
        version: 1,
        last_seen_at: None,
        connected_at: None,
        created_at: when,
        updated_at: when,
    }
}

/// Stores `agent` with a fresh token; returns the token.
pub async fn store(agents: &SeaAgents, agent: &Agent) -> AgentToken {
    let token = AgentToken::generate();
    agents.create(agent, &token.hash()).await.unwrap();
    token
}

/// A change that merges `patch` into the metadata.
pub fn merge_metadata(patch: Value) -> AgentChange {
    let Value::Object(patch) = patch else {
        panic!("a patch is an object")
    };
    AgentChange {
        metadata: ObjectChange::Merge(patch),
        ..AgentChange::default()
    }
}

/// The agent events committed so far (up to 100), in order.
pub async fn logged_events(db: Db) -> Vec<Event> {
    let log = SeaEventLog::new(db);
    log.open().await.unwrap();
    let all = EventFilter {
        resource: None,
        owner: None,
    };
    log.replay(Stream::Agents, 0, all, 100).await.unwrap()
}
