//! A replayable agent create keeps its token sealed in the database, and
//! the agents migration goes down and up.

use crate::support::{agent, base_time, on_both, store, user};
use domain::model::{AgentToken, SecretKey};
use domain::ports::{
    AgentRepository, ClaimOutcome, IdempotencyClaim, IdempotencyKey, NoNotifier, OwnedRepository,
    StoredResponse, SystemClock,
};
use domain::services::{IdempotencyService, Ports};
use domain::testing::{
    FakeHasher, FakeTokens, InMemoryAccounts, InMemoryCommands, InMemoryEvents, InMemoryIdentities,
    InMemoryItems, InMemoryMailer, InMemoryPendingLogins, InMemorySessions, InMemoryUsers,
    ManualClock, MemoryStore,
};
use infra::{Db, SeaAgents, SeaIdempotency, migrate};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::sync::Arc;

on_both!(
    secret_responses_are_sealed_at_rest,
    agents_migration_goes_down_and_up
);

fn service(db: &Db) -> IdempotencyService {
    let store = Arc::new(MemoryStore::default());
    let ports = Ports {
        users: Arc::new(InMemoryUsers::new(store.clone())),
        accounts: Arc::new(InMemoryAccounts::new(
            store.clone(),
            Arc::new(InMemoryMailer::default()),
        )),
        sessions: Arc::new(InMemorySessions::new(store.clone())),
        items: Arc::new(InMemoryItems::new(store.clone())),
        agents: Arc::new(SeaAgents::new(db.clone())),
        commands: Arc::new(InMemoryCommands::new(store.clone())),
        idempotency: Arc::new(SeaIdempotency::new(db.clone())),
        identities: Arc::new(InMemoryIdentities::new(store.clone())),
        pending_logins: Arc::new(InMemoryPendingLogins::new(store.clone())),
        events: Arc::new(InMemoryEvents::new(store)),
        notifier: Arc::new(NoNotifier),
        hasher: Arc::new(FakeHasher::default()),
        tokens: Arc::new(FakeTokens::new(Arc::new(ManualClock::default()))),
        clock: Arc::new(SystemClock),
    };
    let key = SecretKey::new(b"a secret key of at least 32 bytes!!").unwrap();
    IdempotencyService::new(ports, Arc::new(key))
}

async fn secret_responses_are_sealed_at_rest(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let service = service(&db);
    let claim = IdempotencyClaim {
        user: ada,
        operation: "POST /api/v1/agents",
        key: IdempotencyKey::parse("create-1").unwrap(),
        fingerprint: vec![1, 2, 3],
    };
    assert_eq!(service.claim(&claim).await.unwrap(), ClaimOutcome::Claimed);
    let token = AgentToken::generate();
    let body = json!({"id": "x", "token": token.as_str()})
        .to_string()
        .into_bytes();
    let response = StoredResponse {
        status: 201,
        headers: vec![("location".into(), "/api/v1/agents/x".into())],
        body,
        secret: true,
    };
    service.finish(&claim, &response).await.unwrap();

    let backend = db.connection().get_database_backend();
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT body, sealed FROM idempotency_keys",
        ))
        .await
        .unwrap()
        .unwrap();
    let stored: Vec<u8> = row.try_get("", "body").unwrap();
    let sealed: bool = row.try_get("", "sealed").unwrap();
    assert!(sealed);
    let needle = token.as_str().as_bytes();
    assert!(
        !stored.windows(needle.len()).any(|w| w == needle),
        "token stored in plain text"
    );
    assert!(!String::from_utf8_lossy(&stored).contains("\"token\""));

    assert_eq!(
        service.claim(&claim).await.unwrap(),
        ClaimOutcome::Replay(response)
    );
}

async fn agents_migration_goes_down_and_up(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db.clone());
    store(&agents, &agent(ada, "before", json!({}), base_time())).await;
    // Down past the agent commands, mail outbox, agent instance, event
    // watermark, event seqs, sequencer function and OAuth migrations to the
    // agents one.
    migrate::down(&db, 8).await.unwrap();
    let status = migrate::status(&db).await.unwrap();
    assert_eq!(
        status
            .iter()
            .filter(|m| !m.applied)
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>(),
        [
            "m20261126_000004_agents",
            "m20261126_000005_oauth",
            "m20261126_000006_sequence_function",
            "m20261126_000007_event_seqs",
            "m20261126_000008_event_watermark",
            "m20261207_000009_drop_agent_instance",
            "m20261207_000010_mail_outbox",
            "m20261207_000020_agent_commands",
        ]
    );
    let token = AgentToken::generate();
    assert!(
        agents
            .create(&agent(ada, "gone", json!({}), base_time()), &token.hash())
            .await
            .is_err()
    );
    migrate::up(&db, None).await.unwrap();
    let again = agent(ada, "again", json!({"k": 1}), base_time());
    store(&agents, &again).await;
    assert!(
        agents
            .find(again.id, domain::ports::Scope::All)
            .await
            .unwrap()
            .is_some()
    );
}
