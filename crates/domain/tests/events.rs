//! Events and notifications from the services, on the in-memory adapters.

use domain::model::{
    ClientInfo, Email, ItemDraft, ItemName, JsonObject, Password, Principal, Role, SessionId,
    Stream, UserId,
};
use domain::ports::{Clock, EventFilter, Revoked};
use domain::services::RegisterInput;
use domain::testing::TestDomain;
use time::Duration;

fn draft(name: &str) -> ItemDraft {
    ItemDraft {
        name: ItemName::parse(name).expect("valid"),
        description: None,
        attributes: JsonObject::default(),
    }
}

#[tokio::test]
async fn item_writes_log_events_that_sequence_in_order() {
    let domain = TestDomain::new();
    let ada = Principal {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        role: Role::User,
    };
    let bob = Principal {
        user_id: UserId::new(),
        ..ada
    };
    let item = domain
        .items
        .create(&ada, draft("lamp"))
        .await
        .expect("created");
    domain
        .items
        .create(&bob, draft("chair"))
        .await
        .expect("created");
    domain
        .items
        .delete(&ada, item.id, None)
        .await
        .expect("deleted");
    assert_eq!(
        *domain.notifier.writes.lock().expect("lock"),
        3,
        "every write kicks the release"
    );

    let log = &domain.ports.events;
    let events = log.release().await.expect("released").events;
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["item.created", "item.created", "item.deleted"]);
    assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
    assert!(log.release().await.expect("again").events.is_empty());

    let mine = EventFilter {
        resource: None,
        owner: Some(ada.user_id),
    };
    let replayed = domain
        .ports
        .events
        .replay(Stream::Items, 0, mine, 100)
        .await
        .expect("replayed");
    assert_eq!(replayed.len(), 2);
    assert_eq!(replayed[1].data["name"], "lamp");
    let tail = domain
        .ports
        .events
        .replay(Stream::Items, events[0].seq, mine, 100)
        .await
        .expect("replayed");
    assert_eq!(tail.len(), 1);
}

#[tokio::test]
async fn pruning_remembers_what_was_lost() {
    let domain = TestDomain::new();
    let ada = Principal {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        role: Role::User,
    };
    for i in 0..5 {
        domain
            .items
            .create(&ada, draft(&format!("i{i}")))
            .await
            .expect("created");
    }
    let log = &domain.ports.events;
    let events = log.release().await.expect("released").events;
    let far_future = domain.clock.now() + Duration::days(1);
    assert_eq!(
        log.prune(Stream::Items, far_future - Duration::days(2), 2)
            .await
            .expect("pruned"),
        3
    );
    assert_eq!(
        log.pruned_through(Stream::Items).await.expect("read"),
        events[2].seq
    );
    assert_eq!(
        log.latest_seq(Stream::Items).await.expect("read"),
        events[4].seq
    );
}

#[tokio::test]
async fn revocations_are_signalled_for_live_sockets() {
    let domain = TestDomain::new();
    let email = Email::parse("ada@example.com").expect("valid");
    let password = Password::parse("password-123").expect("valid");
    let input = RegisterInput {
        email: email.clone(),
        password: password.clone(),
        display_name: None,
    };
    let user = domain.accounts.register(input).await.expect("registered");
    let pair = domain
        .auth
        .login(&email, &password, ClientInfo::default())
        .await
        .expect("logged in");
    let me = domain
        .auth
        .authenticate(&pair.access_token)
        .await
        .expect("valid");
    domain.auth.logout(&me).await.expect("logged out");
    let revoked = domain.notifier.revoked.lock().expect("lock").clone();
    assert_eq!(revoked, [(user.id, Revoked::One(pair.session_id))]);
}
