//! The commit watermark on PostgreSQL: up to which id every event is
//! committed or never will be.
//!
//! An event's id comes from a sequence when the row is inserted, after the
//! writing transaction was given its xid (the column default asks for the
//! xid first, migration 000008), and a transaction holds a lock on its own
//! xid from the moment it has one until it has committed or rolled back.
//! So when the sequence has handed out ids up to `last`, every transaction
//! holding one of them holds its xid lock; the xid locks listed *after*
//! `last` was read include every such transaction still running. Once none
//! of those locks is held any more, no event with an id up to `last` can
//! still appear: those ids are settled. A transaction that starts later
//! takes its ids above `last`.
//!
//! (A snapshot's list of running transactions would not do: it leaves out
//! those whose xid is above the last one completed, `xmax`.)

use std::collections::VecDeque;

/// The transactions that held their xid lock at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(super) struct Running(Vec<u64>);

impl Running {
    /// Parses a comma-separated list of xids (empty: none).
    pub fn parse(text: &str) -> Option<Self> {
        text.split(',')
            .filter(|xid| !xid.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<u64>, _>>()
            .ok()
            .map(Self)
    }

    fn includes(&self, xid: u64) -> bool {
        self.0.contains(&xid)
    }
}

/// Ids up to `through` are settled once none of `blockers` runs.
#[derive(Debug)]
struct Checkpoint {
    through: i64,
    blockers: Running,
}

/// Checkpoints kept at most; when more wait (a long transaction holds all
/// of them back), the oldest go: a later one, once settled, covers them.
const MAX_CHECKPOINTS: usize = 64;

/// Turns observations (the sequence's `last`, then the transactions
/// running) into the settled id.
#[derive(Debug, Default)]
pub(super) struct Watermark {
    /// Waiting for their blockers to end; in `through` order.
    checkpoints: VecDeque<Checkpoint>,
    /// Every id up to this is committed or never will be.
    settled: Option<i64>,
}

impl Watermark {
    /// Takes one observation — `last`, then `running` listed after it was
    /// read — and returns the settled id, if any is yet.
    pub fn observe(&mut self, last: i64, running: Running) -> Option<i64> {
        let mut settled = self.settled;
        self.checkpoints.retain(|checkpoint| {
            let ended = !checkpoint.blockers.0.iter().any(|x| running.includes(*x));
            if ended {
                settled = settled.max(Some(checkpoint.through));
            }
            !ended
        });
        if running.0.is_empty() {
            settled = settled.max(Some(last));
        } else if self
            .checkpoints
            .back()
            .map(|c| c.through)
            .or(settled)
            .is_none_or(|covered| last > covered)
        {
            self.checkpoints.push_back(Checkpoint {
                through: last,
                blockers: running,
            });
        }
        if let Some(settled) = settled {
            self.checkpoints.retain(|c| c.through > settled);
        }
        while self.checkpoints.len() > MAX_CHECKPOINTS {
            self.checkpoints.pop_front();
        }
        self.settled = settled;
        settled
    }

    /// Whether ids were seen that are not settled yet.
    pub fn waiting(&self) -> bool {
        !self.checkpoints.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(xids: &[u64]) -> Running {
        Running(xids.to_vec())
    }

    #[test]
    fn parses_lists_of_running_transactions() {
        assert_eq!(Running::parse(""), Some(running(&[])));
        assert_eq!(Running::parse("7,9"), Some(running(&[7, 9])));
        assert_eq!(Running::parse("7,x"), None);
    }

    #[test]
    fn with_nothing_running_what_was_read_is_settled() {
        let mut watermark = Watermark::default();
        assert_eq!(watermark.observe(5, running(&[])), Some(5));
        assert!(!watermark.waiting());
    }

    #[test]
    fn ids_wait_for_every_transaction_running_after_they_were_read() {
        let mut watermark = Watermark::default();
        assert_eq!(watermark.observe(3, running(&[])), Some(3));
        // 8 was read; transactions 20 and 21 were running after that.
        assert_eq!(watermark.observe(8, running(&[20, 21])), Some(3));
        assert!(watermark.waiting());
        assert_eq!(watermark.observe(9, running(&[21, 22])), Some(3));
        // 21 ended: 8 is settled; 9 still waits for 22.
        assert_eq!(watermark.observe(9, running(&[22])), Some(8));
        assert!(watermark.waiting());
        assert_eq!(watermark.observe(9, running(&[])), Some(9));
        assert!(!watermark.waiting());
    }

    #[test]
    fn a_long_transaction_holds_back_only_until_it_ends() {
        let mut watermark = Watermark::default();
        for last in 0..200 {
            assert_eq!(watermark.observe(last, running(&[1])), None);
        }
        assert!(watermark.checkpoints.len() <= MAX_CHECKPOINTS);
        assert_eq!(watermark.observe(200, running(&[2])), Some(199));
        assert_eq!(watermark.observe(200, running(&[])), Some(200));
    }
}
