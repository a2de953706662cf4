//! The commit watermark on PostgreSQL: up to which id every event is
//! committed or never will be.
//!
//! An event's id comes from a sequence when the row is inserted, after the
//! writing transaction was given its xid (the column default asks for the
//! xid first, migration 000008), and xids are handed out in increasing
//! order. An observation reads the sequence's `last` id and *then* takes
//! an xid of its own, `mine`: every transaction holding an id up to `last`
//! had its xid before that, so below `mine`. Once a later snapshot's
//! `xmin` (the oldest transaction still running) is at least `mine`, all
//! of them have ended, and no event with an id up to `last` can still
//! appear: those ids are settled. A transaction that starts later takes
//! its ids above `last`.
//!
//! (A snapshot's list of running transactions, without an xid of one's
//! own, would not do: it leaves out those whose xid is above the last one
//! completed, the snapshot's `xmax`.)

use std::collections::VecDeque;

/// Ids up to `through` are settled once every xid below `xid` has ended.
#[derive(Debug)]
struct Checkpoint {
    through: i64,
    xid: u64,
}

/// One observation: the oldest xid running when its statement began, the
/// sequence's `last` id, then the observation's own xid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Observation {
    /// `xmin` of the statement's snapshot, taken before the rest.
    pub oldest_running: u64,
    /// The highest id handed out.
    pub last: i64,
    /// The xid the observation took after reading `last`; `None` when
    /// `last` was already [`Watermark::covered`] (nothing new to date).
    pub mine: Option<u64>,
}

/// Turns observations into the settled id.
#[derive(Debug, Default)]
pub(super) struct Watermark {
    /// Waiting for older transactions to end; `through` and `xid` both
    /// increase along the queue.
    checkpoints: VecDeque<Checkpoint>,
    /// Every id up to this is committed or never will be.
    settled: Option<i64>,
}

impl Watermark {
    /// Takes one observation and returns the settled id, if any is yet.
    pub fn observe(&mut self, observation: Observation) -> Option<i64> {
        while let Some(checkpoint) = self.checkpoints.front() {
            if checkpoint.xid > observation.oldest_running {
                break;
            }
            self.settled = self.settled.max(Some(checkpoint.through));
            self.checkpoints.pop_front();
        }
        if let Some(xid) = observation.mine
            && observation.last > self.covered()
        {
            self.checkpoints.push_back(Checkpoint {
                through: observation.last,
                xid,
            });
        }
        self.settled
    }

    /// The highest id settled or waiting to settle (-1 before any): an
    /// observation that reads no higher `last` need not take an xid.
    pub fn covered(&self) -> i64 {
        self.checkpoints
            .back()
            .map(|c| c.through)
            .or(self.settled)
            .unwrap_or(-1)
    }

    /// Whether ids were seen that are not settled yet.
    pub fn waiting(&self) -> bool {
        !self.checkpoints.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(oldest_running: u64, last: i64, mine: u64) -> Observation {
        Observation {
            oldest_running,
            last,
            mine: Some(mine),
        }
    }

    #[test]
    fn what_was_read_settles_once_every_older_transaction_ended() {
        let mut watermark = Watermark::default();
        assert_eq!(watermark.observe(seen(10, 5, 10)), None, "own read");
        assert!(watermark.waiting());
        // Transaction 7 was still running when 5 was read; 9 now.
        assert_eq!(watermark.observe(seen(7, 5, 11)), None);
        assert_eq!(watermark.observe(seen(12, 5, 12)), Some(5));
        assert!(!watermark.waiting());
    }

    #[test]
    fn later_reads_wait_for_their_own_transactions() {
        let mut watermark = Watermark::default();
        watermark.observe(seen(1, 3, 10));
        watermark.observe(seen(10, 8, 20));
        assert_eq!(watermark.settled, Some(3));
        // 8 waits for everything below xid 20.
        assert_eq!(watermark.observe(seen(15, 9, 30)), Some(3));
        assert_eq!(watermark.observe(seen(25, 9, 31)), Some(8));
        assert!(watermark.waiting(), "9 still waits for xids below 30");
        assert_eq!(watermark.observe(seen(32, 9, 32)), Some(9));
        assert!(!watermark.waiting());
        assert_eq!(watermark.covered(), 9);
        let nothing_new = Observation {
            oldest_running: 33,
            last: 9,
            mine: None,
        };
        assert_eq!(watermark.observe(nothing_new), Some(9));
        assert!(!watermark.waiting());
    }

    #[test]
    fn a_long_transaction_holds_back_only_until_it_ends() {
        let mut watermark = Watermark::default();
        for (n, last) in (0..200).enumerate() {
            let mine = 100 + u64::try_from(n).unwrap_or(0);
            assert_eq!(watermark.observe(seen(50, last, mine)), None);
        }
        assert_eq!(watermark.observe(seen(400, 200, 400)), Some(199));
        assert_eq!(watermark.observe(seen(401, 200, 401)), Some(200));
    }
}
