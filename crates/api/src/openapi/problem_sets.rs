//! The problem responses many operations share, as named sets: an
//! operation lists `problem_sets::Unauthenticated` instead of repeating
//! the status, description, body and content type. Responses particular
//! to one operation stay written out beside it.

use crate::problem::Problem;
use utoipa::IntoResponses;

/// 401 for an operation that needs a bearer token.
#[derive(IntoResponses)]
pub enum Unauthenticated {
    /// No valid token.
    #[response(
        status = 401,
        description = "No valid token",
        content_type = "application/problem+json"
    )]
    NoValidToken(Problem),
}

/// 413 and 415 for an operation that takes a JSON body.
#[derive(IntoResponses)]
pub enum JsonBody {
    /// Over `MAX_BODY_BYTES`.
    #[response(
        status = 413,
        description = "Body too large",
        content_type = "application/problem+json"
    )]
    TooLarge(Problem),
    /// Not `application/json`.
    #[response(
        status = 415,
        description = "Not JSON",
        content_type = "application/problem+json"
    )]
    NotJson(Problem),
}

/// 400 for a malformed id in the path.
#[derive(IntoResponses)]
pub enum MalformedId {
    /// The id is no UUID.
    #[response(
        status = 400,
        description = "Malformed id",
        content_type = "application/problem+json"
    )]
    BadId(Problem),
}

/// 400 for a malformed JSON body.
#[derive(IntoResponses)]
pub enum MalformedJson {
    /// The body is no JSON of the expected shape.
    #[response(
        status = 400,
        description = "Malformed JSON",
        content_type = "application/problem+json"
    )]
    BadJson(Problem),
}

/// 400 for a malformed id in the path or a malformed JSON body.
#[derive(IntoResponses)]
pub enum MalformedIdOrJson {
    /// The id is no UUID, or the body no JSON.
    #[response(
        status = 400,
        description = "Malformed id or JSON",
        content_type = "application/problem+json"
    )]
    BadIdOrJson(Problem),
}

/// 400 for a create with a malformed body or `Idempotency-Key`.
#[derive(IntoResponses)]
pub enum MalformedCreate {
    /// The body is no JSON, or the key is outside its form.
    #[response(
        status = 400,
        description = "Malformed JSON or Idempotency-Key",
        content_type = "application/problem+json"
    )]
    BadCreate(Problem),
}

/// 409 for a create whose `Idempotency-Key` is still being served.
#[derive(IntoResponses)]
pub enum KeyInFlight {
    /// The first request with the key has not finished.
    #[response(
        status = 409,
        description = "The first request with this key is still running",
        content_type = "application/problem+json"
    )]
    Running(Problem),
}

/// 400 for a list's bad query parameter or cursor.
#[derive(IntoResponses)]
pub enum BadListQuery {
    /// `limit`, `sort`, `q` or `cursor` is refused.
    #[response(
        status = 400,
        description = "Bad query parameter or cursor",
        content_type = "application/problem+json"
    )]
    BadQuery(Problem),
}

/// 412 for a conditional write whose `If-Match` names another version.
#[derive(IntoResponses)]
pub enum IfMatchFailed {
    /// The version moved on.
    #[response(
        status = 412,
        description = "If-Match does not match",
        content_type = "application/problem+json"
    )]
    Stale(Problem),
}

/// 422 for well-formed JSON that breaks a rule.
#[derive(IntoResponses)]
pub enum InvalidField {
    /// `errors` names each field.
    #[response(
        status = 422,
        description = "Invalid field",
        content_type = "application/problem+json"
    )]
    Invalid(Problem),
}

/// 403 for an admin route called by someone else.
#[derive(IntoResponses)]
pub enum AdminOnly {
    /// The caller is no admin.
    #[response(
        status = 403,
        description = "Not an admin",
        content_type = "application/problem+json"
    )]
    NotAdmin(Problem),
}

/// 403 for a disabled account signing in.
#[derive(IntoResponses)]
pub enum AccountDisabled {
    /// The account is disabled.
    #[response(
        status = 403,
        description = "Account disabled",
        content_type = "application/problem+json"
    )]
    Disabled(Problem),
}

/// 404 for an item that doesn't exist or belongs to someone else.
#[derive(IntoResponses)]
pub enum ItemNotFound {
    /// Unknown, or another user's.
    #[response(
        status = 404,
        description = "No such item of the caller",
        content_type = "application/problem+json"
    )]
    Missing(Problem),
}

/// 404 for an agent that doesn't exist or belongs to someone else.
#[derive(IntoResponses)]
pub enum AgentNotFound {
    /// Unknown, or another user's.
    #[response(
        status = 404,
        description = "No such agent of the caller",
        content_type = "application/problem+json"
    )]
    Missing(Problem),
}

/// 404 for an unknown user (admin routes).
#[derive(IntoResponses)]
pub enum UserNotFound {
    /// No user has that id.
    #[response(
        status = 404,
        description = "No such user",
        content_type = "application/problem+json"
    )]
    Missing(Problem),
}
