//! [`IdentityRepository`] and [`PendingLoginStore`] on SeaORM. A new
//! OAuth account and its link are inserted in one transaction; a pending
//! login is consumed by one `DELETE … WHERE <every part matches> RETURNING`,
//! so of two callbacks with the same `state` exactly one gets it, and one
//! that matches in no part spends nothing.

use super::{begin_write, conflict_or_unexpected, convert, unexpected};
use crate::Db;
use crate::entities::{oauth_states, user_identities, users};
use anyhow::anyhow;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::{
    FlowSecret, LinkedIdentity, NewUser, PendingLogin, ProviderName, Timestamp, User, UserId,
};
use domain::ports::{IdentityRepository, PendingLoginClaim, PendingLoginStore};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

/// Linked provider accounts in `user_identities`.
#[derive(Debug, Clone)]
pub struct SeaIdentities {
    db: Db,
}

impl SeaIdentities {
    /// Identities stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn linked(row: user_identities::Model) -> anyhow::Result<LinkedIdentity> {
    Ok(LinkedIdentity {
        provider: ProviderName::parse(&row.provider)
            .map_err(|e| anyhow!("stored provider is invalid: {e}"))?,
        subject: row.subject,
        user_id: UserId(row.user_id),
        email: row.email,
        email_verified: row.email_verified,
        created_at: convert::timestamp(row.created_at)?,
    })
}

#[async_trait]
impl IdentityRepository for SeaIdentities {
    #[tracing::instrument(skip_all, fields(provider = %provider))]
    async fn find_user(
        &self,
        provider: &ProviderName,
        subject: &str,
    ) -> Result<Option<User>, RepoError> {
        use user_identities::Column as Link;
        let linked_user = Query::select()
            .column(Link::UserId)
            .from(user_identities::Entity)
            .and_where(Link::Provider.eq(provider.as_str()))
            .and_where(Link::Subject.eq(subject))
            .to_owned();
        let found = users::Entity::find()
            .filter(users::Column::Id.in_subquery(linked_user))
            .one(self.db.connection())
            .await
            .map_err(unexpected("loading the user of a linked identity"))?;
        Ok(found.map(convert::user).transpose()?)
    }

    #[tracing::instrument(skip_all, fields(provider = %identity.provider, user_id = %user.user.id))]
    async fn create_linked(
        &self,
        user: &NewUser,
        identity: &LinkedIdentity,
    ) -> Result<(), RepoError> {
        let context = "creating a user linked to a provider account";
        let hash = user.password_hash.as_ref().map(|h| h.0.clone());
        let link = user_identities::ActiveModel {
            provider: Set(identity.provider.as_str().to_owned()),
            subject: Set(identity.subject.clone()),
            user_id: Set(identity.user_id.0),
            email: Set(identity.email.clone()),
            email_verified: Set(identity.email_verified),
            created_at: Set(identity.created_at.unix_micros()),
        };
        let txn = begin_write(self.db.connection())
            .await
            .map_err(unexpected(context))?;
        users::Entity::insert(convert::new_user(&user.user, hash))
            .exec_without_returning(&txn)
            .await
            .map_err(conflict_or_unexpected(context))?;
        user_identities::Entity::insert(link)
            .exec_without_returning(&txn)
            .await
            .map_err(conflict_or_unexpected(context))?;
        txn.commit().await.map_err(unexpected(context))
    }

    #[tracing::instrument(skip_all, fields(user_id = %user))]
    async fn list(&self, user: UserId) -> Result<Vec<LinkedIdentity>, RepoError> {
        let rows = user_identities::Entity::find()
            .filter(user_identities::Column::UserId.eq(user.0))
            .order_by_asc(user_identities::Column::CreatedAt)
            .order_by_asc(user_identities::Column::Provider)
            .all(self.db.connection())
            .await
            .map_err(unexpected("listing linked identities"))?;
        Ok(rows
            .into_iter()
            .map(linked)
            .collect::<anyhow::Result<_>>()?)
    }
}

/// Pending authorization requests in `oauth_states`.
#[derive(Debug, Clone)]
pub struct SeaPendingLogins {
    db: Db,
}

impl SeaPendingLogins {
    /// Requests stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }
}

fn pending(row: oauth_states::Model) -> anyhow::Result<PendingLogin> {
    Ok(PendingLogin {
        state_hash: row.state_hash,
        provider: ProviderName::parse(&row.provider)
            .map_err(|e| anyhow!("stored provider is invalid: {e}"))?,
        binding_hash: row.binding_hash,
        pkce_verifier: FlowSecret::from_raw(&row.pkce_verifier),
        nonce: FlowSecret::from_raw(&row.nonce),
        redirect_uri: row.redirect_uri,
        created_at: convert::timestamp(row.created_at)?,
        expires_at: convert::timestamp(row.expires_at)?,
    })
}

#[async_trait]
impl PendingLoginStore for SeaPendingLogins {
    #[tracing::instrument(skip_all, fields(provider = %login.provider))]
    async fn save(&self, login: &PendingLogin) -> Result<(), RepoError> {
        let row = oauth_states::ActiveModel {
            state_hash: Set(login.state_hash.clone()),
            provider: Set(login.provider.as_str().to_owned()),
            binding_hash: Set(login.binding_hash.clone()),
            pkce_verifier: Set(login.pkce_verifier.as_str().to_owned()),
            nonce: Set(login.nonce.as_str().to_owned()),
            redirect_uri: Set(login.redirect_uri.clone()),
            created_at: Set(login.created_at.unix_micros()),
            expires_at: Set(login.expires_at.unix_micros()),
        };
        oauth_states::Entity::insert(row)
            .exec_without_returning(self.db.connection())
            .await
            .map_err(unexpected("storing an OAuth state"))?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn take(&self, claim: &PendingLoginClaim<'_>) -> Result<Option<PendingLogin>, RepoError> {
        use oauth_states::Column;
        let rows = oauth_states::Entity::delete_many()
            .filter(Column::StateHash.eq(claim.state_hash.to_vec()))
            .filter(Column::Provider.eq(claim.provider.as_str()))
            .filter(Column::BindingHash.eq(claim.binding_hash.to_vec()))
            .filter(Column::ExpiresAt.gt(claim.now.unix_micros()))
            .exec_with_returning(self.db.connection())
            .await
            .map_err(unexpected("consuming an OAuth state"))?;
        Ok(rows.into_iter().next().map(pending).transpose()?)
    }

    #[tracing::instrument(skip_all)]
    async fn prune(&self, now: Timestamp) -> Result<u64, RepoError> {
        let done = oauth_states::Entity::delete_many()
            .filter(oauth_states::Column::ExpiresAt.lte(now.unix_micros()))
            .exec(self.db.connection())
            .await
            .map_err(unexpected("pruning OAuth states"))?;
        Ok(done.rows_affected)
    }
}
