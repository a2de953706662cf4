//! [`IdempotencyStore`] on SeaORM: a claim is an `INSERT … ON CONFLICT DO
//! NOTHING`, and every takeover of an existing record is an `UPDATE`
//! conditional on the `created_at` it read, so of concurrent claims of one
//! key exactly one wins. A response that holds a secret arrives sealed (the
//! service seals it) and is kept with `sealed` set.

use super::sql::Sql;
use super::unexpected;
use crate::Db;
use anyhow::Context;
use async_trait::async_trait;
use domain::RepoError;
use domain::model::Timestamp;
use domain::ports::{ClaimOutcome, IdempotencyClaim, IdempotencyStore, StoredResponse};
use sea_orm::{ConnectionTrait, QueryResult};

/// How often a claim retries when the record changes under it.
const CLAIM_ATTEMPTS: usize = 4;

/// Idempotency records in the `idempotency_keys` table.
#[derive(Debug, Clone)]
pub struct SeaIdempotency {
    db: Db,
}

/// A stored record, as a claim reads it.
struct Record {
    fingerprint: Vec<u8>,
    created_at: i64,
    response: Option<StoredResponse>,
}

impl SeaIdempotency {
    /// Records stored in `db`.
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    fn sql(&self) -> Sql {
        Sql::new(self.db.connection().get_database_backend())
    }

    /// Adds the primary-key condition of `claim`.
    fn where_key(sql: &mut Sql, claim: &IdempotencyClaim) {
        sql.and().push("user_id = ").bind(claim.user.0);
        sql.and().push("operation = ").bind(claim.operation);
        sql.and().push(r#""key" = "#).bind(claim.key.as_str());
    }

    async fn execute(&self, sql: Sql, context: &'static str) -> Result<u64, RepoError> {
        let done = self
            .db
            .connection()
            .execute_raw(sql.build())
            .await
            .map_err(unexpected(context))?;
        Ok(done.rows_affected())
    }

    /// Inserts a fresh record; `false` when one exists.
    async fn insert(&self, claim: &IdempotencyClaim, now: Timestamp) -> Result<bool, RepoError> {
        let mut sql = self.sql();
        sql.push(r#"INSERT INTO idempotency_keys (user_id, operation, "key", fingerprint, "#)
            .push("created_at) VALUES (")
            .bind(claim.user.0)
            .push(", ")
            .bind(claim.operation)
            .push(", ")
            .bind(claim.key.as_str())
            .push(", ")
            .bind(claim.fingerprint.clone())
            .push(", ")
            .bind(now.unix_micros())
            .push(r#") ON CONFLICT (user_id, operation, "key") DO NOTHING"#);
        Ok(self.execute(sql, "claiming an idempotency key").await? == 1)
    }

    /// Restarts the record as a fresh claim, if it is still the one created
    /// at `seen_created_at`.
    async fn take_over(
        &self,
        claim: &IdempotencyClaim,
        seen_created_at: i64,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        let mut sql = self.sql();
        sql.push("UPDATE idempotency_keys SET fingerprint = ")
            .bind(claim.fingerprint.clone())
            .push(", created_at = ")
            .bind(now.unix_micros())
            .push(", status = NULL, headers = NULL, body = NULL, sealed = ")
            .bind(false);
        Self::where_key(&mut sql, claim);
        sql.and().push("created_at = ").bind(seen_created_at);
        Ok(self.execute(sql, "taking over an idempotency key").await? == 1)
    }

    async fn read(&self, claim: &IdempotencyClaim) -> Result<Option<Record>, RepoError> {
        let mut sql = self.sql();
        sql.push(
            "SELECT fingerprint, created_at, status, headers, body, sealed FROM idempotency_keys",
        );
        Self::where_key(&mut sql, claim);
        let row = self
            .db
            .connection()
            .query_one_raw(sql.build())
            .await
            .map_err(unexpected("reading an idempotency key"))?;
        Ok(row.as_ref().map(record).transpose()?)
    }
}

/// A row as a record; a response is present once `status` is set.
fn record(row: &QueryResult) -> anyhow::Result<Record> {
    let status: Option<i32> = row.try_get("", "status")?;
    let response = match status {
        None => None,
        Some(status) => {
            let headers: Option<String> = row.try_get("", "headers")?;
            let headers = match headers {
                Some(text) => serde_json::from_str(&text).context("parsing stored headers")?,
                None => Vec::new(),
            };
            let body: Option<Vec<u8>> = row.try_get("", "body")?;
            Some(StoredResponse {
                status: u16::try_from(status).context("stored status out of range")?,
                headers,
                body: body.unwrap_or_default(),
                secret: row.try_get("", "sealed")?,
            })
        }
    };
    Ok(Record {
        fingerprint: row.try_get("", "fingerprint")?,
        created_at: row.try_get("", "created_at")?,
        response,
    })
}

#[async_trait]
impl IdempotencyStore for SeaIdempotency {
    #[tracing::instrument(name = "idempotency.claim", skip_all, fields(user_id = %claim.user, operation = claim.operation))]
    async fn claim(
        &self,
        claim: &IdempotencyClaim,
        now: Timestamp,
        expires_before: Timestamp,
        stale_before: Timestamp,
    ) -> Result<ClaimOutcome, RepoError> {
        for _ in 0..CLAIM_ATTEMPTS {
            if self.insert(claim, now).await? {
                return Ok(ClaimOutcome::Claimed);
            }
            let Some(record) = self.read(claim).await? else {
                // Released or pruned since the insert: try again.
                continue;
            };
            let expired = record.created_at < expires_before.unix_micros();
            let outcome = if expired {
                None
            } else if record.fingerprint != claim.fingerprint {
                Some(ClaimOutcome::Mismatch)
            } else if let Some(response) = record.response {
                Some(ClaimOutcome::Replay(response))
            } else if record.created_at >= stale_before.unix_micros() {
                Some(ClaimOutcome::InProgress)
            } else {
                None // abandoned: its request died
            };
            if let Some(outcome) = outcome {
                return Ok(outcome);
            }
            if self.take_over(claim, record.created_at, now).await? {
                return Ok(ClaimOutcome::Claimed);
            }
            // Someone else changed the record first: look again.
        }
        // The record keeps changing under us: another request is at it.
        Ok(ClaimOutcome::InProgress)
    }

    #[tracing::instrument(name = "idempotency.complete", skip_all, fields(user_id = %claim.user, operation = claim.operation))]
    async fn complete(
        &self,
        claim: &IdempotencyClaim,
        response: &StoredResponse,
    ) -> Result<(), RepoError> {
        let headers = serde_json::to_string(&response.headers)
            .context("encoding response headers")
            .map_err(RepoError::Unexpected)?;
        let mut sql = self.sql();
        sql.push("UPDATE idempotency_keys SET status = ")
            .bind(i32::from(response.status))
            .push(", headers = ")
            .bind(headers)
            .push(", body = ")
            .bind(response.body.clone())
            .push(", sealed = ")
            .bind(response.secret);
        Self::where_key(&mut sql, claim);
        self.execute(sql, "storing an idempotent response").await?;
        Ok(())
    }

    #[tracing::instrument(name = "idempotency.release", skip_all, fields(user_id = %claim.user, operation = claim.operation))]
    async fn release(&self, claim: &IdempotencyClaim) -> Result<(), RepoError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM idempotency_keys");
        Self::where_key(&mut sql, claim);
        self.execute(sql, "releasing an idempotency key").await?;
        Ok(())
    }

    #[tracing::instrument(name = "idempotency.prune", skip_all)]
    async fn prune(&self, before: Timestamp) -> Result<u64, RepoError> {
        let mut sql = self.sql();
        sql.push("DELETE FROM idempotency_keys");
        sql.and().push("created_at < ").bind(before.unix_micros());
        self.execute(sql, "pruning idempotency keys").await
    }
}
