//! A fast, insecure password hasher for tests.

use crate::model::{Password, PasswordHash};
use crate::ports::{HashError, PasswordHasher};
use async_trait::async_trait;
use sha2::{Digest, Sha256};

/// Hashes with salted SHA-256: fast, and fine only in tests.
#[derive(Debug)]
pub struct FakeHasher {
    dummy: PasswordHash,
}

impl Default for FakeHasher {
    fn default() -> Self {
        Self {
            dummy: PasswordHash("fake$dummy$0".into()),
        }
    }
}

fn digest(salt: &str, password: &str) -> String {
    let bytes = Sha256::digest(format!("{salt}:{password}").as_bytes());
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[async_trait]
impl PasswordHasher for FakeHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let salt = uuid::Uuid::new_v4().simple().to_string();
        Ok(PasswordHash(format!(
            "fake${salt}${}",
            digest(&salt, password.expose())
        )))
    }

    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        let mut parts = hash.0.splitn(3, '$');
        match (parts.next(), parts.next(), parts.next()) {
            (Some("fake"), Some(salt), Some(expected)) => {
                Ok(digest(salt, password.expose()) == expected)
            }
            _ => Err(HashError("not a fake hash".into())),
        }
    }

    fn dummy_hash(&self) -> &PasswordHash {
        &self.dummy
    }
}
