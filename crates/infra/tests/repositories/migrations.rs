//! The database handle and the migration runner.

use crate::support::{base_time, new_user, on_both};
use domain::ports::UserRepository;
use infra::migrate::{self, MigrationState};
use infra::testing::TestDatabase;
use infra::{Db, InfraError, SeaUsers};
use sea_orm::{ConnectionTrait, DbBackend, Statement};

on_both!(
    down_then_up_again,
    the_unused_agent_instance_column_is_gone,
    the_commands_table_comes_and_goes
);

async fn down_then_up_again(db: Db) {
    let applied: Vec<_> = [
        "m20261126_000001_users_and_sessions",
        "m20261126_000002_items_and_idempotency",
        "m20261126_000003_events",
        "m20261126_000004_agents",
        "m20261126_000005_oauth",
        "m20261126_000006_sequence_function",
        "m20261126_000007_event_seqs",
        "m20261126_000008_event_watermark",
        "m20261207_000009_drop_agent_instance",
        "m20261207_000010_mail_outbox",
        "m20261207_000020_agent_commands",
    ]
    .map(|name| MigrationState {
        name: name.into(),
        applied: true,
    })
    .into();
    assert_eq!(migrate::status(&db).await.unwrap(), applied);

    let all = u32::try_from(applied.len()).unwrap();
    migrate::down(&db, all).await.unwrap();
    let status = migrate::status(&db).await.unwrap();
    assert!(status.iter().all(|m| !m.applied), "{status:?}");
    let users = SeaUsers::new(db.clone());
    assert!(
        users
            .create(&new_user("ada@example.com", base_time()))
            .await
            .is_err()
    );

    migrate::up(&db, None).await.unwrap();
    assert_eq!(migrate::status(&db).await.unwrap(), applied);
    users
        .create(&new_user("ada@example.com", base_time()))
        .await
        .unwrap();

    migrate::fresh(&db).await.unwrap();
    assert_eq!(migrate::status(&db).await.unwrap(), applied);
    let ada = new_user("ada@example.com", base_time());
    users.create(&ada).await.unwrap();
    db.ping().await.unwrap();
}

/// Migration 000009 drops `agents.instance_id` (never used); its `down`
/// (after the newer mail outbox's and agent commands') brings the column back, and `up` drops
/// it again.
async fn the_unused_agent_instance_column_is_gone(db: Db) {
    let backend = db.connection().get_database_backend();
    let select = || Statement::from_string(backend, "SELECT instance_id FROM agents");
    assert!(db.connection().query_all_raw(select()).await.is_err());
    migrate::down(&db, 3).await.unwrap();
    db.connection().query_all_raw(select()).await.unwrap();
    migrate::up(&db, None).await.unwrap();
    assert!(db.connection().query_all_raw(select()).await.is_err());
}

/// Migration 000020 adds `commands`; its `down` drops the table.
async fn the_commands_table_comes_and_goes(db: Db) {
    let backend = db.connection().get_database_backend();
    let select = || Statement::from_string(backend, "SELECT id, status FROM commands");
    db.connection().query_all_raw(select()).await.unwrap();
    migrate::down(&db, 1).await.unwrap();
    assert!(db.connection().query_all_raw(select()).await.is_err());
    migrate::up(&db, None).await.unwrap();
    db.connection().query_all_raw(select()).await.unwrap();
}

/// Instances starting together queue on the advisory lock: every one
/// succeeds, even with one connection each, and the schema is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_postgres_migrations_queue_on_the_lock() {
    let Some(test_db) = TestDatabase::postgres().await else {
        eprintln!("skipped: TEST_DATABASE_URL is not set");
        return;
    };
    migrate::down(test_db.db(), 1).await.unwrap();
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let url = test_db.url().to_owned();
            tokio::spawn(async move {
                let db = Db::connect(&url, 1).await.unwrap();
                migrate::up(&db, None).await.unwrap();
                db.close().await.unwrap();
            })
        })
        .collect();
    for run in runs {
        run.await.unwrap();
    }
    let status = migrate::status(test_db.db()).await.unwrap();
    assert!(status.iter().all(|m| m.applied), "{status:?}");
    test_db.drop_database().await;
}

#[tokio::test]
async fn sqlite_folder_is_created_and_other_schemes_are_refused() {
    let dir = std::env::temp_dir().join(format!("infra-connect-{}", uuid::Uuid::now_v7().simple()));
    let url = format!("sqlite://{}?mode=rwc", dir.join("nested/app.db").display());
    let db = Db::connect(&url, 2).await.unwrap();
    assert!(!db.is_postgres());
    db.ping().await.unwrap();
    assert!(dir.join("nested/app.db").exists());
    let pragma = async |name: &str| {
        let stmt = Statement::from_string(DbBackend::Sqlite, format!("PRAGMA {name}"));
        let row = db.connection().query_one_raw(stmt).await.unwrap().unwrap();
        row.try_get_by_index::<String>(0)
            .or_else(|_| row.try_get_by_index::<i64>(0).map(|v| v.to_string()))
            .unwrap()
    };
    assert_eq!(pragma("journal_mode").await, "wal");
    assert_eq!(pragma("foreign_keys").await, "1");
    assert_eq!(pragma("busy_timeout").await, "5000");
    assert_eq!(pragma("synchronous").await, "1", "NORMAL");
    db.close().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();

    let err = Db::connect("mysql://root@localhost/app", 1)
        .await
        .unwrap_err();
    assert!(matches!(err, InfraError::UnsupportedDatabase), "{err:?}");
}
