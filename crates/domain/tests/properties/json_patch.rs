//! Metadata JSON Patch (`MetadataPatch`) against RFC 6902, written here
//! from the RFC: the same result, or a failure of the same kind (a `test`
//! that found another value is a conflict; anything else is invalid).

use domain::model::{JsonObject, MetadataPatch, PatchFailure};
use domain::testing::json::{KEYS, object, value};
use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};

/// How the reference fails.
#[derive(Debug, PartialEq, Eq)]
enum Failure {
    TestFailed,
    Invalid,
}

/// An array index token (RFC 6901: no leading zeros; `-` only for add).
fn index(token: &str, len: usize, past_end: bool) -> Result<usize, Failure> {
    let index = match token {
        "-" if past_end => len,
        _ if token.len() > 1 && token.starts_with('0') => return Err(Failure::Invalid),
        _ => token.parse().map_err(|_| Failure::Invalid)?,
    };
    let last = if past_end { len } else { len.saturating_sub(1) };
    if index > last || (!past_end && len == 0) {
        return Err(Failure::Invalid);
    }
    Ok(index)
}

fn get<'a>(doc: &'a mut Value, path: &[String]) -> Result<&'a mut Value, Failure> {
    path.iter().try_fold(doc, |node, token| match node {
        Value::Object(map) => map.get_mut(token).ok_or(Failure::Invalid),
        Value::Array(items) => {
            let at = index(token, items.len(), false)?;
            Ok(&mut items[at])
        }
        _ => Err(Failure::Invalid),
    })
}

fn add(doc: &mut Value, path: &[String], value: Value) -> Result<(), Failure> {
    let Some((last, parent)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get(doc, parent)? {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => {
            let at = index(last, items.len(), true)?;
            items.insert(at, value);
        }
        _ => return Err(Failure::Invalid),
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &[String]) -> Result<Value, Failure> {
    let (last, parent) = path.split_last().ok_or(Failure::Invalid)?;
    match get(doc, parent)? {
        Value::Object(map) => map.remove(last).ok_or(Failure::Invalid),
        Value::Array(items) => {
            let at = index(last, items.len(), false)?;
            Ok(items.remove(at))
        }
        _ => Err(Failure::Invalid),
    }
}

/// One operation of RFC 6902, section 4.
fn apply(doc: &mut Value, op: &Op) -> Result<(), Failure> {
    match op.kind {
        "add" => add(doc, &op.path, op.value.clone()),
        "remove" => remove(doc, &op.path).map(drop),
        "replace" => get(doc, &op.path).map(|target| *target = op.value.clone()),
        "move" if op.path.len() > op.from.len() && op.path.starts_with(&op.from) => {
            Err(Failure::Invalid)
        }
        "move" => {
            let moved = remove(doc, &op.from)?;
            add(doc, &op.path, moved)
        }
        "copy" => {
            let copied = get(doc, &op.from)?.clone();
            add(doc, &op.path, copied)
        }
        _ => match get(doc, &op.path)? {
            found if *found == op.value => Ok(()),
            _ => Err(Failure::TestFailed),
        },
    }
}

/// An operation: its kind, pointers as tokens, and value.
#[derive(Debug, Clone)]
struct Op {
    kind: &'static str,
    path: Vec<String>,
    from: Vec<String>,
    value: Value,
}

fn pointer(tokens: &[String]) -> String {
    let escaped = tokens
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")));
    escaped.collect()
}

impl Op {
    fn to_json(&self) -> Value {
        let mut op = json!({"op": self.kind, "path": pointer(&self.path)});
        match self.kind {
            "move" | "copy" => op["from"] = pointer(&self.from).into(),
            "remove" => {}
            _ => op["value"] = self.value.clone(),
        }
        op
    }
}

fn tokens() -> impl Strategy<Value = Vec<String>> {
    let mut all: Vec<&str> = KEYS.to_vec();
    all.extend(["0", "1", "-", "01"]);
    vec(proptest::sample::select(all).prop_map(str::to_owned), 0..4)
}

fn op() -> impl Strategy<Value = Op> {
    let kinds = vec!["add", "remove", "replace", "move", "copy", "test"];
    (proptest::sample::select(kinds), tokens(), tokens(), value()).prop_map(
        |(kind, path, from, value)| Op {
            kind,
            path,
            from,
            value,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn applies_as_rfc_6902_says(metadata in object(), ops in vec(op(), 0..6)) {
        let document = Value::Array(ops.iter().map(Op::to_json).collect());
        let patch = MetadataPatch::parse(document).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let start = JsonObject::parse(Value::Object(metadata), "metadata")
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut expected = start.to_value();
        let expected = ops
            .iter()
            .try_for_each(|op| apply(&mut expected, op))
            .and_then(|()| JsonObject::parse(expected, "metadata").map_err(|_| Failure::Invalid));
        match (patch.apply(&start), expected) {
            (Ok(got), Ok(want)) => prop_assert_eq!(got, want),
            (Err(PatchFailure::TestFailed), Err(Failure::TestFailed))
            | (Err(PatchFailure::Invalid(_)), Err(Failure::Invalid)) => {}
            (got, want) => prop_assert!(false, "got {got:?}, the RFC says {want:?}"),
        }
    }
}
