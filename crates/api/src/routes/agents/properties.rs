//! Properties of the agents list's query: any `metadata.<key>=<value>`
//! pairs, with any key and value, come out as exactly those filters in
//! their order beside the other parameters; any query string is parsed
//! or refused, never a panic.

use super::list_query;
use proptest::collection::vec;
use proptest::prelude::*;

/// Text heavy in what a query string must escape.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,12}", "[a.=&+% #?/]{0,8}"]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn metadata_pairs_become_filters(
        filters in vec((text(), text()), 0..5),
        limit in proptest::option::of(any::<u64>()),
        q in proptest::option::of(text()),
        status in proptest::option::of(text()),
        params_first in any::<bool>(),
    ) {
        let mut pairs: Vec<(String, String)> = filters
            .iter()
            .map(|(key, value)| (format!("metadata.{key}"), value.clone()))
            .collect();
        let params = [
            limit.map(|limit| ("limit".to_owned(), limit.to_string())),
            q.clone().map(|q| ("q".to_owned(), q)),
            status.clone().map(|status| ("status".to_owned(), status)),
        ];
        let params = params.into_iter().flatten();
        if params_first {
            pairs.splice(0..0, params);
        } else {
            pairs.extend(params);
        }
        let raw = serde_urlencoded::to_string(&pairs).expect("pairs encode");
        let (parsed, parsed_filters) = list_query(&raw).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        let got: Vec<(String, String)> = parsed_filters.into_iter().map(|f| (f.key, f.value)).collect();
        prop_assert_eq!(got, filters);
        prop_assert_eq!((parsed.limit, parsed.q, parsed.status), (limit, q, status));
    }

    #[test]
    fn any_query_is_parsed_or_refused(raw in ".{0,64}") {
        drop(list_query(&raw));
    }
}
