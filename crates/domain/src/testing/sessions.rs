//! In-memory [`SessionRepository`].

use super::lock;
use super::store::{MemoryStore, SessionRow};
use crate::RepoError;
use crate::model::{
    ClientInfo, Principal, RefreshRecord, RefreshState, Session, SessionId, SessionState,
    Timestamp, TokenHash, UserId,
};
use crate::ports::SessionRepository;
use async_trait::async_trait;
use std::sync::Arc;

/// Sessions and refresh tokens in maps.
#[derive(Debug, Clone)]
pub struct InMemorySessions(pub(super) Arc<MemoryStore>);

impl InMemorySessions {
    /// Sessions kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

#[async_trait]
impl SessionRepository for InMemorySessions {
    async fn create(
        &self,
        session: &SessionState,
        client: &ClientInfo,
        first: &RefreshRecord,
    ) -> Result<(), RepoError> {
        lock(&self.0.sessions).insert(
            session.id.0,
            SessionRow {
                state: session.clone(),
                client: client.clone(),
                last_used_at: session.created_at,
            },
        );
        lock(&self.0.refresh).insert(first.hash.0.clone(), first.clone());
        Ok(())
    }

    async fn find_refresh(&self, hash: &TokenHash) -> Result<Option<RefreshState>, RepoError> {
        let users = lock(&self.0.users);
        let sessions = lock(&self.0.sessions);
        let refresh = lock(&self.0.refresh);
        let Some(record) = refresh.get(&hash.0) else {
            return Ok(None);
        };
        let Some(session) = sessions.get(&record.session_id.0) else {
            return Ok(None);
        };
        let Some(user) = users.get(&session.state.user_id.0) else {
            return Ok(None);
        };
        Ok(Some(RefreshState {
            record: record.clone(),
            session: session.state.clone(),
            user_disabled: user.user.disabled,
            role: user.user.role,
        }))
    }

    async fn rotate(&self, spent: &TokenHash, next: &RefreshRecord) -> Result<bool, RepoError> {
        let mut sessions = lock(&self.0.sessions);
        let mut refresh = lock(&self.0.refresh);
        match refresh.get_mut(&spent.0) {
            Some(record) if record.spent_at.is_none() => {
                record.spent_at = Some(next.issued_at);
            }
            _ => return Ok(false),
        }
        refresh.insert(next.hash.0.clone(), next.clone());
        if let Some(row) = sessions.get_mut(&next.session_id.0) {
            row.state.expires_at = next.expires_at;
            row.last_used_at = next.issued_at;
        }
        Ok(true)
    }

    async fn principal(
        &self,
        session: SessionId,
        now: Timestamp,
    ) -> Result<Option<Principal>, RepoError> {
        let users = lock(&self.0.users);
        let sessions = lock(&self.0.sessions);
        Ok(sessions
            .get(&session.0)
            .filter(|row| row.state.is_live(now))
            .and_then(|row| {
                let user = users.get(&row.state.user_id.0)?;
                (!user.user.disabled).then_some(Principal {
                    user_id: user.user.id,
                    session_id: session,
                    role: user.user.role,
                })
            }))
    }

    async fn find(&self, user: UserId, id: SessionId) -> Result<Option<SessionState>, RepoError> {
        Ok(lock(&self.0.sessions)
            .get(&id.0)
            .filter(|row| row.state.user_id == user)
            .map(|row| row.state.clone()))
    }

    async fn list_live(&self, user: UserId, now: Timestamp) -> Result<Vec<Session>, RepoError> {
        let mut live: Vec<Session> = lock(&self.0.sessions)
            .values()
            .filter(|row| row.state.user_id == user && row.state.is_live(now))
            .map(|row| Session {
                id: row.state.id,
                created_at: row.state.created_at,
                last_used_at: row.last_used_at,
                user_agent: row.client.user_agent.clone(),
                ip: row.client.ip.clone(),
                current: false,
            })
            .collect();
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(live)
    }

    async fn revoke(&self, user: UserId, id: SessionId, now: Timestamp) -> Result<bool, RepoError> {
        let mut sessions = lock(&self.0.sessions);
        match sessions.get_mut(&id.0) {
            Some(row) if row.state.user_id == user && row.state.is_live(now) => {
                row.state.revoked_at = Some(now);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn revoke_all(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: Timestamp,
    ) -> Result<u64, RepoError> {
        let mut count = 0;
        for row in lock(&self.0.sessions).values_mut() {
            if row.state.user_id == user && Some(row.state.id) != keep && row.state.is_live(now) {
                row.state.revoked_at = Some(now);
                count += 1;
            }
        }
        Ok(count)
    }

    async fn prune(&self, before: Timestamp) -> Result<u64, RepoError> {
        let mut sessions = lock(&self.0.sessions);
        let dead: Vec<_> = sessions
            .values()
            .filter(|row| {
                row.state.expires_at < before || row.state.revoked_at.is_some_and(|at| at < before)
            })
            .map(|row| row.state.id.0)
            .collect();
        for id in &dead {
            sessions.remove(id);
        }
        lock(&self.0.refresh).retain(|_, record| !dead.contains(&record.session_id.0));
        Ok(u64::try_from(dead.len()).unwrap_or(u64::MAX))
    }
}
