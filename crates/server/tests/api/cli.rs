//! The command line: migrations, user creation and configuration errors.

use crate::helpers::{Backend, spawn_app};
use reqwest::StatusCode;

fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[tokio::test]
async fn migrate_down_status_and_up() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let Some(app) = spawn_app(backend, &[]).await else {
            continue;
        };
        let status = app.cli(&["migrate", "status"]);
        assert!(status.status.success());
        assert!(
            stdout(&status).lines().all(|l| l.starts_with("applied")),
            "{}",
            stdout(&status)
        );
        let down = app.cli(&["migrate", "down"]);
        assert!(
            down.status.success(),
            "{}",
            String::from_utf8_lossy(&down.stderr)
        );
        assert!(stdout(&down).lines().any(|l| l.starts_with("pending")));
        let up = app.cli(&["migrate", "up"]);
        assert!(up.status.success());
        assert!(stdout(&up).lines().all(|l| l.starts_with("applied")));
        let fresh = app.cli(&["migrate", "fresh"]);
        assert!(
            fresh.status.success(),
            "{}",
            String::from_utf8_lossy(&fresh.stderr)
        );
        app.register("ada@example.com").await;
        app.cleanup().await;
    }
}

#[tokio::test]
async fn user_create_makes_admins_and_refuses_bad_input() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let admin = app.signed_in_admin("root@example.com").await;
    let list = app
        .get(
            "/api/v1/users",
            Some(admin["access_token"].as_str().unwrap()),
        )
        .await;
    assert_eq!(list.status(), StatusCode::OK);
    let short = app.cli(&[
        "user",
        "create",
        "--email",
        "x@example.com",
        "--password",
        "short",
    ]);
    assert_eq!(short.status.code(), Some(2));
    let taken = app.cli(&[
        "user",
        "create",
        "--email",
        "root@example.com",
        "--password",
        "long-enough-1",
    ]);
    assert!(!taken.status.success());
    app.cleanup().await;
}

#[tokio::test]
async fn bad_configuration_exits_with_code_2_naming_the_variable() {
    let app = spawn_app(Backend::Sqlite, &[]).await.unwrap();
    let run = |vars: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_backend-api"));
        command
            .args(["migrate", "status"])
            .current_dir(&app.data_dir)
            .env_clear();
        for (name, value) in vars {
            command.env(name, value);
        }
        command.output().unwrap()
    };
    for (vars, variable) in [
        (vec![("APP_ADDR", "not-an-address")], "APP_ADDR"),
        (
            vec![("DATABASE_URL", "mysql://localhost/db")],
            "DATABASE_URL",
        ),
        (
            vec![("DATABASE_MAX_CONNECTIONS", "many")],
            "DATABASE_MAX_CONNECTIONS",
        ),
        (
            vec![("RATE_LIMIT_ENABLED", "perhaps")],
            "RATE_LIMIT_ENABLED",
        ),
        (
            vec![
                ("APP_ENV", "production"),
                ("SECRET_KEY", "k".repeat(32).leak()),
            ],
            "JWT_SECRET",
        ),
        (
            vec![
                ("APP_ENV", "production"),
                ("JWT_SECRET", "k".repeat(32).leak()),
            ],
            "SECRET_KEY",
        ),
        (vec![("JWT_SECRET", "too-short")], "JWT_SECRET"),
        (vec![("JWT_ALGORITHM", "ES256")], "JWT_ALGORITHM"),
        (
            vec![
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318"),
                ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
            ],
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
    ] {
        let output = run(&vars);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{variable}: {stderr}");
        assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
        assert!(stderr.contains(variable), "{stderr}");
    }
    app.cleanup().await;
}
