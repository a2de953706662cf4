//! Filtered keyset lists: status, `metadata.<key>` (strings, numbers,
//! booleans, keys with dots and quotes, AND), and pages.

use crate::support::{agent, at, on_both, store, user};
use domain::model::{
    Agent, AgentStatus, Cursor, Limit, MetadataFilter, OwnedResource, SearchText, SortField,
    SortKey,
};
use domain::ports::{AgentFilter, ListQuery, OwnedRepository, Scope};
use infra::{Db, SeaAgents};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

on_both!(metadata_filters_match_as_defined, pages_walk_every_row_once);

fn query(filters: &[(&str, &str)]) -> ListQuery<AgentFilter> {
    ListQuery {
        filter: AgentFilter {
            status: None,
            metadata: filters
                .iter()
                .map(|(key, value)| MetadataFilter {
                    key: (*key).into(),
                    value: (*value).into(),
                })
                .collect(),
        },
        q: None,
        sort: SortKey {
            field: SortField::Name,
            descending: false,
        },
        limit: Limit::DEFAULT,
        after: None,
    }
}

fn names(rows: &[Agent]) -> Vec<&str> {
    rows.iter().map(|a| a.name.as_str()).collect()
}

async fn metadata_filters_match_as_defined(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let bob = user(&db, "bob@example.com").await;
    let agents = SeaAgents::new(db.clone());
    let rows = [
        (
            ada,
            "a",
            json!({"env": "prod", "n": 3, "on": true, "a.b": "dot", "q\"k": "quote"}),
        ),
        (
            ada,
            "b",
            json!({"env": "dev", "n": "3", "on": "true", "f": 1.5}),
        ),
        (
            ada,
            "c",
            json!({"env": "prod", "n": 4, "on": false, "o": {"env": "prod"}}),
        ),
        (bob, "d", json!({"env": "prod", "n": [3], "$.x": "y"})),
    ];
    for (i, (owner, name, metadata)) in rows.into_iter().enumerate() {
        let i = i64::try_from(i).unwrap();
        store(&agents, &agent(owner, name, metadata, at(i))).await;
    }
    let list = async |filters: &[(&str, &str)]| {
        let rows = agents.list(Scope::All, &query(filters)).await.unwrap();
        names(&rows)
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(list(&[("env", "prod")]).await, ["a", "c", "d"]);
    assert_eq!(list(&[("n", "3")]).await, ["a", "b"], "number and string");
    assert_eq!(list(&[("n", "3.0")]).await, Vec::<String>::new());
    assert_eq!(list(&[("f", "1.5")]).await, ["b"]);
    assert_eq!(
        list(&[("on", "true")]).await,
        ["a", "b"],
        "boolean and string"
    );
    assert_eq!(list(&[("on", "false")]).await, ["c"]);
    assert_eq!(
        list(&[("a.b", "dot")]).await,
        ["a"],
        "a dot is part of the key"
    );
    assert_eq!(list(&[("a", "dot")]).await, Vec::<String>::new());
    assert_eq!(list(&[("q\"k", "quote")]).await, ["a"]);
    assert_eq!(list(&[("$.x", "y")]).await, ["d"]);
    assert_eq!(
        list(&[("o", "{\"env\":\"prod\"}")]).await,
        Vec::<String>::new()
    );
    assert_eq!(list(&[("env", "prod"), ("n", "4")]).await, ["c"], "AND");
    assert_eq!(
        list(&[("env", "prod"), ("n", "5")]).await,
        Vec::<String>::new()
    );
    assert_eq!(
        list(&[("env", "'; DROP TABLE agents; --")]).await,
        Vec::<String>::new()
    );

    let mut owned = query(&[("env", "prod")]);
    let ada_only = Scope::Owner(ada);
    assert_eq!(
        names(&agents.list(ada_only, &owned).await.unwrap()),
        ["a", "c"]
    );
    owned.q = SearchText::parse("C").unwrap();
    assert_eq!(names(&agents.list(ada_only, &owned).await.unwrap()), ["c"]);

    let mut online = query(&[]);
    online.filter.status = Some(AgentStatus::Online);
    assert!(agents.list(Scope::All, &online).await.unwrap().is_empty());
    let flip = "UPDATE agents SET status = 'online' WHERE name = 'c'";
    let backend = db.connection().get_database_backend();
    db.connection()
        .execute_raw(Statement::from_string(backend, flip))
        .await
        .unwrap();
    assert_eq!(
        names(&agents.list(Scope::All, &online).await.unwrap()),
        ["c"]
    );
    online.filter.status = Some(AgentStatus::Offline);
    assert_eq!(
        names(&agents.list(Scope::All, &online).await.unwrap()),
        ["a", "b", "d"]
    );
}

async fn pages_walk_every_row_once(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let agents = SeaAgents::new(db);
    for i in 0..7 {
        let metadata = json!({"team": if i % 2 == 0 { "even" } else { "odd" }});
        // Two agents share each creation time: ties break by id.
        store(
            &agents,
            &agent(ada, &format!("agent-{i}"), metadata, at(i / 2)),
        )
        .await;
    }
    let sort = SortKey::NEWEST_FIRST;
    let mut seen = Vec::new();
    let mut after: Option<Cursor> = None;
    loop {
        let mut page = query(&[("team", "even")]);
        page.sort = sort;
        page.limit = Limit::new(2).unwrap();
        page.after = after.clone();
        let mut rows = agents.list(Scope::All, &page).await.unwrap();
        let more = rows.len() > 2;
        rows.truncate(2);
        seen.extend(rows.iter().map(|a| a.name.as_str().to_owned()));
        let Some(last) = rows.last().filter(|_| more) else {
            break;
        };
        after = Some(Cursor::new(
            sort,
            None,
            last.cursor_value(sort.field),
            last.id.0,
        ));
    }
    seen.sort();
    assert_eq!(seen, ["agent-0", "agent-2", "agent-4", "agent-6"]);
}
