//! `SeaIdentities` and `SeaPendingLogins`: an account and its link are
//! created together or not at all, a state is consumed exactly once, and
//! expired states are pruned.

use crate::support::{base_time, new_user, on_both};
use domain::RepoError;
use domain::model::{FlowSecret, LinkedIdentity, NewUser, PendingLogin, ProviderName, Timestamp};
use domain::ports::{IdentityRepository, PendingLoginStore, UserRepository};
use infra::{Db, SeaIdentities, SeaPendingLogins, SeaUsers};
use time::Duration;

on_both!(
    linked_account_is_found_by_provider_and_subject,
    a_taken_email_or_identity_creates_nothing,
    deleting_the_user_deletes_its_identities,
    a_state_is_taken_once,
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

fn login(state: &FlowSecret, at: Timestamp) -> PendingLogin {
    PendingLogin {
        state_hash: state.hash(),
        provider: provider("acme-id"),
        binding_hash: FlowSecret::generate().hash(),
        pkce_verifier: FlowSecret::generate(),
        nonce: FlowSecret::generate(),
        redirect_uri: "http://127.0.0.1:8080/api/v1/auth/oauth/acme-id/callback".into(),
        created_at: at,
        expires_at: at + Duration::minutes(10),
    }
}

async fn a_state_is_taken_once(db: Db) {
    let store = SeaPendingLogins::new(db);
    let state = FlowSecret::generate();
    let pending = login(&state, base_time());
    store.save(&pending).await.unwrap();
    assert_eq!(
        store.take(&FlowSecret::generate().hash()).await.unwrap(),
        None
    );
    assert_eq!(store.take(&state.hash()).await.unwrap(), Some(pending));
    assert_eq!(store.take(&state.hash()).await.unwrap(), None);
}

async fn concurrent_takes_of_one_state_yield_it_once(db: Db) {
    let store = SeaPendingLogins::new(db);
    let state = FlowSecret::generate();
    store.save(&login(&state, base_time())).await.unwrap();
    let takes: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            let hash = state.hash();
            tokio::spawn(async move { store.take(&hash).await.unwrap() })
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
    let old = FlowSecret::generate();
    let fresh = FlowSecret::generate();
    store
        .save(&login(&old, base_time() - Duration::minutes(11)))
        .await
        .unwrap();
    store.save(&login(&fresh, base_time())).await.unwrap();
    assert_eq!(store.prune(base_time()).await.unwrap(), 1);
    assert_eq!(store.take(&old.hash()).await.unwrap(), None);
    assert!(store.take(&fresh.hash()).await.unwrap().is_some());
}
