//! Request and response bodies of `/api/v1/agents`, and their conversions
//! into and out of the domain.

use crate::error::ApiError;
use crate::routes::support::fields::{
    description, description_change, keep, name_change, object_change, object_or_empty, present,
};
use domain::model::{Agent, AgentChange, AgentDraft, AgentName, AgentStatus};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Body of `POST /agents` and `PUT /agents/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AgentRequest {
    /// 1–200 characters after trimming, no control characters.
    #[schema(example = "probe-eu-1")]
    pub name: String,
    /// At most 10,000 characters.
    pub description: Option<String>,
    /// A JSON object: at most 65,536 bytes compact, depth at most 16.
    #[schema(value_type = Option<Object>)]
    pub capabilities: Option<Value>,
    /// A JSON object: at most 65,536 bytes compact, depth at most 16;
    /// filterable with `metadata.<key>=<value>`.
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<Value>,
}

impl AgentRequest {
    /// The validated draft; every broken field is reported.
    ///
    /// # Errors
    /// 422 listing each invalid field.
    pub fn try_into_domain(self) -> Result<AgentDraft, ApiError> {
        let mut errors = Vec::new();
        let name = keep(&mut errors, AgentName::parse(&self.name));
        let description = keep(&mut errors, description(self.description.as_deref()));
        let capabilities = keep(
            &mut errors,
            object_or_empty(self.capabilities, "capabilities"),
        );
        let metadata = keep(&mut errors, object_or_empty(self.metadata, "metadata"));
        match (name, description, capabilities, metadata) {
            (Some(name), Some(description), Some(capabilities), Some(metadata)) => Ok(AgentDraft {
                name,
                description,
                capabilities,
                metadata,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// Body of `PATCH /agents/{id}` (`application/merge-patch+json` or
/// `application/json`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct AgentPatchRequest {
    /// New name; may be left out, but `null` is refused (422).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String)]
    pub name: Option<Option<String>>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Merged into the current capabilities (RFC 7396); `null` resets to `{}`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, nullable)]
    pub capabilities: Option<Option<Value>>,
    /// Merged into the current metadata (RFC 7396); `null` resets to `{}`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, nullable)]
    pub metadata: Option<Option<Value>>,
}

impl AgentPatchRequest {
    /// The validated change; every broken field is reported.
    ///
    /// # Errors
    /// 422 listing each invalid field.
    pub fn try_into_domain(self) -> Result<AgentChange, ApiError> {
        let mut errors = Vec::new();
        let name = name_change(&mut errors, self.name);
        let description = description_change(&mut errors, self.description);
        let capabilities = object_change(&mut errors, self.capabilities, "capabilities");
        let metadata = object_change(&mut errors, self.metadata, "metadata");
        if errors.is_empty() {
            Ok(AgentChange {
                name,
                description,
                capabilities,
                metadata,
            })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

// The OpenAPI schema only: the body is written by `Agent`'s `Serialize`,
// the one wire form, which is also the `data` of the agent's events.
/// `Agent` (never its token).
#[derive(Debug, ToSchema)]
pub struct AgentBody {
    /// Identity (UUID v7).
    pub id: uuid::Uuid,
    /// The owner.
    pub owner_id: uuid::Uuid,
    /// 1–200 characters.
    pub name: String,
    /// At most 10,000 characters; `null` when not set.
    pub description: Option<String>,
    /// `online` or `offline`.
    #[schema(example = "offline")]
    pub status: &'static str,
    /// A JSON object.
    #[schema(value_type = Object)]
    pub capabilities: Value,
    /// A JSON object.
    #[schema(value_type = Object)]
    pub metadata: Value,
    /// The status object of the latest heartbeat; `null` before one.
    #[schema(value_type = Option<Object>)]
    pub last_status: Option<Value>,
    /// 1 at creation, +1 on every change; the ETag is `"<version>"`.
    pub version: i64,
    /// RFC 3339, UTC; `null` before the first connection.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_seen_at: Option<String>,
    /// RFC 3339, UTC; `null` before the first connection.
    #[schema(value_type = Option<String>, format = DateTime)]
    pub connected_at: Option<String>,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: String,
}

/// `POST /agents` → 201: the `Agent` fields plus its token, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentCreatedBody {
    /// The agent.
    #[serde(flatten)]
    #[schema(value_type = AgentBody)]
    pub agent: Agent,
    /// The agent's secret (256 bits, base64url): shown only now, stored
    /// only as a hash.
    pub token: String,
}

/// `POST /agents/{id}/token` → 200.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentTokenBody {
    /// The new token; the old one no longer works.
    pub token: String,
}

/// `Page<Agent>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgentPage {
    /// The rows.
    #[schema(value_type = Vec<AgentBody>)]
    pub data: Vec<Agent>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// The query of `GET /agents` besides `metadata.<key>` (read separately).
#[derive(Debug, Default, Deserialize)]
pub struct AgentListParams {
    /// 1–100.
    pub limit: Option<u64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Sort.
    pub sort: Option<String>,
    /// Substring of the name.
    pub q: Option<String>,
    /// `online` or `offline`.
    pub status: Option<String>,
}

/// Parses `status`.
///
/// # Errors
/// 400 for anything but `online` or `offline`.
pub fn parse_status(raw: Option<&str>) -> Result<Option<AgentStatus>, ApiError> {
    raw.map(|raw| {
        AgentStatus::parse(raw)
            .ok_or_else(|| ApiError::bad_request("status: must be online or offline"))
    })
    .transpose()
}
