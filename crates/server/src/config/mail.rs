//! `MAIL_URL`, `MAIL_FROM`, `FRONTEND_URL` and `REQUIRE_VERIFIED_EMAIL`.

use super::parse::{ConfigError, Source};
use secrecy::SecretString;
use std::net::SocketAddr;
use std::path::Path;

/// Where mail goes and what it links to.
#[derive(Debug)]
pub struct MailSettings {
    /// `MAIL_URL`: `smtp://…`, `smtps://…` or `file://<dir>` (secret: it
    /// may hold a password).
    pub url: SecretString,
    /// `MAIL_FROM`: the sender of every message; its display name is the
    /// product name in messages.
    pub from: String,
    /// `FRONTEND_URL`: base of the links in messages, without a trailing `/`.
    pub frontend_url: String,
    /// `REQUIRE_VERIFIED_EMAIL`.
    pub require_verified_email: bool,
}

impl MailSettings {
    /// Reads the variables; `addr` gives `FRONTEND_URL`'s default, and
    /// `data_dir` `MAIL_URL`'s (`file://<data_dir>/mail`).
    ///
    /// # Errors
    /// [`ConfigError`] for a URL of another scheme, an empty sender or a
    /// bad boolean.
    pub(super) fn load(
        src: &Source,
        addr: SocketAddr,
        data_dir: &Path,
    ) -> Result<Self, ConfigError> {
        let url = src
            .get("MAIL_URL")
            .unwrap_or_else(|| format!("file://{}", data_dir.join("mail").display()));
        let known = ["smtp://", "smtps://", "file://"];
        if !known.iter().any(|scheme| url.starts_with(scheme)) || url.len() <= "file://".len() {
            return Err(ConfigError::new(
                "MAIL_URL",
                "must be smtp://…, smtps://… or file://<dir>",
            ));
        }
        let from = src
            .get("MAIL_FROM")
            .unwrap_or_else(|| "backend-api <no-reply@localhost>".into());
        if !from.contains('@') {
            return Err(ConfigError::new(
                "MAIL_FROM",
                "must be an address, as `Name <user@host>` or `user@host`",
            ));
        }
        let frontend_url = match src.url("FRONTEND_URL", &["http", "https"])? {
            Some(url) => url.as_str().trim_end_matches('/').to_owned(),
            None => format!("http://{addr}/console"),
        };
        Ok(Self {
            url: SecretString::from(url),
            from,
            frontend_url,
            require_verified_email: src.boolean("REQUIRE_VERIFIED_EMAIL", false)?,
        })
    }
}
