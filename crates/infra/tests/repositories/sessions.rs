//! `SeaSessions`: the refresh-token chain, the per-request principal check,
//! listing, revocation and pruning.

use crate::support::{base_time, client, new_user, on_both, refresh, session};
use domain::model::{Principal, RefreshState, Role, SessionId, UserId};
use domain::ports::{SessionRepository, UserRepository, UserUpdate};
use infra::{Db, SeaSessions, SeaUsers};
use time::Duration;

on_both!(
    create_and_find_refresh,
    rotate_spends_once,
    concurrent_rotations_have_one_winner,
    principal_requires_live_session_and_enabled_user,
    list_revoke_and_prune,
);

/// A stored user and the repositories.
async fn setup(db: &Db) -> (SeaUsers, SeaSessions, UserId) {
    let users = SeaUsers::new(db.clone());
    let user = new_user("ada@example.com", base_time());
    users.create(&user).await.unwrap();
    (users, SeaSessions::new(db.clone()), user.user.id)
}

async fn create_and_find_refresh(db: Db) {
    let (_, sessions, user) = setup(&db).await;
    let (state, first) = session(user, base_time());
    sessions.create(&state, &client(), &first).await.unwrap();

    let found = sessions.find_refresh(&first.hash).await.unwrap();
    let expected = RefreshState {
        record: first.clone(),
        session: state.clone(),
        user_disabled: false,
        role: Role::User,
    };
    assert_eq!(found, Some(expected));
    assert_eq!(
        sessions.find(user, state.id).await.unwrap(),
        Some(state.clone())
    );
    assert_eq!(sessions.find(UserId::new(), state.id).await.unwrap(), None);
    assert_eq!(sessions.find(user, SessionId::new()).await.unwrap(), None);
    let unknown = refresh(state.id, base_time()).hash;
    assert_eq!(sessions.find_refresh(&unknown).await.unwrap(), None);
}

async fn rotate_spends_once(db: Db) {
    let (_, sessions, user) = setup(&db).await;
    let (state, first) = session(user, base_time());
    sessions.create(&state, &client(), &first).await.unwrap();
    let later = base_time() + Duration::minutes(10);
    let next = refresh(state.id, later);

    assert!(sessions.rotate(&first.hash, &next).await.unwrap());
    let spent = sessions.find_refresh(&first.hash).await.unwrap().unwrap();
    assert_eq!(spent.record.spent_at, Some(later));
    let current = sessions.find_refresh(&next.hash).await.unwrap().unwrap();
    assert_eq!(current.record, next);
    assert_eq!(current.session.expires_at, next.expires_at);
    let listed = sessions.list_live(user, later).await.unwrap();
    assert_eq!(listed[0].last_used_at, later);
    assert_eq!(listed[0].created_at, base_time());

    let rival = refresh(state.id, later);
    assert!(!sessions.rotate(&first.hash, &rival).await.unwrap());
    assert_eq!(sessions.find_refresh(&rival.hash).await.unwrap(), None);
    let unknown = refresh(state.id, later);
    assert!(!sessions.rotate(&unknown.hash, &rival).await.unwrap());
}

async fn concurrent_rotations_have_one_winner(db: Db) {
    let (_, sessions, user) = setup(&db).await;
    let (state, first) = session(user, base_time());
    sessions.create(&state, &client(), &first).await.unwrap();

    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let sessions = sessions.clone();
            let spent = first.hash.clone();
            let next = refresh(state.id, base_time() + Duration::SECOND);
            tokio::spawn(async move { sessions.rotate(&spent, &next).await.unwrap() })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        winners += usize::from(task.await.unwrap());
    }
    assert_eq!(winners, 1);
}

async fn principal_requires_live_session_and_enabled_user(db: Db) {
    let (users, sessions, user) = setup(&db).await;
    let now = base_time() + Duration::HOUR;
    let (live, first) = session(user, base_time());
    sessions.create(&live, &client(), &first).await.unwrap();
    let expected = Principal {
        user_id: user,
        session_id: live.id,
        role: Role::User,
    };
    assert_eq!(
        sessions.principal(live.id, now).await.unwrap(),
        Some(expected)
    );
    assert_eq!(
        sessions.principal(SessionId::new(), now).await.unwrap(),
        None
    );

    // The role is read now, not copied at login.
    let admin = UserUpdate {
        role: Some(Role::Admin),
        ..UserUpdate::default()
    };
    users.update(user, &admin, now).await.unwrap();
    let principal = sessions.principal(live.id, now).await.unwrap().unwrap();
    assert_eq!(principal.role, Role::Admin);

    // Expired: the session's expiry is not after now.
    let expiry = live.expires_at;
    assert_eq!(sessions.principal(live.id, expiry).await.unwrap(), None);

    // Disabled user.
    let disable = UserUpdate {
        disabled: Some(true),
        ..UserUpdate::default()
    };
    users.update(user, &disable, now).await.unwrap();
    assert_eq!(sessions.principal(live.id, now).await.unwrap(), None);
    let enable = UserUpdate {
        disabled: Some(false),
        ..UserUpdate::default()
    };
    users.update(user, &enable, now).await.unwrap();
    assert!(sessions.principal(live.id, now).await.unwrap().is_some());

    // Revoked.
    assert!(sessions.revoke(user, live.id, now).await.unwrap());
    assert_eq!(sessions.principal(live.id, now).await.unwrap(), None);
}

async fn list_revoke_and_prune(db: Db) {
    let (users, sessions, user) = setup(&db).await;
    let other = new_user("bob@example.com", base_time());
    users.create(&other).await.unwrap();
    let t = |minutes: i64| base_time() + Duration::minutes(minutes);

    let mut started = Vec::new();
    for minutes in [0, 1, 2, 3] {
        let (state, first) = session(user, t(minutes));
        sessions.create(&state, &client(), &first).await.unwrap();
        started.push((state, first));
    }
    let (mut expired, expired_first) = session(user, t(-2 * 24 * 60));
    expired.expires_at = t(-24 * 60);
    sessions
        .create(&expired, &client(), &expired_first)
        .await
        .unwrap();
    let (bobs, bobs_first) = session(other.user.id, t(0));
    sessions
        .create(&bobs, &client(), &bobs_first)
        .await
        .unwrap();

    let now = t(10);
    let live = sessions.list_live(user, now).await.unwrap();
    let ids: Vec<_> = live.iter().map(|s| s.id).collect();
    let newest_first: Vec<_> = started.iter().rev().map(|(s, _)| s.id).collect();
    assert_eq!(ids, newest_first);
    assert_eq!(live[0].user_agent.as_deref(), Some("test-agent/1.0"));
    assert_eq!(live[0].ip.as_deref(), Some("192.0.2.1"));
    assert!(live.iter().all(|s| !s.current));

    // Revoke one: only a live session of the same user.
    let first_id = started[0].0.id;
    assert!(sessions.revoke(user, first_id, now).await.unwrap());
    assert!(!sessions.revoke(user, first_id, now).await.unwrap());
    assert!(
        !sessions
            .revoke(other.user.id, started[1].0.id, now)
            .await
            .unwrap()
    );
    assert!(!sessions.revoke(user, expired.id, now).await.unwrap());
    let revoked = sessions.find(user, first_id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(now));

    // Revoke all but one: counts only live sessions of this user.
    let keep = started[3].0.id;
    assert_eq!(
        sessions.revoke_all(user, Some(keep), t(11)).await.unwrap(),
        2
    );
    let live: Vec<_> = sessions
        .list_live(user, t(11))
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(live, [keep]);
    assert_eq!(sessions.revoke_all(user, None, t(12)).await.unwrap(), 1);
    assert_eq!(
        sessions
            .list_live(other.user.id, t(12))
            .await
            .unwrap()
            .len(),
        1
    );

    // Prune: expired before the cut-off, or revoked before it.
    assert_eq!(
        sessions.prune(t(11)).await.unwrap(),
        2,
        "the expired one and the one revoked at t10"
    );
    assert!(sessions.find(user, expired.id).await.unwrap().is_none());
    assert!(sessions.find(user, first_id).await.unwrap().is_none());
    assert!(
        sessions
            .find_refresh(&expired_first.hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions.find(user, keep).await.unwrap().is_some(),
        "revoked at t12, not before t11"
    );
    assert_eq!(sessions.prune(t(13)).await.unwrap(), 3);
    assert!(
        sessions
            .find_refresh(&started[3].1.hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        sessions
            .find(other.user.id, bobs.id)
            .await
            .unwrap()
            .is_some()
    );
}
