//! Item and idempotency rules on the in-memory adapters.

use domain::ServiceError;
use domain::model::{
    ItemChange, ItemDraft, ItemName, JsonObject, Limit, ObjectChange, Principal, Role, SessionId,
    SortKey, UserId,
};
use domain::ports::{ClaimOutcome, IdempotencyClaim, IdempotencyKey, StoredResponse};
use domain::services::ItemListQuery;
use domain::testing::TestDomain;
use serde_json::json;

fn principal(role: Role) -> Principal {
    Principal {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        role,
    }
}

fn draft(name: &str) -> ItemDraft {
    ItemDraft {
        name: ItemName::parse(name).expect("valid"),
        description: None,
        attributes: JsonObject::parse(json!({"a": {"b": 1}}), "attributes").expect("valid"),
    }
}

#[tokio::test]
async fn someone_elses_item_is_not_found_but_admins_see_it() {
    let domain = TestDomain::new();
    let (ada, bob, admin) = (
        principal(Role::User),
        principal(Role::User),
        principal(Role::Admin),
    );
    let item = domain
        .items
        .create(&ada, draft("lamp"))
        .await
        .expect("created");
    assert_eq!(item.version, 1);
    assert!(matches!(
        domain.items.get(&bob, item.id).await,
        Err(ServiceError::NotFound)
    ));
    assert!(matches!(
        domain.items.delete(&bob, item.id, None).await,
        Err(ServiceError::NotFound)
    ));
    assert_eq!(
        domain.items.get(&admin, item.id).await.expect("visible").id,
        item.id
    );
}

#[tokio::test]
async fn merge_patches_attributes_and_checks_versions() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let item = domain
        .items
        .create(&ada, draft("lamp"))
        .await
        .expect("created");
    let patch = json!({"a": {"c": 2}, "x": true});
    let change = ItemChange {
        attributes: ObjectChange::Merge(patch.as_object().cloned().expect("object")),
        ..ItemChange::default()
    };
    let stale = domain
        .items
        .update(&ada, item.id, change.clone(), Some(7))
        .await;
    assert!(matches!(stale, Err(ServiceError::PreconditionFailed)));
    let updated = domain
        .items
        .update(&ada, item.id, change, Some(1))
        .await
        .expect("merged");
    assert_eq!(updated.version, 2);
    assert_eq!(
        updated.attributes.to_value(),
        json!({"a": {"b": 1, "c": 2}, "x": true})
    );
}

#[tokio::test]
async fn a_merge_breaking_the_limits_changes_nothing() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let item = domain
        .items
        .create(&ada, draft("lamp"))
        .await
        .expect("created");
    let big = json!({"big": "x".repeat(JsonObject::MAX_BYTES)});
    let change = ItemChange {
        attributes: ObjectChange::Merge(big.as_object().cloned().expect("object")),
        ..ItemChange::default()
    };
    let refused = domain.items.update(&ada, item.id, change, None).await;
    assert!(matches!(refused, Err(ServiceError::Invalid(_))));
    assert_eq!(
        domain.items.get(&ada, item.id).await.expect("still there"),
        item
    );
}

#[tokio::test]
async fn listing_by_name_pages_through_every_item_once() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    for name in ["delta", "alpha", "charlie", "bravo", "echo"] {
        domain
            .items
            .create(&ada, draft(name))
            .await
            .expect("created");
    }
    domain
        .items
        .create(&principal(Role::User), draft("other"))
        .await
        .expect("created");
    let sort = SortKey::parse("name", domain::services::ITEM_SORTS).expect("valid");
    let mut names = Vec::new();
    let mut after = None;
    loop {
        let query = ItemListQuery {
            filter: (),
            q: None,
            sort,
            limit: Limit::new(2).expect("valid"),
            after: after.take(),
        };
        let page = domain.items.list(&ada, query).await.expect("listed");
        names.extend(page.data.iter().map(|i| i.name.as_str().to_owned()));
        match page.next_cursor {
            Some(text) => {
                after = Some(domain::model::Cursor::decode(&text, sort, None).expect("own cursor"))
            }
            None => break,
        }
    }
    assert_eq!(names, ["alpha", "bravo", "charlie", "delta", "echo"]);
}

#[tokio::test]
async fn idempotency_replays_refuses_other_bodies_and_forgets_failures() {
    let domain = TestDomain::new();
    let claim = IdempotencyClaim {
        user: UserId::new(),
        operation: "POST /api/v1/items",
        key: IdempotencyKey::parse("key-1").expect("valid"),
        fingerprint: vec![1, 2, 3],
    };
    assert_eq!(
        domain.idempotency.claim(&claim).await.expect("claimed"),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        domain.idempotency.claim(&claim).await.expect("running"),
        ClaimOutcome::InProgress
    );
    let other = IdempotencyClaim {
        fingerprint: vec![9],
        ..claim.clone()
    };
    assert_eq!(
        domain.idempotency.claim(&other).await.expect("checked"),
        ClaimOutcome::Mismatch
    );
    let response = StoredResponse {
        status: 201,
        headers: vec![],
        body: b"{}".to_vec(),
        secret: false,
    };
    domain
        .idempotency
        .finish(&claim, &response)
        .await
        .expect("stored");
    assert_eq!(
        domain.idempotency.claim(&claim).await.expect("replayed"),
        ClaimOutcome::Replay(response)
    );

    let failing = IdempotencyClaim {
        key: IdempotencyKey::parse("key-2").expect("valid"),
        ..claim
    };
    domain.idempotency.claim(&failing).await.expect("claimed");
    let failure = StoredResponse {
        status: 422,
        headers: vec![],
        body: vec![],
        secret: false,
    };
    domain
        .idempotency
        .finish(&failing, &failure)
        .await
        .expect("released");
    assert_eq!(
        domain.idempotency.claim(&failing).await.expect("again"),
        ClaimOutcome::Claimed
    );
    assert!(IdempotencyKey::parse("").is_err());
    assert!(IdempotencyKey::parse("tab\there").is_err());
    assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
}
