//! `X-Request-Id`: echoed when the client sent a sane one, else generated.

use actix_web::http::header::HeaderValue;
use std::fmt;

/// The id of one request, in its response header, problem body and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// Longest client id echoed.
    pub const MAX_LEN: usize = 128;

    /// The client's id when it is 1–128 characters of `A–Z a–z 0–9 . _ -`,
    /// else a new UUID v7.
    pub fn from_header(value: Option<&HeaderValue>) -> Self {
        value
            .and_then(|v| v.to_str().ok())
            .filter(|v| Self::is_acceptable(v))
            .map_or_else(
                || Self(uuid::Uuid::now_v7().to_string()),
                |v| Self(v.to_owned()),
            )
    }

    fn is_acceptable(value: &str) -> bool {
        (1..=Self::MAX_LEN).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_only_safe_ids() {
        let ok = HeaderValue::from_static("abc-123_x.y");
        assert_eq!(RequestId::from_header(Some(&ok)).as_str(), "abc-123_x.y");
        let bad = HeaderValue::from_static("abc def");
        assert_ne!(RequestId::from_header(Some(&bad)).as_str(), "abc def");
        let long = HeaderValue::from_str(&"a".repeat(129)).expect("ascii");
        assert_eq!(RequestId::from_header(Some(&long)).as_str().len(), 36);
    }
}
