//! Command rules on the in-memory adapters: ownership, capabilities, the
//! state machine, the in-flight cap, conflicts, and the sweep.

use domain::ServiceError;
use domain::model::{
    Agent, AgentDraft, AgentName, CommandDraft, CommandId, CommandStatus, CommandStep, JsonObject,
    Limit, Principal, Role, SessionId, SortKey, Stream, UserId, command_name,
};
use domain::ports::{CommandFilter, EventFilter};
use domain::services::{Answer, CommandListQuery};
use domain::testing::TestDomain;
use serde_json::{Value, json};
use time::Duration;

fn principal(role: Role) -> Principal {
    Principal {
        user_id: UserId::new(),
        session_id: SessionId::new(),
        role,
    }
}

async fn agent(domain: &TestDomain, owner: &Principal, capabilities: Value) -> Agent {
    let draft = AgentDraft {
        name: AgentName::parse("probe").expect("valid"),
        description: None,
        capabilities: JsonObject::parse(capabilities, "capabilities").expect("valid"),
        metadata: JsonObject::default(),
    };
    domain.agents.create(owner, draft).await.expect("created").0
}

fn draft(name: &str, timeout_secs: u32, ttl_secs: u32) -> CommandDraft {
    CommandDraft {
        name: command_name(name).expect("valid"),
        args: JsonObject::parse(json!({"x": 1}), "args").expect("valid"),
        timeout_secs,
        ttl_secs,
    }
}

fn finish(ok: bool) -> CommandStep {
    CommandStep::Finish {
        ok,
        data: ok.then(|| json!({"done": true})),
        error: (!ok).then(|| json!({"message": "no"})),
    }
}

#[test]
fn names_follow_the_rule() {
    for good in ["echo", "a.b_c-9", &"x".repeat(64)] {
        assert!(command_name(good).is_ok(), "{good}");
    }
    for bad in ["", "Echo", "a b", "é", &"x".repeat(65)] {
        assert!(command_name(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn owners_and_admins_send_others_see_nothing() {
    let domain = TestDomain::new();
    let (ada, bob, admin) = (
        principal(Role::User),
        principal(Role::User),
        principal(Role::Admin),
    );
    let probe = agent(&domain, &ada, json!({"commands": ["echo"]})).await;
    let refused = domain
        .commands
        .create(&ada, probe.id, draft("sleep", 60, 300))
        .await;
    assert!(matches!(refused, Err(ServiceError::Invalid(e)) if e[0].field == "name"));
    let stranger = domain
        .commands
        .create(&bob, probe.id, draft("echo", 60, 300))
        .await;
    assert!(matches!(stranger, Err(ServiceError::NotFound)));
    let command = domain
        .commands
        .create(&admin, probe.id, draft("echo", 60, 300))
        .await
        .expect("an admin may");
    assert_eq!(command.status, CommandStatus::Queued);
    assert_eq!(command.created_by, admin.user_id);
    assert_eq!(command.owner_id, ada.user_id);
    assert!(domain.commands.get(&ada, command.id).await.is_ok());
    assert!(matches!(
        domain.commands.get(&bob, command.id).await,
        Err(ServiceError::NotFound)
    ));
    let query = CommandListQuery {
        filter: CommandFilter::default(),
        q: None,
        sort: SortKey::NEWEST_FIRST,
        limit: Limit::DEFAULT,
        after: None,
    };
    let page = domain
        .commands
        .list_for_agent(&ada, probe.id, query.clone())
        .await
        .expect("listed");
    assert_eq!(page.data.len(), 1);
    assert!(matches!(
        domain.commands.list_for_agent(&bob, probe.id, query).await,
        Err(ServiceError::NotFound)
    ));
}

#[tokio::test]
async fn a_command_runs_through_every_state_to_its_result() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let probe = agent(&domain, &ada, json!({})).await;
    let id = domain
        .commands
        .create(&ada, probe.id, draft("echo", 60, 300))
        .await
        .expect("created")
        .id;
    let sent = domain.commands.deliverable(&probe, 16).await.expect("sent");
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].status, CommandStatus::Sent);
    assert!(sent[0].deadline_at.is_some());
    // Re-sent while unacknowledged, with the same id and no new change.
    let again = domain
        .commands
        .deliverable(&probe, 16)
        .await
        .expect("again");
    assert_eq!((again[0].id, again[0].version), (id, sent[0].version));
    let Answer::Changed(running) = domain
        .commands
        .answer(&probe, id, &CommandStep::Ack)
        .await
        .expect("acked")
    else {
        panic!("an ack starts it");
    };
    assert_eq!(running.status, CommandStatus::Running);
    assert_eq!(
        domain
            .commands
            .answer(&probe, id, &CommandStep::Ack)
            .await
            .expect("repeat"),
        Answer::Unchanged
    );
    assert!(
        domain
            .commands
            .deliverable(&probe, 16)
            .await
            .expect("none")
            .is_empty()
    );
    let progress = domain
        .commands
        .progress(&probe, id, &json!({"pct": 50}))
        .await
        .expect("progress");
    assert!(progress.is_some());
    let Answer::Changed(done) = domain
        .commands
        .answer(&probe, id, &finish(true))
        .await
        .expect("ok")
    else {
        panic!("a result finishes it");
    };
    assert_eq!(done.status, CommandStatus::Succeeded);
    assert_eq!(done.result, Some(json!({"done": true})));
    assert_eq!(done.progress, Some(json!({"pct": 50})));
    assert_eq!(
        domain
            .commands
            .answer(&probe, id, &finish(false))
            .await
            .expect("late"),
        Answer::Conflict
    );
    assert!(matches!(
        domain.commands.cancel(&ada, id).await,
        Err(ServiceError::Conflict(_))
    ));
}

#[tokio::test]
async fn results_for_unknown_or_foreign_commands_conflict() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let (one, two) = (
        agent(&domain, &ada, json!({})).await,
        agent(&domain, &ada, json!({})).await,
    );
    let id = domain
        .commands
        .create(&ada, one.id, draft("echo", 60, 300))
        .await
        .expect("created")
        .id;
    domain.commands.deliverable(&one, 16).await.expect("sent");
    for (agent, id) in [(&two, id), (&one, CommandId::new())] {
        let answer = domain.commands.answer(agent, id, &finish(false)).await;
        assert_eq!(answer.expect("answered"), Answer::Conflict);
    }
    let failed = domain
        .commands
        .answer(&one, id, &finish(false))
        .await
        .expect("failed");
    assert!(matches!(failed, Answer::Changed(c) if c.status == CommandStatus::Failed));
}

#[tokio::test]
async fn at_most_max_in_flight_are_sent_in_creation_order() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let probe = agent(&domain, &ada, json!({})).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        domain.clock.advance(Duration::milliseconds(1));
        let command = domain
            .commands
            .create(&ada, probe.id, draft("echo", 60, 300))
            .await;
        ids.push(command.expect("created").id);
    }
    let first: Vec<_> = domain.commands.deliverable(&probe, 2).await.expect("sent");
    assert_eq!(first.iter().map(|c| c.id).collect::<Vec<_>>(), ids[..2]);
    domain
        .commands
        .answer(&probe, ids[0], &finish(true))
        .await
        .expect("done");
    let next = domain.commands.deliverable(&probe, 2).await.expect("sent");
    assert_eq!(next.iter().map(|c| c.id).collect::<Vec<_>>(), ids[1..3]);
    domain
        .commands
        .cancel(&ada, ids[3])
        .await
        .expect("cancelled");
    domain
        .commands
        .answer(&probe, ids[1], &finish(true))
        .await
        .expect("done");
    domain
        .commands
        .answer(&probe, ids[2], &CommandStep::Ack)
        .await
        .expect("acked");
    let last = domain.commands.deliverable(&probe, 2).await.expect("sent");
    assert_eq!(last.iter().map(|c| c.id).collect::<Vec<_>>(), ids[4..]);
}

#[tokio::test]
async fn the_sweep_expires_and_times_out_and_cancel_finishes() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let probe = agent(&domain, &ada, json!({})).await;
    let waits = domain
        .commands
        .create(&ada, probe.id, draft("echo", 60, 5))
        .await;
    let waits = waits.expect("created").id;
    domain.clock.advance(Duration::seconds(4));
    assert_eq!(domain.commands.sweep().await.expect("swept"), 0);
    domain.clock.advance(Duration::seconds(1));
    assert_eq!(domain.commands.sweep().await.expect("swept"), 1);
    let expired = domain.commands.get(&ada, waits).await.expect("kept");
    assert_eq!(expired.status, CommandStatus::Expired);
    assert!(expired.finished_at.is_some() && expired.error.is_some());

    let runs = domain
        .commands
        .create(&ada, probe.id, draft("echo", 2, 300))
        .await;
    let runs = runs.expect("created").id;
    domain.commands.deliverable(&probe, 16).await.expect("sent");
    domain.clock.advance(Duration::seconds(2));
    assert_eq!(domain.commands.sweep().await.expect("swept"), 1);
    let timed_out = domain.commands.get(&ada, runs).await.expect("kept");
    assert_eq!(timed_out.status, CommandStatus::TimedOut);
    let late = domain.commands.answer(&probe, runs, &finish(true)).await;
    assert_eq!(late.expect("answered"), Answer::Conflict);

    let cancelled = domain
        .commands
        .create(&ada, probe.id, draft("echo", 60, 300))
        .await;
    let cancelled = cancelled.expect("created").id;
    domain.commands.deliverable(&probe, 16).await.expect("sent");
    let done = domain
        .commands
        .cancel(&ada, cancelled)
        .await
        .expect("cancelled");
    assert_eq!(done.status, CommandStatus::Cancelled);
    assert_eq!(domain.commands.sweep().await.expect("swept"), 0);
}

#[tokio::test]
async fn every_status_change_is_one_event_about_the_agent() {
    let domain = TestDomain::new();
    let ada = principal(Role::User);
    let probe = agent(&domain, &ada, json!({})).await;
    let id = domain
        .commands
        .create(&ada, probe.id, draft("echo", 60, 300))
        .await
        .expect("created")
        .id;
    domain.commands.deliverable(&probe, 16).await.expect("sent");
    domain
        .commands
        .answer(&probe, id, &CommandStep::Ack)
        .await
        .expect("acked");
    domain
        .commands
        .progress(&probe, id, &json!({}))
        .await
        .expect("progress");
    domain
        .commands
        .answer(&probe, id, &finish(true))
        .await
        .expect("done");
    domain.ports.events.release().await.expect("released");
    let about = EventFilter {
        resource: Some(probe.id.0),
        owner: Some(ada.user_id),
    };
    let events = domain
        .ports
        .events
        .replay(Stream::Agents, 0, about, 100)
        .await;
    let events = events.expect("replayed");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(events[4].data["status"], "succeeded");
    assert_eq!(
        kinds,
        [
            "agent.created",
            "command.created",
            "command.updated",
            "command.updated",
            "command.updated"
        ]
    );
}
