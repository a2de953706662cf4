//! Sign-in through OAuth 2 / OpenID Connect, walked like a browser would:
//! the app's authorize endpoint, the provider (a fake one on its own port,
//! see `oidc_provider`), the app's callback with the binding cookie.

use crate::helpers::{PASSWORD, TestApp, assert_problem, token};
use crate::oauth_support::{
    Browser, me, on_both_with_provider, pair_of, param, sign_in, with_param,
};
use crate::oidc_provider::{Account, FakeProvider};
use reqwest::StatusCode;
use serde_json::Value;

on_both_with_provider!(
    first_sign_in_creates_the_account_and_the_next_finds_it,
    a_tampered_or_foreign_state_exchanges_nothing,
    replayed_states_and_codes_are_refused,
    a_code_injected_into_another_flow_fails_pkce,
    an_id_token_with_the_wrong_nonce_is_refused,
    an_id_token_with_forged_claims_is_refused,
    a_provider_endpoint_that_redirects_is_not_followed,
    an_unverified_email_gets_a_new_account_and_links_nothing,
    an_email_taken_by_a_password_account_is_never_linked,
    no_email_from_the_provider_is_a_bad_request,
    unknown_providers_are_not_found,
    plain_oauth2_providers_sign_in_by_numeric_id,
    a_disabled_account_is_refused_as_at_login,
    two_tabs_can_sign_in_at_once,
    a_flow_started_on_one_instance_finishes_on_another,
    a_deleted_oauth_account_takes_its_link_along,
    a_provider_failing_at_the_callback_is_a_bad_gateway,
);

async fn first_sign_in_creates_the_account_and_the_next_finds_it(
    app: &TestApp,
    provider: &FakeProvider,
) {
    let mut browser = Browser::default();
    let (to_provider, callback) = browser.start(app, "acme").await;
    assert!(to_provider.as_str().starts_with(provider.issuer()));
    assert_eq!(
        param(&to_provider, "code_challenge_method").unwrap(),
        "S256"
    );
    assert_eq!(param(&to_provider, "state").unwrap().len(), 43);
    assert_eq!(param(&to_provider, "nonce").unwrap().len(), 43);
    let scope = param(&to_provider, "scope").unwrap();
    assert!(scope.split(' ').any(|s| s == "openid"), "{scope}");
    assert_eq!(
        param(&to_provider, "redirect_uri").unwrap(),
        app.url("/api/v1/auth/oauth/acme/callback")
    );

    let pair = pair_of(browser.finish(app, &callback).await).await;
    assert_eq!(pair["token_type"], "Bearer");
    assert!(pair["refresh_token"].is_string());
    let user = me(app, &pair).await;
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["display_name"], "Ada Lovelace");
    assert_eq!(user["role"], "user");

    let again = pair_of(sign_in(app, "acme").await).await;
    assert_eq!(me(app, &again).await["id"], user["id"]);
    // The refresh token works as after a password login.
    let refreshed = app.refresh(&token(&again, "refresh_token")).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    // The account has no password: no password signs in to it.
    for password in [PASSWORD, "", "anything at all"] {
        let login = app.login("ada@example.com", password).await;
        assert!(login.status().is_client_error(), "{password:?}");
    }
}

async fn a_tampered_or_foreign_state_exchanges_nothing(app: &TestApp, provider: &FakeProvider) {
    let mut browser = Browser::default();
    let (_, callback) = browser.start(app, "acme").await;
    let tampered = with_param(&callback, "state", "x".repeat(43).as_str());
    let response = browser.finish(app, &tampered).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;

    // The right state from another browser (no cookie, or another one).
    let (_, legit) = browser.start(app, "acme").await;
    let stranger = Browser::default();
    let response = stranger.finish(app, &legit).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    let mut other = Browser::default();
    other.start(app, "acme").await;
    let response = other.finish(app, &legit).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;

    // A state issued for another provider.
    let (_, callback) = browser.start(app, "gh").await;
    let response = browser
        .finish(app, &callback.replace("/oauth/gh/", "/oauth/acme/"))
        .await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;

    // Missing parameters, and the provider's own refusal.
    for query in ["?code=c", "?state=s", "?error=access_denied&state=s"] {
        let response = browser
            .finish(
                app,
                &app.url(&format!("/api/v1/auth/oauth/acme/callback{query}")),
            )
            .await;
        assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    }
    assert_eq!(provider.token_requests(), 0, "no code was exchanged");
    // None of that spent the real browser's state.
    pair_of(browser.finish(app, &legit).await).await;
}

async fn replayed_states_and_codes_are_refused(app: &TestApp, provider: &FakeProvider) {
    let mut browser = Browser::default();
    let (_, first) = browser.start(app, "acme").await;
    pair_of(browser.finish(app, &first).await).await;
    // The same callback again: its state is spent, the code never sent.
    let response = browser.finish(app, &first).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert_eq!(provider.token_requests(), 1);

    // A fresh state with the spent code: the provider refuses it.
    let (_, second) = browser.start(app, "acme").await;
    let old_code = url::Url::parse(&first).unwrap();
    let replayed = with_param(&second, "code", &param(&old_code, "code").unwrap());
    let response = browser.finish(app, &replayed).await;
    let body = assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(
        body["detail"].as_str().unwrap().contains("invalid_grant"),
        "{body}"
    );
    assert_eq!(provider.token_requests(), 2);
}

async fn an_id_token_with_the_wrong_nonce_is_refused(app: &TestApp, provider: &FakeProvider) {
    provider.send_wrong_nonce(true);
    let response = sign_in(app, "acme").await;
    let body = assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(body["detail"].as_str().unwrap().contains("nonce"), "{body}");
    assert_eq!(provider.token_requests(), 1);
    // Nothing was created: the address is still free.
    app.register("ada@example.com").await;
}

async fn an_id_token_with_forged_claims_is_refused(app: &TestApp, provider: &FakeProvider) {
    let victim = app.signed_in("victim@example.com").await;
    provider.forge_email(Some("victim@example.com"));
    let response = sign_in(app, "acme").await;
    let body = assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains("Signature verification failed"),
        "{body}"
    );
    assert_eq!(me(app, &victim).await["email"], "victim@example.com");
    // Nothing was created for the honest claims either.
    provider.forge_email(None);
    let honest = pair_of(sign_in(app, "acme").await).await;
    assert_eq!(me(app, &honest).await["email"], "ada@example.com");
}

async fn a_provider_endpoint_that_redirects_is_not_followed(
    app: &TestApp,
    provider: &FakeProvider,
) {
    // `hop`'s userinfo URL redirects to the real document: not followed.
    let response = sign_in(app, "hop").await;
    assert_problem(response, StatusCode::BAD_GATEWAY, "bad_gateway").await;
    assert_eq!(provider.token_requests(), 1);
    app.register("ada@example.com").await;
}

async fn an_unverified_email_gets_a_new_account_and_links_nothing(
    app: &TestApp,
    provider: &FakeProvider,
) {
    // A new address, unverified: an account is created for this provider
    // account, and signing in again finds it.
    let mut carol = Account::verified("carol-sub", "carol@example.com");
    carol.email_verified = false;
    provider.sign_in_as(carol);
    let pair = pair_of(sign_in(app, "acme").await).await;
    let user = me(app, &pair).await;
    assert_eq!(user["email"], "carol@example.com");
    let again = pair_of(sign_in(app, "acme").await).await;
    assert_eq!(me(app, &again).await["id"], user["id"]);

    // An unverified claim on an existing account's address links nothing.
    let bob = app.signed_in("bob@example.com").await;
    let mut mallory = Account::verified("mallory-sub", "bob@example.com");
    mallory.email_verified = false;
    provider.sign_in_as(mallory);
    let response = sign_in(app, "acme").await;
    assert_problem(response, StatusCode::CONFLICT, "conflict").await;
    let bob_me = me(app, &bob).await;
    assert_eq!(bob_me["email"], "bob@example.com");
    assert_eq!(
        app.login("bob@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn an_email_taken_by_a_password_account_is_never_linked(
    app: &TestApp,
    provider: &FakeProvider,
) {
    let ada = app.signed_in("ada@example.com").await;
    provider.sign_in_as(Account::verified("attacker-sub", "ADA@example.com"));
    for _ in 0..2 {
        let response = sign_in(app, "acme").await;
        let body = assert_problem(response, StatusCode::CONFLICT, "conflict").await;
        assert!(
            body["detail"].as_str().unwrap().contains("never linked"),
            "{body}"
        );
    }
    // The password account is untouched and keeps its only session.
    assert_eq!(
        app.login("ada@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    let sessions = app
        .get("/api/v1/auth/sessions", Some(&token(&ada, "access_token")))
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        sessions.as_array().unwrap().len(),
        2,
        "login + re-login only"
    );
}

async fn no_email_from_the_provider_is_a_bad_request(app: &TestApp, provider: &FakeProvider) {
    let mut nobody = Account::verified("no-email", "unused@example.com");
    nobody.email = None;
    provider.sign_in_as(nobody);
    for name in ["acme", "gh"] {
        let response = sign_in(app, name).await;
        let body = assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
        assert!(body["detail"].as_str().unwrap().contains("email"), "{body}");
    }
}

async fn unknown_providers_are_not_found(app: &TestApp, provider: &FakeProvider) {
    for name in ["nope", "ACME", "a%2Fb"] {
        let authorize = app
            .get(&format!("/api/v1/auth/oauth/{name}/authorize"), None)
            .await;
        assert_problem(authorize, StatusCode::NOT_FOUND, "not_found").await;
        let callback = app
            .get(
                &format!("/api/v1/auth/oauth/{name}/callback?code=c&state=s"),
                None,
            )
            .await;
        assert_problem(callback, StatusCode::NOT_FOUND, "not_found").await;
    }
    assert_eq!(provider.token_requests(), 0);
}

async fn plain_oauth2_providers_sign_in_by_numeric_id(app: &TestApp, provider: &FakeProvider) {
    let mut octo = Account::verified("ignored-by-github", "octo@example.com");
    octo.numeric_id = 9_000_001;
    octo.email_verified = false; // GitHub's user document has no such claim
    provider.sign_in_as(octo.clone());
    let mut browser = Browser::default();
    let (to_provider, callback) = browser.start(app, "gh").await;
    assert_eq!(
        param(&to_provider, "code_challenge_method").unwrap(),
        "S256"
    );
    assert_eq!(param(&to_provider, "nonce"), None);
    assert_eq!(
        param(&to_provider, "scope").unwrap(),
        "read:user user:email"
    );
    let pair = pair_of(browser.finish(app, &callback).await).await;
    let user = me(app, &pair).await;
    assert_eq!(user["email"], "octo@example.com");

    // Same numeric id, the address changed at the provider: same account.
    octo.email = Some("octo-new@example.com".into());
    provider.sign_in_as(octo);
    let again = pair_of(sign_in(app, "gh").await).await;
    assert_eq!(me(app, &again).await["id"], user["id"]);
}

async fn a_disabled_account_is_refused_as_at_login(app: &TestApp, _provider: &FakeProvider) {
    let pair = pair_of(sign_in(app, "acme").await).await;
    let user = me(app, &pair).await;
    let admin = app.signed_in_admin("root@example.com").await;
    let disabled = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/users/{}", user["id"].as_str().unwrap()),
            Some(&serde_json::json!({"disabled": true})),
            &token(&admin, "access_token"),
        )
        .await;
    assert_eq!(disabled.status(), StatusCode::OK);
    let response = sign_in(app, "acme").await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden").await;
}

async fn two_tabs_can_sign_in_at_once(app: &TestApp, _provider: &FakeProvider) {
    let mut browser = Browser::default();
    let (_, first) = browser.start(app, "acme").await;
    let (_, second) = browser.start(app, "acme").await;
    let one = pair_of(browser.finish(app, &second).await).await;
    let two = pair_of(browser.finish(app, &first).await).await;
    assert_eq!(me(app, &one).await["id"], me(app, &two).await["id"]);
}

async fn a_provider_failing_at_the_callback_is_a_bad_gateway(
    app: &TestApp,
    provider: &FakeProvider,
) {
    let mut browser = Browser::default();
    let (_, callback) = browser.start(app, "acme").await;
    provider.stop().await;
    let response = browser.finish(app, &callback).await;
    let body = assert_problem(response, StatusCode::BAD_GATEWAY, "bad_gateway").await;
    assert!(
        !body["detail"].as_str().unwrap().contains("127.0.0.1"),
        "{body}"
    );
    app.register("ada@example.com").await;
}

async fn a_flow_started_on_one_instance_finishes_on_another(
    app: &TestApp,
    provider: &FakeProvider,
) {
    let env = provider.env();
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let peer = app.peer(&vars).await;
    let mut browser = Browser::default();
    let (_, callback) = browser.start(app, "acme").await;
    let on_peer = callback.replace(&app.address, &peer.address);
    let pair = pair_of(browser.finish(&peer, &on_peer).await).await;
    assert_eq!(me(app, &pair).await["email"], "ada@example.com");
    // Spent for both.
    let replay = browser.finish(app, &callback).await;
    assert_problem(replay, StatusCode::BAD_REQUEST, "bad_request").await;
    peer.cleanup().await;
}

async fn a_deleted_oauth_account_takes_its_link_along(app: &TestApp, _provider: &FakeProvider) {
    let pair = pair_of(sign_in(app, "acme").await).await;
    let first = me(app, &pair).await;
    // No password on the account: `{}` and a fresh sign-in suffice.
    let deleted = app
        .send(
            reqwest::Method::DELETE,
            "/api/v1/users/me",
            Some(&serde_json::json!({})),
            &token(&pair, "access_token"),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    // The link went with it: the same provider account starts afresh.
    let again = pair_of(sign_in(app, "acme").await).await;
    let second = me(app, &again).await;
    assert_eq!(second["email"], "ada@example.com");
    assert_ne!(second["id"], first["id"]);
}

async fn a_code_injected_into_another_flow_fails_pkce(app: &TestApp, provider: &FakeProvider) {
    // The attacker's own, unspent code, pasted into the victim's callback
    // (the victim's state and cookie). The plain OAuth 2 provider has no
    // nonce: only PKCE ties the code to the flow that asked for it.
    let mut attacker = Browser::default();
    let (_, attackers) = attacker.start(app, "gh").await;
    let code = param(&url::Url::parse(&attackers).unwrap(), "code").unwrap();
    let mut victim = Browser::default();
    let (_, victims) = victim.start(app, "gh").await;
    let injected = with_param(&victims, "code", &code);
    let response = victim.finish(app, &injected).await;
    let body = assert_problem(response, StatusCode::BAD_REQUEST, "bad_request").await;
    assert!(
        body["detail"].as_str().unwrap().contains("invalid_grant"),
        "{body}"
    );
    assert_eq!(provider.token_requests(), 1);
    app.register("ada@example.com").await;
}
