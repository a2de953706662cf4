//! `SeaIdentities` and `SeaPendingLogins`: an account and its link are
//! created together or not at all, a state is consumed exactly once, and
//! expired states are pruned.

use crate::support::{base_time, new_user, on_both};
use domain::RepoError;
use domain::model::{FlowSecret, LinkedIdentity, NewUser, PendingLogin, ProviderName, Timestamp};
use domain::ports::{IdentityRepository, PendingLoginClaim, PendingLoginStore, UserRepository};
use infra::{Db, SeaIdentities, SeaPendingLogins, SeaUsers};
use time::Duration;

on_both!(
    linked_account_is_found_by_provider_and_subject,
    a_taken_email_or_identity_creates_nothing,
    deleting_the_user_deletes_its_identities,
    a_state_is_taken_once,
    a_claim_that_differs_in_any_part_takes_nothing,
    concurrent_takes_of_one_state_yield_it_once,
    prune_removes_only_expired_states,
);

fn provider(name: &str) -> ProviderName {
    ProviderName::parse(name).unwrap()
}

/// An OAuth-only account (no password) and its link to `subject`.
fn oauth_user(email: &str, subject: &str) -> (NewUser, LinkedIdentity) {
    let mut user = new_user(email, base_time());
    user.password_hash = None;
    let link = LinkedIdentity {
        provider: provider("acme-id"),
        subject: subject.to_owned(),
        user_id: user.user.id,
        email: Some(email.to_owned()),
        email_verified: true,
        created_at: base_time(),
    };
    (user, link)
}

async fn linked_account_is_found_by_provider_and_subject(db: Db) {
    let identities = SeaIdentities::new(db.clone());
    let (ada, link) = oauth_user("ada@example.com", "12345");
    identities.create_linked(&ada, &link).await.unwrap();

    let found = identities
        .find_user(&provider("acme-id"), "12345")
        .await
        .unwrap();
    assert_eq!(found, Some(ada.user.clone()));
    assert_eq!(identities.list(ada.user.id).await.unwrap(), vec![link]);
    for (name, subject) in [("acme-id", "1234"), ("other", "12345")] {
        let found = identities
            .find_user(&provider(name), subject)
            .await
            .unwrap();
        assert_eq!(found, None, "{name} {subject}");
    }
    // The account has no password: no password can ever match.
    let users = SeaUsers::new(db);
    assert_eq!(users.password_hash(ada.user.id).await.unwrap(), Some(None));
}

async fn a_taken_email_or_identity_creates_nothing(db: Db) {
    let identities = SeaIdentities::new(db.clone());
    let users = SeaUsers::new(db);
    let password_account = new_user("ada@example.com", base_time());
    users.create(&password_account).await.unwrap();

    let (same_email, link) = oauth_user("Ada@Example.com", "1");
    let err = identities
        .create_linked(&same_email, &link)
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::Conflict), "{err:?}");
    assert_eq!(
        identities
            .find_user(&provider("acme-id"), "1")
            .await
            .unwrap(),
        None
    );
    assert!(
        identities
            .list(password_account.user.id)
            .await
            .unwrap()
            .is_empty()
    );

    let (bob, bob_link) = oauth_user("bob@example.com", "2");
    identities.create_linked(&bob, &bob_link).await.unwrap();
    let (carol, mut carol_link) = oauth_user("carol@example.com", "2");
    carol_link.user_id = carol.user.id;
    let err = identities
        .create_linked(&carol, &carol_link)
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::Conflict), "{err:?}");
    assert_eq!(users.find(carol.user.id).await.unwrap(), None);
}

async fn deleting_the_user_deletes_its_identities(db: Db) {
    let identities = SeaIdentities::new(db.clone());
    let users = SeaUsers::new(db);
    let (ada, link) = oauth_user("ada@example.com", "7");
    identities.create_linked(&ada, &link).await.unwrap();
    assert!(users.delete(ada.user.id).await.unwrap());
    assert!(identities.list(ada.user.id).await.unwrap().is_empty());
    assert_eq!(
        identities
            .find_user(&provider("acme-id"), "7")
            .await
            .unwrap(),
        None
    );
    // The provider account is free again: a new account may link it.
    let (again, again_link) = oauth_user("ada@example.com", "7");
    identities.create_linked(&again, &again_link).await.unwrap();
}

fn login(state: &FlowSecret, binding: &FlowSecret, at: Timestamp) -> PendingLogin {
    PendingLogin {
        state_hash: state.hash(),
        provider: provider("acme-id"),
        binding_hash: binding.hash(),
        pkce_verifier: FlowSecret::generate(),
        nonce: FlowSecret::generate(),
        redirect_uri: "http://127.0.0.1:8080/api/v1/auth/oauth/acme-id/callback".into(),
        created_at: at,
        expires_at: at + Duration::minutes(10),
    }
}

/// Takes the login of `state` as the browser holding `binding` would, at
/// the start of its lifetime.
async fn take(
    store: &SeaPendingLogins,
    state: &FlowSecret,
    binding: &FlowSecret,
) -> Option<PendingLogin> {
    take_at(store, state, binding, &provider("acme-id"), base_time()).await
}

async fn take_at(
    store: &SeaPendingLogins,
    state: &FlowSecret,
    binding: &FlowSecret,
    provider: &ProviderName,
    now: Timestamp,
) -> Option<PendingLogin> {
    let claim = PendingLoginClaim {
        state_hash: &state.hash(),
        provider,
        binding_hash: &binding.hash(),
        now,
    };
    store.take(&claim).await.unwrap()
}

async fn a_state_is_taken_once(db: Db) {
    let store = SeaPendingLogins::new(db);
    let (state, binding) = (FlowSecret::generate(), FlowSecret::generate());
    let pending = login(&state, &binding, base_time());
    store.save(&pending).await.unwrap();
    assert_eq!(take(&store, &FlowSecret::generate(), &binding).await, None);
    assert_eq!(take(&store, &state, &binding).await, Some(pending));
    assert_eq!(take(&store, &state, &binding).await, None);
}

async fn a_claim_that_differs_in_any_part_takes_nothing(db: Db) {
    let store = SeaPendingLogins::new(db);
    let (state, binding) = (FlowSecret::generate(), FlowSecret::generate());
    let pending = login(&state, &binding, base_time());
    store.save(&pending).await.unwrap();
    let acme = provider("acme-id");
    let expired = base_time() + Duration::minutes(10);
    assert_eq!(take(&store, &state, &FlowSecret::generate()).await, None);
    let other = provider("other");
    assert_eq!(
        take_at(&store, &state, &binding, &other, base_time()).await,
        None
    );
    assert_eq!(
        take_at(&store, &state, &binding, &acme, expired).await,
        None
    );
    // None of those spent it.
    assert_eq!(take(&store, &state, &binding).await, Some(pending));
}

async fn concurrent_takes_of_one_state_yield_it_once(db: Db) {
    let store = SeaPendingLogins::new(db);
    let (state, binding) = (FlowSecret::generate(), FlowSecret::generate());
    store
        .save(&login(&state, &binding, base_time()))
        .await
        .unwrap();
    let takes: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let (state, binding) = (state.clone(), binding.clone());
            tokio::spawn(async move { take(&store, &state, &binding).await })
        })
        .collect();
    let mut winners = 0;
    for take in takes {
        if take.await.unwrap().is_some() {
            winners += 1;
        }
    }
    assert_eq!(winners, 1);
}

async fn prune_removes_only_expired_states(db: Db) {
    let store = SeaPendingLogins::new(db);
    let binding = FlowSecret::generate();
    let (old, fresh) = (FlowSecret::generate(), FlowSecret::generate());
    store
        .save(&login(&old, &binding, base_time() - Duration::minutes(11)))
        .await
        .unwrap();
    store
        .save(&login(&fresh, &binding, base_time()))
        .await
        .unwrap();
    assert_eq!(store.prune(base_time()).await.unwrap(), 1);
    let acme = provider("acme-id");
    let long_ago = base_time() - Duration::minutes(11);
    assert_eq!(take_at(&store, &old, &binding, &acme, long_ago).await, None);
    assert!(take(&store, &fresh, &binding).await.is_some());
}
