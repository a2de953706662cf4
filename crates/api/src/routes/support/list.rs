//! The query of every list endpoint: `limit`, `cursor`, `sort`, `q`.

use crate::error::ApiError;
use domain::FieldError;
use domain::model::{Cursor, Limit, SearchText, SortField, SortKey};
use serde::Deserialize;
use utoipa::IntoParams;

/// `?limit&cursor&sort&q`; any malformed value is a 400.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page (bound to the same `sort` and `q`).
    pub cursor: Option<String>,
    /// `created_at`, `-created_at` (default), `name`, `-name`, `updated_at`,
    /// `-updated_at` (users: `created_at` and `-created_at` only).
    #[param(pattern = "^-?(created_at|updated_at|name)$")]
    pub sort: Option<String>,
    /// Case-insensitive substring.
    pub q: Option<String>,
}

/// A list query, parsed.
#[derive(Debug, Clone)]
pub struct ParsedList {
    /// `q`, lower-cased.
    pub q: Option<SearchText>,
    /// Order.
    pub sort: SortKey,
    /// Page size.
    pub limit: Limit,
    /// Where to continue.
    pub after: Option<Cursor>,
}

impl ListParams {
    /// Parses against the sorts a list allows.
    ///
    /// # Errors
    /// 400 `bad_request` naming the parameter.
    pub fn parse(self, sorts: &[SortField]) -> Result<ParsedList, ApiError> {
        let bad = |e: FieldError| ApiError::bad_request(e.to_string());
        let limit = self
            .limit
            .map(Limit::new)
            .transpose()
            .map_err(bad)?
            .unwrap_or_default();
        let sort = self
            .sort
            .as_deref()
            .map(|s| SortKey::parse(s, sorts))
            .transpose()
            .map_err(bad)?
            .unwrap_or(SortKey::NEWEST_FIRST);
        let q = self
            .q
            .as_deref()
            .map(SearchText::parse)
            .transpose()
            .map_err(bad)?
            .flatten();
        let after = self
            .cursor
            .as_deref()
            .map(|raw| Cursor::decode(raw, sort, q.as_ref().map(SearchText::as_str)))
            .transpose()
            .map_err(|e| ApiError::bad_request(format!("cursor: {e}")))?;
        Ok(ParsedList {
            q,
            sort,
            limit,
            after,
        })
    }
}
