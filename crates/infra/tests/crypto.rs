//! The Argon2 hasher and the JWT issuer.

#![allow(clippy::unwrap_used)]

use domain::model::{
    AccessClaims, AccessGrant, Password, PasswordHash, Role, SessionId, Timestamp, UserId,
};
use domain::ports::{PasswordHasher, TokenError, TokenIssuer};
use infra::{Argon2Hasher, InfraError, JwtAlgorithm, JwtIssuer};
use time::Duration;
use uuid::Uuid;

const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

#[tokio::test]
async fn argon2_verifies_its_own_hash_and_rejects_a_wrong_password() {
    let hasher = Argon2Hasher::with_params(1024, 1, 1).unwrap();
    let password = Password::parse("correct horse battery").unwrap();
    let hash = hasher.hash(&password).await.unwrap();
    assert!(
        hash.0.starts_with("$argon2id$v=19$m=1024,t=1,p=1$"),
        "{}",
        hash.0
    );
    assert_ne!(hash, hasher.hash(&password).await.unwrap(), "salted");
    assert!(hasher.verify(&password, &hash).await.unwrap());
    let wrong = Password::parse("not the password").unwrap();
    assert!(!hasher.verify(&wrong, &hash).await.unwrap());
    assert!(!hasher.verify(&password, hasher.dummy_hash()).await.unwrap());
    assert!(
        hasher
            .verify(&password, &PasswordHash("garbage".into()))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn argon2_defaults_are_owasp() {
    let hasher = Argon2Hasher::new().unwrap();
    assert!(
        hasher
            .dummy_hash()
            .0
            .starts_with("$argon2id$v=19$m=19456,t=2,p=1$")
    );
    let password = Password::parse("correct horse battery").unwrap();
    let verified = verify_concurrently(&hasher, &password).await;
    assert!(verified.iter().all(|ok| *ok));
}

/// Verifies one password from several tasks at once (through the semaphore).
async fn verify_concurrently(hasher: &Argon2Hasher, password: &Password) -> Vec<bool> {
    let hash = hasher.hash(password).await.unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (hasher, password, hash) = (hasher.clone(), password.clone(), hash.clone());
            tokio::spawn(async move { hasher.verify(&password, &hash).await.unwrap() })
        })
        .collect();
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    results
}

/// Claims issued now (whole seconds, as a JWT carries them) valid for `ttl`.
fn claims(ttl: Duration) -> AccessClaims {
    let now = Timestamp::from_unix_micros(Timestamp::now().unix_seconds() * 1_000_000).unwrap();
    AccessClaims {
        sub: UserId::new(),
        sid: SessionId::new(),
        role: Role::Admin,
        grant: AccessGrant {
            jti: Uuid::new_v4(),
            role: Role::Admin,
            issued_at: now,
            expires_at: now + ttl,
        },
    }
}

fn round_trips(issuer: &JwtIssuer) {
    let claims = claims(Duration::minutes(15));
    let token = issuer.issue(&claims).unwrap();
    assert_eq!(issuer.verify(&token).unwrap(), claims);
    assert_eq!(issuer.issue(&claims).unwrap(), token, "deterministic");
}

#[test]
fn hs256_round_trips_deterministically_with_the_documented_claims() {
    let issuer = JwtIssuer::hs256(SECRET).unwrap();
    round_trips(&issuer);

    let claims = claims(Duration::minutes(15));
    let token = issuer.issue(&claims).unwrap();
    let payload = token.split('.').nth(1).unwrap();
    let json: serde_json::Value = serde_json::from_slice(&base64_url(payload)).unwrap();
    assert_eq!(json["sub"], claims.sub.to_string());
    assert_eq!(json["sid"], claims.sid.to_string());
    assert_eq!(json["role"], "admin");
    assert_eq!(json["jti"], claims.grant.jti.to_string());
    assert_eq!(json["iat"], claims.grant.issued_at.unix_seconds());
    assert_eq!(json["exp"], claims.grant.expires_at.unix_seconds());
}

#[test]
fn short_secrets_are_refused() {
    assert!(matches!(
        JwtIssuer::hs256(&SECRET[..31]),
        Err(InfraError::Key(_))
    ));
}

#[test]
fn expired_tampered_and_foreign_tokens_are_refused() {
    let issuer = JwtIssuer::hs256(SECRET).unwrap();
    let invalid = |token: &str| matches!(issuer.verify(token), Err(TokenError::Invalid));

    assert!(invalid(
        &issuer.issue(&claims(Duration::seconds(-1))).unwrap()
    ));
    assert!(
        invalid(&issuer.issue(&claims(Duration::ZERO)).unwrap()),
        "exp == now"
    );

    let token = issuer.issue(&claims(Duration::minutes(15))).unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let other = issuer.issue(&claims(Duration::minutes(15))).unwrap();
    let other_payload = other.split('.').nth(1).unwrap();
    assert!(invalid(&format!(
        "{}.{}.{}",
        parts[0], other_payload, parts[2]
    )));
    let mut signature = parts[2].to_owned();
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    signature.replace_range(..1, flipped);
    assert!(invalid(&format!("{}.{}.{signature}", parts[0], parts[1])));
    assert!(invalid("not.a.jwt"));

    let foreign = JwtIssuer::hs256(b"another secret of at least 32 bytes!").unwrap();
    assert!(invalid(
        &foreign.issue(&claims(Duration::minutes(15))).unwrap()
    ));
    // `alg: none` with the same claims.
    let none = format!("{}.{}.", b64(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    assert!(invalid(&none));
}

#[test]
fn eddsa_and_rs256_keys_round_trip_and_mismatched_pairs_are_refused() {
    let ed = JwtIssuer::from_pem(
        JwtAlgorithm::EdDSA,
        include_bytes!("keys/ed25519.pem"),
        include_bytes!("keys/ed25519.pub.pem"),
    )
    .unwrap();
    round_trips(&ed);
    let rsa = JwtIssuer::from_pem(
        JwtAlgorithm::RS256,
        include_bytes!("keys/rsa.pem"),
        include_bytes!("keys/rsa.pub.pem"),
    )
    .unwrap();
    round_trips(&rsa);
    let ed_token = ed.issue(&claims(Duration::minutes(5))).unwrap();
    assert!(matches!(rsa.verify(&ed_token), Err(TokenError::Invalid)));

    let mismatched = JwtIssuer::from_pem(
        JwtAlgorithm::EdDSA,
        include_bytes!("keys/ed25519.pem"),
        include_bytes!("keys/rsa.pub.pem"),
    );
    assert!(matches!(mismatched, Err(InfraError::Key(_))));
    let garbage = JwtIssuer::from_pem(JwtAlgorithm::RS256, b"nope", b"nope");
    assert!(matches!(garbage, Err(InfraError::Key(_))));
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn base64_url(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text)
        .unwrap()
}
