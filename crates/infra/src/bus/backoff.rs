//! The delay between reconnection attempts: 100 ms, doubling up to 5 s.

use std::time::Duration;

const FIRST: Duration = Duration::from_millis(100);
const MAX: Duration = Duration::from_secs(5);

/// Exponential backoff, reset after each success.
#[derive(Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Backoff {
    /// Starts at the shortest delay.
    pub(crate) fn new() -> Self {
        Self { next: FIRST }
    }

    /// Back to the shortest delay (the connection worked).
    pub(crate) fn reset(&mut self) {
        self.next = FIRST;
    }

    /// The delay to wait now; the next one is twice as long, up to 5 s.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = (self.next * 2).min(MAX);
        delay
    }

    /// The delay before connection attempt `attempt` (1 for the first): none
    /// for the first, then as [`next_delay`](Self::next_delay) goes.
    pub(crate) fn before_attempt(attempt: usize) -> Duration {
        let doublings = u32::try_from(attempt.saturating_sub(2)).unwrap_or(u32::MAX);
        match attempt {
            0 | 1 => Duration::ZERO,
            _ => FIRST
                .saturating_mul(2_u32.saturating_pow(doublings))
                .min(MAX),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_cap_and_resets() {
        let mut backoff = Backoff::new();
        let delays: Vec<u128> = (0..8).map(|_| backoff.next_delay().as_millis()).collect();
        assert_eq!(delays, [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        backoff.reset();
        assert_eq!(backoff.next_delay(), FIRST);
    }

    #[test]
    fn attempts_start_at_once_then_follow_the_same_curve() {
        let delays: Vec<u128> = (1..=9)
            .map(|attempt| Backoff::before_attempt(attempt).as_millis())
            .collect();
        assert_eq!(delays, [0, 100, 200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(Backoff::before_attempt(usize::MAX), MAX);
    }
}
