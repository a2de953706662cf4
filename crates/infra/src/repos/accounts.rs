//! [`AccountStore`] on SeaORM: tokens, the outbox rows of their mail and
//! the user changes that go with them, each set in one transaction.

use super::sql::Sql;
use super::{begin_write, conflict_or_unexpected, convert, outbox, unexpected};
use crate::Db;
use crate::entities::{account_tokens, users};
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{
    Email, Mail, NewAccountToken, NewUser, RedeemedToken, Timestamp, TokenHash, TokenPurpose,
    UserId,
};
use domain::ports::AccountStore;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
};

/// Account tokens in `account_tokens`, their mail in `mail_outbox`.
#[derive(Debug, Clone)]
pub struct SeaAccounts {
    db: Db,
}

impl SeaAccounts {
    /// Tokens stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Inserts `token` and queues `mail` inside `txn`.
async fn insert_token_and_mail(
    txn: &DatabaseTransaction,
    token: &NewAccountToken,
    mail: &[Mail],
    context: &'static str,
) -> Result<(), RepoError> {
    let created = token.created_at;
    let row = account_tokens::ActiveModel {
        hash: Set(token.hash.0.clone()),
        user_id: Set(token.user_id.0),
        purpose: Set(token.purpose.as_str().to_owned()),
        new_email: Set(token.new_email.as_ref().map(|e| e.as_str().to_owned())),
        created_at: Set(created.unix_micros()),
        expires_at: Set((created + token.purpose.lifetime()).unix_micros()),
        used_at: Set(None),
    };
    account_tokens::Entity::insert(row)
        .exec_without_returning(txn)
        .await
        .map_err(unexpected(context))?;
    outbox::queue(txn, mail, created, context).await
}

#[async_trait]
impl AccountStore for SeaAccounts {
    #[tracing::instrument(name = "accounts.register", skip_all, fields(user_id = %user.user.id))]
    async fn register(
        &self,
        user: &NewUser,
        token: &NewAccountToken,
        mail: &[Mail],
    ) -> Result<(), RepoError> {
        let context = "registering a user";
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let hash = user.password_hash.as_ref().map(|h| h.0.clone());
        users::Entity::insert(convert::new_user(&user.user, hash))
            .exec_without_returning(&txn)
            .await
            .map_err(conflict_or_unexpected(context))?;
        insert_token_and_mail(&txn, token, mail, context).await?;
        txn.commit().await.map_err(unexpected(context))
    }

    #[tracing::instrument(name = "accounts.issue", skip_all, fields(user_id = %token.user_id))]
    async fn issue(
        &self,
        token: &NewAccountToken,
        mail: &[Mail],
        throttle_since: Option<Timestamp>,
    ) -> Result<bool, RepoError> {
        use account_tokens::Column as T;
        let context = "issuing an account token";
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        // Touching the user's row first serializes concurrent issues for
        // one user on PostgreSQL (SQLite's write transaction already is),
        // so the throttle below can't be raced.
        users::Entity::update_many()
            .col_expr(users::Column::Id, Expr::col(users::Column::Id))
            .filter(users::Column::Id.eq(token.user_id.0))
            .exec(&txn)
            .await
            .map_err(unexpected(context))?;
        if let Some(since) = throttle_since {
            let recent = account_tokens::Entity::find()
                .filter(T::UserId.eq(token.user_id.0))
                .filter(T::Purpose.eq(token.purpose.as_str()))
                .filter(T::CreatedAt.gt(since.unix_micros()))
                .count(&txn)
                .await
                .map_err(unexpected(context))?;
            if recent > 0 {
                return Ok(false);
            }
        }
        if let Some(new) = &token.new_email {
            users::Entity::update_many()
                .col_expr(users::Column::PendingEmail, Expr::val(new.as_str()))
                .filter(users::Column::Id.eq(token.user_id.0))
                .exec(&txn)
                .await
                .map_err(unexpected(context))?;
        }
        insert_token_and_mail(&txn, token, mail, context).await?;
        txn.commit().await.map_err(unexpected(context))?;
        Ok(true)
    }

    #[tracing::instrument(name = "accounts.redeem", skip_all)]
    async fn redeem(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<RedeemedToken>, RepoError> {
        let context = "spending an account token";
        let conn = self.db.connection();
        let mut sql = Sql::new(conn.get_database_backend());
        sql.push("UPDATE account_tokens SET used_at = ")
            .bind(now.unix_micros())
            .push(" WHERE hash = ")
            .bind(hash.0.clone())
            .push(" AND purpose = ")
            .bind(purpose.as_str())
            .push(" AND used_at IS NULL AND expires_at > ")
            .bind(now.unix_micros())
            .push(" RETURNING user_id, new_email");
        let row = conn
            .query_one_raw(sql.build())
            .await
            .map_err(unexpected(context))?;
        let Some(row) = row else { return Ok(None) };
        let user_id: uuid::Uuid = row.try_get("", "user_id").map_err(unexpected(context))?;
        let new_email: Option<String> =
            row.try_get("", "new_email").map_err(unexpected(context))?;
        let new_email = new_email
            .as_deref()
            .map(Email::parse)
            .transpose()
            .map_err(|e| anyhow::anyhow!("stored new email is invalid: {e}"))?;
        Ok(Some(RedeemedToken {
            user_id: UserId(user_id),
            new_email,
        }))
    }
}
