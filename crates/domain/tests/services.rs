//! The domain's rules, tested on the in-memory adapters.

use domain::ServiceError;
use domain::model::{ClientInfo, DisplayName, Email, Limit, Password, Role, SortKey};
use domain::ports::UserQuery;
use domain::services::{AdminUpdate, AuthSettings, PasswordChange, RegisterInput, UpdateMe};
use domain::testing::TestDomain;
use time::Duration;

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("valid email")
}

fn password(raw: &str) -> Password {
    Password::parse(raw).expect("valid password")
}

async fn register(domain: &TestDomain, address: &str) -> domain::model::User {
    domain
        .accounts
        .register(RegisterInput {
            email: email(address),
            password: password("password-123"),
            display_name: None,
        })
        .await
        .expect("registered")
}

async fn login(domain: &TestDomain, address: &str) -> domain::model::TokenPair {
    domain
        .auth
        .login(
            &email(address),
            &password("password-123"),
            ClientInfo::default(),
        )
        .await
        .expect("logged in")
}

#[tokio::test]
async fn registering_a_taken_email_conflicts_case_insensitively() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let again = domain
        .accounts
        .register(RegisterInput {
            email: email("ADA@example.com"),
            password: password("password-456"),
            display_name: None,
        })
        .await;
    assert!(matches!(again, Err(ServiceError::Conflict(_))));
}

#[tokio::test]
async fn unknown_email_and_wrong_password_fail_alike() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let wrong = domain
        .auth
        .login(
            &email("ada@example.com"),
            &password("wrong-pass"),
            ClientInfo::default(),
        )
        .await;
    let unknown = domain
        .auth
        .login(
            &email("bob@example.com"),
            &password("password-123"),
            ClientInfo::default(),
        )
        .await;
    assert!(matches!(wrong, Err(ServiceError::InvalidCredentials)));
    assert!(matches!(unknown, Err(ServiceError::InvalidCredentials)));
}

#[tokio::test]
async fn refresh_rotates_and_spends_the_old_token() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let first = login(&domain, "ada@example.com").await;
    let second = domain
        .auth
        .refresh(first.refresh_token.as_str())
        .await
        .expect("rotated");
    assert_ne!(first.refresh_token, second.refresh_token);
    assert_eq!(first.session_id, second.session_id);
    domain
        .auth
        .authenticate(&second.access_token)
        .await
        .expect("new token works");
}

#[tokio::test]
async fn reuse_within_grace_returns_the_same_successor() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let first = login(&domain, "ada@example.com").await;
    let a = domain
        .auth
        .refresh(first.refresh_token.as_str())
        .await
        .expect("rotated");
    domain.clock.advance(Duration::seconds(5));
    let b = domain
        .auth
        .refresh(first.refresh_token.as_str())
        .await
        .expect("replayed");
    assert_eq!(a, b);
}

#[tokio::test]
async fn reuse_after_grace_revokes_the_whole_session() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let first = login(&domain, "ada@example.com").await;
    let second = domain
        .auth
        .refresh(first.refresh_token.as_str())
        .await
        .expect("rotated");
    domain.clock.advance(Duration::seconds(11));
    let reused = domain.auth.refresh(first.refresh_token.as_str()).await;
    assert!(matches!(reused, Err(ServiceError::InvalidRefreshToken)));
    let descendant = domain.auth.refresh(second.refresh_token.as_str()).await;
    assert!(matches!(descendant, Err(ServiceError::InvalidRefreshToken)));
    let access = domain.auth.authenticate(&second.access_token).await;
    assert!(matches!(access, Err(ServiceError::Unauthorized)));
}

#[tokio::test]
async fn logout_rejects_the_access_token_at_once() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let pair = login(&domain, "ada@example.com").await;
    let principal = domain
        .auth
        .authenticate(&pair.access_token)
        .await
        .expect("valid");
    domain.auth.logout(&principal).await.expect("logged out");
    let after = domain.auth.authenticate(&pair.access_token).await;
    assert!(matches!(after, Err(ServiceError::Unauthorized)));
}

#[tokio::test]
async fn access_tokens_expire() {
    let domain = TestDomain::with_settings(AuthSettings {
        access_ttl: Duration::seconds(60),
        ..AuthSettings::default()
    });
    register(&domain, "ada@example.com").await;
    let pair = login(&domain, "ada@example.com").await;
    domain.clock.advance(Duration::seconds(61));
    let after = domain.auth.authenticate(&pair.access_token).await;
    assert!(matches!(after, Err(ServiceError::Unauthorized)));
}

#[tokio::test]
async fn password_change_needs_the_current_one_and_revokes_other_sessions() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let here = login(&domain, "ada@example.com").await;
    let there = login(&domain, "ada@example.com").await;
    let me = domain
        .auth
        .authenticate(&here.access_token)
        .await
        .expect("valid");
    let wrong = UpdateMe {
        password: Some(PasswordChange {
            current: "not-the-password".into(),
            new: password("new-password-1"),
        }),
        ..UpdateMe::default()
    };
    assert!(matches!(
        domain.users.update_me(&me, wrong).await,
        Err(ServiceError::Forbidden(_))
    ));
    domain
        .auth
        .authenticate(&there.access_token)
        .await
        .expect("nothing changed");

    let right = UpdateMe {
        display_name: Some(DisplayName::parse("Ada").expect("valid")),
        password: Some(PasswordChange {
            current: "password-123".into(),
            new: password("new-password-1"),
        }),
    };
    let user = domain.users.update_me(&me, right).await.expect("changed");
    assert_eq!(user.display_name.as_str(), "Ada");
    domain
        .auth
        .authenticate(&here.access_token)
        .await
        .expect("own session kept");
    assert!(domain.auth.authenticate(&there.access_token).await.is_err());
}

#[tokio::test]
async fn disabling_a_user_revokes_sessions_and_blocks_login() {
    let domain = TestDomain::new();
    let admin = domain
        .auth
        .create_user(
            RegisterInput {
                email: email("root@example.com"),
                password: password("password-123"),
                display_name: None,
            },
            Role::Admin,
        )
        .await
        .expect("admin");
    let ada = register(&domain, "ada@example.com").await;
    let ada_pair = login(&domain, "ada@example.com").await;
    let root_pair = login(&domain, admin.email.as_str()).await;
    let root = domain
        .auth
        .authenticate(&root_pair.access_token)
        .await
        .expect("valid");
    let update = AdminUpdate {
        disabled: Some(true),
        role: None,
    };
    domain
        .users
        .admin_update(&root, ada.id, update)
        .await
        .expect("disabled");
    assert!(
        domain
            .auth
            .authenticate(&ada_pair.access_token)
            .await
            .is_err()
    );
    let login = domain
        .auth
        .login(
            &email("ada@example.com"),
            &password("password-123"),
            ClientInfo::default(),
        )
        .await;
    assert!(matches!(login, Err(ServiceError::Forbidden(_))));
}

#[tokio::test]
async fn only_admins_list_users_and_pages_cover_everyone_once() {
    let domain = TestDomain::new();
    for i in 0..5 {
        register(&domain, &format!("user{i}@example.com")).await;
        domain.clock.advance(Duration::milliseconds(1));
    }
    let pair = login(&domain, "user0@example.com").await;
    let user = domain
        .auth
        .authenticate(&pair.access_token)
        .await
        .expect("valid");
    let query = UserQuery {
        q: None,
        sort: SortKey::NEWEST_FIRST,
        limit: Limit::new(2).expect("valid"),
        after: None,
    };
    assert!(matches!(
        domain.users.list(&user, query.clone()).await,
        Err(ServiceError::Forbidden(_))
    ));
    let admin = domain::model::Principal {
        role: Role::Admin,
        ..user
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let page = domain
            .users
            .list(
                &admin,
                UserQuery {
                    after: after.take(),
                    ..query.clone()
                },
            )
            .await
            .expect("listed");
        seen.extend(page.data.iter().map(|u| u.email.to_string()));
        match page.next_cursor {
            Some(text) => {
                after = Some(
                    domain::model::Cursor::decode(&text, SortKey::NEWEST_FIRST, None)
                        .expect("own cursor"),
                );
            }
            None => break,
        }
    }
    let expected: Vec<String> = (0..5)
        .rev()
        .map(|i| format!("user{i}@example.com"))
        .collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn deleting_the_account_needs_the_password() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let pair = login(&domain, "ada@example.com").await;
    let me = domain
        .auth
        .authenticate(&pair.access_token)
        .await
        .expect("valid");
    let wrong = domain.users.delete_me(&me, Some("wrong-password")).await;
    assert!(matches!(wrong, Err(ServiceError::Forbidden(_))));
    let missing = domain.users.delete_me(&me, None).await;
    assert!(matches!(missing, Err(ServiceError::Invalid(_))));
    domain
        .users
        .delete_me(&me, Some("password-123"))
        .await
        .expect("deleted");
    assert!(domain.auth.authenticate(&pair.access_token).await.is_err());
}
