//! Commands: `POST`/`GET /api/v1/agents/{id}/commands`, `GET
//! /api/v1/commands/{id}` and `POST /api/v1/commands/{id}/cancel`. Seen
//! and sent by the agent's owner or an admin; anyone else gets 404.

pub mod bodies;

use self::bodies::{CommandBody, CommandListParams, CommandPage, CommandRequest, parse_status};
use crate::error::ApiError;
use crate::extract::{Authenticated, json_body};
use crate::problem::Problem;
use crate::routes::support::idempotency;
use crate::routes::support::list::ListParams;
use crate::routes::support::versioned::{Secrecy, created};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::model::{AgentId, CommandId};
use domain::ports::CommandFilter;
use domain::services::{COMMAND_SORTS, CommandListQuery};

/// Queues a command for the agent. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/agents/{id}/commands", tag = "commands", operation_id = "create_command",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ("Idempotency-Key" = Option<String>, Header, description = "1-255 printable ASCII characters; a repeat within 24 h replays the first 2xx response")),
    request_body = CommandRequest,
    responses(
        (status = 201, description = "Queued; `Location` set", body = CommandBody),
        (status = 400, description = "Malformed id, JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The first request with this key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field (a name the agent does not list in `capabilities.commands` included), or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let agent = AgentId(id.into_inner());
    let key = idempotency::key(&req)?;
    // The same key and body for another agent is another request.
    let fingerprinted = [agent.0.as_bytes().as_slice(), &body].concat();
    idempotency::run(
        &state.idempotency,
        caller.0.user_id,
        "POST /api/v1/agents/{id}/commands",
        key,
        &fingerprinted,
        || async {
            let draft = json_body::<CommandRequest>(&req, &body)?.try_into_domain()?;
            let command = state.commands.create(&caller.0, agent, draft).await?;
            let location = format!("/api/v1/commands/{}", command.id);
            created(location, command.version, &command, Secrecy::Public)
        },
    )
    .await
}

/// The agent's commands, newest first by default, a page at a time.
#[utoipa::path(get, path = "/api/v1/agents/{id}/commands", tag = "commands", operation_id = "list_commands",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Agent id"),
        ListParams,
        ("status" = Option<String>, Query, description = "Only commands with this status"),
    ),
    responses(
        (status = 200, description = "A page of commands", body = CommandPage),
        (status = 400, description = "Bad id, query parameter or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such agent of the caller", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
    params: web::Query<CommandListParams>,
) -> Result<HttpResponse, ApiError> {
    let params = params.into_inner();
    let status = parse_status(params.status.as_deref())?;
    let list = ListParams {
        limit: params.limit,
        cursor: params.cursor,
        sort: params.sort,
        q: params.q,
    }
    .parse(COMMAND_SORTS)?;
    let query = CommandListQuery {
        filter: CommandFilter {
            agent: None,
            status,
        },
        q: list.q,
        sort: list.sort,
        limit: list.limit,
        after: list.after,
    };
    let agent = AgentId(id.into_inner());
    let page = state
        .commands
        .list_for_agent(&caller.0, agent, query)
        .await?;
    Ok(HttpResponse::Ok().json(CommandPage {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}

/// One command.
#[utoipa::path(get, path = "/api/v1/commands/{id}", tag = "commands", operation_id = "get_command",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Command id")),
    responses(
        (status = 200, description = "The command", body = CommandBody),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such command of the caller's agents", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let command = state
        .commands
        .get(&caller.0, CommandId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(command))
}

/// Cancels a command that is not finished; a connected agent running it
/// receives `{"type": "cancel"}`.
#[utoipa::path(post, path = "/api/v1/commands/{id}/cancel", tag = "commands", operation_id = "cancel_command",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Command id")),
    responses(
        (status = 200, description = "Cancelled", body = CommandBody),
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such command of the caller's agents", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The command is already finished", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn cancel(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let command = state
        .commands
        .cancel(&caller.0, CommandId(id.into_inner()))
        .await?;
    Ok(HttpResponse::Ok().json(command))
}

/// Registers the command routes (inside `/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/agents/{id}/commands")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(web::resource("/commands/{id}").route(web::get().to(get)))
    .service(web::resource("/commands/{id}/cancel").route(web::post().to(cancel)));
}
