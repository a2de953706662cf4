//! Builders for users and agents, and the macro that runs a body on both
//! databases.

use domain::model::{
    Agent, AgentChange, AgentId, AgentName, AgentStatus, AgentToken, Attributes, AttributesChange,
    DisplayName, Email, NewUser, PasswordHash, Role, Timestamp, User, UserId,
};
use domain::ports::{AgentRepository, UserRepository};
use infra::{Db, SeaAgents, SeaUsers};
use serde_json::Value;

/// Runs `async fn $name(db: Db)` as two tests, `$name::sqlite` and
/// `$name::postgres`; the PostgreSQL one is skipped with a note when
/// `TEST_DATABASE_URL` is unset (and fails when `REQUIRE_SERVICES=1`).
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use infra::testing::TestDatabase;

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let test_db = TestDatabase::sqlite().await;
                super::$name(test_db.db().clone()).await;
                test_db.drop_database().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                let Some(test_db) = TestDatabase::postgres().await else {
                    eprintln!("skipped: TEST_DATABASE_URL is not set");
                    return;
                };
                super::$name(test_db.db().clone()).await;
                test_db.drop_database().await;
            }
        }
    )*};
}
pub(crate) use on_both;

/// A fixed instant to build rows around, in whole microseconds.
pub fn base_time() -> Timestamp {
    Timestamp::from_unix_micros(1_790_000_000_123_456).unwrap()
}

/// `base_time()` plus `micros` microseconds.
pub fn at(micros: i64) -> Timestamp {
    Timestamp::from_unix_micros(base_time().unix_micros() + micros).unwrap()
}

/// A stored user (agents need an owner).
pub async fn user(db: &Db, email: &str) -> UserId {
    let user = User {
        id: UserId::new(),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        role: Role::User,
        disabled: false,
        created_at: base_time(),
    };
    let id = user.id;
    let new = NewUser {
        user,
        password_hash: Some(PasswordHash("hash".into())),
    };
    SeaUsers::new(db.clone()).create(&new).await.unwrap();
    id
}

/// An unsaved agent of `owner`, created and updated at `when`.
pub fn agent(owner: UserId, name: &str, metadata: Value, when: Timestamp) -> Agent {
    Agent {
        id: AgentId::new(),
        owner_id: owner,
        name: AgentName::parse(name).unwrap(),
        description: None,
        status: AgentStatus::Offline,
        capabilities: Attributes::parse(serde_json::json!({"probe": true}), "capabilities")
            .unwrap(),
        metadata: Attributes::parse(metadata, "metadata").unwrap(),
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
        metadata: AttributesChange::Merge(patch),
        ..AgentChange::default()
    }
}
