//! `replay()`: after a seq, by resource and by owner, with a limit.

use crate::helpers::{ALL, agent_event, log, released, seqs};
use crate::support::{at, base_time, item, merge, on_both, user};
use domain::model::Stream;
use domain::ports::{EventFilter, EventLog, ItemRepository, OwnedRepository, Scope};
use infra::{Db, SeaItems};
use serde_json::json;

on_both!(replay_filters_and_limits, replay_shows_only_released_events);

async fn replay_filters_and_limits(db: Db) {
    let (ada, bob) = (
        user(&db, "ada@example.com").await,
        user(&db, "bob@example.com").await,
    );
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    let ada1 = item(ada, "ada 1", json!({}), base_time());
    let ada2 = item(ada, "ada 2", json!({}), base_time());
    let bob1 = item(bob, "bob 1", json!({}), base_time());
    for thing in [&ada1, &bob1, &ada2] {
        items.create(thing).await.unwrap();
    }
    for (n, thing) in [&ada1, &bob1, &ada1, &ada2].into_iter().enumerate() {
        let change = merge(json!({"n": n}));
        let when = at(i64::try_from(n).unwrap() + 1);
        items
            .update(thing.id, Scope::All, &change, None, when)
            .await
            .unwrap();
    }
    agent_event(&db, ada.0).await;
    let all = released(&log).await;
    assert_eq!(all.len(), 8);

    let replay = async |since, resource, owner, limit| {
        let filter = EventFilter { resource, owner };
        let events = log
            .replay(Stream::Items, since, filter, limit)
            .await
            .unwrap();
        assert!(events.iter().all(|e| e.stream == Stream::Items));
        seqs(&events)
    };
    // Items were written as 1..=7 (create ada1, bob1, ada2, then updates).
    assert_eq!(replay(0, None, None, 100).await, [1, 2, 3, 4, 5, 6, 7]);
    assert_eq!(replay(4, None, None, 100).await, [5, 6, 7]);
    assert_eq!(replay(2, None, None, 3).await, [3, 4, 5]);
    assert_eq!(replay(7, None, None, 100).await, Vec::<i64>::new());
    assert_eq!(replay(0, Some(ada1.id.0), None, 100).await, [1, 4, 6]);
    assert_eq!(replay(4, Some(ada1.id.0), None, 100).await, [6]);
    assert_eq!(replay(0, None, Some(ada), 100).await, [1, 3, 4, 6, 7]);
    assert_eq!(replay(0, None, Some(bob), 100).await, [2, 5]);
    assert_eq!(replay(0, None, Some(ada), 2).await, [1, 3]);
    // Both filters: the resource must also be the owner's.
    assert_eq!(replay(0, Some(bob1.id.0), Some(bob), 100).await, [2, 5]);
    assert_eq!(
        replay(0, Some(bob1.id.0), Some(ada), 100).await,
        Vec::<i64>::new()
    );

    let agents = log.replay(Stream::Agents, 0, ALL, 100).await.unwrap();
    assert_eq!((agents.len(), agents[0].kind.as_str()), (1, "agent.online"));
    let bobs = EventFilter {
        resource: None,
        owner: Some(bob),
    };
    assert_eq!(log.replay(Stream::Agents, 0, bobs, 100).await.unwrap(), []);
}

async fn replay_shows_only_released_events(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let (items, log) = (SeaItems::new(db.clone()), log(&db).await);
    items
        .create(&item(ada, "one", json!({}), base_time()))
        .await
        .unwrap();
    assert_eq!(log.replay(Stream::Items, 0, ALL, 10).await.unwrap(), []);
    assert_eq!(log.latest_seq(Stream::Items).await.unwrap(), 0);
    let handed_out = released(&log).await;
    assert_eq!(
        log.replay(Stream::Items, 0, ALL, 10).await.unwrap(),
        handed_out
    );
    assert_eq!(log.replay(Stream::Items, -5, ALL, 0).await.unwrap(), []);
}
