//! OAuth sign-in rules on the in-memory adapters, with a scripted provider:
//! the state is single use, expires, and is bound to its browser and
//! provider; accounts are created or found, never linked by email.

#![allow(clippy::unwrap_used)]

use async_trait::async_trait;
use domain::model::{ClientInfo, ExternalIdentity, ProviderName};
use domain::ports::{AuthorizationRequest, CodeExchange, IdentityProviders, ProviderError};
use domain::services::{OAuthCallback, OAuthError, OAuthService, OAuthStart, STATE_TTL};
use domain::testing::TestDomain;
use std::sync::{Arc, Mutex};
use time::Duration;

/// A provider named `acme` (and `other`) that vouches for `identity`, or
/// fails as told; it remembers the state of the last authorization URL.
#[derive(Default)]
struct Scripted {
    identity: Mutex<Option<ExternalIdentity>>,
    down: Mutex<bool>,
    last_state: Mutex<String>,
}

#[async_trait]
impl IdentityProviders for Scripted {
    fn knows(&self, provider: &ProviderName) -> bool {
        matches!(provider.as_str(), "acme" | "other")
    }

    fn redirect_uri(&self, _: &ProviderName) -> Option<String> {
        None
    }

    async fn authorization_url(
        &self,
        _: &ProviderName,
        request: AuthorizationRequest<'_>,
    ) -> Result<String, ProviderError> {
        if *self.down.lock().unwrap() {
            return Err(ProviderError::Unavailable(anyhow::anyhow!("down")));
        }
        *self.last_state.lock().unwrap() = request.state.as_str().to_owned();
        Ok(format!(
            "https://id.example.com/authorize?state={}",
            request.state.as_str()
        ))
    }

    async fn exchange(
        &self,
        _: &ProviderName,
        _: CodeExchange<'_>,
    ) -> Result<ExternalIdentity, ProviderError> {
        if *self.down.lock().unwrap() {
            return Err(ProviderError::Unavailable(anyhow::anyhow!("down")));
        }
        self.identity
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| ProviderError::Rejected("bad code".into()))
    }
}

struct Setup {
    domain: TestDomain,
    provider: Arc<Scripted>,
    oauth: OAuthService,
}

fn setup(email: Option<&str>) -> Setup {
    let domain = TestDomain::new();
    let provider = Arc::new(Scripted::default());
    *provider.identity.lock().unwrap() = Some(ExternalIdentity {
        subject: "sub-1".into(),
        email: email.map(str::to_owned),
        email_verified: true,
        name: Some("Ada\u{7} Lovelace".into()),
    });
    let oauth = OAuthService::new(domain.ports.clone(), domain.auth.clone(), provider.clone());
    Setup {
        domain,
        provider,
        oauth,
    }
}

impl Setup {
    async fn start(&self, provider: &str) -> (OAuthStart, String) {
        let start = self
            .oauth
            .start(provider, None, "http://localhost/callback")
            .await
            .unwrap();
        let state = self.provider.last_state.lock().unwrap().clone();
        (start, state)
    }

    async fn complete(
        &self,
        provider: &str,
        state: &str,
        binding: Option<&str>,
    ) -> Result<domain::model::TokenPair, OAuthError> {
        let callback = OAuthCallback {
            provider,
            code: "code",
            state,
            binding,
        };
        self.oauth.complete(callback, ClientInfo::default()).await
    }
}

#[tokio::test]
async fn a_state_works_once_within_its_lifetime() {
    let s = setup(Some("ada@example.com"));
    let (start, state) = s.start("acme").await;
    let binding = Some(start.binding.as_str());
    assert!(start.redirect_to.contains(&state));
    s.complete("acme", &state, binding).await.unwrap();
    let replay = s.complete("acme", &state, binding).await.unwrap_err();
    assert!(matches!(replay, OAuthError::InvalidState), "{replay:?}");

    let (start, state) = s.start("acme").await;
    s.domain.clock.advance(STATE_TTL + Duration::seconds(1));
    let late = s
        .complete("acme", &state, Some(start.binding.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(late, OAuthError::InvalidState), "{late:?}");
}

#[tokio::test]
async fn a_state_belongs_to_its_browser_and_provider() {
    let s = setup(Some("ada@example.com"));
    let (_, state) = s.start("acme").await;
    let no_cookie = s.complete("acme", &state, None).await.unwrap_err();
    assert!(
        matches!(no_cookie, OAuthError::InvalidState),
        "{no_cookie:?}"
    );

    let (other_browser, _) = s.start("acme").await;
    let (own, state) = s.start("acme").await;
    let foreign = s
        .complete("acme", &state, Some(other_browser.binding.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(foreign, OAuthError::InvalidState), "{foreign:?}");
    // The foreign attempt spent nothing: the right browser still can.
    s.complete("acme", &state, Some(own.binding.as_str()))
        .await
        .unwrap();

    let (start, state) = s.start("acme").await;
    let wrong_provider = s
        .complete("other", &state, Some(start.binding.as_str()))
        .await
        .unwrap_err();
    assert!(
        matches!(wrong_provider, OAuthError::InvalidState),
        "{wrong_provider:?}"
    );

    let unknown = s.oauth.start("nope", None, "http://x").await.unwrap_err();
    assert!(
        matches!(unknown, OAuthError::UnknownProvider),
        "{unknown:?}"
    );
}

#[tokio::test]
async fn accounts_are_created_once_and_never_linked_by_email() {
    let s = setup(Some("Ada@Example.com"));
    let (start, state) = s.start("acme").await;
    let first = s
        .complete("acme", &state, Some(start.binding.as_str()))
        .await
        .unwrap();
    let (start, state) = s.start("acme").await;
    let second = s
        .complete("acme", &state, Some(start.binding.as_str()))
        .await
        .unwrap();
    let user = |pair: &domain::model::TokenPair| pair.session_id;
    assert_ne!(user(&first), user(&second), "two sessions");
    let linked = s
        .domain
        .ports
        .users
        .find_with_password(&domain::model::Email::parse("ada@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(linked.1, None, "no password");
    assert_eq!(linked.0.display_name.as_str(), "Ada Lovelace");

    // Another provider account claiming the same address gets a conflict.
    *s.provider.identity.lock().unwrap() = Some(ExternalIdentity {
        subject: "sub-2".into(),
        email: Some("ada@example.com".into()),
        email_verified: true,
        name: None,
    });
    let (start, state) = s.start("acme").await;
    let taken = s
        .complete("acme", &state, Some(start.binding.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(taken, OAuthError::EmailTaken), "{taken:?}");
    let identities = s.domain.ports.identities.list(linked.0.id).await.unwrap();
    assert_eq!(identities.len(), 1);
    assert_eq!(identities[0].subject, "sub-1");
}

#[tokio::test]
async fn no_email_or_a_down_provider_creates_nothing() {
    let s = setup(None);
    let (start, state) = s.start("acme").await;
    let none = s
        .complete("acme", &state, Some(start.binding.as_str()))
        .await
        .unwrap_err();
    assert!(matches!(none, OAuthError::NoEmail), "{none:?}");

    let s = setup(Some("ada@example.com"));
    let (start, state) = s.start("acme").await;
    *s.provider.down.lock().unwrap() = true;
    let down = s
        .complete("acme", &state, Some(start.binding.as_str()))
        .await
        .unwrap_err();
    assert!(
        matches!(down, OAuthError::ProviderUnavailable(_)),
        "{down:?}"
    );
    let email = domain::model::Email::parse("ada@example.com").unwrap();
    assert!(
        s.domain
            .ports
            .users
            .find_with_password(&email)
            .await
            .unwrap()
            .is_none()
    );
}
