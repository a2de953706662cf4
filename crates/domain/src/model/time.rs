//! Timestamps with microsecond precision, the precision both databases keep.

use std::fmt;
use std::ops::{Add, Sub};
use time::{Duration, OffsetDateTime, UtcOffset, format_description::well_known::Rfc3339};

/// A UTC instant truncated to whole microseconds, so that what is stored is
/// exactly what is read back and keyset cursors compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

impl Timestamp {
    /// The instant `micros` microseconds after the Unix epoch; `None` when
    /// out of range.
    pub fn from_unix_micros(micros: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
            .ok()
            .map(Self)
    }

    /// Truncates `at` to whole microseconds in UTC.
    pub fn from_datetime(at: OffsetDateTime) -> Self {
        let nanos = at.unix_timestamp_nanos();
        let micros = nanos.div_euclid(1_000);
        let truncated = OffsetDateTime::from_unix_timestamp_nanos(micros * 1_000).unwrap_or(at);
        Self(truncated.to_offset(UtcOffset::UTC))
    }

    /// The current instant from the system clock.
    pub fn now() -> Self {
        Self::from_datetime(OffsetDateTime::now_utc())
    }

    /// Microseconds since the Unix epoch: the stored form.
    pub fn unix_micros(self) -> i64 {
        i64::try_from(self.0.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
    }

    /// Whole seconds since the Unix epoch (JWT `iat` / `exp`).
    pub fn unix_seconds(self) -> i64 {
        self.0.unix_timestamp()
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, rhs: Duration) -> Timestamp {
        Self::from_datetime(self.0.saturating_add(rhs))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, rhs: Duration) -> Timestamp {
        Self::from_datetime(self.0.saturating_sub(rhs))
    }
}

impl Sub for Timestamp {
    type Output = Duration;
    fn sub(self, rhs: Timestamp) -> Duration {
        self.0 - rhs.0
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with a `Z`, e.g. `2026-11-26T10:00:00.123456Z`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.format(&Rfc3339) {
            Ok(text) => f.write_str(&text),
            Err(_) => write!(f, "{}", self.0),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_micros() {
        let now = Timestamp::now();
        assert_eq!(Timestamp::from_unix_micros(now.unix_micros()), Some(now));
    }

    #[test]
    fn formats_as_rfc3339_utc() {
        let t = Timestamp::from_unix_micros(1_000_123).expect("in range");
        assert_eq!(t.to_string(), "1970-01-01T00:00:01.000123Z");
    }
}
