//! The database handle: a SeaORM connection pool set up for SQLite or
//! PostgreSQL as ARCHITECTURE.md asks.

use crate::InfraError;
use sea_orm::sqlx::Connection;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How long a SQLite connection waits for a lock before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// A pool of connections to one database. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    conn: DatabaseConnection,
    /// Set by [`Db::check_connections_before_use`].
    check_before_use: Arc<AtomicBool>,
}

impl Db {
    /// Connects to `url` with at most `max_connections` pooled connections.
    ///
    /// `sqlite:` URLs get the parent folder of their file created, WAL
    /// journal, a 5 s busy timeout, `foreign_keys=ON` and
    /// `synchronous=NORMAL`. `postgres://` and `postgresql://` URLs skip the
    /// ping before each checkout (it cost ~10% on hot paths) until
    /// [`Db::check_connections_before_use`].
    ///
    /// # Errors
    /// [`InfraError::UnsupportedDatabase`] for other schemes,
    /// [`InfraError::CreateDir`] when the SQLite folder can't be made,
    /// [`InfraError::Connect`] when connecting fails.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, InfraError> {
        let check_before_use = Arc::new(AtomicBool::new(false));
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(max_connections.max(1))
            .sqlx_logging(false);
        if url.starts_with("sqlite:") {
            create_sqlite_folder(url)?;
            options.map_sqlx_sqlite_opts(|opts| {
                opts.journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(SQLITE_BUSY_TIMEOUT)
                    .foreign_keys(true)
                    .synchronous(SqliteSynchronous::Normal)
            });
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            options.test_before_acquire(false);
            let check = check_before_use.clone();
            options.map_sqlx_postgres_before_acquire(move |conn, _| {
                let check = check.load(Ordering::Relaxed);
                Box::pin(async move { Ok(!check || conn.ping().await.is_ok()) })
            });
        } else {
            return Err(InfraError::UnsupportedDatabase);
        }
        let conn = Database::connect(options)
            .await
            .map_err(InfraError::Connect)?;
        Ok(Db {
            conn,
            check_before_use,
        })
    }

    /// From now on a pooled PostgreSQL connection is pinged before each
    /// checkout, and replaced when the ping fails. For shutdown: a
    /// connection belongs to the async runtime that opened it, the web
    /// server's idle worker threads stop (with their runtimes) first, and
    /// the connections they opened would fail the requests other workers
    /// are still finishing. (SQLite connections run on threads of their
    /// own and are not affected.)
    pub fn check_connections_before_use(&self) {
        self.check_before_use.store(true, Ordering::Relaxed);
    }

    /// Checks that the database answers.
    ///
    /// # Errors
    /// [`InfraError::Database`] when it does not.
    pub async fn ping(&self) -> Result<(), InfraError> {
        self.conn.ping().await.map_err(InfraError::Database)
    }

    /// Whether this is a PostgreSQL database (else SQLite).
    pub fn is_postgres(&self) -> bool {
        self.conn.get_database_backend() == DbBackend::Postgres
    }

    /// Connections in the pool: (in use, idle).
    pub fn pool_usage(&self) -> (usize, usize) {
        let (size, idle) = if self.is_postgres() {
            let pool = self.conn.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        } else {
            let pool = self.conn.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        };
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        (size.saturating_sub(idle), idle)
    }

    /// The SeaORM connection, for code inside this crate and the migrator.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.conn
    }

    /// Closes every pooled connection (of every clone of this handle).
    ///
    /// # Errors
    /// [`InfraError::Database`] when closing fails.
    pub async fn close(self) -> Result<(), InfraError> {
        self.conn.close().await.map_err(InfraError::Database)
    }
}

/// Creates the folder a SQLite file lives in, unless it exists or the
/// database is in memory.
fn create_sqlite_folder(url: &str) -> Result<(), InfraError> {
    let Ok(options) = SqliteConnectOptions::from_str(url) else {
        // Let the driver report the malformed URL when connecting.
        return Ok(());
    };
    let file = options.get_filename();
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(());
    }
    match file.parent() {
        Some(dir) if dir != Path::new("") && !dir.exists() => {
            std::fs::create_dir_all(dir).map_err(|source| InfraError::CreateDir {
                path: dir.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}
