//! Keyset cursors: what `encode` makes, `decode` gives back under the
//! same `sort` and `q`; a cursor altered by a client, or any text, is
//! refused or reads as a cursor for this very sort and q — never a panic,
//! never a value of the wrong column.

use domain::model::{Cursor, CursorError, CursorValue, SortField, SortKey};
use proptest::prelude::*;
use uuid::Uuid;

fn sort() -> impl Strategy<Value = SortKey> {
    let fields = vec![SortField::CreatedAt, SortField::UpdatedAt, SortField::Name];
    (proptest::sample::select(fields), any::<bool>())
        .prop_map(|(field, descending)| SortKey { field, descending })
}

/// A cursor as a list makes it: a value of the sort column's type.
fn cursor() -> impl Strategy<Value = (SortKey, Option<String>, Cursor)> {
    (
        sort(),
        proptest::option::of(".{0,12}"),
        any::<i64>(),
        ".{0,16}",
        any::<u128>(),
    )
        .prop_map(|(sort, query, micros, name, id)| {
            let value = match sort.field {
                SortField::Name => CursorValue::Text(name),
                _ => CursorValue::Micros(micros),
            };
            let cursor = Cursor::new(sort, query.as_deref(), value, Uuid::from_u128(id));
            (sort, query, cursor)
        })
}

/// `text` altered: a character replaced, removed or added, or cut short.
fn tamper(text: &str, at: usize, with: char, how: u8) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    match how % 4 {
        0 if at < chars.len() => chars[at] = with,
        1 if at < chars.len() => drop(chars.remove(at)),
        2 => chars.insert(at, with),
        _ => chars.truncate(at),
    }
    chars.into_iter().collect()
}

/// What a decoded cursor must be: stable, and of the sort column's type.
fn well_formed(decoded: &Cursor, sort: SortKey, query: Option<&str>) -> bool {
    let fits = matches!(
        (&decoded.value, sort.field),
        (CursorValue::Text(_), SortField::Name)
            | (
                CursorValue::Micros(_),
                SortField::CreatedAt | SortField::UpdatedAt
            )
    );
    fits && Cursor::decode(&decoded.encode(), sort, query).as_ref() == Ok(decoded)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_cursor_round_trips((sort, query, cursor) in cursor()) {
        let decoded = Cursor::decode(&cursor.encode(), sort, query.as_deref());
        prop_assert_eq!(decoded, Ok(cursor));
    }

    #[test]
    fn another_sort_or_q_is_a_mismatch((sort, query, cursor) in cursor(), other in sort()) {
        let text = cursor.encode();
        if other != sort {
            prop_assert_eq!(Cursor::decode(&text, other, query.as_deref()), Err(CursorError::Mismatch));
        }
        let another = format!("{}!", query.clone().unwrap_or_default());
        prop_assert_eq!(Cursor::decode(&text, sort, Some(&another)), Err(CursorError::Mismatch));
    }

    #[test]
    fn a_tampered_cursor_is_refused_or_well_formed(
        (sort, query, cursor) in cursor(),
        at in any::<usize>(),
        with in proptest::sample::select(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/!".chars().collect::<Vec<_>>()
        ),
        how in any::<u8>(),
    ) {
        let tampered = tamper(&cursor.encode(), at, with, how);
        if let Ok(decoded) = Cursor::decode(&tampered, sort, query.as_deref()) {
            prop_assert!(well_formed(&decoded, sort, query.as_deref()), "{decoded:?}");
        }
    }

    #[test]
    fn any_text_is_refused_or_well_formed(text in ".{0,64}", sort in sort(), query in proptest::option::of("[a-c]{0,2}")) {
        if let Ok(decoded) = Cursor::decode(&text, sort, query.as_deref()) {
            prop_assert!(well_formed(&decoded, sort, query.as_deref()), "{decoded:?}");
        }
    }
}
