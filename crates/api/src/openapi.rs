//! The OpenAPI 3.1 description of every REST endpoint.

use crate::dto::{RoleBody, SessionBody, TokenPairBody, UserBody, UserPage};
use crate::problem::{Problem, ProblemField};
use crate::routes::agents::bodies::{
    AgentBody, AgentCreatedBody, AgentPage, AgentPatchRequest, AgentRequest, AgentTokenBody,
};
use crate::routes::commands::bodies::{CommandBody, CommandPage, CommandRequest};
use crate::routes::{account_mail, agents, auth, commands, health, items, oauth, users};
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::Operation;

pub mod problem_sets;
mod problems;
mod security;

use problems::ProblemExamples;
use security::SecuritySchemes;

/// The API description served at `/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "backend-api", description = "REST and WebSocket backend for web, mobile and agent clients. Every 4xx/5xx body is an RFC 9457 problem document (`application/problem+json`) with a stable `code`. The real-time API (`/ws`, `/ws/agent`, the event stream `/api/v1/stream`) is described, frame by frame, by the AsyncAPI 3 document at [/asyncapi.json](/asyncapi.json)."),
    paths(
        auth::register, auth::login, auth::token, auth::refresh, auth::logout,
        auth::sessions, auth::revoke_session, oauth::providers, oauth::authorize, oauth::callback,
        account_mail::request_verification, account_mail::verify_email,
        account_mail::forgot_password, account_mail::reset_password, account_mail::confirm_email,
        users::me, users::update_me, users::delete_me, users::list,
        users::admin_update, users::admin_revoke_sessions,
        items::create, items::list, items::get, items::patch, items::put, items::delete,
        agents::create, agents::list, agents::get, agents::patch, agents::put, agents::delete,
        agents::patch_metadata, agents::rotate_token,
        commands::create, commands::list, commands::get, commands::cancel,
        health::live, health::ready, crate::metrics::scrape, crate::realtime::upgrade::ws,
        crate::realtime::agent::ws_agent, crate::realtime::stream::stream,
        crate::routes::chat::publish,
    ),
    components(schemas(
        Problem, ProblemField, UserBody, RoleBody, TokenPairBody, SessionBody, UserPage,
        auth::RegisterRequest, auth::LoginRequest, auth::RefreshRequest, auth::TokenRequest,
        account_mail::LinkTokenRequest, account_mail::ForgotPasswordRequest,
        account_mail::ResetPasswordRequest,
        users::UpdateMeRequest, users::PasswordChangeRequest, users::DeleteMeRequest,
        users::AdminUpdateRequest, health::HealthBody,
        items::ItemBody, items::ItemPage, items::ItemRequest, items::ItemPatchRequest,
        AgentBody, AgentCreatedBody, AgentTokenBody, AgentPage, AgentRequest, AgentPatchRequest,
        crate::routes::chat::ChatMessageRequest,
        CommandBody, CommandPage, CommandRequest,
    )),
    modifiers(&SecuritySchemes, &ProblemExamples),
    tags(
        (name = "auth", description = "Registration, login, tokens and sessions"),
        (name = "users", description = "The caller's account and user management"),
        (name = "items", description = "Items: CRUD with ETags, merge-patch, idempotent creates, keyset pages"),
        (name = "agents", description = "Agents: registry with tokens shown once, merge-patch and JSON Patch metadata, metadata filters"),
        (name = "commands", description = "Commands: work sent to an agent, its live progress and its result"),
        (name = "operations", description = "Health and metrics"),
        (name = "realtime", description = "The WebSocket gateway, the event stream and chat over HTTP"),
    )
)]
pub struct ApiDoc;

/// Every operation of `openapi`, with its path.
fn operations_mut(openapi: &mut OpenApiDoc) -> impl Iterator<Item = (&str, &mut Operation)> {
    openapi.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .filter_map(Option::as_mut)
        .map(move |operation| (path.as_str(), operation))
    })
}

/// Swagger UI's settings: no validator badge (it would call an outside
/// host, which the `/docs` Content-Security-Policy blocks anyway).
pub fn swagger_config() -> utoipa_swagger_ui::Config<'static> {
    utoipa_swagger_ui::Config::default().validator_url("none")
}
