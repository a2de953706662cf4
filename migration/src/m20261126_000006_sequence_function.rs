//! PostgreSQL only: `sequence_events()`, the sequencer's lock and
//! numbering in one function, called in a `READ COMMITTED` transaction:
//! one statement per batch instead of two, and the pending-event scan
//! planned the way it must be (below). SQLite, in process, needs no such
//! thing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

/// Creates `sequence_events()` on PostgreSQL.
#[derive(DeriveMigrationName)]
pub struct Migration;

/// The function. It takes the sequencer's advisory lock (the key spells "eventseq"), held until
/// that transaction commits, and then numbers every committed,
/// unsequenced event: per stream, in id order, after the stream's highest
/// seq or its `pruned_through`, whichever is higher. A `VOLATILE`
/// function takes a fresh snapshot for each statement at READ COMMITTED,
/// so the numbering sees the batch of the sequencer that held the lock
/// before; at a stricter level it would not, hence the refusal.
///
/// Pending events are found through the partial index of unsequenced rows,
/// which keeps an entry for every numbered row's old version until vacuum.
/// A bitmap scan (the planner's usual pick) visits all of them on every
/// call — 5 ms with 50,000 of them, measured — and never marks them dead;
/// a plain index scan marks each one dead the first time, after which the
/// index reclaims them itself when its page fills. Hence
/// `enable_bitmapscan = off`, for this function only.
pub(crate) const CREATE: &str = r"
CREATE FUNCTION sequence_events() RETURNS SETOF events
LANGUAGE plpgsql VOLATILE
SET enable_bitmapscan = off
AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'sequence_events() must run at READ COMMITTED, not %',
            current_setting('transaction_isolation');
    END IF;
    PERFORM pg_advisory_xact_lock(7311142570157106545);
    RETURN QUERY
    WITH pending AS MATERIALIZED (
        SELECT p.id, p.stream FROM events p WHERE p.seq IS NULL
    ), bases AS MATERIALIZED (
        SELECT d.stream AS stream, GREATEST(
            COALESCE((SELECT MAX(e.seq) FROM events e WHERE e.stream = d.stream), 0),
            COALESCE((SELECT s.pruned_through FROM event_streams s
                      WHERE s.stream = d.stream), 0)) AS base
        FROM (SELECT DISTINCT q.stream FROM pending q) AS d
    ), numbered AS MATERIALIZED (
        SELECT p.id AS event_id,
               b.base + row_number() OVER (PARTITION BY p.stream ORDER BY p.id) AS new_seq
        FROM pending p JOIN bases b ON b.stream = p.stream
    )
    UPDATE events SET seq = numbered.new_seq FROM numbered
    WHERE events.id = numbered.event_id
    RETURNING events.*;
END
$$";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager.get_connection().execute_unprepared(CREATE).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DbBackend::Postgres {
            return Ok(());
        }
        manager
            .get_connection()
            .execute_unprepared("DROP FUNCTION sequence_events()")
            .await?;
        Ok(())
    }
}
