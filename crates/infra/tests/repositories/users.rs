//! `SeaUsers`: create, conflicts, reads, updates, cascading delete, keyset
//! listing with literal search.

use crate::support::{base_time, client, new_user, new_user_named, on_both, session};
use domain::RepoError;
use domain::model::{
    Cursor, CursorValue, DisplayName, Limit, PasswordHash, Role, SearchText, SessionId, SortField,
    SortKey, User, UserId,
};
use domain::ports::{SessionRepository, UserQuery, UserRepository, UserUpdate};
use infra::{Db, SeaSessions, SeaUsers};
use time::Duration;

on_both!(
    create_and_find,
    email_conflict_ignores_case,
    update_changes_only_given_fields,
    delete_cascades_sessions,
    list_pages_both_directions,
    list_search_is_literal_and_case_insensitive,
);

async fn create_and_find(db: Db) {
    let users = SeaUsers::new(db);
    let ada = new_user("Ada@Example.com", base_time());
    users.create(&ada).await.unwrap();

    assert_eq!(
        users.find(ada.user.id).await.unwrap(),
        Some(ada.user.clone())
    );
    let (found, hash) = users
        .find_with_password(&ada.user.email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, ada.user);
    assert_eq!(found.email.as_str(), "ada@example.com");
    assert_eq!(hash, ada.password_hash);
    assert_eq!(
        users.password_hash(ada.user.id).await.unwrap(),
        Some(ada.password_hash)
    );

    let mut oauth = new_user("oauth@example.com", base_time());
    oauth.password_hash = None;
    users.create(&oauth).await.unwrap();
    assert_eq!(
        users.password_hash(oauth.user.id).await.unwrap(),
        Some(None)
    );

    assert_eq!(users.find(UserId::new()).await.unwrap(), None);
    assert_eq!(users.password_hash(UserId::new()).await.unwrap(), None);
    let nobody = domain::model::Email::parse("nobody@example.com").unwrap();
    assert!(users.find_with_password(&nobody).await.unwrap().is_none());
}

async fn email_conflict_ignores_case(db: Db) {
    let users = SeaUsers::new(db);
    users
        .create(&new_user("ada@example.com", base_time()))
        .await
        .unwrap();
    let err = users
        .create(&new_user("ADA@example.COM", base_time()))
        .await
        .unwrap_err();
    assert!(matches!(err, RepoError::Conflict), "got {err:?}");
    users
        .create(&new_user("bob@example.com", base_time()))
        .await
        .unwrap();
}

async fn update_changes_only_given_fields(db: Db) {
    let users = SeaUsers::new(db);
    let ada = new_user_named("ada@example.com", "Ada", base_time());
    users.create(&ada).await.unwrap();
    let later = base_time() + Duration::HOUR;

    let name = DisplayName::parse("Countess").unwrap();
    let renamed = users
        .update(
            ada.user.id,
            &UserUpdate {
                display_name: Some(name.clone()),
                ..UserUpdate::default()
            },
            later,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        renamed,
        User {
            display_name: name.clone(),
            ..ada.user.clone()
        }
    );

    let change = UserUpdate {
        display_name: None,
        password_hash: Some(PasswordHash("new-hash".into())),
        role: Some(Role::Admin),
        disabled: Some(true),
        ..UserUpdate::default()
    };
    let changed = users
        .update(ada.user.id, &change, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.role, Role::Admin);
    assert!(changed.disabled);
    assert_eq!(changed.display_name, name);
    assert_eq!(users.find(ada.user.id).await.unwrap(), Some(changed));
    assert_eq!(
        users.password_hash(ada.user.id).await.unwrap(),
        Some(Some(PasswordHash("new-hash".into())))
    );

    let missing = users.update(UserId::new(), &change, later).await.unwrap();
    assert_eq!(missing, None);
}

async fn delete_cascades_sessions(db: Db) {
    let users = SeaUsers::new(db.clone());
    let sessions = SeaSessions::new(db);
    let ada = new_user("ada@example.com", base_time());
    users.create(&ada).await.unwrap();
    let (state, first) = session(ada.user.id, base_time());
    sessions.create(&state, &client(), &first).await.unwrap();

    assert!(users.delete(ada.user.id).await.unwrap());
    assert_eq!(users.find(ada.user.id).await.unwrap(), None);
    assert_eq!(sessions.find(ada.user.id, state.id).await.unwrap(), None);
    assert_eq!(sessions.find_refresh(&first.hash).await.unwrap(), None);
    assert!(!users.delete(ada.user.id).await.unwrap());
}

/// Every page of `query` followed through its cursors.
async fn all_pages(
    users: &SeaUsers,
    sort: SortKey,
    q: Option<SearchText>,
    limit: u64,
) -> Vec<Vec<User>> {
    let limit = Limit::new(limit).unwrap();
    let mut pages = Vec::new();
    let mut after = None;
    loop {
        let query = UserQuery {
            q: q.clone(),
            sort,
            limit,
            after: after.take(),
        };
        let mut rows = users.list(&query).await.unwrap();
        let more = rows.len() > usize::try_from(limit.get()).unwrap();
        rows.truncate(usize::try_from(limit.get()).unwrap());
        if more {
            let last = rows.last().unwrap();
            let value = CursorValue::Micros(last.created_at.unix_micros());
            let text = q.as_ref().map(SearchText::as_str);
            after = Some(Cursor::new(sort, text, value, last.id.0));
        }
        pages.push(rows);
        if !more {
            return pages;
        }
    }
}

async fn list_pages_both_directions(db: Db) {
    let users = SeaUsers::new(db);
    let mut created = Vec::new();
    for i in 0..7 {
        // Pairs share a creation time, so the id breaks the tie.
        let at = base_time() + Duration::microseconds(i / 2);
        let user = new_user(&format!("user{i}@example.com"), at);
        users.create(&user).await.unwrap();
        created.push(user.user);
    }
    created.sort_by_key(|u| (u.created_at, u.id));

    let ascending = SortKey {
        field: SortField::CreatedAt,
        descending: false,
    };
    let pages = all_pages(&users, ascending, None, 3).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
    assert_eq!(pages.concat(), created);

    let pages = all_pages(&users, SortKey::NEWEST_FIRST, None, 2).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 2, 1]);
    created.reverse();
    assert_eq!(pages.concat(), created);

    let exact = all_pages(&users, SortKey::NEWEST_FIRST, None, 7).await;
    assert_eq!(exact.len(), 1, "limit + 1 rows tell whether more exist");

    let text_cursor = UserQuery {
        q: None,
        sort: SortKey::NEWEST_FIRST,
        limit: Limit::DEFAULT,
        after: Some(Cursor::new(
            SortKey::NEWEST_FIRST,
            None,
            CursorValue::Text("x".into()),
            SessionId::new().0,
        )),
    };
    assert!(users.list(&text_cursor).await.unwrap().is_empty());
}

async fn list_search_is_literal_and_case_insensitive(db: Db) {
    let users = SeaUsers::new(db);
    let names = [
        "100% sure",
        "1000 sure",
        "a_b",
        "axb",
        r"back\slash",
        "backslash",
        "Ada Lovelace",
    ];
    for (i, name) in names.iter().enumerate() {
        let at = base_time() + Duration::seconds(i64::try_from(i).unwrap());
        users
            .create(&new_user_named(&format!("u{i}@example.com"), name, at))
            .await
            .unwrap();
    }
    users
        .create(&new_user("ADA.KING@example.com", base_time()))
        .await
        .unwrap();

    let found = async |q: &str| {
        let q = SearchText::parse(q).unwrap();
        let pages = all_pages(&users, SortKey::NEWEST_FIRST, q, 100).await;
        let mut names: Vec<String> = pages
            .concat()
            .into_iter()
            .map(|u| {
                if u.display_name.as_str().is_empty() {
                    u.email.to_string()
                } else {
                    u.display_name.as_str().to_owned()
                }
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(found("100%").await, ["100% sure"]);
    assert_eq!(found("a_b").await, ["a_b"]);
    assert_eq!(found(r"\").await, [r"back\slash"]);
    assert_eq!(found("%").await, ["100% sure"]);
    assert_eq!(found("ADA").await, ["Ada Lovelace", "ada.king@example.com"]);
    assert_eq!(found("U3@EXAMPLE").await, ["axb"]);
    assert_eq!(found("sure").await, ["100% sure", "1000 sure"]);
}
