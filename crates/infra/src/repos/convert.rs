//! Conversions between table rows and domain types. A stored value the
//! domain refuses (a corrupted row) is an unexpected error, never a panic.

use crate::entities::{refresh_tokens, sessions, users};
use anyhow::{Context, anyhow};
use domain::model::{
    AccessGrant, DisplayName, Email, RefreshRecord, Role, Session, SessionId, SessionState,
    Timestamp, TokenHash, User, UserId,
};
use sea_orm::ActiveValue::Set;

/// A stored microsecond count as a timestamp.
pub(super) fn timestamp(micros: i64) -> anyhow::Result<Timestamp> {
    Timestamp::from_unix_micros(micros).with_context(|| format!("timestamp {micros} out of range"))
}

/// A stored role.
pub(super) fn role(text: &str) -> anyhow::Result<Role> {
    text.parse()
        .map_err(|e| anyhow!("stored role {text:?} is invalid: {e}"))
}

/// A `users` row as a domain user.
pub(super) fn user(row: users::Model) -> anyhow::Result<User> {
    Ok(User {
        id: UserId(row.id),
        email: Email::parse(&row.email).map_err(|e| anyhow!("stored email is invalid: {e}"))?,
        display_name: DisplayName::parse(&row.display_name)
            .map_err(|e| anyhow!("stored display name is invalid: {e}"))?,
        role: role(&row.role)?,
        disabled: row.disabled,
        email_verified: row.email_verified,
        pending_email: row
            .pending_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| anyhow!("stored pending email is invalid: {e}"))?,
        created_at: timestamp(row.created_at)?,
    })
}

/// A new `users` row.
pub(super) fn new_user(user: &User, password_hash: Option<String>) -> users::ActiveModel {
    let created = user.created_at.unix_micros();
    users::ActiveModel {
        id: Set(user.id.0),
        email: Set(user.email.as_str().to_owned()),
        display_name: Set(user.display_name.as_str().to_owned()),
        password_hash: Set(password_hash),
        role: Set(user.role.as_str().to_owned()),
        disabled: Set(user.disabled),
        email_verified: Set(user.email_verified),
        pending_email: Set(user.pending_email.as_ref().map(|e| e.as_str().to_owned())),
        created_at: Set(created),
        updated_at: Set(created),
    }
}

/// A `sessions` row as the state the auth rules read.
pub(super) fn session_state(row: &sessions::Model) -> anyhow::Result<SessionState> {
    Ok(SessionState {
        id: SessionId(row.id),
        user_id: UserId(row.user_id),
        created_at: timestamp(row.created_at)?,
        revoked_at: row.revoked_at.map(timestamp).transpose()?,
        expires_at: timestamp(row.expires_at)?,
    })
}

/// A `sessions` row as its owner sees it (`current` left `false`).
pub(super) fn session(row: sessions::Model) -> anyhow::Result<Session> {
    Ok(Session {
        id: SessionId(row.id),
        created_at: timestamp(row.created_at)?,
        last_used_at: timestamp(row.last_used_at)?,
        user_agent: row.user_agent,
        ip: row.ip,
        current: false,
    })
}

/// A `refresh_tokens` row as a domain record.
pub(super) fn refresh_record(row: refresh_tokens::Model) -> anyhow::Result<RefreshRecord> {
    Ok(RefreshRecord {
        hash: TokenHash(row.token_hash),
        session_id: SessionId(row.session_id),
        issued_at: timestamp(row.issued_at)?,
        expires_at: timestamp(row.expires_at)?,
        spent_at: row.spent_at.map(timestamp).transpose()?,
        access: AccessGrant {
            jti: row.access_jti,
            role: role(&row.access_role)?,
            issued_at: timestamp(row.access_issued_at)?,
            expires_at: timestamp(row.access_expires_at)?,
        },
    })
}

/// A new `refresh_tokens` row.
pub(super) fn new_refresh(record: &RefreshRecord) -> refresh_tokens::ActiveModel {
    refresh_tokens::ActiveModel {
        token_hash: Set(record.hash.0.clone()),
        session_id: Set(record.session_id.0),
        issued_at: Set(record.issued_at.unix_micros()),
        expires_at: Set(record.expires_at.unix_micros()),
        spent_at: Set(record.spent_at.map(Timestamp::unix_micros)),
        access_jti: Set(record.access.jti),
        access_role: Set(record.access.role.as_str().to_owned()),
        access_issued_at: Set(record.access.issued_at.unix_micros()),
        access_expires_at: Set(record.access.expires_at.unix_micros()),
    }
}
