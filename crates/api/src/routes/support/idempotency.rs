//! `Idempotency-Key` on creates: claim the key, run the create, keep a 2xx
//! response for replay (24 h), forget the key on failure.

use crate::error::ApiError;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse};
use domain::model::UserId;
use domain::ports::{ClaimOutcome, IdempotencyClaim, IdempotencyKey, StoredResponse};
use domain::services::IdempotencyService;
use sha2::{Digest, Sha256};

/// The request header naming the key.
pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
/// The response header marking a replay.
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// The request's key, if it sent one.
///
/// # Errors
/// 400 `bad_request` for a key outside 1–255 printable ASCII characters.
pub fn key(req: &HttpRequest) -> Result<Option<IdempotencyKey>, ApiError> {
    req.headers()
        .get(IDEMPOTENCY_KEY)
        .map(|value| {
            let text = value.to_str().unwrap_or("\u{0}");
            IdempotencyKey::parse(text).map_err(|e| ApiError::bad_request(e.to_string()))
        })
        .transpose()
}

/// Runs `create` at most once per (user, operation, key): a repeat with a
/// byte-identical body replays the first 2xx response with
/// `Idempotent-Replayed: true`; another body → 422
/// `idempotency_key_reused`; a repeat while the first runs → 409.
///
/// # Errors
/// Those above, and whatever `create` fails with.
pub async fn run<F, Fut>(
    service: &IdempotencyService,
    user: UserId,
    operation: &'static str,
    key: Option<IdempotencyKey>,
    body: &[u8],
    create: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<StoredResponse, ApiError>>,
{
    let Some(key) = key else {
        return create().await.map(|stored| respond(stored, false));
    };
    let claim = IdempotencyClaim {
        user,
        operation,
        key,
        fingerprint: Sha256::digest(body).to_vec(),
    };
    match service.claim(&claim).await? {
        ClaimOutcome::Claimed => {
            let result = create().await;
            let outcome = match &result {
                Ok(stored) => stored.clone(),
                Err(error) => StoredResponse {
                    status: error.status.as_u16(),
                    headers: Vec::new(),
                    body: Vec::new(),
                    secret: false,
                },
            };
            if let Err(error) = service.finish(&claim, &outcome).await {
                // The create happened; answering it matters more than the record.
                tracing::error!(%error, "could not record an idempotent response");
            }
            result.map(|stored| respond(stored, false))
        }
        ClaimOutcome::Replay(stored) => Ok(respond(stored, true)),
        ClaimOutcome::InProgress => Err(ApiError::new(
            StatusCode::CONFLICT,
            "conflict",
            "a request with this Idempotency-Key is still being processed",
        )),
        ClaimOutcome::Mismatch => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request body",
        )),
    }
}

fn respond(stored: StoredResponse, replayed: bool) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = HttpResponse::build(status);
    for (name, value) in stored.headers {
        response.insert_header((name, value));
    }
    if replayed {
        response.insert_header((IDEMPOTENT_REPLAYED, "true"));
    }
    response.body(stored.body)
}
