//! Keyset listing: every sort walked two rows at a time yields every row
//! exactly once, in the in-memory adapter's order; `q` is literal and
//! case-insensitive.

use crate::support::{at, item, on_both, user};
use domain::model::{
    Cursor, Item, ItemId, Limit, OwnedResource, Page, SearchText, SortField, SortKey,
};
use domain::ports::{ItemRepository, ListQuery, OwnedRepository, Scope};
use domain::testing::{InMemoryItems, MemoryStore};
use infra::{Db, SeaItems};
use serde_json::json;
use std::sync::Arc;

on_both!(
    every_sort_walks_every_row_once,
    search_is_literal_and_case_insensitive
);

const SORTS: [&str; 6] = [
    "created_at",
    "-created_at",
    "name",
    "-name",
    "updated_at",
    "-updated_at",
];

/// The ids of every page of `query`'s list, walked `limit` rows at a time.
async fn walk(
    repo: &dyn ItemRepository,
    scope: Scope,
    sort: SortKey,
    q: Option<&str>,
) -> Vec<ItemId> {
    let q = q.and_then(|q| SearchText::parse(q).unwrap());
    let q_text = q.as_ref().map(SearchText::as_str);
    let limit = Limit::new(2).unwrap();
    let (mut after, mut seen) = (None, Vec::new());
    for _ in 0..100 {
        let query = ListQuery {
            filter: (),
            q: q.clone(),
            sort,
            limit,
            after: after.clone(),
        };
        let rows = repo.list(scope, &query).await.unwrap();
        assert!(rows.len() <= 3, "fetches limit + 1 at most");
        let page = Page::from_overfetch(rows, limit, |item: &Item| {
            Cursor::new(sort, q_text, item.cursor_value(sort.field), item.id.0)
        });
        seen.extend(page.data.iter().map(|item| item.id));
        let Some(next) = page.next_cursor else {
            return seen;
        };
        after = Some(Cursor::decode(&next, sort, q_text).unwrap());
    }
    panic!("the walk does not end")
}

/// The order a list must have: (sort value bytewise, id), reversed when
/// descending.
fn expected(items: &[Item], scope: Scope, sort: SortKey) -> Vec<ItemId> {
    let mut rows: Vec<&Item> = items
        .iter()
        .filter(|item| matches!(scope, Scope::All) || Scope::Owner(item.owner_id) == scope)
        .collect();
    rows.sort_by(|a, b| {
        let key = |item: &Item| match sort.field {
            SortField::CreatedAt => item.created_at.unix_micros().to_be_bytes().to_vec(),
            SortField::UpdatedAt => item.updated_at.unix_micros().to_be_bytes().to_vec(),
            SortField::Name => item.name.as_str().as_bytes().to_vec(),
        };
        key(a).cmp(&key(b)).then(a.id.cmp(&b.id))
    });
    if sort.descending {
        rows.reverse();
    }
    rows.into_iter().map(|item| item.id).collect()
}

async fn every_sort_walks_every_row_once(db: Db) {
    let (ada, bob) = (
        user(&db, "ada@example.com").await,
        user(&db, "bob@example.com").await,
    );
    let items = SeaItems::new(db);
    let memory = InMemoryItems::new(Arc::new(MemoryStore::default()));
    // Name ties, case and non-ASCII names (bytewise: "A b" < "B" < "Z" <
    // "a" < "ab" < "b" < "ä" < "é"), created_at and updated_at ties.
    let names = [
        "b", "B", "a", "a", "a", "Z", "é", "ä", "ab", "A b", "a", "Z",
    ];
    let mut all = Vec::new();
    for (i, name) in (0_i64..).zip(names) {
        let owner = if i % 3 == 2 { bob } else { ada };
        let mut row = item(owner, name, json!({"i": i}), at((i / 2) * 1_000));
        row.updated_at = at((i % 4) * 7_000 + 1);
        items.create(&row).await.unwrap();
        memory.create(&row).await.unwrap();
        all.push(row);
    }
    for sort in SORTS {
        let sort = SortKey::parse(
            sort,
            &[SortField::CreatedAt, SortField::UpdatedAt, SortField::Name],
        )
        .unwrap();
        for scope in [Scope::Owner(ada), Scope::Owner(bob), Scope::All] {
            let walked = walk(&items, scope, sort, None).await;
            assert_eq!(walked, expected(&all, scope, sort), "{sort:?} {scope:?}");
            assert_eq!(
                walked,
                walk(&memory, scope, sort, None).await,
                "{sort:?} {scope:?}"
            );
        }
    }
}

async fn search_is_literal_and_case_insensitive(db: Db) {
    let ada = user(&db, "ada@example.com").await;
    let items = SeaItems::new(db);
    let memory = InMemoryItems::new(Arc::new(MemoryStore::default()));
    let names = [
        "100% pure",
        "100 pure",
        "a_b",
        "axb",
        r"Back\slash",
        "back-slash",
        "MiXeD Case",
        "ÄPFEL",
        "apfel",
        "Äpfel again",
    ];
    for (i, name) in (0_i64..).zip(names) {
        let row = item(ada, name, json!({"n": i}), at(i));
        items.create(&row).await.unwrap();
        memory.create(&row).await.unwrap();
    }
    let sort = SortKey::parse("name", &[SortField::Name]).unwrap();
    let cases: [(&str, &[&str]); 8] = [
        ("%", &["100% pure"]),
        ("0%", &["100% pure"]),
        ("_", &["a_b"]),
        ("A_B", &["a_b"]),
        (r"\", &[r"Back\slash"]),
        ("mixed c", &["MiXeD Case"]),
        ("äpfel", &["ÄPFEL", "Äpfel again"]),
        ("PFEL", &["apfel", "ÄPFEL", "Äpfel again"]),
    ];
    for (q, want) in cases {
        let walked = walk(&items, Scope::All, sort, Some(q)).await;
        let mut found = Vec::new();
        for id in &walked {
            found.push(
                items
                    .find(*id, Scope::All)
                    .await
                    .unwrap()
                    .unwrap()
                    .name
                    .as_str()
                    .to_owned(),
            );
        }
        assert_eq!(found, want, "q = {q:?}");
        assert_eq!(
            walked,
            walk(&memory, Scope::All, sort, Some(q)).await,
            "q = {q:?}"
        );
    }
}
