//! `/api/v1/users/*`: the caller's account and admin user management.

use crate::dto::{RoleBody, UserBody, UserPage};
use crate::error::ApiError;
use crate::extract::{Authenticated, JsonObject, json_object};
use crate::openapi::problem_sets;
use crate::problem::Problem;
use crate::routes::support::list::ListParams;
use crate::state::AppState;
use actix_web::{HttpResponse, web};
use domain::FieldError;
use domain::model::{DisplayName, Email, Password, Role, SortField, UserId};
use domain::ports::UserQuery;
use domain::services::{AdminUpdate, PasswordChange, UpdateMe};
use serde::Deserialize;
use utoipa::ToSchema;

/// Body of `PATCH /users/me`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMeRequest {
    /// New display name (at most 200 characters).
    pub display_name: Option<String>,
    /// A new address: it changes only once the link mailed to it is
    /// followed (`pending_email` until then).
    pub email: Option<String>,
    /// A password change (`current` and `new`), or with `email` just
    /// `current` to confirm the change.
    pub password: Option<PasswordChangeRequest>,
}

/// A password change, or the current password confirming an email change.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordChangeRequest {
    /// The password now.
    pub current: String,
    /// The new one, 8–128 characters (absent when only confirming an
    /// email change).
    pub new: Option<String>,
}

/// Body of `DELETE /users/me`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct DeleteMeRequest {
    /// Required when the account has a password.
    pub password: Option<String>,
}

/// Body of `PATCH /users/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdminUpdateRequest {
    /// `user` or `admin`.
    #[schema(value_type = Option<RoleBody>)]
    pub role: Option<String>,
    /// Disabling revokes every session at once.
    pub disabled: Option<bool>,
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/users/me", tag = "users",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = UserBody),
        problem_sets::Unauthenticated,
    ))]
pub async fn me(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    let user = state.users.me(&caller.0).await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

/// Changes the caller's display name or password (a password change
/// revokes every other session), or starts an email change (a link goes to
/// the new address, a notice to the old one).
#[utoipa::path(patch, path = "/api/v1/users/me", tag = "users",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "Updated", body = UserBody),
        (status = 403, description = "Wrong current password", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new email is registered", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::InvalidField, problem_sets::MalformedJson,
    ))]
pub async fn update_me(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: JsonObject<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.0;
    let display_name = body
        .display_name
        .as_deref()
        .map(DisplayName::parse)
        .transpose();
    let email = body.email.as_deref().map(Email::parse).transpose();
    let new_password = match (&body.password, &body.email) {
        (Some(PasswordChangeRequest { new: Some(new), .. }), _) => {
            Password::parse_field(new, "password.new").map(Some)
        }
        (Some(_), None) => Err(FieldError::new("password.new", "is required")),
        _ => Ok(None),
    };
    let (display_name, email, new_password) = match (display_name, email, new_password) {
        (Ok(name), Ok(email), Ok(password)) => (name, email, password),
        (name, email, password) => {
            let errors = [name.err(), email.err(), password.err()]
                .into_iter()
                .flatten()
                .collect();
            return Err(ApiError::validation(errors));
        }
    };
    let current = body.password.map(|given| given.current);
    let mut user = None;
    if let Some(email) = email {
        let confirm = current.as_deref();
        user = Some(
            state
                .accounts
                .request_email_change(&caller.0, email, confirm)
                .await?,
        );
    }
    let change = UpdateMe {
        display_name,
        password: current
            .zip(new_password)
            .map(|(current, new)| PasswordChange { current, new }),
    };
    if user.is_none() || change.display_name.is_some() || change.password.is_some() {
        user = Some(state.users.update_me(&caller.0, change).await?);
    }
    let user = user.ok_or_else(|| ApiError::bad_request("nothing to change"))?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

/// Deletes the caller's account with everything it owns.
#[utoipa::path(delete, path = "/api/v1/users/me", tag = "users",
    security(("bearer" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Wrong password", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Password missing", body = Problem, content_type = "application/problem+json"),
        problem_sets::Unauthenticated, problem_sets::MalformedJson,
    ))]
pub async fn delete_me(
    state: web::Data<AppState>,
    caller: Authenticated,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let request: DeleteMeRequest = if body.iter().all(u8::is_ascii_whitespace) {
        DeleteMeRequest::default()
    } else {
        json_object(&body)?
    };
    state
        .users
        .delete_me(&caller.0, request.password.as_deref())
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists users (admins only).
#[utoipa::path(get, path = "/api/v1/users", tag = "users", operation_id = "list_users",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of users", body = UserPage),
        problem_sets::Unauthenticated, problem_sets::AdminOnly, problem_sets::BadListQuery,
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let list = params.into_inner().parse(&[SortField::CreatedAt])?;
    let query = UserQuery {
        q: list.q,
        sort: list.sort,
        limit: list.limit,
        after: list.after,
    };
    let page = state.users.list(&caller.0, query).await?;
    Ok(HttpResponse::Ok().json(UserPage {
        data: page.data.into_iter().map(UserBody::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Changes a user's role or disabled flag (admins only).
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    request_body = AdminUpdateRequest,
    responses(
        (status = 200, description = "Updated", body = UserBody),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::InvalidField, problem_sets::AdminOnly, problem_sets::MalformedIdOrJson, problem_sets::UserNotFound,
    ))]
pub async fn admin_update(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
    body: JsonObject<AdminUpdateRequest>,
) -> Result<HttpResponse, ApiError> {
    let role = body.role.as_deref().map(str::parse::<Role>).transpose()?;
    let change = AdminUpdate {
        role,
        disabled: body.disabled,
    };
    let user = state
        .users
        .admin_update(&caller.0, UserId(id.into_inner()), change)
        .await?;
    Ok(HttpResponse::Ok().json(UserBody::from(user)))
}

/// Revokes every session of a user (admins only).
#[utoipa::path(delete, path = "/api/v1/users/{id}/sessions", tag = "users",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "Revoked"),
        problem_sets::Unauthenticated, problem_sets::MalformedId, problem_sets::AdminOnly, problem_sets::UserNotFound,
    ))]
pub async fn admin_revoke_sessions(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .users
        .admin_revoke_sessions(&caller.0, UserId(id.into_inner()))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
