//! Builders for rows and the macro that runs a body on both databases.

use domain::model::{
    AccessGrant, ClientInfo, DisplayName, Email, NewUser, PasswordHash, RefreshRecord,
    RefreshToken, Role, SessionId, SessionState, Timestamp, User, UserId,
};
use time::Duration;
use uuid::Uuid;

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

/// An enabled user with `email`, created at `created_at`.
pub fn new_user(email: &str, created_at: Timestamp) -> NewUser {
    new_user_named(email, "", created_at)
}

/// An enabled user with `email` and `name`, created at `created_at`.
pub fn new_user_named(email: &str, name: &str, created_at: Timestamp) -> NewUser {
    NewUser {
        user: User {
            id: UserId::new(),
            email: Email::parse(email).unwrap(),
            display_name: DisplayName::parse(name).unwrap(),
            role: Role::User,
            disabled: false,
            created_at,
        },
        password_hash: Some(PasswordHash(format!("hash-of-{email}"))),
    }
}

/// A refresh record of `session` issued at `at`, valid for a day.
pub fn refresh(session: SessionId, at: Timestamp) -> RefreshRecord {
    RefreshRecord {
        hash: RefreshToken::generate().hash(),
        session_id: session,
        issued_at: at,
        expires_at: at + Duration::DAY,
        spent_at: None,
        access: AccessGrant {
            jti: Uuid::new_v4(),
            role: Role::User,
            issued_at: at,
            expires_at: at + Duration::minutes(15),
        },
    }
}

/// A session of `user` started at `at`, valid for a day, with its first
/// refresh token.
pub fn session(user: UserId, at: Timestamp) -> (SessionState, RefreshRecord) {
    let state = SessionState {
        id: SessionId::new(),
        user_id: user,
        created_at: at,
        revoked_at: None,
        expires_at: at + Duration::DAY,
    };
    let first = refresh(state.id, at);
    (state, first)
}

/// The client info stored with test sessions.
pub fn client() -> ClientInfo {
    ClientInfo::new(Some("test-agent/1.0"), Some("192.0.2.1".into()))
}
