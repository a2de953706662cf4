//! A nesting limit for JSON bodies, checked on the raw bytes in one flat
//! pass before any parser recurses into them: a body of 100,000 `[` is a
//! 400, never a deep recursion (serde_json would stop at 128 levels, but
//! only inside a value it is parsing; a wrong-typed top level answered 422
//! before this check existed).

use crate::error::ApiError;

/// Deepest nesting of arrays and objects accepted in a request body. The
/// API's own limit on `attributes` and `metadata` is 16; JSON Patch wraps
/// such a value in two more levels.
pub const MAX_DEPTH: usize = 64;

/// Refuses `body` when its arrays and objects nest deeper than
/// [`MAX_DEPTH`]. Brackets inside strings don't count; malformed JSON is
/// left for the parser to report.
///
/// # Errors
/// 400 `bad_request` saying the body is nested too deeply.
pub fn check(body: &[u8]) -> Result<(), ApiError> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in body {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(ApiError::bad_request(format!(
                        "the JSON body is nested deeper than {MAX_DEPTH} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, check};

    fn nested(levels: usize) -> String {
        format!("{}{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn the_limit_is_inclusive() {
        assert!(check(nested(MAX_DEPTH).as_bytes()).is_ok());
        assert!(check(nested(MAX_DEPTH + 1).as_bytes()).is_err());
        assert!(check("[".repeat(100_000).as_bytes()).is_err());
    }

    #[test]
    fn brackets_in_strings_do_not_count() {
        let text = format!(r#"{{"a": "{}\"{}"}}"#, "[".repeat(200), "{".repeat(200));
        assert!(check(text.as_bytes()).is_ok());
    }

    #[test]
    fn siblings_do_not_add_up() {
        let siblings = format!("[{}]", vec![nested(MAX_DEPTH - 1); 100].join(","));
        assert!(check(siblings.as_bytes()).is_ok());
    }
}

#[cfg(test)]
mod properties;
