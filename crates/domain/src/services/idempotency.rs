//! `Idempotency-Key`: one mechanism for every create that honours it.

use super::Ports;
use crate::ServiceError;
use crate::model::SecretKey;
use crate::ports::{ClaimOutcome, IdempotencyClaim, StoredResponse};
use anyhow::anyhow;
use std::sync::Arc;
use time::Duration;

/// How long a response is kept for replay.
pub const KEEP_FOR: Duration = Duration::hours(24);
/// After this, an unfinished claim is taken to be dead and may be retaken.
pub const STALE_AFTER: Duration = Duration::seconds(60);

/// The purpose `SECRET_KEY` is derived for when sealing stored responses.
const SEAL_LABEL: &str = "idempotent-response";

/// Claims keys, stores successful responses, releases failed ones. A
/// response that holds a secret is stored sealed under `SECRET_KEY` (bound
/// to its user, operation and key) and opened again for a replay.
#[derive(Clone)]
pub struct IdempotencyService {
    ports: Ports,
    secret: Arc<SecretKey>,
}

impl IdempotencyService {
    /// Builds the service; `secret` seals responses that hold a secret.
    pub fn new(ports: Ports, secret: Arc<SecretKey>) -> Self {
        Self { ports, secret }
    }

    /// Claims the key for this request.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, ServiceError> {
        let now = self.ports.clock.now();
        let outcome = self
            .ports
            .idempotency
            .claim(claim, now, now - KEEP_FOR, now - STALE_AFTER)
            .await?;
        match outcome {
            ClaimOutcome::Replay(stored) if stored.secret => {
                let body = self
                    .secret
                    .open(SEAL_LABEL, &context(claim), &stored.body)
                    .ok_or_else(|| {
                        anyhow!("a sealed idempotent response does not open (SECRET_KEY changed?)")
                    })?;
                Ok(ClaimOutcome::Replay(StoredResponse { body, ..stored }))
            }
            other => Ok(other),
        }
    }

    /// Keeps a 2xx response for replay; forgets the key for anything else,
    /// so the client may retry.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn finish(
        &self,
        claim: &IdempotencyClaim,
        response: &StoredResponse,
    ) -> Result<(), ServiceError> {
        if (200..300).contains(&response.status) {
            if response.secret {
                let sealed = StoredResponse {
                    body: self
                        .secret
                        .seal(SEAL_LABEL, &context(claim), &response.body),
                    ..response.clone()
                };
                self.ports.idempotency.complete(claim, &sealed).await?;
            } else {
                self.ports.idempotency.complete(claim, response).await?;
            }
        } else {
            self.ports.idempotency.release(claim).await?;
        }
        Ok(())
    }

    /// Deletes records past the replay window.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn prune(&self) -> Result<u64, ServiceError> {
        let before = self.ports.clock.now() - KEEP_FOR;
        Ok(self.ports.idempotency.prune(before).await?)
    }
}

/// What a sealed response is bound to: its user, operation and key, so it
/// can't be replayed from another record.
fn context(claim: &IdempotencyClaim) -> Vec<u8> {
    let mut context = claim.user.0.as_bytes().to_vec();
    for part in [claim.operation, claim.key.as_str()] {
        context.extend_from_slice(&u64::try_from(part.len()).unwrap_or(u64::MAX).to_be_bytes());
        context.extend_from_slice(part.as_bytes());
    }
    context
}
