//! Builders for rows, and what every infra test crate shares
//! (`crate::common`), re-exported.

use domain::model::{
    AccessGrant, ClientInfo, DisplayName, Email, NewUser, PasswordHash, RefreshRecord,
    RefreshToken, Role, SessionId, SessionState, Timestamp, User, UserId,
};
use time::Duration;
use uuid::Uuid;

pub use crate::common::base_time;
pub(crate) use crate::common::on_both;

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
            email_verified: false,
            pending_email: None,
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
