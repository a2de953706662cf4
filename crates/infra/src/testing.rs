//! Fresh, migrated databases for tests (feature `testing`): one per test,
//! on SQLite always and on PostgreSQL when `TEST_DATABASE_URL` is set.
//!
//! These helpers panic on failure: a test can't go on without its database.

use crate::{Db, migrate};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};
use uuid::Uuid;

/// Connections in each test database's pool.
const POOL_SIZE: u32 = 5;
/// Test databases older than this are left-overs of crashed runs.
const STALE_AFTER: Duration = Duration::from_secs(3600);
/// Whether this process has swept stale test databases yet.
static SWEPT: AtomicBool = AtomicBool::new(false);

/// A database made for one test.
#[derive(Debug)]
pub struct TestDatabase {
    db: Db,
    url: String,
    place: Place,
}

#[derive(Debug)]
enum Place {
    Sqlite { dir: PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh SQLite file in its own temporary folder, migrated. The
    /// folder is removed when this value is dropped.
    ///
    /// # Panics
    /// When the file can't be created or migrated.
    pub async fn sqlite() -> TestDatabase {
        let dir = std::env::temp_dir().join(format!("infra-test-{}", Uuid::now_v7().simple()));
        let url = format!("sqlite://{}?mode=rwc", dir.join("test.db").display());
        let db = Db::connect(&url, POOL_SIZE)
            .await
            .unwrap_or_else(|e| panic!("creating a SQLite test database at {url}: {e}"));
        migrate::up(&db, None)
            .await
            .unwrap_or_else(|e| panic!("migrating the SQLite test database: {e:?}"));
        TestDatabase {
            db,
            url,
            place: Place::Sqlite { dir },
        }
    }

    /// A fresh database `test_<uuid>` on the PostgreSQL server named by
    /// `TEST_DATABASE_URL`, migrated; `None` when the variable is unset.
    ///
    /// # Panics
    /// When the variable is unset but `REQUIRE_SERVICES=1` (CI must not skip
    /// these tests), or when the database can't be created or migrated.
    pub async fn postgres() -> Option<TestDatabase> {
        let admin_url = match std::env::var("TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ if std::env::var("REQUIRE_SERVICES").is_ok_and(|v| v == "1") => panic!(
                "REQUIRE_SERVICES=1 but TEST_DATABASE_URL is not set: \
                 set it to a PostgreSQL server, e.g. postgres://postgres@127.0.0.1:5432/postgres"
            ),
            _ => return None,
        };
        let admin = admin(&admin_url).await;
        if !SWEPT.swap(true, Ordering::SeqCst) {
            sweep(&admin).await;
        }
        let name = format!("test_{}", Uuid::now_v7().simple());
        admin
            .connection()
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap_or_else(|e| panic!("creating the test database {name}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url)
            .unwrap_or_else(|e| panic!("TEST_DATABASE_URL is not a URL: {e}"));
        url.set_path(&format!("/{name}"));
        let url = url.to_string();
        let db = Db::connect(&url, POOL_SIZE)
            .await
            .unwrap_or_else(|e| panic!("connecting to the test database {name}: {e}"));
        migrate::up(&db, None)
            .await
            .unwrap_or_else(|e| panic!("migrating the test database {name}: {e:?}"));
        Some(TestDatabase {
            db,
            url,
            place: Place::Postgres { admin_url, name },
        })
    }

    /// The URL of this database, to start a server on it.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The connection pool.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Closes the pool and deletes the database (`DROP DATABASE … WITH
    /// (FORCE)` on PostgreSQL, the folder on SQLite).
    ///
    /// # Panics
    /// When the PostgreSQL database can't be dropped.
    pub async fn drop_database(self) {
        let _ = self.db.clone().close().await;
        if let Place::Postgres { admin_url, name } = &self.place {
            let admin = admin(admin_url).await;
            drop_named(&admin, name)
                .await
                .unwrap_or_else(|e| panic!("dropping the test database {name}: {e}"));
            let _ = admin.close().await;
        }
        // Dropping `self` removes a SQLite folder.
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Place::Sqlite { dir } = &self.place {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

async fn admin(admin_url: &str) -> Db {
    Db::connect(admin_url, 1)
        .await
        .unwrap_or_else(|e| panic!("connecting to TEST_DATABASE_URL: {e}"))
}

/// `name` must be one of ours: `test_` and a simple UUID, nothing to quote.
async fn drop_named(admin: &Db, name: &str) -> Result<(), sea_orm::DbErr> {
    debug_assert!(
        name.strip_prefix("test_")
            .is_some_and(|id| Uuid::try_parse(id).is_ok())
    );
    admin
        .connection()
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .await
        .map(drop)
}

/// Drops test databases left by crashed runs: those named `test_<uuid v7>`
/// whose uuid is more than an hour old. Failures are ignored (another
/// process may be sweeping too).
async fn sweep(admin: &Db) {
    let list = Statement::from_sql_and_values(
        DbBackend::Postgres,
        r"SELECT datname FROM pg_database WHERE datname LIKE $1",
        ["test\\_%".into()],
    );
    let Ok(rows) = admin.connection().query_all_raw(list).await else {
        return;
    };
    let cutoff = SystemTime::now() - STALE_AFTER;
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        let created = name
            .strip_prefix("test_")
            .and_then(|id| Uuid::try_parse(id).ok())
            .and_then(|id| id.get_timestamp())
            .map(|ts| {
                let (secs, nanos) = ts.to_unix();
                SystemTime::UNIX_EPOCH + Duration::new(secs, nanos)
            });
        if created.is_some_and(|at| at < cutoff) {
            let _ = drop_named(admin, &name).await;
        }
    }
}
