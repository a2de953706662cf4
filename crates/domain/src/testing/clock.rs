//! A clock that only moves when told.

use crate::model::Timestamp;
use crate::ports::Clock;
use std::sync::Mutex;
use time::Duration;

/// A settable clock, starting at the real current time.
#[derive(Debug)]
pub struct ManualClock(Mutex<Timestamp>);

impl Default for ManualClock {
    fn default() -> Self {
        Self(Mutex::new(Timestamp::now()))
    }
}

impl ManualClock {
    /// Moves time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = super::lock(&self.0);
        *now = *now + by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *super::lock(&self.0)
    }
}
