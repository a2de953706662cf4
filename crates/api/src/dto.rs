//! Response bodies shared by several routes. Owned resources (`Item`) are
//! written by their domain entity's `Serialize`, the one wire form they
//! share with their events; their types here are the OpenAPI schema. Other
//! domain types have their body type here.

use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use domain::model::{Session, TokenPair, User};
use serde::Serialize;
use utoipa::ToSchema;

/// `User`: never a password hash.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserBody {
    /// Identity (UUID v7).
    pub id: uuid::Uuid,
    /// Lower case.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// `""` when not set.
    pub display_name: String,
    /// `user` or `admin`.
    #[schema(example = "user")]
    pub role: RoleBody,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Whether the address was proved by following a mailed link.
    pub email_verified: bool,
    /// Multi-factor sign-in (not offered yet: always `false`).
    pub mfa_enabled: bool,
    /// An address the user asked to move to, until it is confirmed.
    pub pending_email: Option<String>,
    /// RFC 3339, UTC.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
}

/// A user's role.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleBody {
    /// Sees only their own resources.
    User,
    /// Sees everything.
    Admin,
}

impl From<User> for UserBody {
    fn from(user: User) -> Self {
        Self {
            id: user.id.0,
            email: user.email.to_string(),
            display_name: user.display_name.as_str().to_owned(),
            role: match user.role {
                domain::model::Role::User => RoleBody::User,
                domain::model::Role::Admin => RoleBody::Admin,
            },
            disabled: user.disabled,
            email_verified: user.email_verified,
            mfa_enabled: false,
            pending_email: user.pending_email.map(|email| email.to_string()),
            created_at: user.created_at.to_string(),
        }
    }
}

/// `TokenPair`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenPairBody {
    /// The JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// The opaque token for `/auth/refresh`; spent on use.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
}

impl TokenPairBody {
    /// A 200 response with the pair and `Cache-Control: no-store`.
    pub fn response(pair: TokenPair) -> HttpResponse {
        HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
            .insert_header((header::PRAGMA, HeaderValue::from_static("no-cache")))
            .json(Self {
                access_token: pair.access_token,
                refresh_token: pair.refresh_token.as_str().to_owned(),
                token_type: "Bearer",
                expires_in: pair.expires_in,
            })
    }
}

/// `Session`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionBody {
    /// Identity.
    pub id: uuid::Uuid,
    /// Login time.
    #[schema(value_type = String, format = DateTime)]
    pub created_at: String,
    /// Last refresh (or login).
    #[schema(value_type = String, format = DateTime)]
    pub last_used_at: String,
    /// User agent at login.
    pub user_agent: Option<String>,
    /// Client address at login.
    pub ip: Option<String>,
    /// Whether this is the session of the calling token.
    pub current: bool,
}

impl From<Session> for SessionBody {
    fn from(session: Session) -> Self {
        Self {
            id: session.id.0,
            created_at: session.created_at.to_string(),
            last_used_at: session.last_used_at.to_string(),
            user_agent: session.user_agent,
            ip: session.ip,
            current: session.current,
        }
    }
}

/// `Page<User>`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserPage {
    /// The rows.
    pub data: Vec<UserBody>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}
