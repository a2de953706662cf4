//! The account tokens and the mail outbox on real databases: a token is
//! spent once however many try at once, the throttle holds, and concurrent
//! senders never claim the same message.

use crate::common::{at, base_time, on_both};
use crate::support::new_user;
use domain::model::{AccountToken, Email, Mail, NewAccountToken, SecretKey, TokenPurpose};
use domain::ports::{AccountStore, MailOutbox};
use infra::{Db, SeaAccounts, SeaOutbox};
use std::collections::HashSet;
use time::Duration;

on_both!(
    concurrent_senders_claim_each_message_once,
    a_token_is_spent_once_and_only_while_fresh
);

fn mail(n: usize) -> Mail {
    Mail {
        to: Email::parse(&format!("user{n}@example.com")).unwrap(),
        subject: format!("message {n}"),
        text: "text".into(),
        html: "<p>html</p>".into(),
    }
}

fn token(user: &domain::model::NewUser, purpose: TokenPurpose) -> (AccountToken, NewAccountToken) {
    let key = SecretKey::new(&[9u8; 32]).unwrap();
    let token = AccountToken::generate();
    let stored = NewAccountToken {
        hash: key.account_token_hash(&token),
        user_id: user.user.id,
        purpose,
        new_email: None,
        created_at: base_time(),
    };
    (token, stored)
}

async fn concurrent_senders_claim_each_message_once(db: Db) {
    let accounts = SeaAccounts::new(db.clone());
    let ada = new_user("ada@example.com", base_time());
    let (_, stored) = token(&ada, TokenPurpose::VerifyEmail);
    let queued: Vec<_> = (0..40).map(mail).collect();
    accounts.register(&ada, &stored, &queued).await.unwrap();

    let outbox = SeaOutbox::new(db.clone());
    let now = at(1);
    let lease = now + Duration::minutes(2);
    let claims = (0..4).map(|_| {
        let outbox = outbox.clone();
        tokio::spawn(async move { outbox.claim_due(now, lease, 15).await.unwrap() })
    });
    let mut seen = HashSet::new();
    for claim in claims {
        for message in claim.await.unwrap() {
            assert_eq!(message.attempts, 1);
            assert!(
                seen.insert(message.id),
                "claimed twice: {}",
                message.mail.subject
            );
        }
    }
    assert_eq!(seen.len(), 40, "every due message claimed once");
    assert!(
        outbox.claim_due(now, lease, 50).await.unwrap().is_empty(),
        "leased"
    );

    let id = *seen.iter().next().unwrap();
    outbox.sent(id, now).await.unwrap();
    let retried = seen.iter().nth(1).copied().unwrap();
    outbox
        .failed(retried, now, Some(at(10)), "try later")
        .await
        .unwrap();
    let again = outbox.claim_due(at(10), at(20), 50).await.unwrap();
    assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), [retried]);
    assert_eq!(again[0].attempts, 2);
    let after_lease = outbox
        .claim_due(lease, lease + Duration::minutes(2), 50)
        .await
        .unwrap();
    assert_eq!(after_lease.len(), 39, "all but the sent one are due again");
}

async fn a_token_is_spent_once_and_only_while_fresh(db: Db) {
    let accounts = SeaAccounts::new(db.clone());
    let ada = new_user("ada@example.com", base_time());
    let (_, verify) = token(&ada, TokenPurpose::VerifyEmail);
    accounts.register(&ada, &verify, &[]).await.unwrap();
    let throttled = accounts
        .issue(
            &token(&ada, TokenPurpose::VerifyEmail).1,
            &[],
            Some(base_time() - Duration::minutes(1)),
        )
        .await
        .unwrap();
    assert!(
        !throttled,
        "a second verification within a minute is refused"
    );

    let (_, reset) = token(&ada, TokenPurpose::ResetPassword);
    assert!(accounts.issue(&reset, &[], None).await.unwrap());
    let expired = base_time() + Duration::hours(1);
    let late = accounts.redeem(TokenPurpose::ResetPassword, &reset.hash, expired);
    assert!(late.await.unwrap().is_none(), "a reset token lives an hour");

    let spends = (0..4).map(|_| {
        let (accounts, hash) = (accounts.clone(), verify.hash.clone());
        tokio::spawn(async move {
            accounts
                .redeem(TokenPurpose::VerifyEmail, &hash, at(5))
                .await
                .unwrap()
        })
    });
    let mut spent = 0;
    for spend in spends {
        spent += usize::from(spend.await.unwrap().is_some());
    }
    assert_eq!(spent, 1, "one of the concurrent spends wins");
}
