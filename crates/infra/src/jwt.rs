//! [`TokenIssuer`] with signed JWTs (jsonwebtoken, RustCrypto backend).
//!
//! Claims: `sub` (user id), `sid` (session id), `role`, `iat`, `exp` (Unix
//! seconds) and `jti`. Verification fixes the algorithm, requires `exp` and
//! allows no leeway. Signing is deterministic for HS256, EdDSA and RS256
//! (PKCS#1 v1.5), as the refresh grace window needs.

use crate::InfraError;
use domain::model::{AccessClaims, AccessGrant, Role, SessionId, Timestamp, UserId};
use domain::ports::{TokenError, TokenIssuer};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use std::time::{SystemTime, UNIX_EPOCH};
use uuid::Uuid;

/// Shortest HS256 secret accepted, in bytes.
const MIN_SECRET_LEN: usize = 32;

/// The asymmetric algorithms [`JwtIssuer::from_pem`] accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// Ed25519 signatures.
    EdDSA,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    RS256,
}

/// The claims as they appear in the token.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
    role: Role,
    iat: i64,
    exp: i64,
    jti: Uuid,
}

/// Signs and checks access tokens with one key and one algorithm.
pub struct JwtIssuer {
    header: Header,
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl std::fmt::Debug for JwtIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtIssuer")
            .field("alg", &self.header.alg)
            .finish_non_exhaustive()
    }
}

impl JwtIssuer {
    /// HS256 with a shared secret of at least 32 bytes.
    ///
    /// # Errors
    /// [`InfraError::Key`] when the secret is shorter.
    pub fn hs256(secret: &[u8]) -> Result<Self, InfraError> {
        if secret.len() < MIN_SECRET_LEN {
            return Err(InfraError::Key(format!(
                "the JWT secret must be at least {MIN_SECRET_LEN} bytes"
            )));
        }
        Self::build(
            Algorithm::HS256,
            EncodingKey::from_secret(secret),
            DecodingKey::from_secret(secret),
        )
    }

    /// EdDSA or RS256 with a PEM key pair (PKCS#8 private key, SPKI public
    /// key). The pair is checked by signing and verifying a probe token.
    ///
    /// # Errors
    /// [`InfraError::Key`] when a key can't be read or the two don't match.
    pub fn from_pem(
        alg: JwtAlgorithm,
        private_pem: &[u8],
        public_pem: &[u8],
    ) -> Result<Self, InfraError> {
        let key_err = |what: &str| {
            let what = what.to_owned();
            move |e: jsonwebtoken::errors::Error| InfraError::Key(format!("{what}: {e}"))
        };
        let (algorithm, encoding, decoding) = match alg {
            JwtAlgorithm::EdDSA => (
                Algorithm::EdDSA,
                EncodingKey::from_ed_pem(private_pem).map_err(key_err("Ed25519 private key"))?,
                DecodingKey::from_ed_pem(public_pem).map_err(key_err("Ed25519 public key"))?,
            ),
            JwtAlgorithm::RS256 => (
                Algorithm::RS256,
                EncodingKey::from_rsa_pem(private_pem).map_err(key_err("RSA private key"))?,
                DecodingKey::from_rsa_pem(public_pem).map_err(key_err("RSA public key"))?,
            ),
        };
        Self::build(algorithm, encoding, decoding)
    }

    fn build(
        algorithm: Algorithm,
        encoding: EncodingKey,
        decoding: DecodingKey,
    ) -> Result<Self, InfraError> {
        let mut validation = Validation::new(algorithm);
        validation.leeway = 0;
        validation.validate_aud = false;
        validation.set_required_spec_claims(&["exp"]);
        let issuer = Self {
            header: Header::new(algorithm),
            encoding,
            decoding,
            validation,
        };
        issuer.self_check()?;
        Ok(issuer)
    }

    /// Signs and verifies a token that is valid for an hour, so that a
    /// broken or mismatched key fails at startup rather than at first login.
    fn self_check(&self) -> Result<(), InfraError> {
        let now = Timestamp::now();
        let probe = AccessClaims {
            sub: UserId(Uuid::nil()),
            sid: SessionId(Uuid::nil()),
            role: Role::User,
            grant: AccessGrant {
                jti: Uuid::nil(),
                role: Role::User,
                issued_at: now,
                expires_at: now + time::Duration::HOUR,
            },
        };
        let token = self
            .issue(&probe)
            .map_err(|e| InfraError::Key(e.to_string()))?;
        self.verify(&token).map(drop).map_err(|_| {
            InfraError::Key("the public key does not verify the private key's signatures".into())
        })
    }
}

/// Seconds since the Unix epoch as a timestamp.
fn from_seconds(seconds: i64) -> Result<Timestamp, TokenError> {
    seconds
        .checked_mul(1_000_000)
        .and_then(Timestamp::from_unix_micros)
        .ok_or(TokenError::Invalid)
}

fn now_seconds() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl TokenIssuer for JwtIssuer {
    fn issue(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let body = Claims {
            sub: claims.sub.0,
            sid: claims.sid.0,
            role: claims.role,
            iat: claims.grant.issued_at.unix_seconds(),
            exp: claims.grant.expires_at.unix_seconds(),
            jti: claims.grant.jti,
        };
        jsonwebtoken::encode(&self.header, &body, &self.encoding)
            .map_err(|e| TokenError::Signing(e.to_string()))
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let body = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map_err(|_| TokenError::Invalid)?
            .claims;
        // RFC 7519: not accepted *on or after* exp (the library allows exp == now).
        if body.exp <= now_seconds() {
            return Err(TokenError::Invalid);
        }
        Ok(AccessClaims {
            sub: UserId(body.sub),
            sid: SessionId(body.sid),
            role: body.role,
            grant: AccessGrant {
                jti: body.jti,
                role: body.role,
                issued_at: from_seconds(body.iat)?,
                expires_at: from_seconds(body.exp)?,
            },
        })
    }
}
