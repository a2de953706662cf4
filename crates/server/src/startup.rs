//! `Application`: connect, migrate, wire, bind; then serve until stopped.

use crate::config::{AppEnv, Settings};
use crate::edge::Edge;
use crate::{janitor, mail_sender, telemetry, wiring};
use actix_codec::Framed;
use actix_http::error::DispatchError;
use actix_http::h1::Codec;
use actix_http::{HttpService, Protocol, Request};
use actix_service::{Service, ServiceFactoryExt};
use actix_web::App;
use actix_web::dev::{AppConfig, Server};
use anyhow::Context;
use api::middleware::draining::Draining;
use api::middleware::rate_limit::{RateLimitConfig, RateLimits};
use api::realtime::hub::CloseSignal;
use api::realtime::socket::CloseCode;
use api::realtime::takeover;
use api::realtime::{Realtime, RealtimeConfig};
use api::{ApiConfig, AppFactory, AppState, DependencyCheck, build_app};
use async_trait::async_trait;
use domain::ports::MessageBus;
use domain::services::EventFeed;
use infra::Db;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// How often the sequencer looks for events nobody announced (a writer
/// that crashed between commit and kick, another instance's writes while
/// the broker is away).
const RELAY_EVERY: Duration = Duration::from_millis(500);

/// A built server, bound to its port, not yet serving.
pub struct Application {
    port: u16,
    server: Server,
    realtime: Realtime,
    db: Db,
    draining: Draining,
    grace: Duration,
    background: Vec<JoinHandle<()>>,
}

impl Application {
    /// Connects to the database (creating an SQLite folder if needed),
    /// applies pending migrations, wires the services and binds
    /// `settings.addr` (port 0 picks a free port).
    ///
    /// # Errors
    /// When the database can't be reached or migrated, or the address bound.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect(&settings.database_url, settings.database_max_connections)
            .await
            .context("connecting to DATABASE_URL")?;
        infra::migrate::up(&db, None)
            .await
            .context("applying pending migrations")?;
        let events = wiring::event_log(&db);
        events.open().await.context("opening the event log")?;
        let (realtime, hub) =
            Realtime::new(realtime_config(&settings), EventFeed::new(events.clone()));
        let draining = Draining::default();
        let mut dependencies: Vec<Arc<dyn DependencyCheck>> = vec![
            Arc::new(DatabaseCheck(db.clone())),
            Arc::new(draining.clone()),
        ];
        let hub = match &settings.broker_url {
            Some(url) => {
                let bus = infra::bus::connect(url.as_str(), &settings.broker_channel)
                    .await
                    .context("connecting to BROKER_URL")?;
                dependencies.push(Arc::new(BrokerCheck(bus.clone())));
                hub.with_bus(bus, &realtime.hub)
            }
            None => hub,
        };
        let services = wiring::services(&settings, &db, events, realtime.notifier())?;
        let mailer = infra::mail::build(settings.mail.url.expose_secret(), &settings.mail.from)
            .context("setting up MAIL_URL")?;
        let listener = TcpListener::bind(settings.addr)
            .with_context(|| format!("binding APP_ADDR {}", settings.addr))?;
        let port = listener.local_addr()?.port();
        let rate_limits = settings.rate_limits.enabled.then(|| {
            Arc::new(RateLimits::new(RateLimitConfig {
                auth_per_min: settings.rate_limits.auth_per_min,
                auth_burst: settings.rate_limits.auth_burst,
                api_per_sec: settings.rate_limits.api_per_sec,
                api_burst: settings.rate_limits.api_burst,
            }))
        });
        let state = AppState {
            auth: services.auth,
            users: services.users,
            accounts: services.accounts,
            items: services.items,
            agents: services.agents.clone(),
            commands: services.commands.clone(),
            idempotency: services.idempotency.clone(),
            oauth: services.oauth,
            dependencies,
            draining: draining.clone(),
            rate_limits: rate_limits.clone(),
            metrics: Some(Arc::new(telemetry::Metrics::new(db.clone()))),
        };
        let config = ApiConfig {
            max_body_bytes: settings.max_body_bytes,
            trusted_proxies: settings.trusted_proxies.clone(),
            cors_origins: settings.cors_origins.clone(),
            production: settings.env == AppEnv::Production,
            refresh_cookie_ttl: settings.refresh_ttl,
            oauth_success_redirect: settings.oauth_success_redirect.as_ref().map(|url| {
                let mut url = url.clone();
                url.set_fragment(None);
                url.to_string()
            }),
            oauth_providers: settings
                .oauth_providers
                .iter()
                .map(|provider| provider.name.clone())
                .collect(),
            export_traces: settings.otel.is_some(),
            body_read_timeout: settings.body_read_timeout,
        };
        let app_realtime = realtime.clone();
        let server = http_server(
            listener,
            move || build_app(state.clone(), config.clone(), app_realtime.clone()),
            settings.shutdown_grace,
            settings.env == AppEnv::Production,
        )?;
        let mut background = vec![
            tokio::spawn(hub.run()),
            tokio::spawn(realtime.sequencer(RELAY_EVERY)),
            tokio::spawn(
                janitor::Janitor {
                    sessions: services.ports.sessions.clone(),
                    idempotency: services.idempotency,
                    pending_logins: services.ports.pending_logins.clone(),
                    events: services.ports.events.clone(),
                    clock: services.ports.clock.clone(),
                    event_retention: settings.event_retention,
                    events_per_stream: settings.event_retention_per_room,
                    agents: services.agents,
                    commands: services.commands,
                    agent_silence: realtime.config.idle_timeout + janitor::AGENT_GRACE,
                }
                .run(),
            ),
        ];
        background.push(tokio::spawn(
            mail_sender::MailSender {
                outbox: Arc::new(infra::SeaOutbox::new(db.clone())),
                mailer,
                clock: services.ports.clock.clone(),
            }
            .run(),
        ));
        if let Some(limits) = rate_limits {
            background.push(tokio::spawn(evict_idle_rate_limit_keys(limits)));
        }
        Ok(Self {
            port,
            server,
            realtime,
            db,
            draining,
            grace: settings.shutdown_grace,
            background,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then shuts down gracefully (see
    /// [`drain`]).
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let stopping = Stopping {
            handle: self.server.handle(),
            realtime: self.realtime.clone(),
            db: self.db.clone(),
            draining: self.draining.clone(),
            grace: self.grace,
        };
        let on_signal = tokio::spawn(async move {
            shutdown_signal().await;
            drain(stopping).await;
        });
        let result = self.server.await;
        on_signal.abort();
        for task in self.background {
            task.abort();
        }
        result
    }
}

/// The HTTP server on `listener`, serving the application `app` makes
/// (one per worker): what `actix_web::HttpServer` builds, with the same
/// timeouts, plus the upgrade service that takes WebSockets off the
/// HTTP/1 dispatcher (`api::realtime::takeover`), which `HttpServer` has
/// no way to add. Each socket is wrapped in an [`Edge`], so the answers
/// the dispatcher makes by itself (400, 408, 431) are problem documents
/// with a request id and the security headers (`hsts`: production).
/// Signals are left to [`Application::run_until_stopped`]; a graceful stop
/// gives requests `grace` to finish.
fn http_server<F, T>(
    listener: TcpListener,
    app: F,
    grace: Duration,
    hsts: bool,
) -> std::io::Result<Server>
where
    F: Fn() -> App<T> + Clone + Send + 'static,
    T: AppFactory,
{
    let addr = listener.local_addr()?;
    let builder = actix_server::ServerBuilder::default();
    let stopping = builder.graceful_shutdown_signal();
    Ok(builder
        .listen("backend-api", listener, move || {
            let stopping = stopping.clone();
            let http = HttpService::build()
                // As HttpServer does: idle keep-alive connections close as
                // soon as a graceful stop begins.
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .client_request_timeout(Duration::from_secs(5))
                .client_disconnect_timeout(Duration::from_secs(1))
                .local_addr(addr)
                .upgrade(actix_service::apply_fn_factory(
                    takeover::upgrades(app.clone()),
                    |(request, framed): (Request, Framed<Edge<TcpStream>, Codec>), upgrades| {
                        upgrades.call((request, framed.into_map_io(Edge::into_inner)))
                    },
                ))
                .finish(actix_service::map_config(app(), |()| AppConfig::default()));
            actix_service::fn_service(move |io: TcpStream| async move {
                // Frames and responses go out as they are written: with
                // Nagle's algorithm a small write waits for the previous
                // one's ACK, which the client may delay by 40 ms. (A
                // socket that refuses the option still works.)
                let _ = io.set_nodelay(true);
                let peer = io.peer_addr().ok();
                Ok::<_, DispatchError>((Edge::new(io, hsts), Protocol::Http1, peer))
            })
            .and_then(http)
        })?
        .shutdown_timeout(grace.as_secs())
        .disable_signals()
        .run())
}

/// What a graceful shutdown acts on.
struct Stopping {
    handle: actix_web::dev::ServerHandle,
    realtime: Realtime,
    db: Db,
    draining: Draining,
    grace: Duration,
}

/// The graceful shutdown: readiness turns 503 and responses close their
/// connections (draining); WebSockets are closed with 1001; no new
/// connection is accepted (a proxy's next one waits in the listen backlog
/// and is refused when the listener closes, so it goes elsewhere); the
/// requests in flight get the grace period to finish; then the workers
/// stop.
///
/// Waiting for the requests before stopping the workers matters on
/// PostgreSQL: actix stops idle workers at once, with their async runtimes,
/// and a database connection belongs to the runtime that opened it, so a
/// request still running on another worker could find its connection
/// dead. For what still queries afterwards (the relay, closing sockets),
/// pooled connections are then checked before use.
async fn drain(stopping: Stopping) {
    tracing::info!("shutting down");
    stopping.draining.start();
    stopping.realtime.hub.close_all(CloseSignal {
        code: CloseCode::Away,
        reason: "server shutting down",
    });
    stopping.handle.pause().await;
    let deadline = tokio::time::Instant::now() + stopping.grace;
    while stopping.draining.in_flight() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let finished = stopping.draining.in_flight() == 0;
    if !finished {
        tracing::warn!(
            in_flight = stopping.draining.in_flight(),
            "requests still running after SHUTDOWN_GRACE_SECS; stopping anyway"
        );
    }
    stopping.db.check_connections_before_use();
    stopping.handle.stop(finished).await;
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut signal) => {
                    signal.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            () = terminate => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Every minute, forgets rate-limit keys of idle callers.
async fn evict_idle_rate_limit_keys(limits: Arc<RateLimits>) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    loop {
        every.tick().await;
        limits.evict_idle();
    }
}

fn realtime_config(settings: &Settings) -> RealtimeConfig {
    let ws = &settings.websocket;
    RealtimeConfig {
        ping: ws.ping.max(Duration::from_millis(100)),
        idle_timeout: ws.idle_timeout,
        send_queue: ws.send_queue,
        max_connections_per_user: ws.max_connections_per_user,
        rate_limit: settings.rate_limits.enabled,
        frames_per_second: 20,
        agent_max_in_flight: ws.agent_max_in_flight,
    }
}

/// Readiness of the database: a ping.
struct DatabaseCheck(Db);

#[async_trait]
impl DependencyCheck for DatabaseCheck {
    fn name(&self) -> &'static str {
        "database"
    }

    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}

/// Readiness of the message bus: a ping.
struct BrokerCheck(Arc<dyn MessageBus>);

#[async_trait]
impl DependencyCheck for BrokerCheck {
    fn name(&self) -> &'static str {
        "broker"
    }

    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| e.to_string())
    }
}
