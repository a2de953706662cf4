//! The log lines' writer: a line costs the request that logs it a push
//! onto a bounded queue, never a write syscall; one background thread
//! writes the queue to stderr. Should stderr stall (a log collector that
//! stops reading) until the queue is full, further lines are dropped
//! rather than blocking requests, and counted in `/metrics` as
//! `log_lines_dropped_total`.

use std::sync::OnceLock;
use tracing_appender::non_blocking::{ErrorCounter, NonBlocking, NonBlockingBuilder, WorkerGuard};

/// Lines the queue holds before dropping: about 100 MiB of 800-byte lines,
/// seconds of a busy server's logging.
const QUEUE_LINES: usize = 128_000;

/// The dropped lines of the installed subscriber's writer. Process-wide
/// like the subscriber itself, which [`super::init`] installs once.
static DROPPED: OnceLock<ErrorCounter> = OnceLock::new();

/// A lossy, queued writer to stderr, and the guard whose drop writes what
/// is still queued (for at most a second) and ends the thread.
pub(super) fn writer() -> (NonBlocking, WorkerGuard) {
    NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUE_LINES)
        .thread_name("log-writer")
        .finish(std::io::stderr())
}

/// Makes `writer`'s dropped lines the ones [`dropped`] reports.
pub(super) fn count_drops(writer: &NonBlocking) {
    drop(DROPPED.set(writer.error_counter()));
}

/// How many log lines were dropped because the queue was full.
pub(super) fn dropped() -> u64 {
    DROPPED.get().map_or(0, |counter| {
        u64::try_from(counter.dropped_lines()).unwrap_or(u64::MAX)
    })
}
