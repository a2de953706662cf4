//! Request and response bodies of the command endpoints, and their
//! conversions into and out of the domain.

use crate::error::ApiError;
use crate::routes::support::fields::{keep, object_or_empty};
use domain::model::{
    Command, CommandDraft, CommandStatus, DEFAULT_TIMEOUT_SECS, DEFAULT_TTL_SECS, TIMEOUT_SECS,
    TTL_SECS, command_name, seconds_in,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Body of `POST /agents/{id}/commands`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CommandRequest {
    /// 1–64 of `a–z 0–9 . _ -`; when the agent's `capabilities.commands`
    /// is an array of names, one of them.
    #[schema(example = "echo")]
    pub name: String,
    /// A JSON object: at most 65,536 bytes compact, depth at most 16.
    #[schema(value_type = Option<Object>)]
    pub args: Option<Value>,
    /// 1–3600 (default 60): how long it may run once sent.
    #[schema(minimum = 1, maximum = 3600)]
    pub timeout_secs: Option<i64>,
    /// 0–86400 (default 300): how long it may wait for the agent.
    #[schema(minimum = 0, maximum = 86400)]
    pub ttl_secs: Option<i64>,
}

impl CommandRequest {
    /// The validated draft; every broken field is reported.
    ///
    /// # Errors
    /// 422 listing each invalid field.
    pub fn try_into_domain(self) -> Result<CommandDraft, ApiError> {
        let mut errors = Vec::new();
        let name = keep(&mut errors, command_name(&self.name));
        let args = keep(&mut errors, object_or_empty(self.args, "args"));
        let timeout = seconds_in(
            self.timeout_secs,
            &TIMEOUT_SECS,
            DEFAULT_TIMEOUT_SECS,
            "timeout_secs",
        );
        let timeout = keep(&mut errors, timeout);
        let ttl = seconds_in(self.ttl_secs, &TTL_SECS, DEFAULT_TTL_SECS, "ttl_secs");
        let ttl = keep(&mut errors, ttl);
        match (name, args, timeout, ttl) {
            (Some(name), Some(args), Some(timeout_secs), Some(ttl_secs)) => Ok(CommandDraft {
                name,
                args,
                timeout_secs,
                ttl_secs,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

// The OpenAPI schema only: the body is written by `Command`'s `Serialize`,
// the one wire form, which is also the `data` of its events.
/// `Command`.
#[derive(Debug, ToSchema)]
pub struct CommandBody {
    /// Identity (UUID v7).
    pub id: uuid::Uuid,
    /// The agent that runs it.
    pub agent_id: uuid::Uuid,
    /// The command name.
    pub name: String,
    /// Its arguments.
    #[schema(value_type = Object)]
    pub args: Value,
    /// `queued`, `sent`, `running`, `succeeded`, `failed`, `timed_out`,
    /// `expired` or `cancelled`.
    #[schema(example = "queued")]
    pub status: &'static str,
    /// The user who sent it.
    pub created_by: uuid::Uuid,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// When it was first sent to the agent.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub sent_at: Option<String>,
    /// When the agent acknowledged it.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub acked_at: Option<String>,
    /// When it reached a final status.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub finished_at: Option<String>,
    /// `sent_at + timeout_secs`: no result by then → `timed_out`.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub deadline_at: Option<String>,
    /// The latest progress object.
    #[schema(value_type = Option<Object>)]
    pub progress: Option<Value>,
    /// The agent's result object.
    #[schema(value_type = Option<Object>)]
    pub result: Option<Value>,
    /// `{message}`, or `null`.
    #[schema(value_type = Option<Object>)]
    pub error: Option<Value>,
}

/// `Page<Command>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommandPage {
    /// The rows.
    #[schema(value_type = Vec<CommandBody>)]
    pub data: Vec<Command>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The query of `GET /agents/{id}/commands`.
#[derive(Debug, Default, Deserialize)]
pub struct CommandListParams {
    /// 1–100.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// `created_at` or `-created_at`.
    pub sort: Option<String>,
    /// Substring of the name.
    pub q: Option<String>,
    /// One status.
    pub status: Option<String>,
}

/// Parses `status`.
///
/// # Errors
/// 400 for anything but a command status.
pub fn parse_status(raw: Option<&str>) -> Result<Option<CommandStatus>, ApiError> {
    raw.map(|raw| {
        CommandStatus::parse(raw).ok_or_else(|| {
            ApiError::bad_request(
                "status: must be queued, sent, running, succeeded, failed, timed_out, expired \
                 or cancelled",
            )
        })
    })
    .transpose()
}
