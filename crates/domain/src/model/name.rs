//! The validated name every named resource (items, agents) shares.

use crate::FieldError;

/// A resource name: 1–200 characters after trimming, no control
/// characters (bidi controls included); stored trimmed. [`super::ItemName`] and
/// [`super::AgentName`] are this type, so the rule lives in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    /// Most characters accepted.
    pub const MAX_CHARS: usize = 200;

    /// Parses and trims a name.
    ///
    /// # Errors
    /// A [`FieldError`] on `name`.
    pub fn parse(raw: &str) -> Result<Self, FieldError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(FieldError::new("name", "must be 1-200 characters"));
        }
        if name
            .chars()
            .any(|c| c.is_control() || super::text::is_bidi_control(c))
        {
            return Err(FieldError::new(
                "name",
                "must not contain control characters (bidi controls included)",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The stored name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            Name::parse("  a ").map(|n| n.as_str().to_owned()),
            Ok("a".into())
        );
        assert!(Name::parse("   ").is_err());
        assert!(Name::parse(&"x".repeat(200)).is_ok());
        assert!(Name::parse(&"x".repeat(201)).is_err());
        assert!(Name::parse("a\u{0}b").is_err());
        assert!(Name::parse("invoice\u{202E}fdp.exe").is_err());
        assert!(Name::parse("a\u{2066}b").is_err());
        assert!(
            Name::parse("👩\u{200D}💻 desk").is_ok(),
            "joiners in emoji stay"
        );
    }
}
