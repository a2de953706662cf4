//! Seqs move out of `events` into a narrow table of their own. An event is
//! now written once and never rewritten: a trigger lists it in
//! `event_pending`, and the sequencer moves it from there to `event_seqs`
//! (`stream, seq → event id`, with the two replay filters). Numbering used
//! to rewrite the whole ~500-byte event row and four of its indexes; now it
//! deletes a one-column row and inserts a five-column one. Existing seqs
//! and pending events move with the data; `down` moves them back.

use crate::m20261126_000003_events::EVENT_INDEXES;
use crate::m20261126_000006_sequence_function::CREATE as CREATE_OLD_SEQUENCER;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{big_integer, text, uuid};
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

/// Creates `event_pending`, `event_seqs`, the trigger, and the new
/// `sequence_events()`; drops `events.seq`.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum EventSeqs {
    Table,
    Stream,
    Seq,
    EventId,
    ResourceId,
    OwnerId,
}

/// `stream, seq → event id`: the seqs are unique per stream and found in
/// order; the two replay filters (one resource, one owner) are copied
/// here so that a filtered replay reads its seqs in order from an index.
pub(crate) fn event_seqs() -> TableCreateStatement {
    Table::create()
        .table(EventSeqs::Table)
        .col(text(EventSeqs::Stream))
        .col(big_integer(EventSeqs::Seq))
        .col(big_integer(EventSeqs::EventId))
        .col(uuid(EventSeqs::ResourceId))
        .col(uuid(EventSeqs::OwnerId))
        .primary_key(Index::create().col(EventSeqs::Stream).col(EventSeqs::Seq))
        .to_owned()
}

pub(crate) const SEQ_INDEXES: [&str; 2] = [
    "CREATE INDEX idx_event_seqs_resource ON event_seqs (stream, resource_id, seq)",
    "CREATE INDEX idx_event_seqs_owner ON event_seqs (stream, owner_id, seq)",
];

/// The ids of committed events not numbered yet (SQLite: the rowid itself).
pub(crate) const PENDING: [(DbBackend, &str); 2] = [
    (
        DbBackend::Postgres,
        "CREATE TABLE event_pending (event_id bigint PRIMARY KEY)",
    ),
    (
        DbBackend::Sqlite,
        "CREATE TABLE event_pending (event_id INTEGER PRIMARY KEY)",
    ),
];

/// Every event inserted, by whatever code, is listed as pending in the
/// same statement: the invariant lives in the schema, and instances of the
/// previous version still running during a roll-out lose no event. (`OR
/// REPLACE`: dropping every table, as `migrate fresh` does, leaves the
/// trigger function behind.)
pub(crate) const TRIGGER: [(DbBackend, &str); 3] = [
    (
        DbBackend::Postgres,
        "CREATE OR REPLACE FUNCTION event_pending_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_pending (event_id) VALUES (NEW.id);
    RETURN NULL;
END
$$",
    ),
    (
        DbBackend::Postgres,
        "CREATE TRIGGER events_pending AFTER INSERT ON events
FOR EACH ROW EXECUTE FUNCTION event_pending_add()",
    ),
    (
        DbBackend::Sqlite,
        "CREATE TRIGGER events_pending AFTER INSERT ON events
BEGIN
    INSERT INTO event_pending (event_id) VALUES (NEW.id);
END",
    ),
];

/// PostgreSQL: the sequencer, as in migration 000006 (same lock, same
/// READ COMMITTED rule, same numbering), over the new tables. It takes the
/// pending list with one `DELETE … RETURNING`, numbers those events per
/// stream in id order after `max(MAX(seq), pruned_through)`, stores the
/// seqs and returns the numbered events. The pending list churns; its scan
/// must be a plain index scan, which marks the entries of deleted rows dead
/// on first visit (a sequential or bitmap scan would read every dead row
/// left since the last vacuum, on every call). Every join is a lookup by
/// key, so only nested loops are allowed: the plan is cached for the
/// session, and one made while `events` was small hashed the whole table
/// on every later call (30 ms a call with 27,000 events, measured).
///
/// It returns rows of a type of its own, so that dropping everything (as
/// `migrate fresh` does, types with `CASCADE`) drops the function too.
pub(crate) const CREATE_SEQUENCER: [&str; 2] = [
    "CREATE TYPE sequenced_event AS (id bigint, seq bigint, stream text, kind text, \
     resource_id uuid, owner_id uuid, data jsonb, created_at bigint)",
    r"
CREATE FUNCTION sequence_events() RETURNS SETOF sequenced_event
LANGUAGE plpgsql VOLATILE
SET enable_bitmapscan = off
SET enable_seqscan = off
SET enable_hashjoin = off
SET enable_mergejoin = off
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'sequence_events() must run at READ COMMITTED, not %',
            current_setting('transaction_isolation');
    END IF;
    PERFORM pg_advisory_xact_lock(7311142570157106545);
    RETURN QUERY
    WITH taken AS MATERIALIZED (
        DELETE FROM event_pending p WHERE p.event_id > 0 RETURNING p.event_id
    ), batch AS MATERIALIZED (
        SELECT e.id, e.stream, e.kind, e.resource_id, e.owner_id, e.data, e.created_at
        FROM taken t JOIN events e ON e.id = t.event_id
    ), bases AS MATERIALIZED (
        SELECT d.stream AS stream, GREATEST(
            COALESCE((SELECT MAX(s.seq) FROM event_seqs s WHERE s.stream = d.stream), 0),
            COALESCE((SELECT x.pruned_through FROM event_streams x
                      WHERE x.stream = d.stream), 0)) AS base
        FROM (SELECT DISTINCT b.stream FROM batch b) AS d
    ), numbered AS MATERIALIZED (
        SELECT b.*, s.base + row_number() OVER (PARTITION BY b.stream ORDER BY b.id) AS new_seq
        FROM batch b JOIN bases s ON s.stream = b.stream
    ), stored AS (
        INSERT INTO event_seqs (stream, seq, event_id, resource_id, owner_id)
        SELECT n.stream, n.new_seq, n.id, n.resource_id, n.owner_id FROM numbered n
    )
    SELECT n.id, n.new_seq, n.stream, n.kind, n.resource_id, n.owner_id, n.data, n.created_at
    FROM numbered n;
END
$$",
];

/// Runs each statement of `statements` meant for `backend`.
pub(crate) async fn run_for(
    conn: &SchemaManagerConnection<'_>,
    backend: DbBackend,
    statements: &[(DbBackend, &str)],
) -> Result<(), DbErr> {
    for (_, sql) in statements.iter().filter(|(b, _)| *b == backend) {
        conn.execute_unprepared(sql).await?;
    }
    Ok(())
}

/// Runs `statements` in order.
pub(crate) async fn run_all(
    conn: &SchemaManagerConnection<'_>,
    statements: &[&str],
) -> Result<(), DbErr> {
    for sql in statements {
        conn.execute_unprepared(sql).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let conn = manager.get_connection();
        manager.create_table(event_seqs()).await?;
        run_all(conn, &SEQ_INDEXES).await?;
        run_for(conn, backend, &PENDING).await?;
        run_all(
            conn,
            &[
                "INSERT INTO event_seqs (stream, seq, event_id, resource_id, owner_id) \
                 SELECT stream, seq, id, resource_id, owner_id FROM events WHERE seq IS NOT NULL",
                "INSERT INTO event_pending (event_id) SELECT id FROM events WHERE seq IS NULL",
            ],
        )
        .await?;
        if backend == DbBackend::Postgres {
            conn.execute_unprepared("DROP FUNCTION sequence_events()")
                .await?;
        }
        for index in [
            "idx_events_stream_seq",
            "idx_events_unsequenced",
            "idx_events_stream_resource_seq",
            "idx_events_stream_owner_seq",
        ] {
            conn.execute_unprepared(&format!("DROP INDEX {index}"))
                .await?;
        }
        conn.execute_unprepared("ALTER TABLE events DROP COLUMN seq")
            .await?;
        run_for(conn, backend, &TRIGGER).await?;
        if backend == DbBackend::Postgres {
            run_all(conn, &CREATE_SEQUENCER).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let conn = manager.get_connection();
        if backend == DbBackend::Postgres {
            run_all(
                conn,
                &[
                    "DROP FUNCTION sequence_events()",
                    "DROP TYPE sequenced_event",
                    "DROP TRIGGER events_pending ON events",
                    "DROP FUNCTION event_pending_add()",
                ],
            )
            .await?;
        } else {
            conn.execute_unprepared("DROP TRIGGER events_pending")
                .await?;
        }
        run_all(
            conn,
            &[
                "ALTER TABLE events ADD COLUMN seq BIGINT NULL",
                "UPDATE events SET seq = s.seq FROM event_seqs s WHERE s.event_id = events.id",
            ],
        )
        .await?;
        run_all(conn, &EVENT_INDEXES).await?;
        if backend == DbBackend::Postgres {
            conn.execute_unprepared(CREATE_OLD_SEQUENCER).await?;
        }
        run_all(conn, &["DROP TABLE event_pending", "DROP TABLE event_seqs"]).await
    }
}
