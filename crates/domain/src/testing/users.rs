//! In-memory [`UserRepository`].

use super::lock;
use super::store::{MemoryStore, UserRow};
use crate::RepoError;
use crate::model::{Email, NewUser, PasswordHash, Timestamp, User, UserId};
use crate::ports::{UserQuery, UserRepository, UserUpdate};
use async_trait::async_trait;
use std::sync::Arc;

/// Users in a map; deleting one deletes their sessions.
#[derive(Debug, Clone)]
pub struct InMemoryUsers(pub(super) Arc<MemoryStore>);

impl InMemoryUsers {
    /// Users kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

#[async_trait]
impl UserRepository for InMemoryUsers {
    async fn create(&self, new: &NewUser) -> Result<(), RepoError> {
        let mut users = lock(&self.0.users);
        if users.values().any(|row| row.user.email == new.user.email) {
            return Err(RepoError::Conflict);
        }
        users.insert(
            new.user.id.0,
            UserRow {
                user: new.user.clone(),
                password_hash: new.password_hash.clone(),
            },
        );
        Ok(())
    }

    async fn find(&self, id: UserId) -> Result<Option<User>, RepoError> {
        Ok(lock(&self.0.users).get(&id.0).map(|row| row.user.clone()))
    }

    async fn find_with_password(
        &self,
        email: &Email,
    ) -> Result<Option<(User, Option<PasswordHash>)>, RepoError> {
        Ok(lock(&self.0.users)
            .values()
            .find(|row| &row.user.email == email)
            .map(|row| (row.user.clone(), row.password_hash.clone())))
    }

    async fn password_hash(&self, id: UserId) -> Result<Option<Option<PasswordHash>>, RepoError> {
        Ok(lock(&self.0.users)
            .get(&id.0)
            .map(|row| row.password_hash.clone()))
    }

    async fn update(
        &self,
        id: UserId,
        update: &UserUpdate,
        _now: Timestamp,
    ) -> Result<Option<User>, RepoError> {
        let mut users = lock(&self.0.users);
        if let Some(email) = &update.email
            && users
                .values()
                .any(|row| &row.user.email == email && row.user.id != id)
        {
            return Err(RepoError::Conflict);
        }
        let Some(row) = users.get_mut(&id.0) else {
            return Ok(None);
        };
        if let Some(email) = &update.email {
            row.user.email = email.clone();
        }
        if let Some(verified) = update.email_verified {
            row.user.email_verified = verified;
        }
        if let Some(pending) = &update.pending_email {
            row.user.pending_email = pending.clone();
        }
        if let Some(name) = &update.display_name {
            row.user.display_name = name.clone();
        }
        if let Some(hash) = &update.password_hash {
            row.password_hash = Some(hash.clone());
        }
        if let Some(role) = update.role {
            row.user.role = role;
        }
        if let Some(disabled) = update.disabled {
            row.user.disabled = disabled;
        }
        Ok(Some(row.user.clone()))
    }

    async fn delete(&self, id: UserId) -> Result<bool, RepoError> {
        let removed = lock(&self.0.users).remove(&id.0).is_some();
        lock(&self.0.identities).retain(|_, link| link.user_id != id);
        let mut sessions = lock(&self.0.sessions);
        let gone: Vec<_> = sessions
            .iter()
            .filter(|(_, row)| row.state.user_id == id)
            .map(|(sid, _)| *sid)
            .collect();
        for sid in &gone {
            sessions.remove(sid);
        }
        lock(&self.0.refresh).retain(|_, record| !gone.contains(&record.session_id.0));
        lock(&self.0.items).retain(|_, (item, ())| item.owner_id != id);
        Ok(removed)
    }

    async fn list(&self, query: &UserQuery) -> Result<Vec<User>, RepoError> {
        let desc = query.sort.descending;
        let key = |u: &User| (u.created_at.unix_micros(), u.id.0);
        let mut rows: Vec<User> = lock(&self.0.users)
            .values()
            .map(|row| row.user.clone())
            .filter(|u| {
                query.q.as_ref().is_none_or(|q| {
                    u.email.as_str().contains(q.as_str())
                        || u.display_name.as_str().to_lowercase().contains(q.as_str())
                })
            })
            .filter(|u| {
                query.after.as_ref().is_none_or(|c| {
                    let at = match c.value {
                        crate::model::CursorValue::Micros(m) => m,
                        crate::model::CursorValue::Text(_) => return false,
                    };
                    if desc {
                        key(u) < (at, c.id)
                    } else {
                        key(u) > (at, c.id)
                    }
                })
            })
            .collect();
        rows.sort_by_key(key);
        if desc {
            rows.reverse();
        }
        rows.truncate(usize::try_from(query.limit.get() + 1).unwrap_or(usize::MAX));
        Ok(rows)
    }
}
