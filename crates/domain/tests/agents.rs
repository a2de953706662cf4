//! Agent rules on the in-memory adapters: ownership, tokens, merges, JSON
//! Patch, filters, and sealed idempotent responses.

use domain::ServiceError;
use domain::model::{
    AgentChange, AgentDraft, AgentName, AgentStatus, AgentToken, JsonObject, Limit, MetadataFilter,
    MetadataPatch, ObjectChange, Principal, Role, SessionId, SortKey, UserId,
};
use domain::ports::{
    AgentFilter, ClaimOutcome, Clock, IdempotencyClaim, IdempotencyKey, StoredResponse,
};
use domain::services::AgentListQuery;
use domain::testing::TestDomain;
use serde_json::{Value, json};

fn principal(role: Role) -> Principal {
    Principal {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        role,
    }
}

fn draft(name: &str, metadata: Value) -> AgentDraft {
    AgentDraft {
        name: AgentName::parse(name).expect("valid"),
        description: None,
        capabilities: JsonObject::parse(json!({"probe": {"icmp": true}}), "capabilities")
            .expect("valid"),
        metadata: JsonObject::parse(metadata, "metadata").expect("valid"),
    }
}

fn query(metadata: &[(&str, &str)], status: Option<AgentStatus>) -> AgentListQuery {
    AgentListQuery {
        filter: AgentFilter {
            status,
            metadata: metadata
                .iter()
                .map(|(key, value)| MetadataFilter {
                    key: (*key).into(),
                    value: (*value).into(),
                })
                .collect(),
        },
        q: None,
        sort: SortKey::NEWEST_FIRST,
        limit: Limit::DEFAULT,
        after: None,
    }
}

#[tokio::test]
async fn ownership_tokens_and_rotation() {
    let domain = TestDomain::new();
    let (ada, bob, admin) = (
        principal(Role::User),
        principal(Role::User),
        principal(Role::Admin),
    );
    let (agent, token) = domain
        .agents
        .create(&ada, draft("probe-1", json!({})))
        .await
        .expect("created");
    assert_eq!((agent.version, agent.status), (1, AgentStatus::Offline));
    assert_eq!(agent.last_status, None);
    let by_token = domain.ports.agents.find_by_token(&token.hash()).await;
    assert_eq!(by_token.expect("read").map(|a| a.id), Some(agent.id));

    assert!(matches!(
        domain.agents.get(&bob, agent.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        domain.agents.rotate_token(&bob, agent.id).await,
        Err(ServiceError::NotFound)
    ));
    assert_eq!(
        domain.agents.get(&admin, agent.id).await.expect("seen").id,
        agent.id
    );

    let (rotated, fresh) = domain
        .agents
        .rotate_token(&ada, agent.id)
        .await
        .expect("rotated");
    assert_ne!(fresh, token);
    assert_eq!(rotated, agent, "the agent itself is unchanged");
    let old = domain.ports.agents.find_by_token(&token.hash()).await;
    assert_eq!(old.expect("read"), None);
    let new = domain.ports.agents.find_by_token(&fresh.hash()).await;
    assert!(new.expect("read").is_some());
    assert_eq!(*domain.notifier.rotated.lock().expect("lock"), [agent.id]);

    domain
        .agents
        .delete(&admin, agent.id, Some(1))
        .await
        .expect("deleted");
    assert!(matches!(
        domain.agents.get(&ada, agent.id).await,
        Err(ServiceError::NotFound)
    ));
}

#[tokio::test]
async fn merges_and_json_patches_change_metadata_all_or_nothing() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let (agent, _) = domain
        .agents
        .create(&ada, draft("probe", json!({"env": "prod", "n": 1})))
        .await
        .expect("created");
    let change = AgentChange {
        metadata: ObjectChange::Merge(
            json!({"n": null, "rack": {"row": 3}})
                .as_object()
                .cloned()
                .expect("object"),
        ),
        capabilities: ObjectChange::Merge(
            json!({"probe": {"tcp": true}})
                .as_object()
                .cloned()
                .expect("object"),
        ),
        ..AgentChange::default()
    };
    let merged = domain
        .agents
        .update(&ada, agent.id, change, Some(1))
        .await
        .expect("merged");
    assert_eq!(
        merged.metadata.to_value(),
        json!({"env": "prod", "rack": {"row": 3}})
    );
    assert_eq!(
        merged.capabilities.to_value(),
        json!({"probe": {"icmp": true, "tcp": true}})
    );
    assert_eq!(merged.version, 2);

    let patch = |ops: Value| MetadataPatch::parse(ops).expect("a patch");
    let failing = patch(json!([
        {"op": "add", "path": "/x", "value": 1},
        {"op": "test", "path": "/env", "value": "dev"},
    ]));
    assert!(matches!(
        domain
            .agents
            .patch_metadata(&ada, agent.id, failing, None)
            .await,
        Err(ServiceError::Conflict(_))
    ));
    let bad = patch(json!([
        {"op": "add", "path": "/x", "value": 1},
        {"op": "remove", "path": "/missing"},
    ]));
    assert!(matches!(
        domain
            .agents
            .patch_metadata(&ada, agent.id, bad, None)
            .await,
        Err(ServiceError::Invalid(_))
    ));
    let unchanged = domain.agents.get(&ada, agent.id).await.expect("read");
    assert_eq!(unchanged, merged, "nothing applied");

    let good = patch(json!([
        {"op": "test", "path": "/env", "value": "prod"},
        {"op": "move", "from": "/rack", "path": "/site"},
    ]));
    assert!(matches!(
        domain
            .agents
            .patch_metadata(&ada, agent.id, good.clone(), Some(1))
            .await,
        Err(ServiceError::PreconditionFailed)
    ));
    let patched = domain
        .agents
        .patch_metadata(&ada, agent.id, good, Some(2))
        .await
        .expect("patched");
    assert_eq!(
        patched.metadata.to_value(),
        json!({"env": "prod", "site": {"row": 3}})
    );
    assert_eq!(patched.version, 3);
}

#[tokio::test]
async fn lists_filter_by_status_and_metadata() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let bob = principal(Role::User);
    for (name, metadata) in [
        (
            "a",
            json!({"env": "prod", "n": 3, "on": true, "a.b": "dot"}),
        ),
        ("b", json!({"env": "dev", "n": "3"})),
        ("c", json!({"env": "prod", "n": 4})),
    ] {
        domain
            .agents
            .create(&ada, draft(name, metadata))
            .await
            .expect("created");
    }
    domain
        .agents
        .create(&bob, draft("theirs", json!({"env": "prod"})))
        .await
        .expect("created");
    let names = |page: domain::model::Page<domain::model::Agent>| {
        let mut names: Vec<String> = page
            .data
            .iter()
            .map(|a| a.name.as_str().to_owned())
            .collect();
        names.sort();
        names
    };
    let list = |filters: &'static [(&'static str, &'static str)]| {
        let domain = &domain;
        async move {
            names(
                domain
                    .agents
                    .list(&ada, query(filters, None))
                    .await
                    .expect("listed"),
            )
        }
    };
    assert_eq!(list(&[("env", "prod")]).await, ["a", "c"]);
    assert_eq!(list(&[("n", "3")]).await, ["a", "b"]);
    assert_eq!(list(&[("on", "true")]).await, ["a"]);
    assert_eq!(list(&[("a.b", "dot")]).await, ["a"]);
    assert_eq!(list(&[("env", "prod"), ("n", "4")]).await, ["c"]);
    assert!(list(&[("env", "staging")]).await.is_empty());
    let online = domain
        .agents
        .list(&ada, query(&[], Some(AgentStatus::Online)))
        .await
        .expect("listed");
    assert!(online.data.is_empty());
}

#[tokio::test]
async fn secret_responses_are_stored_sealed_and_replayed_in_clear() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let token = AgentToken::generate();
    let claim = IdempotencyClaim {
        user: ada.user_id,
        operation: "POST /api/v1/agents",
        key: IdempotencyKey::parse("k").expect("valid"),
        fingerprint: vec![1],
    };
    assert_eq!(
        domain.idempotency.claim(&claim).await.expect("claimed"),
        ClaimOutcome::Claimed
    );
    let response = StoredResponse {
        status: 201,
        headers: vec![],
        body: format!("{{\"token\":\"{}\"}}", token.as_str()).into_bytes(),
        secret: true,
    };
    domain
        .idempotency
        .finish(&claim, &response)
        .await
        .expect("stored");
    let now = domain.ports.clock.now();
    let raw = domain
        .ports
        .idempotency
        .claim(&claim, now, now, now)
        .await
        .expect("read");
    let ClaimOutcome::Replay(stored) = raw else {
        panic!("expected a stored response, got {raw:?}")
    };
    let needle = token.as_str().as_bytes();
    assert!(!stored.body.windows(needle.len()).any(|w| w == needle));
    assert_eq!(
        domain.idempotency.claim(&claim).await.expect("replayed"),
        ClaimOutcome::Replay(response)
    );
}

#[tokio::test]
async fn presence_heartbeats_and_stale_agents() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let (agent, token) = domain
        .agents
        .create(&ada, draft("probe-1", json!({})))
        .await
        .expect("created");
    assert!(matches!(
        domain.agents.authenticate("nope").await,
        Err(ServiceError::Unauthorized)
    ));
    let found = domain.agents.authenticate(token.as_str()).await;
    assert_eq!(found.expect("known").id, agent.id);

    let first = domain.agents.connected(agent.id).await.expect("stored");
    let first = first.expect("exists");
    let now = domain.clock.now();
    assert_eq!(first.status, AgentStatus::Online);
    assert_eq!(
        (first.connected_at, first.last_seen_at),
        (Some(now), Some(now))
    );
    domain
        .agents
        .seen(agent.id, Some(&json!({"cpu": 1})))
        .await
        .expect("stored");
    let seen = domain.agents.get(&ada, agent.id).await.expect("found");
    assert_eq!(seen.last_status, Some(json!({"cpu": 1})));

    // A newer connection is not taken offline by the older one's end.
    domain.clock.advance(time::Duration::seconds(1));
    let second = domain.agents.connected(agent.id).await.expect("stored");
    let second = second.expect("exists");
    domain
        .agents
        .disconnected(agent.id, first.connected_at)
        .await
        .expect("stored");
    let still = domain.agents.get(&ada, agent.id).await.expect("found");
    assert_eq!(still.status, AgentStatus::Online);

    // Stale only once silent past the threshold.
    let silence = std::time::Duration::from_secs(55);
    domain.clock.advance(time::Duration::seconds(30));
    assert_eq!(domain.agents.sweep_stale(silence).await.expect("swept"), 0);
    domain.clock.advance(time::Duration::seconds(30));
    assert_eq!(domain.agents.sweep_stale(silence).await.expect("swept"), 1);
    let gone = domain.agents.get(&ada, agent.id).await.expect("found");
    assert_eq!(gone.status, AgentStatus::Offline);
    assert_eq!(gone.connected_at, second.connected_at);
    assert_eq!(domain.agents.sweep_stale(silence).await.expect("swept"), 0);
}
