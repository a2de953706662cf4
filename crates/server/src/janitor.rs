//! Housekeeping: prunes dead sessions and expired idempotency records.

use domain::ports::{Clock, SessionRepository};
use domain::services::IdempotencyService;
use std::sync::Arc;
use std::time::Duration;

/// How often the janitor runs.
pub const INTERVAL: Duration = Duration::from_secs(600);

/// How long revoked or expired sessions are kept before deletion (so a
/// late reuse of their refresh tokens still meets a revoked session).
pub const KEEP_DEAD: time::Duration = time::Duration::days(1);

/// Runs forever: every [`INTERVAL`], deletes sessions dead for longer than
/// [`KEEP_DEAD`] and idempotency records past their 24 hours. Failures are
/// logged and retried next round. Deleting is idempotent, so several
/// instances running it at once is harmless.
pub async fn run(
    sessions: Arc<dyn SessionRepository>,
    idempotency: IdempotencyService,
    clock: Arc<dyn Clock>,
) {
    let mut ticker = tokio::time::interval(INTERVAL);
    loop {
        ticker.tick().await;
        match sessions.prune(clock.now() - KEEP_DEAD).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "janitor pruned dead sessions"),
            Err(error) => tracing::warn!(%error, "janitor could not prune sessions"),
        }
        match idempotency.prune().await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "janitor pruned idempotency records"),
            Err(error) => tracing::warn!(%error, "janitor could not prune idempotency records"),
        }
    }
}
