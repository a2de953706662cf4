//! `/api/v1/agents`: CRUD with ETags and merge-patch, JSON Patch on
//! metadata, filtered keyset lists, idempotent creates (the replayed token
//! kept sealed) and token rotation.

pub mod bodies;

use self::bodies::{
    AgentBody, AgentCreatedBody, AgentListParams, AgentPage, AgentPatchRequest, AgentRequest,
    AgentTokenBody, parse_status,
};
use crate::error::ApiError;
use crate::extract::{Authenticated, json_body};
use crate::openapi::problem_sets;
use crate::problem::Problem;
use crate::routes::support::etag::if_match;
use crate::routes::support::idempotency;
use crate::routes::support::list::ListParams;
use crate::routes::support::versioned::{Secrecy, created, ok_unless_not_modified, ok_with_etag};
use crate::state::AppState;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use domain::model::{AgentChange, AgentId, MetadataFilter, MetadataPatch, ObjectChange};
use domain::ports::AgentFilter;
use domain::services::{AGENT_SORTS, AgentListQuery};
use serde_json::Value;

const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");

fn agent_id(id: web::Path<uuid::Uuid>) -> AgentId {
    AgentId(id.into_inner())
}

/// Registers an agent; the response carries its token once. Honours
/// `Idempotency-Key` (a replay carries the same token, stored sealed).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", operation_id = "create_agent",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 printable ASCII characters; a repeat within 24 h replays the first 2xx response, token included")),
    request_body = AgentRequest,
    responses(
        (status = 201, description = "Created; `Location`, `ETag` and `Cache-Control: no-store` set", body = AgentCreatedBody),
        (status = 422, description = "Invalid field, or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::MalformedCreate, problem_sets::KeyInFlight,
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency::key(&req)?;
    idempotency::run(
        &state.idempotency,
        caller.0.user_id,
        "POST /api/v1/agents",
        key,
        &body,
        || async {
            let draft = json_body::<AgentRequest>(&req, &body)?.try_into_domain()?;
            let (agent, token) = state.agents.create(&caller.0, draft).await?;
            let location = format!("/api/v1/agents/{}", agent.id);
            let version = agent.version;
            let body = AgentCreatedBody {
                agent,
                token: token.as_str().to_owned(),
            };
            created(location, version, &body, Secrecy::Secret)
        },
    )
    .await
}

/// Splits the query into `metadata.<key>` filters and the other parameters.
fn list_query(raw: &str) -> Result<(AgentListParams, Vec<MetadataFilter>), ApiError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw)
        .map_err(|e| ApiError::bad_request(format!("bad query string: {e}")))?;
    let mut filters = Vec::new();
    let mut rest = Vec::new();
    for (name, value) in pairs {
        match name.strip_prefix("metadata.") {
            Some(key) => filters.push(MetadataFilter {
                key: key.to_owned(),
                value,
            }),
            None => rest.push((name, value)),
        }
    }
    let params = serde_urlencoded::from_str::<AgentListParams>(
        &serde_urlencoded::to_string(&rest).map_err(|e| ApiError::internal(&e))?,
    )
    .map_err(|e| ApiError::bad_request(format!("bad query parameter: {e}")))?;
    Ok((params, filters))
}

/// The caller's agents (every agent for an admin) passing the filters, a
/// page at a time.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", operation_id = "list_agents",
    security(("bearer" = [])),
    params(
        ListParams,
        ("status" = Option<String>, Query, description = "`online` or `offline`"),
        ("metadata.<key>" = Option<String>, Query, description = "Only agents whose top-level metadata key `<key>` (a dot inside it is part of the name) holds this string, or a number or boolean whose JSON text is this value. Repeat with other keys: all must match."),
    ),
    responses(
        (status = 200, description = "A page of agents", body = AgentPage),
        problem_sets::Unauthenticated, problem_sets::BadListQuery,
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (params, metadata) = list_query(req.query_string())?;
    let status = parse_status(params.status.as_deref())?;
    let list = ListParams {
        limit: params.limit,
        cursor: params.cursor,
        sort: params.sort,
        q: params.q,
    }
    .parse(AGENT_SORTS)?;
    let query = AgentListQuery {
        filter: AgentFilter { status, metadata },
        q: list.q,
        sort: list.sort,
        limit: list.limit,
        after: list.after,
    };
    let page = state.agents.list(&caller.0, query).await?;
    Ok(HttpResponse::Ok().json(AgentPage {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}

/// One agent; 304 when `If-None-Match` names its current ETag.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "get_agent",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when current")),
    responses(
        (status = 200, description = "The agent; `ETag` set", body = AgentBody),
        (status = 304, description = "Not modified"),
        problem_sets::Unauthenticated, problem_sets::MalformedId, problem_sets::AgentNotFound,
    ))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let agent = state.agents.get(&caller.0, agent_id(id)).await?;
    ok_unless_not_modified(&req, agent.version, &agent)
}

/// Changes some fields; `capabilities` and `metadata` are merged
/// (RFC 7396) atomically.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "patch_agent",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ("If-Match" = Option<String>, Header, description = "Only change version N (`\"N\"`); else 412")),
    request_body(content(
        (AgentPatchRequest = "application/merge-patch+json"),
        (AgentPatchRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Updated; `ETag` set", body = AgentBody),
        (status = 422, description = "Invalid field or merged result", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::IfMatchFailed, problem_sets::AgentNotFound, problem_sets::MalformedIdOrJson,
    ))]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let change = json_body::<AgentPatchRequest>(&req, &body)?.try_into_domain()?;
    update(&state, &caller, &req, id, change).await
}

/// Replaces an agent's fields (not its token or connection state).
#[utoipa::path(put, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "replace_agent",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ("If-Match" = Option<String>, Header, description = "Only replace version N (`\"N\"`); else 412")),
    request_body = AgentRequest,
    responses(
        (status = 200, description = "Replaced; `ETag` set", body = AgentBody),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::IfMatchFailed, problem_sets::InvalidField, problem_sets::AgentNotFound, problem_sets::MalformedIdOrJson,
    ))]
pub async fn put(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let draft = json_body::<AgentRequest>(&req, &body)?.try_into_domain()?;
    update(&state, &caller, &req, id, AgentChange::from(draft)).await
}

/// Applies the change of a PATCH or PUT under the request's `If-Match`.
async fn update(
    state: &AppState,
    caller: &Authenticated,
    req: &HttpRequest,
    id: web::Path<uuid::Uuid>,
    change: AgentChange,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(req)?;
    let agent = state
        .agents
        .update(&caller.0, agent_id(id), change, expected)
        .await?;
    Ok(ok_with_etag(agent.version, &agent))
}

/// Deletes an agent.
#[utoipa::path(delete, path = "/api/v1/agents/{id}", tag = "agents", operation_id = "delete_agent",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ("If-Match" = Option<String>, Header, description = "Only delete version N (`\"N\"`); else 412")),
    responses(
        (status = 204, description = "Deleted"),
        problem_sets::Unauthenticated, problem_sets::MalformedId, problem_sets::IfMatchFailed, problem_sets::AgentNotFound,
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .agents
        .delete(&caller.0, agent_id(id), if_match(&req)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The media type of the body, lower-cased, without parameters.
fn media_type(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::CONTENT_TYPE)?.to_str().ok()?;
    Some(value.split(';').next()?.trim().to_ascii_lowercase())
}

/// Patches the metadata: `application/merge-patch+json` (RFC 7396, one
/// atomic UPDATE) or `application/json-patch+json` (RFC 6902, under a row
/// lock; all operations or none).
#[utoipa::path(patch, path = "/api/v1/agents/{id}/metadata", tag = "agents", operation_id = "patch_agent_metadata",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ("If-Match" = Option<String>, Header, description = "Only change version N (`\"N\"`); else 412")),
    request_body(content(
        (Object = "application/merge-patch+json"),
        (Vec<Object> = "application/json-patch+json"),
    ), description = "A merge patch object, or an array of JSON Patch operations (add, remove, replace, move, copy, test)"),
    responses(
        (status = 200, description = "Patched; `ETag` set", body = AgentBody),
        (status = 409, description = "A JSON Patch `test` failed; nothing applied", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Neither merge-patch nor json-patch", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown op, bad pointer, missing target or a result that is no object within the limits; nothing applied", body = Problem, content_type = "application/problem+json"),
        problem_sets::Unauthenticated, problem_sets::IfMatchFailed, problem_sets::AgentNotFound, problem_sets::MalformedIdOrJson,
    ))]
pub async fn patch_metadata(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(&req)?;
    let id = agent_id(id);
    let agent = match media_type(&req).as_deref() {
        Some("application/merge-patch+json") => {
            let value: Value = crate::extract::json_value(&body)?;
            let Value::Object(patch) = value else {
                return Err(ApiError::validation(vec![domain::FieldError::new(
                    "metadata",
                    "a merge patch of the metadata must be a JSON object",
                )]));
            };
            let change = AgentChange {
                metadata: ObjectChange::Merge(patch),
                ..AgentChange::default()
            };
            state.agents.update(&caller.0, id, change, expected).await?
        }
        Some("application/json-patch+json") => {
            let value: Value = crate::extract::json_value(&body)?;
            let patch = MetadataPatch::parse(value).map_err(|e| ApiError::validation(vec![e]))?;
            state
                .agents
                .patch_metadata(&caller.0, id, patch, expected)
                .await?
        }
        _ => {
            return Err(ApiError::unsupported_media_type(
                "application/merge-patch+json or application/json-patch+json",
            ));
        }
    };
    Ok(ok_with_etag(agent.version, &agent))
}

/// Gives the agent a new token, shown once; the old one stops working at
/// once and its live connection is closed.
#[utoipa::path(post, path = "/api/v1/agents/{id}/token", tag = "agents", operation_id = "rotate_agent_token",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id")),
    responses(
        (status = 200, description = "The new token; `Cache-Control: no-store`", body = AgentTokenBody),
        problem_sets::Unauthenticated, problem_sets::MalformedId, problem_sets::AgentNotFound,
    ))]
pub async fn rotate_token(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (_, token) = state.agents.rotate_token(&caller.0, agent_id(id)).await?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, NO_STORE))
        .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
        .json(AgentTokenBody {
            token: token.as_str().to_owned(),
        }))
}

#[cfg(test)]
mod properties;
