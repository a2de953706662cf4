//! Keyset pagination: page size, sort order and opaque cursors.

use crate::FieldError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Page size: 1–100, default 20.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit(u64);

impl Limit {
    /// Size when the client names none.
    pub const DEFAULT: Limit = Limit(20);
    /// Largest page.
    pub const MAX: u64 = 100;

    /// Accepts 1–100.
    ///
    /// # Errors
    /// A [`FieldError`] on `limit` otherwise.
    pub fn new(value: u64) -> Result<Self, FieldError> {
        if (1..=Self::MAX).contains(&value) {
            Ok(Self(value))
        } else {
            Err(FieldError::new("limit", "must be between 1 and 100"))
        }
    }

    /// The size.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl Default for Limit {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// A sort order: a column and a direction (`-name` is descending by name).
/// Ties are broken by id in the same direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    /// The column.
    pub field: SortField,
    /// Newest / last first.
    pub descending: bool,
}

/// The columns a list may sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortField {
    /// Creation time.
    CreatedAt,
    /// Last change.
    UpdatedAt,
    /// Name.
    Name,
}

impl SortKey {
    /// The default order: newest first.
    pub const NEWEST_FIRST: SortKey = SortKey {
        field: SortField::CreatedAt,
        descending: true,
    };

    /// Parses `sort` against the fields a list allows.
    ///
    /// # Errors
    /// A [`FieldError`] on `sort` naming the accepted values.
    pub fn parse(raw: &str, allowed: &[SortField]) -> Result<Self, FieldError> {
        let (descending, name) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let field = match name {
            "created_at" => SortField::CreatedAt,
            "updated_at" => SortField::UpdatedAt,
            "name" => SortField::Name,
            _ => None.ok_or_else(|| Self::refusal(allowed))?,
        };
        if !allowed.contains(&field) {
            return Err(Self::refusal(allowed));
        }
        Ok(Self { field, descending })
    }

    fn refusal(allowed: &[SortField]) -> FieldError {
        let names: Vec<String> = allowed
            .iter()
            .flat_map(|f| [f.name().to_owned(), format!("-{}", f.name())])
            .collect();
        FieldError::new("sort", format!("must be one of {}", names.join(", ")))
    }

    /// The text form, as a client writes it.
    pub fn as_param(self) -> String {
        let sign = if self.descending { "-" } else { "" };
        format!("{sign}{}", self.field.name())
    }
}

impl SortField {
    /// The column's name in `sort`.
    pub fn name(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::UpdatedAt => "updated_at",
            Self::Name => "name",
        }
    }
}

/// Where the previous page ended: the sort column's value and the id of the
/// last row, bound to the `sort` and `q` it was made under.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// `sort` as text.
    #[serde(rename = "s")]
    sort: String,
    /// `q` (lower-cased) or none.
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    query: Option<String>,
    /// The last row's sort value.
    #[serde(rename = "v")]
    pub value: CursorValue,
    /// The last row's id.
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// A sort column's value inside a cursor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CursorValue {
    /// A timestamp in microseconds.
    Micros(i64),
    /// A text column.
    Text(String),
}

/// Why a cursor was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CursorError {
    /// Not a cursor this server made.
    #[error("cursor is malformed")]
    Malformed,
    /// Made under another `sort` or `q`.
    #[error("cursor was made for another sort or q")]
    Mismatch,
}

impl Cursor {
    /// A cursor after a row with `value` and `id`, under `sort` and `query`.
    pub fn new(sort: SortKey, query: Option<&str>, value: CursorValue, id: Uuid) -> Self {
        Self {
            sort: sort.as_param(),
            query: query.map(str::to_owned),
            value,
            id,
        }
    }

    /// The opaque text handed to clients as `next_cursor`.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads a client's cursor and checks it was made under `sort` and `query`.
    ///
    /// # Errors
    /// [`CursorError::Malformed`] or [`CursorError::Mismatch`].
    pub fn decode(raw: &str, sort: SortKey, query: Option<&str>) -> Result<Self, CursorError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(raw)
            .map_err(|_| CursorError::Malformed)?;
        let cursor: Cursor = serde_json::from_slice(&bytes).map_err(|_| CursorError::Malformed)?;
        let value_fits = matches!(
            (&cursor.value, sort.field),
            (CursorValue::Text(_), SortField::Name)
                | (
                    CursorValue::Micros(_),
                    SortField::CreatedAt | SortField::UpdatedAt
                )
        );
        if cursor.sort != sort.as_param() || cursor.query.as_deref() != query {
            return Err(CursorError::Mismatch);
        }
        if !value_fits {
            return Err(CursorError::Malformed);
        }
        Ok(cursor)
    }
}

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    /// The rows.
    pub data: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows fetched: the extra row only
    /// says that another page exists. `cursor_of` makes the cursor from the
    /// last row kept.
    pub fn from_overfetch(
        mut rows: Vec<T>,
        limit: Limit,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Self {
        let limit = usize::try_from(limit.get()).unwrap_or(usize::MAX);
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = if more {
            rows.last().map(|row| cursor_of(row).encode())
        } else {
            None
        };
        Self {
            data: rows,
            next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: &[SortField] = &[SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];

    #[test]
    fn limit_bounds() {
        assert!(Limit::new(0).is_err());
        assert!(Limit::new(101).is_err());
        assert_eq!(Limit::new(100).map(Limit::get), Ok(100));
    }

    #[test]
    fn sort_parses_direction() {
        let key = SortKey::parse("-name", ALL).expect("valid");
        assert_eq!(
            key,
            SortKey {
                field: SortField::Name,
                descending: true
            }
        );
        assert!(SortKey::parse("name", &[SortField::CreatedAt]).is_err());
        assert!(SortKey::parse("size", ALL).is_err());
    }

    #[test]
    fn cursor_round_trips_and_is_bound_to_sort_and_query() {
        let sort = SortKey::NEWEST_FIRST;
        let cursor = Cursor::new(sort, Some("ab"), CursorValue::Micros(42), Uuid::nil());
        let text = cursor.encode();
        assert_eq!(Cursor::decode(&text, sort, Some("ab")), Ok(cursor));
        assert_eq!(
            Cursor::decode(&text, sort, None),
            Err(CursorError::Mismatch)
        );
        let other = SortKey::parse("created_at", ALL).expect("valid");
        assert_eq!(
            Cursor::decode(&text, other, Some("ab")),
            Err(CursorError::Mismatch)
        );
        assert_eq!(
            Cursor::decode("!!", sort, None),
            Err(CursorError::Malformed)
        );
    }

    #[test]
    fn overfetch_sets_next_cursor_only_when_more_rows_exist() {
        let limit = Limit::new(2).expect("valid");
        let cursor_of = |id: &u8| {
            Cursor::new(
                SortKey::NEWEST_FIRST,
                None,
                CursorValue::Micros(i64::from(*id)),
                Uuid::nil(),
            )
        };
        let page = Page::from_overfetch(vec![1, 2, 3], limit, cursor_of);
        assert_eq!(page.data, vec![1, 2]);
        assert!(page.next_cursor.is_some());
        let last = Page::from_overfetch(vec![1, 2], limit, cursor_of);
        assert!(last.next_cursor.is_none());
    }
}
