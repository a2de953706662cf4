//! Sending mail, and the durable outbox it is sent from.

use crate::RepoError;
use crate::model::{Mail, Timestamp};
use async_trait::async_trait;
use uuid::Uuid;

/// Why a message could not be handed over.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// Worth trying again later (server unreachable, 4xx reply, I/O).
    #[error("mail delivery failed for now: {0}")]
    Transient(String),
    /// Will never work (the server refused the recipient for good).
    #[error("mail delivery failed for good: {0}")]
    Permanent(String),
}

/// Hands one message to a transport (SMTP, a folder, memory). Called only
/// by the outbox sender, never on a request path.
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers `mail` from the configured sender.
    ///
    /// # Errors
    /// [`MailError::Transient`] when a retry may work, else
    /// [`MailError::Permanent`].
    async fn send(&self, mail: &Mail) -> Result<(), MailError>;
}

/// A message claimed from the outbox.
#[derive(Debug, Clone)]
pub struct OutboxMessage {
    /// Its row.
    pub id: Uuid,
    /// What to send.
    pub mail: Mail,
    /// Attempts so far, this one included.
    pub attempts: u32,
    /// When it was queued.
    pub created_at: Timestamp,
}

/// The queue of messages to send; rows are written by [`AccountStore`]
/// in the transaction of the change that causes them.
///
/// [`AccountStore`]: super::AccountStore
#[async_trait]
pub trait MailOutbox: Send + Sync {
    /// Claims up to `limit` due messages: each becomes due again only at
    /// `lease_until` (so a sender that dies mid-send delays it, never loses
    /// it) and its attempt count goes up. Safe with several senders at once.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn claim_due(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        limit: u64,
    ) -> Result<Vec<OutboxMessage>, RepoError>;

    /// Marks a message sent.
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn sent(&self, id: Uuid, at: Timestamp) -> Result<(), RepoError>;

    /// Records a failed attempt: tried again at `retry_at`, or never when
    /// `None` (then the message is marked failed).
    ///
    /// # Errors
    /// [`RepoError::Unexpected`] only.
    async fn failed(
        &self,
        id: Uuid,
        at: Timestamp,
        retry_at: Option<Timestamp>,
        error: &str,
    ) -> Result<(), RepoError>;
}
