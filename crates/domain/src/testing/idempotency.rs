//! In-memory [`IdempotencyStore`].

use super::lock;
use super::store::{IdempotencyRow, MemoryStore};
use crate::RepoError;
use crate::model::Timestamp;
use crate::ports::{ClaimOutcome, IdempotencyClaim, IdempotencyStore, StoredResponse};
use async_trait::async_trait;
use std::sync::Arc;

/// Idempotency records in a map.
#[derive(Debug, Clone)]
pub struct InMemoryIdempotency(Arc<MemoryStore>);

impl InMemoryIdempotency {
    /// Records kept in `store`.
    pub fn new(store: Arc<MemoryStore>) -> Self {
        Self(store)
    }
}

fn key(claim: &IdempotencyClaim) -> (uuid::Uuid, &'static str, String) {
    (claim.user.0, claim.operation, claim.key.as_str().to_owned())
}

#[async_trait]
impl IdempotencyStore for InMemoryIdempotency {
    async fn claim(
        &self,
        claim: &IdempotencyClaim,
        now: Timestamp,
        expires_before: Timestamp,
        stale_before: Timestamp,
    ) -> Result<ClaimOutcome, RepoError> {
        let mut records = lock(&self.0.idempotency);
        let fresh = IdempotencyRow {
            fingerprint: claim.fingerprint.clone(),
            created_at: now,
            response: None,
        };
        let row = match records.get(&key(claim)) {
            Some(row) if row.created_at >= expires_before => row,
            _ => {
                records.insert(key(claim), fresh);
                return Ok(ClaimOutcome::Claimed);
            }
        };
        if row.fingerprint != claim.fingerprint {
            return Ok(ClaimOutcome::Mismatch);
        }
        match &row.response {
            Some(response) => Ok(ClaimOutcome::Replay(response.clone())),
            None if row.created_at < stale_before => {
                records.insert(key(claim), fresh);
                Ok(ClaimOutcome::Claimed)
            }
            None => Ok(ClaimOutcome::InProgress),
        }
    }

    async fn complete(
        &self,
        claim: &IdempotencyClaim,
        response: &StoredResponse,
    ) -> Result<(), RepoError> {
        if let Some(row) = lock(&self.0.idempotency).get_mut(&key(claim)) {
            row.response = Some(response.clone());
        }
        Ok(())
    }

    async fn release(&self, claim: &IdempotencyClaim) -> Result<(), RepoError> {
        lock(&self.0.idempotency).remove(&key(claim));
        Ok(())
    }

    async fn prune(&self, before: Timestamp) -> Result<u64, RepoError> {
        let mut records = lock(&self.0.idempotency);
        let count = records.len();
        records.retain(|_, row| row.created_at >= before);
        Ok(u64::try_from(count - records.len()).unwrap_or(u64::MAX))
    }
}
