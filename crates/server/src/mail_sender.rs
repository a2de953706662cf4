//! The outbox sender: claims due messages and hands them to the mailer,
//! retrying failures with exponential backoff for up to a day. It runs on
//! every instance; a claim gives each message to one of them.

use domain::model::Timestamp;
use domain::ports::{Clock, MailError, MailOutbox, Mailer, OutboxMessage};
use std::sync::Arc;
use std::time::Duration;

/// How often the outbox is polled for due messages.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// A claimed message becomes due again after this long if its sender dies
/// mid-send (longer than one SMTP exchange may take).
pub const LEASE: time::Duration = time::Duration::minutes(2);

/// Messages are tried for this long after they were queued, then marked
/// failed.
pub const GIVE_UP_AFTER: time::Duration = time::Duration::hours(24);

/// Messages claimed per round.
const BATCH: u64 = 16;

/// The wait before attempt `attempts + 1`: 1 s, 2 s, 4 s … at most an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    let doubling = attempts.saturating_sub(1).min(12);
    time::Duration::seconds(1_i64 << doubling).min(time::Duration::hours(1))
}

/// Sends what the outbox holds.
pub struct MailSender {
    /// The queue.
    pub outbox: Arc<dyn MailOutbox>,
    /// The transport.
    pub mailer: Arc<dyn Mailer>,
    /// Time.
    pub clock: Arc<dyn Clock>,
}

impl MailSender {
    /// Runs forever, one round every [`POLL_EVERY`].
    pub async fn run(self) {
        let mut tick = tokio::time::interval(POLL_EVERY);
        loop {
            tick.tick().await;
            self.round().await;
        }
    }

    /// Claims and sends one batch; failures are recorded and logged (never
    /// a message body: it holds links with tokens).
    pub async fn round(&self) {
        let now = self.clock.now();
        let claimed = match self.outbox.claim_due(now, now + LEASE, BATCH).await {
            Ok(claimed) => claimed,
            Err(error) => {
                tracing::warn!(%error, "could not claim due mail");
                return;
            }
        };
        for message in claimed {
            self.deliver(message).await;
        }
    }

    async fn deliver(&self, message: OutboxMessage) {
        let outcome = self.mailer.send(&message.mail).await;
        let now = self.clock.now();
        let recorded = match outcome {
            Ok(()) => {
                tracing::info!(mail_id = %message.id, attempts = message.attempts, "mail sent");
                self.outbox.sent(message.id, now).await
            }
            Err(error) => {
                let retry_at = retry_at(&message, &error, now);
                tracing::warn!(
                    mail_id = %message.id,
                    attempts = message.attempts,
                    %error,
                    gave_up = retry_at.is_none(),
                    "mail delivery failed"
                );
                self.outbox
                    .failed(message.id, now, retry_at, &error.to_string())
                    .await
            }
        };
        if let Err(error) = recorded {
            tracing::warn!(mail_id = %message.id, %error, "could not record a mail outcome");
        }
    }
}

/// When to try again, or `None` to give up.
fn retry_at(message: &OutboxMessage, error: &MailError, now: Timestamp) -> Option<Timestamp> {
    let next = now + backoff(message.attempts);
    let transient = matches!(error, MailError::Transient(_));
    (transient && next < message.created_at + GIVE_UP_AFTER).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1).whole_seconds(), 1);
        assert_eq!(backoff(2).whole_seconds(), 2);
        assert_eq!(backoff(5).whole_seconds(), 16);
        assert_eq!(backoff(40).whole_seconds(), 3600);
    }
}
