//! In-memory [`Mailer`] and [`AccountStore`]: queued mail lands in the
//! mailer's box at once, so tests read what would be sent.

use super::lock;
use super::store::{MemoryStore, UserRow};
use crate::RepoError;
use crate::model::{
    Mail, NewAccountToken, NewUser, RedeemedToken, Timestamp, TokenHash, TokenPurpose,
};
use crate::ports::{AccountStore, MailError, Mailer};
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Collects every message it is given.
#[derive(Debug, Default)]
pub struct InMemoryMailer {
    sent: Mutex<Vec<Mail>>,
}

impl InMemoryMailer {
    /// Every message so far, oldest first.
    pub fn sent(&self) -> Vec<Mail> {
        lock(&self.sent).clone()
    }

    /// The messages to `address`, oldest first.
    pub fn sent_to(&self, address: &str) -> Vec<Mail> {
        self.sent()
            .into_iter()
            .filter(|mail| mail.to.as_str() == address)
            .collect()
    }
}

#[async_trait]
impl Mailer for InMemoryMailer {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        lock(&self.sent).push(mail.clone());
        Ok(())
    }
}

/// A stored account token.
#[derive(Debug, Clone)]
struct TokenRow {
    token: NewAccountToken,
    used: bool,
}

/// Account tokens in a map; mail goes straight to `mailer`.
#[derive(Debug)]
pub struct InMemoryAccounts {
    store: Arc<MemoryStore>,
    tokens: Mutex<HashMap<TokenHash, TokenRow>>,
    mailer: Arc<InMemoryMailer>,
}

impl InMemoryAccounts {
    /// Tokens beside the users of `store`, mail into `mailer`.
    pub fn new(store: Arc<MemoryStore>, mailer: Arc<InMemoryMailer>) -> Self {
        Self {
            store,
            tokens: Mutex::new(HashMap::new()),
            mailer,
        }
    }

    fn queue(&self, mail: &[Mail]) {
        lock(&self.mailer.sent).extend(mail.iter().cloned());
    }
}

#[async_trait]
impl AccountStore for InMemoryAccounts {
    async fn register(
        &self,
        new: &NewUser,
        token: &NewAccountToken,
        mail: &[Mail],
    ) -> Result<(), RepoError> {
        let mut users = lock(&self.store.users);
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
        let row = TokenRow {
            token: token.clone(),
            used: false,
        };
        lock(&self.tokens).insert(token.hash.clone(), row);
        self.queue(mail);
        Ok(())
    }

    async fn issue(
        &self,
        token: &NewAccountToken,
        mail: &[Mail],
        throttle_since: Option<Timestamp>,
    ) -> Result<bool, RepoError> {
        let mut users = lock(&self.store.users);
        let mut tokens = lock(&self.tokens);
        let throttled = throttle_since.is_some_and(|since| {
            tokens.values().any(|row| {
                row.token.user_id == token.user_id
                    && row.token.purpose == token.purpose
                    && row.token.created_at > since
            })
        });
        if throttled {
            return Ok(false);
        }
        if let (Some(row), Some(new)) = (users.get_mut(&token.user_id.0), &token.new_email) {
            row.user.pending_email = Some(new.clone());
        }
        let row = TokenRow {
            token: token.clone(),
            used: false,
        };
        tokens.insert(token.hash.clone(), row);
        self.queue(mail);
        Ok(true)
    }

    async fn redeem(
        &self,
        purpose: TokenPurpose,
        hash: &TokenHash,
        now: Timestamp,
    ) -> Result<Option<RedeemedToken>, RepoError> {
        let mut tokens = lock(&self.tokens);
        let Some(row) = tokens.get_mut(hash) else {
            return Ok(None);
        };
        let fresh = now < row.token.created_at + purpose.lifetime();
        if row.used || row.token.purpose != purpose || !fresh {
            return Ok(None);
        }
        row.used = true;
        Ok(Some(RedeemedToken {
            user_id: row.token.user_id,
            new_email: row.token.new_email.clone(),
        }))
    }
}
