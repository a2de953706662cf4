//! [`PasswordHasher`] with Argon2id, off the async executor.
//!
//! Each hash or check runs on tokio's blocking pool behind a semaphore with
//! one permit per core: a login flood queues instead of allocating 19 MiB on
//! hundreds of blocking threads at once.

use crate::InfraError;
use argon2::password_hash::phc::PasswordHash as Phc;
use argon2::password_hash::{self, PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use domain::model::{Password, PasswordHash};
use domain::ports::{HashError, PasswordHasher};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Argon2id hashes in PHC string form.
#[derive(Debug, Clone)]
pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    dummy: PasswordHash,
}

impl Argon2Hasher {
    /// OWASP's memory cost, in KiB (19 MiB).
    pub const OWASP_M_KIB: u32 = 19_456;
    /// OWASP's iterations.
    pub const OWASP_T: u32 = 2;
    /// OWASP's parallelism.
    pub const OWASP_P: u32 = 1;

    /// A hasher with OWASP's parameters. Computes the dummy hash right here,
    /// synchronously (tens of milliseconds): call it at startup.
    ///
    /// # Errors
    /// [`InfraError::Hasher`] when hashing fails.
    pub fn new() -> Result<Self, InfraError> {
        Self::with_params(Self::OWASP_M_KIB, Self::OWASP_T, Self::OWASP_P)
    }

    /// A hasher with memory cost `m_kib` KiB, `t` iterations and parallelism
    /// `p` (small values make tests fast; verification always uses the
    /// parameters stored in the hash).
    ///
    /// # Errors
    /// [`InfraError::Hasher`] when the parameters are out of range.
    pub fn with_params(m_kib: u32, t: u32, p: u32) -> Result<Self, InfraError> {
        let params = Params::new(m_kib, t, p, None)
            .map_err(|e| InfraError::Hasher(format!("argon2 parameters: {e}")))?;
        let dummy = hash_blocking(&params, "dummy password for unknown accounts")
            .map_err(|e| InfraError::Hasher(format!("computing the dummy hash: {e}")))?;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: PasswordHash(dummy),
        })
    }

    /// Runs `work` on the blocking pool once a permit is free, inside the
    /// caller's tracing span.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let permit = Arc::clone(&self.permits)
            .acquire_owned()
            .await
            .map_err(|_| HashError("the hashing semaphore is closed".into()))?;
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            span.in_scope(work)
        })
        .await
        .map_err(|e| HashError(format!("the hashing task failed: {e}")))
    }
}

fn argon2(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, password_hash::Error> {
    Ok(argon2(params)
        .hash_password(password.as_bytes())?
        .to_string())
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    #[tracing::instrument(skip_all)]
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let params = self.params.clone();
        let password = password.clone();
        let hash = self
            .run(move || hash_blocking(&params, password.expose()))
            .await?
            .map_err(|e| HashError(format!("argon2: {e}")))?;
        Ok(PasswordHash(hash))
    }

    #[tracing::instrument(skip_all)]
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        let parsed = Phc::new(&hash.0).map_err(|e| HashError(format!("malformed hash: {e}")))?;
        let params = self.params.clone();
        let password = password.clone();
        let checked = self
            .run(move || argon2(&params).verify_password(password.expose().as_bytes(), &parsed))
            .await?;
        match checked {
            Ok(()) => Ok(true),
            Err(password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(HashError(format!("argon2: {e}"))),
        }
    }

    fn dummy_hash(&self) -> &PasswordHash {
        &self.dummy
    }
}
