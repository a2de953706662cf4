//! The two session reads that join tables, each one indexed query.

use super::{convert, unexpected};
use crate::entities::{refresh_tokens as rt, sessions as s, users as u};
use domain::RepoError;
use domain::model::{
    Principal, RefreshState, SessionId, SessionState, Timestamp, TokenHash, UserId,
};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{DatabaseConnection, FromQueryResult, Iterable};
use uuid::Uuid;

/// A refresh token with its session's state and its user's.
#[derive(Debug, FromQueryResult)]
struct RefreshRow {
    #[sea_orm(nested)]
    token: rt::Model,
    user_id: Uuid,
    session_created_at: i64,
    session_revoked_at: Option<i64>,
    session_expires_at: i64,
    user_disabled: bool,
    user_role: String,
}

/// The caller behind a session.
#[derive(Debug, FromQueryResult)]
struct PrincipalRow {
    user_id: Uuid,
    role: String,
}

/// The refresh token with `hash`, joined to its session and user by
/// primary key.
pub(super) async fn find_refresh(
    db: &DatabaseConnection,
    hash: &TokenHash,
) -> Result<Option<RefreshState>, RepoError> {
    let context = "loading a refresh token";
    let stmt = Query::select()
        .columns(rt::Column::iter().map(|c| (rt::Entity, c)))
        .expr_as(Expr::col((s::Entity, s::Column::UserId)), "user_id")
        .expr_as(
            Expr::col((s::Entity, s::Column::CreatedAt)),
            "session_created_at",
        )
        .expr_as(
            Expr::col((s::Entity, s::Column::RevokedAt)),
            "session_revoked_at",
        )
        .expr_as(
            Expr::col((s::Entity, s::Column::ExpiresAt)),
            "session_expires_at",
        )
        .expr_as(Expr::col((u::Entity, u::Column::Disabled)), "user_disabled")
        .expr_as(Expr::col((u::Entity, u::Column::Role)), "user_role")
        .from(rt::Entity)
        .inner_join(
            s::Entity,
            Expr::col((s::Entity, s::Column::Id)).equals((rt::Entity, rt::Column::SessionId)),
        )
        .inner_join(
            u::Entity,
            Expr::col((u::Entity, u::Column::Id)).equals((s::Entity, s::Column::UserId)),
        )
        .and_where(Expr::col((rt::Entity, rt::Column::TokenHash)).eq(hash.0.clone()))
        .to_owned();
    let row = RefreshRow::find_by_statement(db.get_database_backend().build(&stmt))
        .one(db)
        .await
        .map_err(unexpected(context))?;
    let Some(row) = row else { return Ok(None) };
    let session = SessionState {
        id: SessionId(row.token.session_id),
        user_id: UserId(row.user_id),
        created_at: convert::timestamp(row.session_created_at)?,
        revoked_at: row.session_revoked_at.map(convert::timestamp).transpose()?,
        expires_at: convert::timestamp(row.session_expires_at)?,
    };
    Ok(Some(RefreshState {
        record: convert::refresh_record(row.token)?,
        session,
        user_disabled: row.user_disabled,
        role: convert::role(&row.user_role)?,
    }))
}

/// The user and current role behind `session` if it is live at `now` and
/// its user enabled: one lookup by primary key on each table.
pub(super) async fn principal(
    db: &DatabaseConnection,
    session: SessionId,
    now: Timestamp,
) -> Result<Option<Principal>, RepoError> {
    let stmt = Query::select()
        .expr_as(Expr::col((s::Entity, s::Column::UserId)), "user_id")
        .expr_as(Expr::col((u::Entity, u::Column::Role)), "role")
        .from(s::Entity)
        .inner_join(
            u::Entity,
            Expr::col((u::Entity, u::Column::Id)).equals((s::Entity, s::Column::UserId)),
        )
        .and_where(Expr::col((s::Entity, s::Column::Id)).eq(session.0))
        .and_where(Expr::col((s::Entity, s::Column::RevokedAt)).is_null())
        .and_where(Expr::col((s::Entity, s::Column::ExpiresAt)).gt(now.unix_micros()))
        .and_where(Expr::col((u::Entity, u::Column::Disabled)).eq(false))
        .to_owned();
    let row = PrincipalRow::find_by_statement(db.get_database_backend().build(&stmt))
        .one(db)
        .await
        .map_err(unexpected("authenticating a session"))?;
    row.map(|row| {
        Ok(Principal {
            user_id: UserId(row.user_id),
            session_id: session,
            role: convert::role(&row.role)?,
        })
    })
    .transpose()
}
