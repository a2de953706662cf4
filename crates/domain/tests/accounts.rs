//! The mail-driven account flows on the in-memory adapters: tokens expire,
//! work once and only for their purpose; mail goes where it should.

use domain::ServiceError;
use domain::model::{ClientInfo, Email, Password, Principal};
use domain::ports::Revoked;
use domain::services::RegisterInput;
use domain::testing::TestDomain;
use time::Duration;

const PASSWORD: &str = "password-123";

fn email(raw: &str) -> Email {
    Email::parse(raw).expect("valid email")
}

fn password(raw: &str) -> Password {
    Password::parse(raw).expect("valid password")
}

/// The token in the latest message to `address`.
fn last_token(domain: &TestDomain, address: &str) -> String {
    let mail = domain.mailer.sent_to(address).pop().expect("a message");
    let start = mail.text.find("#token=").expect("a link") + "#token=".len();
    mail.text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

async fn register(domain: &TestDomain, address: &str) -> Principal {
    domain
        .accounts
        .register(RegisterInput {
            email: email(address),
            password: password(PASSWORD),
            display_name: None,
        })
        .await
        .expect("registered");
    let pair = domain
        .auth
        .login(&email(address), &password(PASSWORD), ClientInfo::default())
        .await
        .expect("logged in");
    domain
        .auth
        .authenticate(&pair.access_token)
        .await
        .expect("a principal")
}

#[tokio::test]
async fn verification_links_expire_after_a_day() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let mail = domain.mailer.sent_to("ada@example.com");
    assert_eq!(mail.len(), 1);
    assert!(mail[0].text.contains("http://app.test/verify-email#token="));
    assert!(mail[0].html.contains("verify-email#token="));
    assert_eq!(mail[0].subject, "Test: Confirm your email address");
    let token = last_token(&domain, "ada@example.com");
    domain.clock.advance(Duration::hours(24));
    let expired = domain.accounts.verify_email(&token).await;
    assert!(matches!(expired, Err(ServiceError::InvalidToken)));
}

#[tokio::test]
async fn a_token_works_only_for_its_purpose_and_once() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let token = last_token(&domain, "ada@example.com");
    let wrong_purpose = domain.accounts.confirm_email(&token).await;
    assert!(matches!(wrong_purpose, Err(ServiceError::InvalidToken)));
    let user = domain
        .accounts
        .verify_email(&token)
        .await
        .expect("verified");
    assert!(user.email_verified);
    let again = domain.accounts.verify_email(&token).await;
    assert!(matches!(again, Err(ServiceError::InvalidToken)));
}

#[tokio::test]
async fn reset_links_expire_after_an_hour_and_reset_revokes_everything() {
    let domain = TestDomain::new();
    let principal = register(&domain, "ada@example.com").await;
    let address = email("ada@example.com");
    domain.accounts.forgot_password(&address).await.expect("ok");
    let stale = last_token(&domain, "ada@example.com");
    domain.clock.advance(Duration::hours(1));
    let expired = domain
        .accounts
        .reset_password(&stale, &password("new-password-1"))
        .await;
    assert!(matches!(expired, Err(ServiceError::InvalidToken)));

    domain.accounts.forgot_password(&address).await.expect("ok");
    let fresh = last_token(&domain, "ada@example.com");
    assert_ne!(fresh, stale);
    domain
        .accounts
        .reset_password(&fresh, &password("new-password-1"))
        .await
        .expect("reset");
    assert!(
        domain
            .notifier
            .revoked
            .lock()
            .expect("the notifier's record")
            .contains(&(principal.user_id, Revoked::AllBut(None)))
    );
    let live = domain.auth.sessions(&principal).await.expect("listed");
    assert!(live.is_empty(), "every session is revoked");
}

#[tokio::test]
async fn forgot_for_an_unknown_address_mails_nothing_and_answers_alike() {
    let domain = TestDomain::new();
    register(&domain, "ada@example.com").await;
    let before = domain.mailer.sent().len();
    domain
        .accounts
        .forgot_password(&email("nobody@example.com"))
        .await
        .expect("the same answer");
    domain
        .accounts
        .forgot_password(&email("ada@example.com"))
        .await
        .expect("ok");
    domain
        .accounts
        .forgot_password(&email("ada@example.com"))
        .await
        .expect("dropped silently");
    assert_eq!(domain.mailer.sent().len(), before + 1);
}

#[tokio::test]
async fn an_email_change_moves_the_account_on_confirmation() {
    let domain = TestDomain::new();
    let principal = register(&domain, "ada@example.com").await;
    let user = domain
        .accounts
        .request_email_change(&principal, email("ada@new.example"), Some(PASSWORD))
        .await
        .expect("asked");
    assert_eq!(user.email.as_str(), "ada@example.com");
    assert_eq!(user.pending_email, Some(email("ada@new.example")));
    let notice = domain
        .mailer
        .sent_to("ada@example.com")
        .pop()
        .expect("a notice");
    assert!(notice.text.contains("ada@new.example"));
    let token = last_token(&domain, "ada@new.example");
    let user = domain.accounts.confirm_email(&token).await.expect("moved");
    assert_eq!(user.email.as_str(), "ada@new.example");
    assert!(user.email_verified);
    assert_eq!(user.pending_email, None);
}
