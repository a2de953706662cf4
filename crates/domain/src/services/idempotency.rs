//! `Idempotency-Key`: one mechanism for every create that honours it.

use super::Ports;
use crate::ServiceError;
use crate::ports::{ClaimOutcome, IdempotencyClaim, StoredResponse};
use time::Duration;

/// How long a response is kept for replay.
pub const KEEP_FOR: Duration = Duration::hours(24);
/// After this, an unfinished claim is taken to be dead and may be retaken.
pub const STALE_AFTER: Duration = Duration::seconds(60);

/// Claims keys, stores successful responses, releases failed ones.
#[derive(Clone)]
pub struct IdempotencyService {
    ports: Ports,
}

impl IdempotencyService {
    /// Builds the service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Claims the key for this request.
    ///
    /// # Errors
    /// [`ServiceError::Unexpected`] when storage fails.
    pub async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, ServiceError> {
        let now = self.ports.clock.now();
        Ok(self
            .ports
            .idempotency
            .claim(claim, now, now - KEEP_FOR, now - STALE_AFTER)
            .await?)
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
            self.ports.idempotency.complete(claim, response).await?;
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
