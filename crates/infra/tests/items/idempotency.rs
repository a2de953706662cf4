//! `SeaIdempotency`: every step's outcome is checked against the expected
//! one and against the in-memory store's.

use crate::support::{base_time, on_both, user};
use domain::model::{Timestamp, UserId};
use domain::ports::{
    ClaimOutcome, IdempotencyClaim, IdempotencyKey, IdempotencyStore, StoredResponse,
};
use domain::services::{KEEP_FOR, STALE_AFTER};
use domain::testing::{InMemoryIdempotency, MemoryStore};
use infra::{Db, SeaIdempotency};
use std::sync::Arc;
use time::Duration;

on_both!(
    claim_replay_mismatch_and_in_progress,
    stale_takeover_and_expiry,
    release_and_prune,
    concurrent_claims_have_one_winner,
);

const CREATE: &str = "POST /api/v1/items";

fn claim(user: UserId, operation: &'static str, key: &str, body: &[u8]) -> IdempotencyClaim {
    IdempotencyClaim {
        user,
        operation,
        key: IdempotencyKey::parse(key).unwrap(),
        fingerprint: body.to_vec(),
    }
}

fn response(body: &str) -> StoredResponse {
    StoredResponse {
        status: 201,
        headers: vec![
            ("location".into(), "/api/v1/items/1".into()),
            ("etag".into(), "\"1\"".into()),
        ],
        body: body.as_bytes().to_vec(),
        secret: false,
    }
}

fn secs(n: i64) -> Timestamp {
    base_time() + Duration::seconds(n)
}

/// The database store and the in-memory one, driven in lockstep.
struct Stores {
    sea: SeaIdempotency,
    memory: InMemoryIdempotency,
}

impl Stores {
    fn new(db: Db) -> Self {
        Self {
            sea: SeaIdempotency::new(db),
            memory: InMemoryIdempotency::new(Arc::new(MemoryStore::default())),
        }
    }

    async fn claim(&self, claim: &IdempotencyClaim, now: Timestamp) -> ClaimOutcome {
        let (expires, stale) = (now - KEEP_FOR, now - STALE_AFTER);
        let sea = self.sea.claim(claim, now, expires, stale).await.unwrap();
        let memory = self.memory.claim(claim, now, expires, stale).await.unwrap();
        assert_eq!(
            sea, memory,
            "the database store disagrees with the in-memory one"
        );
        sea
    }

    async fn complete(&self, claim: &IdempotencyClaim, response: &StoredResponse) {
        self.sea.complete(claim, response).await.unwrap();
        self.memory.complete(claim, response).await.unwrap();
    }

    async fn release(&self, claim: &IdempotencyClaim) {
        self.sea.release(claim).await.unwrap();
        self.memory.release(claim).await.unwrap();
    }

    async fn prune(&self, before: Timestamp) -> u64 {
        let sea = self.sea.prune(before).await.unwrap();
        assert_eq!(sea, self.memory.prune(before).await.unwrap());
        sea
    }
}

async fn claim_replay_mismatch_and_in_progress(db: Db) {
    let (ada, bob) = (
        user(&db, "ada@example.com").await,
        user(&db, "bob@example.com").await,
    );
    let stores = Stores::new(db);
    let first = claim(ada, CREATE, "key-1", b"{\"name\":\"a\"}");
    let other_body = claim(ada, CREATE, "key-1", b"{\"name\":\"b\"}");

    assert_eq!(stores.claim(&first, secs(0)).await, ClaimOutcome::Claimed);
    assert_eq!(
        stores.claim(&first, secs(1)).await,
        ClaimOutcome::InProgress
    );
    assert_eq!(
        stores.claim(&other_body, secs(1)).await,
        ClaimOutcome::Mismatch
    );
    // Keys are per user and per operation.
    assert_eq!(
        stores
            .claim(&claim(bob, CREATE, "key-1", b"x"), secs(1))
            .await,
        ClaimOutcome::Claimed
    );
    assert_eq!(
        stores
            .claim(&claim(ada, "POST /api/v1/agents", "key-1", b"x"), secs(1))
            .await,
        ClaimOutcome::Claimed
    );

    let done = response("{\"id\":1}");
    stores.complete(&first, &done).await;
    assert_eq!(
        stores.claim(&first, secs(2)).await,
        ClaimOutcome::Replay(done.clone())
    );
    assert_eq!(
        stores.claim(&first, secs(3600)).await,
        ClaimOutcome::Replay(done)
    );
    assert_eq!(
        stores.claim(&other_body, secs(3)).await,
        ClaimOutcome::Mismatch
    );

    let empty = StoredResponse {
        status: 200,
        headers: Vec::new(),
        body: Vec::new(),
        secret: false,
    };
    let bare = claim(ada, CREATE, "key-2", b"");
    assert_eq!(stores.claim(&bare, secs(4)).await, ClaimOutcome::Claimed);
    stores.complete(&bare, &empty).await;
    assert_eq!(
        stores.claim(&bare, secs(5)).await,
        ClaimOutcome::Replay(empty)
    );
}

async fn stale_takeover_and_expiry(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let stores = Stores::new(db);
    let first = claim(ada, CREATE, "key", b"one");
    let stale = STALE_AFTER.whole_seconds();

    assert_eq!(stores.claim(&first, secs(0)).await, ClaimOutcome::Claimed);
    assert_eq!(
        stores.claim(&first, secs(stale)).await,
        ClaimOutcome::InProgress
    );
    // Unfinished for longer than STALE_AFTER: its request died.
    assert_eq!(
        stores.claim(&first, secs(stale + 1)).await,
        ClaimOutcome::Claimed
    );
    assert_eq!(
        stores.claim(&first, secs(stale + 2)).await,
        ClaimOutcome::InProgress
    );

    let done = response("one");
    stores.complete(&first, &done).await;
    let day = KEEP_FOR.whole_seconds();
    assert_eq!(
        stores.claim(&first, secs(stale + 1 + day)).await,
        ClaimOutcome::Replay(done)
    );
    // Older than KEEP_FOR: as if absent, whatever its body.
    let second = claim(ada, CREATE, "key", b"two");
    assert_eq!(
        stores.claim(&second, secs(stale + 2 + day)).await,
        ClaimOutcome::Claimed
    );
    assert_eq!(
        stores.claim(&second, secs(stale + 3 + day)).await,
        ClaimOutcome::InProgress
    );
    assert_eq!(
        stores.claim(&first, secs(stale + 3 + day)).await,
        ClaimOutcome::Mismatch
    );
}

async fn release_and_prune(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let stores = Stores::new(db);
    let failed = claim(ada, CREATE, "failed", b"body");
    assert_eq!(stores.claim(&failed, secs(0)).await, ClaimOutcome::Claimed);
    stores.release(&failed).await;
    assert_eq!(stores.claim(&failed, secs(1)).await, ClaimOutcome::Claimed);
    stores
        .release(&claim(ada, CREATE, "never-claimed", b""))
        .await;

    let old = claim(ada, CREATE, "old", b"body");
    let new = claim(ada, CREATE, "new", b"body");
    assert_eq!(stores.claim(&old, secs(10)).await, ClaimOutcome::Claimed);
    stores.complete(&old, &response("old")).await;
    assert_eq!(stores.claim(&new, secs(20)).await, ClaimOutcome::Claimed);
    // `failed` (at 1) and `old` (at 10) go; `new` (at 20) stays.
    assert_eq!(stores.prune(secs(15)).await, 2);
    assert_eq!(stores.prune(secs(15)).await, 0);
    assert_eq!(stores.claim(&old, secs(21)).await, ClaimOutcome::Claimed);
    assert_eq!(stores.claim(&new, secs(21)).await, ClaimOutcome::InProgress);
}

async fn concurrent_claims_have_one_winner(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let store = Arc::new(SeaIdempotency::new(db));
    let race = async |key: &'static str, now: Timestamp| {
        let tasks: Vec<_> = (0..10)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move {
                    let claim = claim(ada, CREATE, key, b"same body");
                    store
                        .claim(&claim, now, now - KEEP_FOR, now - STALE_AFTER)
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes
    };
    let count = |outcomes: &[ClaimOutcome], wanted: &ClaimOutcome| {
        outcomes.iter().filter(|o| *o == wanted).count()
    };

    let fresh = race("fresh", secs(0)).await;
    assert_eq!(count(&fresh, &ClaimOutcome::Claimed), 1, "{fresh:?}");
    assert_eq!(count(&fresh, &ClaimOutcome::InProgress), 9, "{fresh:?}");

    // Ten takeovers of one abandoned record: still one winner.
    let taken = race("fresh", secs(STALE_AFTER.whole_seconds() + 1)).await;
    assert_eq!(count(&taken, &ClaimOutcome::Claimed), 1, "{taken:?}");
    assert_eq!(count(&taken, &ClaimOutcome::InProgress), 9, "{taken:?}");
}
