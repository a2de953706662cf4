//! The command line: `serve` (default), `migrate …`, `user create …`.

use crate::config::Settings;
use crate::startup::Application;
use crate::{telemetry, wiring};
use anyhow::Context;
use clap::{Parser, Subcommand};
use domain::model::{DisplayName, Email, Password, Role};
use domain::ports::NoNotifier;
use domain::services::RegisterInput;
use infra::Db;
use std::process::ExitCode;
use std::sync::Arc;

/// backend-api: REST and WebSocket backend.
#[derive(Debug, Parser)]
#[command(name = "backend-api", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Apply pending migrations, then serve (the default).
    Serve,
    /// Schema control.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// User administration.
    User {
        #[command(subcommand)]
        action: UserAction,
    },
}

#[derive(Debug, Subcommand)]
enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the last N migrations (default 1).
    Down {
        /// How many.
        #[arg(default_value_t = 1)]
        steps: u32,
    },
    /// List migrations, applied or pending.
    Status,
    /// Drop everything and apply every migration.
    Fresh,
}

#[derive(Debug, Subcommand)]
enum UserAction {
    /// Create a user (the way to make the first admin).
    Create {
        /// Email address.
        #[arg(long)]
        email: String,
        /// Password, 8–128 characters.
        #[arg(long)]
        password: String,
        /// Display name.
        #[arg(long)]
        display_name: Option<String>,
        /// Give the user the admin role.
        #[arg(long)]
        admin: bool,
    },
}

/// Parses the command line and configuration and runs the command. A bad
/// argument or configuration value exits with code 2 and one line.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::from(2);
        }
    };
    let telemetry = match telemetry::init(
        settings.log_format,
        &settings.log_filter,
        settings.otel.as_ref(),
    ) {
        Ok(telemetry) => telemetry,
        Err(error) => {
            eprintln!("{:#}", anyhow::Error::from(error));
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(execute(cli.command.unwrap_or(Command::Serve), settings));
    // Tasks still running (WebSocket sessions closing) end their spans when
    // the runtime drops them; then the spans still buffered are exported.
    drop(runtime);
    telemetry.shutdown();
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn execute(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => {
            let addr = settings.addr;
            let app = Application::build(settings).await?;
            tracing::info!(%addr, port = app.port(), "backend-api listening");
            app.run_until_stopped().await?;
            tracing::info!("backend-api stopped");
        }
        Command::Migrate { action } => migrate(action, &settings).await?,
        Command::User {
            action:
                UserAction::Create {
                    email,
                    password,
                    display_name,
                    admin,
                },
        } => {
            let input = match parse_user(&email, &password, display_name.as_deref()) {
                Ok(input) => input,
                Err(message) => {
                    eprintln!("invalid user: {message}");
                    return Ok(ExitCode::from(2));
                }
            };
            let db = connect(&settings).await?;
            infra::migrate::up(&db, None).await?;
            let events = wiring::event_log(&db);
            let services = wiring::services(&settings, &db, events, Arc::new(NoNotifier))?;
            let role = if admin { Role::Admin } else { Role::User };
            let user = services.auth.create_user(input, role).await?;
            println!("created {} {} ({})", role.as_str(), user.email, user.id);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_user(email: &str, password: &str, name: Option<&str>) -> Result<RegisterInput, String> {
    Ok(RegisterInput {
        email: Email::parse(email).map_err(|e| e.to_string())?,
        password: Password::parse(password).map_err(|e| e.to_string())?,
        display_name: name
            .map(DisplayName::parse)
            .transpose()
            .map_err(|e| e.to_string())?,
    })
}

async fn connect(settings: &Settings) -> anyhow::Result<Db> {
    Db::connect(&settings.database_url, settings.database_max_connections)
        .await
        .context("connecting to DATABASE_URL")
}

async fn migrate(action: MigrateAction, settings: &Settings) -> anyhow::Result<()> {
    let db = connect(settings).await?;
    match action {
        MigrateAction::Up => infra::migrate::up(&db, None).await?,
        MigrateAction::Down { steps } => infra::migrate::down(&db, steps).await?,
        MigrateAction::Fresh => infra::migrate::fresh(&db).await?,
        MigrateAction::Status => {}
    }
    for migration in infra::migrate::status(&db).await? {
        let state = if migration.applied {
            "applied"
        } else {
            "pending"
        };
        println!("{state:8} {}", migration.name);
    }
    Ok(())
}
