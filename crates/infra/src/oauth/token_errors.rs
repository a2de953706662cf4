//! What a failed token request means for the caller: the provider refused
//! the code (400 at our edge) or the provider failed (502).

use domain::ports::ProviderError;
use openidconnect::{ErrorResponse, RequestTokenError};

/// Classifies a token-endpoint failure. An OAuth error answer is a refusal
/// unless it says the provider itself failed (`server_error`,
/// `temporarily_unavailable`); a body that is no token response but carries
/// an `error` (GitHub answers 200 so) is a refusal too; anything else
/// (network, unparsable answer) is the provider failing.
pub(super) fn classify<RE, T>(err: RequestTokenError<RE, T>) -> ProviderError
where
    RE: std::error::Error + Send + Sync + 'static,
    T: ErrorResponse + 'static,
{
    let refusal = |code: Option<&str>| match code {
        Some("server_error" | "temporarily_unavailable") | None => None,
        Some(code) => Some(ProviderError::Rejected(format!(
            "the provider refused the authorization code ({code})"
        ))),
    };
    match err {
        RequestTokenError::ServerResponse(response) => {
            let body = serde_json::to_value(&response).unwrap_or_default();
            let code = body.get("error").and_then(serde_json::Value::as_str);
            refusal(code).unwrap_or_else(|| {
                ProviderError::Unavailable(anyhow::anyhow!(
                    "the token endpoint reported {}",
                    code.unwrap_or("an error")
                ))
            })
        }
        RequestTokenError::Parse(parse, body) => {
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let code = body.get("error").and_then(serde_json::Value::as_str);
            refusal(code).unwrap_or_else(|| {
                ProviderError::Unavailable(
                    anyhow::Error::new(parse).context("parsing the token endpoint's answer"),
                )
            })
        }
        RequestTokenError::Request(cause) => ProviderError::Unavailable(
            anyhow::Error::new(cause).context("calling the token endpoint"),
        ),
        RequestTokenError::Other(why) => {
            ProviderError::Unavailable(anyhow::anyhow!("token endpoint: {why}"))
        }
    }
}
