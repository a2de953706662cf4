//! `/api/v1/items`: CRUD with ETags, merge-patch, idempotent creates and
//! keyset lists.

pub mod bodies;

pub use bodies::{ItemBody, ItemPage, ItemPatchRequest, ItemRequest};

use crate::error::ApiError;
use crate::extract::{Authenticated, json_body};
use crate::openapi::problem_sets;
use crate::problem::Problem;
use crate::routes::support::etag::if_match;
use crate::routes::support::idempotency;
use crate::routes::support::list::ListParams;
use crate::routes::support::versioned::{Secrecy, created, ok_unless_not_modified, ok_with_etag};
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::model::{ItemChange, ItemId};
use domain::services::{ITEM_SORTS, ItemListQuery};

fn item_id(id: web::Path<uuid::Uuid>) -> ItemId {
    ItemId(id.into_inner())
}

/// Creates an item; honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/items", tag = "items", operation_id = "create_item",
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "1-255 printable ASCII characters; a repeat within 24 h replays the first 2xx response")),
    request_body = ItemRequest,
    responses(
        (status = 201, description = "Created; `Location` and `ETag` set", body = ItemBody),
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
        "POST /api/v1/items",
        key,
        &body,
        || async {
            let draft = json_body::<ItemRequest>(&req, &body)?.try_into_domain()?;
            let item = state.items.create(&caller.0, draft).await?;
            let location = format!("/api/v1/items/{}", item.id);
            created(location, item.version, &item, Secrecy::Public)
        },
    )
    .await
}

/// The caller's items (every item for an admin), a page at a time.
#[utoipa::path(get, path = "/api/v1/items", tag = "items", operation_id = "list_items",
    security(("bearer" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "A page of items", body = ItemPage),
        problem_sets::Unauthenticated, problem_sets::BadListQuery,
    ))]
pub async fn list(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    let list = params.into_inner().parse(ITEM_SORTS)?;
    let query = ItemListQuery {
        filter: (),
        q: list.q,
        sort: list.sort,
        limit: list.limit,
        after: list.after,
    };
    let page = state.items.list(&caller.0, query).await?;
    Ok(HttpResponse::Ok().json(ItemPage {
        data: page.data,
        next_cursor: page.next_cursor,
    }))
}

/// One item; 304 when `If-None-Match` names its current ETag.
#[utoipa::path(get, path = "/api/v1/items/{id}", tag = "items", operation_id = "get_item",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Item id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag; 304 when current")),
    responses(
        (status = 200, description = "The item; `ETag` set", body = ItemBody),
        (status = 304, description = "Not modified"),
        problem_sets::Unauthenticated, problem_sets::MalformedId, problem_sets::ItemNotFound,
    ))]
pub async fn get(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let item = state.items.get(&caller.0, item_id(id)).await?;
    ok_unless_not_modified(&req, item.version, &item)
}

/// Changes some fields; `attributes` is merged (RFC 7396) atomically.
#[utoipa::path(patch, path = "/api/v1/items/{id}", tag = "items", operation_id = "patch_item",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Item id"),
        ("If-Match" = Option<String>, Header, description = "Only change version N (`\"N\"`); else 412")),
    request_body(content(
        (ItemPatchRequest = "application/merge-patch+json"),
        (ItemPatchRequest = "application/json"),
    )),
    responses(
        (status = 200, description = "Updated; `ETag` set", body = ItemBody),
        (status = 422, description = "Invalid field or merged result", body = Problem, content_type = "application/problem+json"),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::IfMatchFailed, problem_sets::ItemNotFound, problem_sets::MalformedIdOrJson,
    ))]
pub async fn patch(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let change = json_body::<ItemPatchRequest>(&req, &body)?.try_into_domain()?;
    update(&state, &caller, &req, id, change).await
}

/// Replaces an item's fields.
#[utoipa::path(put, path = "/api/v1/items/{id}", tag = "items", operation_id = "replace_item",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Item id"),
        ("If-Match" = Option<String>, Header, description = "Only replace version N (`\"N\"`); else 412")),
    request_body = ItemRequest,
    responses(
        (status = 200, description = "Replaced; `ETag` set", body = ItemBody),
        problem_sets::JsonBody, problem_sets::Unauthenticated, problem_sets::IfMatchFailed, problem_sets::InvalidField, problem_sets::ItemNotFound, problem_sets::MalformedIdOrJson,
    ))]
pub async fn put(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let draft = json_body::<ItemRequest>(&req, &body)?.try_into_domain()?;
    update(&state, &caller, &req, id, ItemChange::from(draft)).await
}

/// Applies the change of a PATCH or PUT under the request's `If-Match`.
async fn update(
    state: &AppState,
    caller: &Authenticated,
    req: &HttpRequest,
    id: web::Path<uuid::Uuid>,
    change: ItemChange,
) -> Result<HttpResponse, ApiError> {
    let expected = if_match(req)?;
    let item = state
        .items
        .update(&caller.0, item_id(id), change, expected)
        .await?;
    Ok(ok_with_etag(item.version, &item))
}

/// Deletes an item.
#[utoipa::path(delete, path = "/api/v1/items/{id}", tag = "items", operation_id = "delete_item",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Item id"),
        ("If-Match" = Option<String>, Header, description = "Only delete version N (`\"N\"`); else 412")),
    responses(
        (status = 204, description = "Deleted"),
        problem_sets::Unauthenticated, problem_sets::MalformedId, problem_sets::IfMatchFailed, problem_sets::ItemNotFound,
    ))]
pub async fn delete(
    state: web::Data<AppState>,
    caller: Authenticated,
    req: HttpRequest,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .items
        .delete(&caller.0, item_id(id), if_match(&req)?)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
