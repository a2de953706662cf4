//! The identity in a userinfo document: `sub` (or `id`, a string or a
//! number as GitHub sends it), `email`, `email_verified` (a boolean, or
//! `"true"`), `name`.

use domain::model::ExternalIdentity;
use domain::ports::ProviderError;
use serde_json::Value;

/// Largest userinfo document read.
const MAX_USERINFO_BYTES: usize = 256 * 1024;

/// Fetches `url` with the access token and reads its JSON, bounded.
pub(super) async fn fetch_userinfo(
    http: &reqwest::Client,
    url: &str,
    access_token: &str,
) -> Result<Value, ProviderError> {
    let unavailable = |context: &'static str| {
        move |e: reqwest::Error| ProviderError::Unavailable(anyhow::Error::new(e).context(context))
    };
    let mut response = http
        .get(url)
        .bearer_auth(access_token)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(unavailable("calling the userinfo endpoint"))?;
    if !response.status().is_success() {
        return Err(ProviderError::Unavailable(anyhow::anyhow!(
            "the userinfo endpoint answered {}",
            response.status()
        )));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(unavailable("reading the userinfo document"))?
    {
        if body.len() + chunk.len() > MAX_USERINFO_BYTES {
            return Err(ProviderError::Unavailable(anyhow::anyhow!(
                "the userinfo document is over {MAX_USERINFO_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| {
        ProviderError::Unavailable(anyhow::Error::new(e).context("parsing the userinfo document"))
    })
}

/// The identity a userinfo document describes.
///
/// # Errors
/// [`ProviderError::Unavailable`] when it names no account (no usable `sub`
/// or `id`): the provider is not answering as configured.
pub(super) fn from_userinfo(doc: &Value) -> Result<ExternalIdentity, ProviderError> {
    let subject = ["sub", "id"]
        .iter()
        .find_map(|key| match doc.get(key) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        })
        .ok_or_else(|| {
            ProviderError::Unavailable(anyhow::anyhow!("the userinfo document has no sub or id"))
        })?;
    let text = |key: &str| {
        doc.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let email_verified = match doc.get("email_verified") {
        Some(Value::Bool(verified)) => *verified,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    };
    Ok(ExternalIdentity {
        subject,
        email: text("email"),
        email_verified,
        name: text("name"),
    })
}

#[cfg(test)]
mod tests {
    use super::from_userinfo;
    use serde_json::json;

    #[test]
    fn github_numeric_ids_and_missing_fields() {
        let identity = from_userinfo(&json!({"id": 583231, "email": null, "name": "Octo"}))
            .expect("an identity");
        assert_eq!(identity.subject, "583231");
        assert_eq!(identity.email, None);
        assert!(!identity.email_verified);
        assert_eq!(identity.name.as_deref(), Some("Octo"));
    }

    #[test]
    fn sub_wins_and_string_booleans_count() {
        let identity = from_userinfo(&json!({
            "sub": "abc", "id": 1, "email": "a@example.com", "email_verified": "true"
        }))
        .expect("an identity");
        assert_eq!(identity.subject, "abc");
        assert!(identity.email_verified);
    }

    #[test]
    fn no_subject_is_an_error() {
        assert!(from_userinfo(&json!({"email": "a@example.com"})).is_err());
        assert!(from_userinfo(&json!({"sub": "", "id": true})).is_err());
    }
}
