//! `/api/v1/items`: CRUD with ETags, merge-patch, idempotent creates and
//! keyset lists.

use super::fields::{
    description, description_change, keep, name_change, object_change, object_or_empty, present,
};
use super::list::ListParams;
use super::versioned::{Secrecy, created, ok_unless_not_modified, ok_with_etag};
use crate::dto::{ItemBody, ItemPage};
use crate::error::ApiError;
use crate::etag::if_match;
use crate::extract::{Authenticated, json_body};
use crate::idempotency;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::model::{ItemChange, ItemDraft, ItemId, ItemName};
use domain::services::{ITEM_SORTS, ItemListQuery};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Body of `POST /items` and `PUT /items/{id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemRequest {
    /// 1–200 characters after trimming, no control characters.
    #[schema(example = "Desk lamp")]
    pub name: String,
    /// At most 10,000 characters.
    pub description: Option<String>,
    /// A JSON object: at most 65,536 bytes compact, depth at most 16.
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<Value>,
}

impl ItemRequest {
    fn try_into_domain(self) -> Result<ItemDraft, ApiError> {
        let mut errors = Vec::new();
        let name = keep(&mut errors, ItemName::parse(&self.name));
        let description = keep(&mut errors, description(self.description.as_deref()));
        let attributes = keep(&mut errors, object_or_empty(self.attributes, "attributes"));
        match (name, description, attributes) {
            (Some(name), Some(description), Some(attributes)) => Ok(ItemDraft {
                name,
                description,
                attributes,
            }),
            _ => Err(ApiError::validation(errors)),
        }
    }
}

/// Body of `PATCH /items/{id}` (`application/merge-patch+json` or
/// `application/json`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemPatchRequest {
    /// New name; may be left out, but `null` is refused (422).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = String)]
    pub name: Option<Option<String>>,
    /// New description; `null` clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    /// Merged into the current attributes (RFC 7396); `null` resets to `{}`.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Object>, nullable)]
    pub attributes: Option<Option<Value>>,
}

impl ItemPatchRequest {
    fn try_into_domain(self) -> Result<ItemChange, ApiError> {
        let mut errors = Vec::new();
        let name = name_change(&mut errors, self.name);
        let description = description_change(&mut errors, self.description);
        let attributes = object_change(&mut errors, self.attributes, "attributes");
        if errors.is_empty() {
            Ok(ItemChange {
                name,
                description,
                attributes,
            })
        } else {
            Err(ApiError::validation(errors))
        }
    }
}

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
        (status = 400, description = "Malformed JSON or Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The first request with this key is still running", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field, or `idempotency_key_reused`", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "Bad query parameter or cursor", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item of the caller", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "Malformed id or JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field or merged result", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "Malformed id or JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid field", body = Problem, content_type = "application/problem+json"),
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
        (status = 400, description = "Malformed id", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such item of the caller", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "If-Match does not match", body = Problem, content_type = "application/problem+json"),
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
