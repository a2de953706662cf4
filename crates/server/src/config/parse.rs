//! Reading and checking single variables.

use super::OAuthProvider;
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A bad configuration value: the variable and why. Printed as one line,
/// and the process exits with code 2.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {variable}: {message}")]
pub struct ConfigError {
    /// The variable's name.
    pub variable: String,
    /// What is wrong with its value.
    pub message: String,
}

impl ConfigError {
    /// An error on `variable`.
    pub fn new(variable: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            variable: variable.into(),
            message: message.into(),
        }
    }
}

/// Where variables come from: the real environment first, then `.env`.
pub struct Source {
    primary: HashMap<String, String>,
    fallback: HashMap<String, String>,
}

impl Source {
    /// The process environment, then `./.env` when present.
    pub fn process() -> Self {
        let fallback = dotenvy::from_path_iter(".env")
            .map(|iter| iter.filter_map(Result::ok).collect())
            .unwrap_or_default();
        Self {
            primary: std::env::vars().collect(),
            fallback,
        }
    }

    /// Exactly these pairs.
    pub fn from_pairs<'a>(vars: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Self {
            primary: vars
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            fallback: HashMap::new(),
        }
    }

    /// The value of `name`; an empty value counts as unset.
    pub fn get(&self, name: &str) -> Option<String> {
        self.primary
            .get(name)
            .or_else(|| self.fallback.get(name))
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_owned())
    }

    /// `name` parsed as `T`, or `default` parsed when unset.
    pub fn parsed<T: FromStr>(&self, name: &str, default: &str) -> Result<T, ConfigError>
    where
        T::Err: fmt::Display,
    {
        let raw = self.get(name).unwrap_or_else(|| default.to_owned());
        raw.parse()
            .map_err(|e| ConfigError::new(name, format!("{raw:?} is not valid: {e}")))
    }

    /// A number at least 1.
    pub fn positive<T>(&self, name: &str, default: T) -> Result<T, ConfigError>
    where
        T: FromStr + PartialOrd + From<u8> + fmt::Display,
        T::Err: fmt::Display,
    {
        let value: T = self.parsed(name, &default.to_string())?;
        if value < T::from(1) {
            return Err(ConfigError::new(name, "must be at least 1"));
        }
        Ok(value)
    }

    /// A whole number of seconds (0 allowed).
    pub fn seconds(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        self.parsed::<u64>(name, &default.to_string())
            .map(Duration::from_secs)
    }

    /// A whole number of seconds, at least 1.
    pub fn positive_seconds(&self, name: &str, default: u64) -> Result<Duration, ConfigError> {
        self.positive::<u64>(name, default).map(Duration::from_secs)
    }

    /// `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`).
    pub fn boolean(&self, name: &str, default: bool) -> Result<bool, ConfigError> {
        match self.get(name).map(|v| v.to_ascii_lowercase()).as_deref() {
            None => Ok(default),
            Some("true" | "1" | "yes" | "on") => Ok(true),
            Some("false" | "0" | "no" | "off") => Ok(false),
            Some(other) => Err(ConfigError::new(
                name,
                format!("{other:?} is not true or false"),
            )),
        }
    }

    /// An optional URL whose scheme is one of `schemes`.
    pub fn url(&self, name: &str, schemes: &[&str]) -> Result<Option<url::Url>, ConfigError> {
        self.get(name)
            .map(|raw| checked_url(name, &raw, schemes))
            .transpose()
    }
}

fn checked_url(name: &str, raw: &str, schemes: &[&str]) -> Result<url::Url, ConfigError> {
    let url = url::Url::parse(raw)
        .map_err(|e| ConfigError::new(name, format!("{raw:?} is not a URL: {e}")))?;
    if !schemes.contains(&url.scheme()) {
        return Err(ConfigError::new(
            name,
            format!(
                "scheme {:?} is not one of {}",
                url.scheme(),
                schemes.join(", ")
            ),
        ));
    }
    Ok(url)
}

/// Checks `DATABASE_URL`'s scheme.
pub fn database_url(raw: &str) -> Result<(), ConfigError> {
    let scheme = raw.split(':').next().unwrap_or_default();
    match scheme {
        "sqlite" | "postgres" | "postgresql" => Ok(()),
        _ => Err(ConfigError::new(
            "DATABASE_URL",
            format!("unknown scheme {scheme:?}: use sqlite://… or postgres://…"),
        )),
    }
}

/// `CORS_ORIGINS`: comma-separated `http(s)://host[:port]` origins.
pub fn origins(src: &Source) -> Result<Vec<String>, ConfigError> {
    let Some(raw) = src.get("CORS_ORIGINS") else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|origin| {
            let url = checked_url("CORS_ORIGINS", origin, &["http", "https"])?;
            Ok(url.origin().ascii_serialization())
        })
        .collect()
}

/// `TRUSTED_PROXIES`: comma-separated IPs or CIDRs.
pub fn trusted_proxies(src: &Source) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    let Some(raw) = src.get("TRUSTED_PROXIES") else {
        return Ok(Vec::new());
    };
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError::new("TRUSTED_PROXIES", format!("{entry:?} is not an IP or CIDR"))
                })
        })
        .collect()
}

/// `OAUTH_PROVIDERS` and each provider's `OAUTH_<NAME>_*` variables.
pub fn oauth_providers(src: &Source) -> Result<Vec<OAuthProvider>, ConfigError> {
    let Some(raw) = src.get("OAUTH_PROVIDERS") else {
        return Ok(Vec::new());
    };
    let urls = ["http", "https"];
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|name| {
            let valid = name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err(ConfigError::new(
                    "OAUTH_PROVIDERS",
                    format!("{name:?}: use a-z, 0-9 and -"),
                ));
            }
            let prefix = format!("OAUTH_{}_", name.to_ascii_uppercase().replace('-', "_"));
            let var = |suffix: &str| format!("{prefix}{suffix}");
            let client_id = src
                .get(&var("CLIENT_ID"))
                .ok_or_else(|| ConfigError::new(var("CLIENT_ID"), "is required"))?;
            let issuer = src.url(&var("ISSUER"), &urls)?;
            let auth = src.url(&var("AUTH_URL"), &urls)?;
            let token = src.url(&var("TOKEN_URL"), &urls)?;
            let userinfo = src.url(&var("USERINFO_URL"), &urls)?;
            let endpoints = match (auth, token, userinfo) {
                (Some(a), Some(t), Some(u)) => Some((a, t, u)),
                (None, None, None) => None,
                _ => {
                    return Err(ConfigError::new(
                        var("AUTH_URL"),
                        "AUTH_URL, TOKEN_URL and USERINFO_URL go together",
                    ));
                }
            };
            if issuer.is_none() && endpoints.is_none() {
                return Err(ConfigError::new(
                    var("ISSUER"),
                    "set ISSUER, or AUTH_URL + TOKEN_URL + USERINFO_URL",
                ));
            }
            Ok(OAuthProvider {
                name: name.to_owned(),
                client_id,
                client_secret: src.get(&var("CLIENT_SECRET")),
                issuer,
                endpoints,
                scopes: src
                    .get(&var("SCOPES"))
                    .map(|s| s.split_whitespace().map(str::to_owned).collect())
                    .unwrap_or_default(),
                redirect_url: src.url(&var("REDIRECT_URL"), &urls)?,
            })
        })
        .collect()
}

/// `BROKER_CHANNEL`: 1–100 characters of `A–Z a–z 0–9 . _ -`.
pub fn channel(src: &Source) -> Result<String, ConfigError> {
    let channel = src
        .get("BROKER_CHANNEL")
        .unwrap_or_else(|| "backend-api.events".into());
    let valid = (1..=100).contains(&channel.len())
        && channel
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !valid {
        return Err(ConfigError::new(
            "BROKER_CHANNEL",
            "use 1-100 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    Ok(channel)
}
