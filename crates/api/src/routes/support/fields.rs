//! Field rules the request bodies of the owned resources (items, agents)
//! share: every broken field is collected, so a 422 lists them all.

use domain::FieldError;
use domain::model::{Description, JsonObject, Name, ObjectChange};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`);
/// use with `#[serde(default, deserialize_with = "present")]`.
///
/// # Errors
/// Whatever deserializing `T` fails with.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The value of `result`, or `None` with its error collected.
pub fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

/// An optional description of a create or replace.
///
/// # Errors
/// A [`FieldError`] on `description` when it is too long.
pub fn description(raw: Option<&str>) -> Result<Option<Description>, FieldError> {
    raw.map(Description::parse).transpose()
}

/// A JSON object field of a create or replace; absent or `null` is `{}`.
///
/// # Errors
/// A [`FieldError`] on `field` for anything but an object within the
/// [`JsonObject`] limits.
pub fn object_or_empty(value: Option<Value>, field: &str) -> Result<JsonObject, FieldError> {
    match value {
        None | Some(Value::Null) => Ok(JsonObject::default()),
        Some(value) => JsonObject::parse(value, field),
    }
}

/// The new name a merge patch asks for: absent keeps it, `null` is refused.
pub fn name_change(errors: &mut Vec<FieldError>, value: Option<Option<String>>) -> Option<Name> {
    match value {
        None => None,
        Some(None) => keep(errors, Err(FieldError::new("name", "must not be null"))),
        Some(Some(raw)) => keep(errors, Name::parse(&raw)),
    }
}

/// The new description a merge patch asks for: absent keeps it (`None`),
/// `null` clears it (`Some(None)`).
pub fn description_change(
    errors: &mut Vec<FieldError>,
    value: Option<Option<String>>,
) -> Option<Option<Description>> {
    match value {
        None => None,
        Some(None) => Some(None),
        Some(Some(raw)) => keep(errors, Description::parse(&raw).map(Some)),
    }
}

/// What a merge patch asks of a JSON object field: absent keeps it, `null`
/// resets it to `{}`, an object is merged (RFC 7396) by the database.
pub fn object_change(
    errors: &mut Vec<FieldError>,
    value: Option<Option<Value>>,
    field: &str,
) -> ObjectChange {
    match value {
        None => ObjectChange::Keep,
        Some(None) => ObjectChange::Replace(JsonObject::default()),
        Some(Some(Value::Object(patch))) => ObjectChange::Merge(patch),
        Some(Some(_)) => {
            errors.push(FieldError::new(field, "must be a JSON object or null"));
            ObjectChange::Keep
        }
    }
}
