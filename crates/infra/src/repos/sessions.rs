//! [`SessionRepository`] on SeaORM.

use super::{begin_write, convert, queries, unexpected};
use crate::Db;
use crate::entities::{refresh_tokens, sessions};
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{
    ClientInfo, Principal, RefreshRecord, RefreshState, Session, SessionId, SessionState,
    Timestamp, TokenHash, UserId,
};
use domain::ports::SessionRepository;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

/// Sessions in `sessions`, their refresh tokens in `refresh_tokens`.
#[derive(Debug, Clone)]
pub struct SeaSessions {
    db: Db,
}

impl SeaSessions {
    /// Sessions stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Sessions of `user` live at `now`.
fn live_of(user: UserId, now: Timestamp) -> Condition {
    Condition::all()
        .add(sessions::Column::UserId.eq(user.0))
        .add(sessions::Column::RevokedAt.is_null())
        .add(sessions::Column::ExpiresAt.gt(now.unix_micros()))
}

#[async_trait]
impl SessionRepository for SeaSessions {
    #[tracing::instrument(name = "sessions.create", skip_all, fields(session_id = %session.id))]
    async fn create(
        &self,
        session: &SessionState,
        client: &ClientInfo,
        first: &RefreshRecord,
    ) -> Result<(), RepoError> {
        let context = "starting a session";
        let row = sessions::ActiveModel {
            id: Set(session.id.0),
            user_id: Set(session.user_id.0),
            created_at: Set(session.created_at.unix_micros()),
            last_used_at: Set(session.created_at.unix_micros()),
            expires_at: Set(session.expires_at.unix_micros()),
            revoked_at: Set(session.revoked_at.map(Timestamp::unix_micros)),
            user_agent: Set(client.user_agent.clone()),
            ip: Set(client.ip.clone()),
        };
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        sessions::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected(context))?;
        refresh_tokens::Entity::insert(convert::new_refresh(first))
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))
    }

    #[tracing::instrument(name = "sessions.find_refresh", skip_all)]
    async fn find_refresh(&self, hash: &TokenHash) -> Result<Option<RefreshState>, RepoError> {
        queries::find_refresh(self.db.connection(), hash).await
    }

    #[tracing::instrument(name = "sessions.rotate", skip_all, fields(session_id = %next.session_id))]
    async fn rotate(&self, spent: &TokenHash, next: &RefreshRecord) -> Result<bool, RepoError> {
        use refresh_tokens::Column as Rt;
        use sessions::Column as S;
        let context = "rotating a refresh token";
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let marked = refresh_tokens::Entity::update_many()
            .col_expr(Rt::SpentAt, Expr::val(next.issued_at.unix_micros()))
            .filter(Rt::TokenHash.eq(spent.0.clone()))
            .filter(Rt::SpentAt.is_null())
            .exec(&txn)
            .await
            .map_err(unexpected(context))?;
        if marked.rows_affected != 1 {
            // Already spent (a concurrent rotation won) or unknown.
            txn.rollback().await.map_err(unexpected(context))?;
            return Ok(false);
        }
        refresh_tokens::Entity::insert(convert::new_refresh(next))
            .exec_without_returning(&txn)
            .await
            .map_err(unexpected(context))?;
        sessions::Entity::update_many()
            .col_expr(S::ExpiresAt, Expr::val(next.expires_at.unix_micros()))
            .col_expr(S::LastUsedAt, Expr::val(next.issued_at.unix_micros()))
            .filter(S::Id.eq(next.session_id.0))
            .exec(&txn)
            .await
            .map_err(unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))?;
        Ok(true)
    }

    #[tracing::instrument(name = "sessions.principal", skip_all, fields(session_id = %session))]
    async fn principal(
        &self,
        session: SessionId,
        now: Timestamp,
    ) -> Result<Option<Principal>, RepoError> {
        queries::principal(self.db.connection(), session, now).await
    }

    #[tracing::instrument(name = "sessions.find", skip_all, fields(session_id = %id))]
    async fn find(&self, user: UserId, id: SessionId) -> Result<Option<SessionState>, RepoError> {
        let row = sessions::Entity::find_by_id(id.0)
            .filter(sessions::Column::UserId.eq(user.0))
            .one(self.db.connection())
            .await
            .map_err(unexpected("loading a session"))?;
        Ok(row.as_ref().map(convert::session_state).transpose()?)
    }

    #[tracing::instrument(name = "sessions.list_live", skip_all, fields(user_id = %user))]
    async fn list_live(&self, user: UserId, now: Timestamp) -> Result<Vec<Session>, RepoError> {
        let rows = sessions::Entity::find()
            .filter(live_of(user, now))
            .order_by_desc(sessions::Column::CreatedAt)
            .order_by_desc(sessions::Column::Id)
            .all(self.db.connection())
            .await
            .map_err(unexpected("listing live sessions"))?;
        Ok(rows
            .into_iter()
            .map(convert::session)
            .collect::<anyhow::Result<_>>()?)
    }

    #[tracing::instrument(name = "sessions.revoke", skip_all, fields(session_id = %id))]
    async fn revoke(&self, user: UserId, id: SessionId, now: Timestamp) -> Result<bool, RepoError> {
        let revoked = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::val(now.unix_micros()))
            .filter(live_of(user, now))
            .filter(sessions::Column::Id.eq(id.0))
            .exec(self.db.connection())
            .await
            .map_err(unexpected("revoking a session"))?;
        Ok(revoked.rows_affected > 0)
    }

    #[tracing::instrument(name = "sessions.revoke_all", skip_all, fields(user_id = %user))]
    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: Timestamp,
    ) -> Result<u64, RepoError> {
        let mut change = sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::val(now.unix_micros()))
            .filter(live_of(user, now));
        if let Some(keep) = keep {
            change = change.filter(sessions::Column::Id.ne(keep.0));
        }
        let revoked = change
            .exec(self.db.connection())
            .await
            .map_err(unexpected("revoking sessions"))?;
        Ok(revoked.rows_affected)
    }

    #[tracing::instrument(name = "sessions.prune", skip_all)]
    async fn prune(&self, before: Timestamp) -> Result<u64, RepoError> {
        // Their refresh tokens go with them (ON DELETE CASCADE).
        let before = before.unix_micros();
        let pruned = sessions::Entity::delete_many()
            .filter(
                Condition::any()
                    .add(sessions::Column::ExpiresAt.lt(before))
                    .add(sessions::Column::RevokedAt.lt(before)),
            )
            .exec(self.db.connection())
            .await
            .map_err(unexpected("pruning sessions"))?;
        Ok(pruned.rows_affected)
    }
}
