//! Configuration parsing.

use super::{AppEnv, ConfigError, JwtKey, LogFormat, Settings};
use std::path::{Path, PathBuf};

/// A scratch data directory, removed when dropped.
struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn temp_dir() -> TempDir {
    let dir = std::env::temp_dir().join(format!("backend-api-config-{}", uuid_like()));
    std::fs::create_dir_all(&dir).ok();
    TempDir(dir)
}

fn uuid_like() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}

fn load(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_vars(vars.iter().copied(), &temp_dir())
}

#[test]
fn defaults_work_on_a_laptop() {
    let dir = temp_dir();
    let settings = Settings::from_vars([], &dir).expect("defaults");
    assert_eq!(settings.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(settings.env, AppEnv::Development);
    assert_eq!(settings.database_url, "sqlite://data/app.db?mode=rwc");
    assert_eq!(settings.log_format, LogFormat::Pretty);
    assert_eq!(settings.websocket.send_queue, 1024);
    assert!(settings.rate_limits.enabled);
    assert!(matches!(settings.jwt_key, JwtKey::Hs256(_)));
    let kept = std::fs::read_to_string(dir.join("jwt_secret")).expect("generated");
    let again = Settings::from_vars([], &dir).expect("defaults");
    assert!(matches!(again.jwt_key, JwtKey::Hs256(_)));
    assert_eq!(
        std::fs::read_to_string(dir.join("jwt_secret")).expect("kept"),
        kept
    );
}

#[test]
fn production_needs_both_secrets_and_logs_json() {
    let secret = "s".repeat(32);
    let missing_jwt = load(&[("APP_ENV", "production"), ("SECRET_KEY", &secret)]);
    assert_eq!(
        missing_jwt.err().map(|e| e.variable),
        Some("JWT_SECRET".into())
    );
    let missing_key = load(&[("APP_ENV", "production"), ("JWT_SECRET", &secret)]);
    assert_eq!(
        missing_key.err().map(|e| e.variable),
        Some("SECRET_KEY".into())
    );
    let ok = load(&[
        ("APP_ENV", "production"),
        ("JWT_SECRET", &secret),
        ("SECRET_KEY", &secret),
    ])
    .expect("valid");
    assert_eq!(ok.log_format, LogFormat::Json);
}

#[test]
fn bad_values_name_their_variable() {
    for (name, value) in [
        ("APP_ADDR", "nowhere"),
        ("DATABASE_URL", "mysql://x"),
        ("DATABASE_MAX_CONNECTIONS", "0"),
        ("BROKER_URL", "amqp://x"),
        ("JWT_ALGORITHM", "none"),
        ("ACCESS_TOKEN_TTL_SECS", "-1"),
        ("CORS_ORIGINS", "not a url"),
        ("TRUSTED_PROXIES", "10.0.0.0/33"),
        ("RATE_LIMIT_ENABLED", "maybe"),
        ("MAX_BODY_BYTES", "lots"),
        ("BODY_READ_TIMEOUT_SECS", "0"),
        ("WS_SEND_QUEUE", "0"),
        ("AGENT_MAX_IN_FLIGHT", "0"),
        ("LOG_FORMAT", "xml"),
        ("RUST_LOG", "[[["),
        ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost"),
        ("OAUTH_SUCCESS_REDIRECT", "ftp://x"),
    ] {
        let error = load(&[(name, value)]).err().map(|e| e.variable);
        assert_eq!(error, Some(name.to_owned()), "{name}={value}");
    }
}

#[test]
fn oauth_providers_are_read_by_name() {
    let settings = load(&[
        ("OAUTH_PROVIDERS", "acme-id"),
        ("OAUTH_ACME_ID_CLIENT_ID", "client"),
        ("OAUTH_ACME_ID_ISSUER", "https://id.example.com"),
        ("OAUTH_ACME_ID_SCOPES", "openid email"),
    ])
    .expect("valid");
    let provider = &settings.oauth_providers[0];
    assert_eq!(provider.name, "acme-id");
    assert_eq!(provider.scopes, ["openid", "email"]);
    let incomplete = load(&[
        ("OAUTH_PROVIDERS", "acme-id"),
        ("OAUTH_ACME_ID_CLIENT_ID", "client"),
    ]);
    assert_eq!(
        incomplete.err().map(|e| e.variable),
        Some("OAUTH_ACME_ID_ISSUER".into())
    );
    let no_client = load(&[("OAUTH_PROVIDERS", "gh")]);
    assert_eq!(
        no_client.err().map(|e| e.variable),
        Some("OAUTH_GH_CLIENT_ID".into())
    );
}

#[test]
fn lists_are_comma_separated() {
    let settings = load(&[
        (
            "CORS_ORIGINS",
            "https://a.example.com, http://localhost:3000",
        ),
        ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
    ])
    .expect("valid");
    assert_eq!(
        settings.cors_origins,
        ["https://a.example.com", "http://localhost:3000"]
    );
    assert_eq!(settings.trusted_proxies.len(), 2);
}

#[test]
fn mail_settings_default_to_files_and_the_console() {
    use secrecy::ExposeSecret;
    let dir = temp_dir();
    let settings = Settings::from_vars([("APP_ADDR", "127.0.0.1:9000")], &dir).unwrap();
    let expected = format!("file://{}", dir.join("mail").display());
    assert_eq!(settings.mail.url.expose_secret(), expected);
    assert_eq!(settings.mail.from, "backend-api <no-reply@localhost>");
    assert_eq!(settings.mail.frontend_url, "http://127.0.0.1:9000/console");
    assert!(!settings.mail.require_verified_email);
    let custom = load(&[
        ("FRONTEND_URL", "https://app.example.com/"),
        ("REQUIRE_VERIFIED_EMAIL", "true"),
    ])
    .unwrap();
    assert_eq!(custom.mail.frontend_url, "https://app.example.com");
    assert!(custom.mail.require_verified_email);
}

#[test]
fn bad_mail_settings_name_their_variable() {
    for (name, value) in [
        ("MAIL_URL", "ftp://mail.example.com"),
        ("MAIL_URL", "file://"),
        ("MAIL_FROM", "nobody"),
        ("FRONTEND_URL", "not a url"),
        ("REQUIRE_VERIFIED_EMAIL", "maybe"),
    ] {
        let error = load(&[(name, value)]).err().map(|e| e.variable);
        assert_eq!(error.as_deref(), Some(name), "{name}={value}");
    }
}
