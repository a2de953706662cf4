//! Builders for users and items, and the macro that runs a body on both
//! databases.

use domain::model::{
    Attributes, AttributesChange, Description, DisplayName, Email, Item, ItemChange, ItemId,
    ItemName, NewUser, PasswordHash, Role, Timestamp, User, UserId,
};
use domain::ports::UserRepository;
use infra::{Db, SeaUsers};
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

/// A stored user (items and idempotency records need an owner).
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

/// An unsaved item of `owner` named `name`, created and updated at `when`.
pub fn item(owner: UserId, name: &str, attributes: Value, when: Timestamp) -> Item {
    Item {
        id: ItemId::new(),
        owner_id: owner,
        name: ItemName::parse(name).unwrap(),
        description: Some(Description::parse("a description").unwrap()),
        attributes: Attributes::parse(attributes, "attributes").unwrap(),
        version: 1,
        created_at: when,
        updated_at: when,
    }
}

/// A change that merges `patch` into the attributes.
pub fn merge(patch: Value) -> ItemChange {
    let Value::Object(patch) = patch else {
        panic!("a patch is an object")
    };
    ItemChange {
        attributes: AttributesChange::Merge(patch),
        ..ItemChange::default()
    }
}
