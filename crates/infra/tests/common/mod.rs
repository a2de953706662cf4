//! What every infra test crate shares: the macro that runs a body on both
//! databases, a fixed time base, and a stored owner. Included by each
//! crate's `main.rs` with `#[path = "../common/mod.rs"]` (a folder, so
//! cargo does not take it for a test crate of its own).

use domain::model::{DisplayName, Email, NewUser, PasswordHash, Role, Timestamp, User, UserId};
use domain::ports::UserRepository;
use infra::{Db, SeaUsers};

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

/// A stored user, to own the rows under test.
pub async fn user(db: &Db, email: &str) -> UserId {
    let user = User {
        id: UserId::new(),
        email: Email::parse(email).unwrap(),
        display_name: DisplayName::parse("").unwrap(),
        role: Role::User,
        disabled: false,
        email_verified: false,
        pending_email: None,
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
