//! A real example for every documented error response: the problem
//! document the server sends for that status (its title and its `code`),
//! with the response's description as `detail`. Without it Swagger UI
//! shows a `status: 0`, `validation_failed` sample under every status.

use super::security::TOKEN_URL;
use super::{OpenApiDoc, operations_mut};
use crate::error::{ApiError, code_for_status};
use crate::problem::{PROBLEM_JSON, Problem};
use actix_web::http::StatusCode;
use serde_json::Value;
use utoipa::Modify;
use utoipa::openapi::RefOr;

/// The `request_id` of every example.
const REQUEST_ID: &str = "0193a0b0-7c1e-7000-8000-5d3f0c2a9e41";

/// Sets the example of every problem+json response.
pub struct ProblemExamples;

/// The problem document `path` answers with `status`, described by
/// `description`.
fn example(path: &str, status: StatusCode, description: &str) -> Option<Value> {
    let error = if path == TOKEN_URL && status == StatusCode::BAD_REQUEST {
        ApiError::oauth("invalid_grant", "invalid username or password")
    } else {
        ApiError::new(
            status,
            code_for_status(status),
            description.replace('`', ""),
        )
    };
    serde_json::to_value(Problem::from_api_error(&error, REQUEST_ID)).ok()
}

impl Modify for ProblemExamples {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        for (path, operation) in operations_mut(openapi) {
            for (status, response) in &mut operation.responses.responses {
                let Some(status) = status
                    .parse()
                    .ok()
                    .and_then(|code| StatusCode::from_u16(code).ok())
                    .filter(|status| status.is_client_error() || status.is_server_error())
                else {
                    continue;
                };
                let RefOr::T(response) = response else {
                    continue;
                };
                if let Some(RefOr::T(content)) = response.content.get_mut(PROBLEM_JSON) {
                    content.example = example(path, status, &response.description);
                }
            }
        }
    }
}
