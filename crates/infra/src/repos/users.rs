//! [`UserRepository`] on SeaORM.

use super::{begin_write, conflict_or_unexpected, convert, unexpected};
use crate::Db;
use crate::entities::users::{self, Column};
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{CursorValue, Email, NewUser, PasswordHash, Timestamp, User, UserId};
use domain::ports::{UserQuery, UserRepository, UserUpdate};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};

/// Users in the `users` table.
#[derive(Debug, Clone)]
pub struct SeaUsers {
    db: Db,
}

impl SeaUsers {
    /// Users stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

/// Escapes `%`, `_` and `\` so that `text` matches literally inside a
/// `LIKE … ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// `lower(column) LIKE '%text%' ESCAPE '\'`.
fn contains(column: Column, text: &str) -> Expr {
    let pattern = LikeExpr::new(format!("%{}%", escape_like(text))).escape('\\');
    Expr::expr(Func::lower(Expr::col(column))).like(pattern)
}

#[async_trait]
impl UserRepository for SeaUsers {
    #[tracing::instrument(name = "users.create", skip_all, fields(user_id = %new.user.id))]
    async fn create(&self, new: &NewUser) -> Result<(), RepoError> {
        let hash = new.password_hash.as_ref().map(|h| h.0.clone());
        users::Entity::insert(convert::new_user(&new.user, hash))
            .exec_without_returning(self.db.connection())
            .await
            .map_err(conflict_or_unexpected("inserting a user"))?;
        Ok(())
    }

    #[tracing::instrument(name = "users.find", skip_all, fields(user_id = %id))]
    async fn find(&self, id: UserId) -> Result<Option<User>, RepoError> {
        let row = users::Entity::find_by_id(id.0)
            .one(self.db.connection())
            .await
            .map_err(unexpected("loading a user"))?;
        Ok(row.map(convert::user).transpose()?)
    }

    #[tracing::instrument(name = "users.find_with_password", skip_all)]
    async fn find_with_password(
        &self,
        email: &Email,
    ) -> Result<Option<(User, Option<PasswordHash>)>, RepoError> {
        let row = users::Entity::find()
            .filter(Column::Email.eq(email.as_str()))
            .one(self.db.connection())
            .await
            .map_err(unexpected("loading a user by email"))?;
        let Some(row) = row else { return Ok(None) };
        let hash = row.password_hash.clone().map(PasswordHash);
        Ok(Some((convert::user(row)?, hash)))
    }

    #[tracing::instrument(name = "users.password_hash", skip_all, fields(user_id = %id))]
    async fn password_hash(&self, id: UserId) -> Result<Option<Option<PasswordHash>>, RepoError> {
        let hash: Option<Option<String>> = users::Entity::find_by_id(id.0)
            .select_only()
            .column(Column::PasswordHash)
            .into_tuple()
            .one(self.db.connection())
            .await
            .map_err(unexpected("loading a password hash"))?;
        Ok(hash.map(|hash| hash.map(PasswordHash)))
    }

    #[tracing::instrument(name = "users.update", skip_all, fields(user_id = %id))]
    async fn update(
        &self,
        id: UserId,
        update: &UserUpdate,
        now: Timestamp,
    ) -> Result<Option<User>, RepoError> {
        let context = "updating a user";
        let mut change =
            users::Entity::update_many().col_expr(Column::UpdatedAt, Expr::val(now.unix_micros()));
        if let Some(name) = &update.display_name {
            change = change.col_expr(Column::DisplayName, Expr::val(name.as_str()));
        }
        if let Some(hash) = &update.password_hash {
            change = change.col_expr(Column::PasswordHash, Expr::val(hash.0.as_str()));
        }
        if let Some(role) = update.role {
            change = change.col_expr(Column::Role, Expr::val(role.as_str()));
        }
        if let Some(disabled) = update.disabled {
            change = change.col_expr(Column::Disabled, Expr::val(disabled));
        }
        if let Some(email) = &update.email {
            change = change.col_expr(Column::Email, Expr::val(email.as_str()));
        }
        if let Some(verified) = update.email_verified {
            change = change.col_expr(Column::EmailVerified, Expr::val(verified));
        }
        if let Some(pending) = &update.pending_email {
            let pending = pending.as_ref().map(|e| e.as_str().to_owned());
            change = change.col_expr(Column::PendingEmail, Expr::val(pending));
        }
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        let changed = change
            .filter(Column::Id.eq(id.0))
            .exec(&txn)
            .await
            .map_err(conflict_or_unexpected(context))?;
        let row = if changed.rows_affected == 0 {
            None
        } else {
            users::Entity::find_by_id(id.0)
                .one(&txn)
                .await
                .map_err(unexpected(context))?
        };
        txn.commit().await.map_err(unexpected(context))?;
        Ok(row.map(convert::user).transpose()?)
    }

    #[tracing::instrument(name = "users.delete", skip_all, fields(user_id = %id))]
    async fn delete(&self, id: UserId) -> Result<bool, RepoError> {
        // Sessions and their refresh tokens go with it (ON DELETE CASCADE).
        let deleted = users::Entity::delete_by_id(id.0)
            .exec(self.db.connection())
            .await
            .map_err(unexpected("deleting a user"))?;
        Ok(deleted.rows_affected > 0)
    }

    #[tracing::instrument(name = "users.list", skip_all)]
    async fn list(&self, query: &UserQuery) -> Result<Vec<User>, RepoError> {
        let mut select = users::Entity::find();
        if let Some(q) = &query.q {
            select = select.filter(
                Condition::any()
                    .add(contains(Column::Email, q.as_str()))
                    .add(contains(Column::DisplayName, q.as_str())),
            );
        }
        let descending = query.sort.descending;
        if let Some(after) = &query.after {
            let CursorValue::Micros(at) = after.value else {
                // A text cursor can't come from a created_at order.
                return Ok(Vec::new());
            };
            let key = Expr::tuple([Expr::col(Column::CreatedAt), Expr::col(Column::Id)]);
            let cursor = Expr::tuple([Expr::val(at), Expr::val(after.id)]);
            select = select.filter(if descending {
                key.lt(cursor)
            } else {
                key.gt(cursor)
            });
        }
        let order = if descending { Order::Desc } else { Order::Asc };
        let rows = select
            .order_by(Column::CreatedAt, order.clone())
            .order_by(Column::Id, order)
            .limit(query.limit.get() + 1)
            .all(self.db.connection())
            .await
            .map_err(unexpected("listing users"))?;
        Ok(rows
            .into_iter()
            .map(convert::user)
            .collect::<anyhow::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::escape_like;

    #[test]
    fn like_wildcards_and_the_escape_are_escaped() {
        assert_eq!(escape_like(r"50%_a\b"), r"50\%\_a\\b");
        assert_eq!(escape_like("plain"), "plain");
    }
}
