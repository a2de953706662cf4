//! In-memory [`IdentityRepository`] and [`PendingLoginStore`].

use super::lock;
use super::store::{MemoryStore, UserRow};
use crate::RepoError;
use crate::model::{LinkedIdentity, NewUser, PendingLogin, ProviderName, Timestamp, User, UserId};
use crate::ports::{IdentityRepository, PendingLoginClaim, PendingLoginStore};
use async_trait::async_trait;
use std::sync::Arc;

/// Linked provider accounts in a map beside the users.
#[derive(Debug, Clone)]
pub struct InMemoryIdentities(Arc<MemoryStore>);

impl InMemoryIdentities {
    /// Identities kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

#[async_trait]
impl IdentityRepository for InMemoryIdentities {
    async fn find_user(
        &self,
        provider: &ProviderName,
        subject: &str,
    ) -> Result<Option<User>, RepoError> {
        let users = lock(&self.0.users);
        let identities = lock(&self.0.identities);
        Ok(identities
            .get(&(provider.as_str().to_owned(), subject.to_owned()))
            .and_then(|link| users.get(&link.user_id.0))
            .map(|row| row.user.clone()))
    }

    async fn create_linked(
        &self,
        user: &NewUser,
        identity: &LinkedIdentity,
    ) -> Result<(), RepoError> {
        let mut users = lock(&self.0.users);
        let mut identities = lock(&self.0.identities);
        let key = (
            identity.provider.as_str().to_owned(),
            identity.subject.clone(),
        );
        let email_taken = users.values().any(|row| row.user.email == user.user.email);
        if email_taken || identities.contains_key(&key) {
            return Err(RepoError::Conflict);
        }
        users.insert(
            user.user.id.0,
            UserRow {
                user: user.user.clone(),
                password_hash: user.password_hash.clone(),
            },
        );
        identities.insert(key, identity.clone());
        Ok(())
    }

    async fn list(&self, user: UserId) -> Result<Vec<LinkedIdentity>, RepoError> {
        let mut linked: Vec<_> = lock(&self.0.identities)
            .values()
            .filter(|link| link.user_id == user)
            .cloned()
            .collect();
        linked.sort_by_key(|link| link.created_at);
        Ok(linked)
    }
}

/// Pending authorization requests in a map.
#[derive(Debug, Clone)]
pub struct InMemoryPendingLogins(Arc<MemoryStore>);

impl InMemoryPendingLogins {
    /// Requests kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

#[async_trait]
impl PendingLoginStore for InMemoryPendingLogins {
    async fn save(&self, login: &PendingLogin) -> Result<(), RepoError> {
        lock(&self.0.pending_logins).insert(login.state_hash.clone(), login.clone());
        Ok(())
    }

    async fn take(&self, claim: &PendingLoginClaim<'_>) -> Result<Option<PendingLogin>, RepoError> {
        let mut logins = lock(&self.0.pending_logins);
        let matches = logins.get(claim.state_hash).is_some_and(|login| {
            &login.provider == claim.provider
                && login.binding_hash == claim.binding_hash
                && login.expires_at > claim.now
        });
        Ok(if matches {
            logins.remove(claim.state_hash)
        } else {
            None
        })
    }

    async fn prune(&self, now: Timestamp) -> Result<u64, RepoError> {
        let mut logins = lock(&self.0.pending_logins);
        let count = logins.len();
        logins.retain(|_, login| login.expires_at > now);
        Ok(u64::try_from(count - logins.len()).unwrap_or(u64::MAX))
    }
}
