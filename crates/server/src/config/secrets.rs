//! `JWT_SECRET`, `JWT_ALGORITHM` and `SECRET_KEY`: required in production,
//! generated once into the data folder in development.

use super::parse::Source;
use super::{AppEnv, ConfigError, JwtKey};
use infra::JwtAlgorithm;
use rand::RngCore;
use secrecy::SecretBox;
use std::path::{Path, PathBuf};

const MIN_SECRET_BYTES: usize = 32;

/// The access-token signing key.
pub fn jwt_key(src: &Source, env: AppEnv, data_dir: &Path) -> Result<JwtKey, ConfigError> {
    let name = src.get("JWT_ALGORITHM").unwrap_or_else(|| "HS256".into());
    let algorithm = match name.as_str() {
        "HS256" => return Ok(JwtKey::Hs256(secret(src, "JWT_SECRET", env, data_dir)?)),
        "EdDSA" => JwtAlgorithm::EdDSA,
        "RS256" => JwtAlgorithm::RS256,
        other => {
            return Err(ConfigError::new(
                "JWT_ALGORITHM",
                format!("must be HS256, EdDSA or RS256, not {other:?}"),
            ));
        }
    };
    let file = |var: &str| -> Result<PathBuf, ConfigError> {
        let path = src.get(var).map(PathBuf::from).ok_or_else(|| {
            ConfigError::new(var, format!("is required with JWT_ALGORITHM={name}"))
        })?;
        if !path.is_file() {
            return Err(ConfigError::new(
                var,
                format!("{} is not a readable file", path.display()),
            ));
        }
        Ok(path)
    };
    Ok(JwtKey::Pem {
        private_key: file("JWT_PRIVATE_KEY_FILE")?,
        public_key: file("JWT_PUBLIC_KEY_FILE")?,
        algorithm,
    })
}

/// The server-side key for keyed hashes and stored secrets.
pub fn secret_key(
    src: &Source,
    env: AppEnv,
    data_dir: &Path,
) -> Result<SecretBox<[u8]>, ConfigError> {
    secret(src, "SECRET_KEY", env, data_dir)
}

fn secret(
    src: &Source,
    name: &str,
    env: AppEnv,
    data_dir: &Path,
) -> Result<SecretBox<[u8]>, ConfigError> {
    if let Some(value) = src.get(name) {
        if value.len() < MIN_SECRET_BYTES {
            return Err(ConfigError::new(
                name,
                format!("must be at least {MIN_SECRET_BYTES} bytes"),
            ));
        }
        return Ok(SecretBox::new(value.into_bytes().into_boxed_slice()));
    }
    if env == AppEnv::Production {
        return Err(ConfigError::new(
            name,
            "is required when APP_ENV=production",
        ));
    }
    generated(name, data_dir).map(|bytes| SecretBox::new(bytes.into_boxed_slice()))
}

/// Reads `data_dir/<name>`, creating it with 32 random bytes (hex) first.
fn generated(name: &str, data_dir: &Path) -> Result<Vec<u8>, ConfigError> {
    let path = data_dir.join(name.to_ascii_lowercase());
    let fail = |e: std::io::Error| {
        ConfigError::new(
            name,
            format!("could not keep a generated key in {}: {e}", path.display()),
        )
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim();
        if existing.len() >= MIN_SECRET_BYTES {
            return Ok(existing.as_bytes().to_vec());
        }
    }
    std::fs::create_dir_all(data_dir).map_err(fail)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, &hex).map_err(fail)?;
    Ok(hex.into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
