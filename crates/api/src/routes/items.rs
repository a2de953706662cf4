//! `/api/v1/items`: CRUD with ETags, merge-patch, idempotent creates and
//! keyset lists.

use super::list::ListParams;
use crate::dto::{ItemBody, ItemPage};
use crate::error::ApiError;
use crate::etag::{etag, if_match, if_none_match};
use crate::extract::{Authenticated, json_object};
use crate::idempotency;
use crate::problem::Problem;
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use domain::FieldError;
use domain::model::{
    Attributes, AttributesChange, Description, Item, ItemChange, ItemDraft, ItemId, ItemName,
};
use domain::ports::StoredResponse;
use domain::services::{ITEM_SORTS, ItemListQuery};
use serde::{Deserialize, Deserializer};
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
        let name = ItemName::parse(&self.name);
        let description = self
            .description
            .as_deref()
            .map(Description::parse)
            .transpose();
        let attributes = match self.attributes {
            None | Some(Value::Null) => Ok(Attributes::default()),
            Some(value) => Attributes::parse(value, "attributes"),
        };
        match (name, description, attributes) {
            (Ok(name), Ok(description), Ok(attributes)) => Ok(ItemDraft {
                name,
                description,
                attributes,
            }),
            (n, d, a) => Err(ApiError::validation(
                [n.err(), d.err(), a.err()].into_iter().flatten().collect(),
            )),
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

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`).
pub(super) fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl ItemPatchRequest {
    fn try_into_domain(self) -> Result<ItemChange, ApiError> {
        let mut errors = Vec::new();
        let name = match self.name {
            None => None,
            Some(None) => keep(
                &mut errors,
                Err(FieldError::new("name", "must not be null")),
            ),
            Some(Some(raw)) => keep(&mut errors, ItemName::parse(&raw)),
        };
        let description = match self.description {
            None => None,
            Some(None) => Some(None),
            Some(Some(raw)) => keep(&mut errors, Description::parse(&raw).map(Some)),
        };
        let attributes = match self.attributes {
            None => AttributesChange::Keep,
            Some(None) => AttributesChange::Replace(Attributes::default()),
            Some(Some(Value::Object(patch))) => AttributesChange::Merge(patch),
            Some(Some(_)) => {
                errors.push(FieldError::new(
                    "attributes",
                    "must be a JSON object or null",
                ));
                AttributesChange::Keep
            }
        };
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

/// The value of `result`, or `None` with its error collected.
pub(super) fn keep<T>(errors: &mut Vec<FieldError>, result: Result<T, FieldError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}

pub(super) fn json_body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    body: &[u8],
) -> Result<T, ApiError> {
    if !crate::extract::is_json_content(req) {
        return Err(ApiError::unsupported_media_type("application/json"));
    }
    json_object(body)
}

fn item_response(status: actix_web::http::StatusCode, item: Item) -> HttpResponse {
    let tag = etag(item.version);
    HttpResponse::build(status)
        .insert_header((header::ETAG, tag))
        .json(ItemBody::from(item))
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
    let user = caller.0.user_id;
    idempotency::run(
        &state.idempotency,
        user,
        "POST /api/v1/items",
        key,
        &body,
        || async {
            let draft = json_body::<ItemRequest>(&req, &body)?.try_into_domain()?;
            let item = state.items.create(&caller.0, draft).await?;
            let headers = vec![
                (
                    header::LOCATION.to_string(),
                    format!("/api/v1/items/{}", item.id),
                ),
                (header::ETAG.to_string(), etag(item.version)),
                (
                    header::CONTENT_TYPE.to_string(),
                    "application/json".to_owned(),
                ),
            ];
            let body =
                serde_json::to_vec(&ItemBody::from(item)).map_err(|e| ApiError::internal(&e))?;
            Ok(StoredResponse {
                status: 201,
                headers,
                body,
                secret: false,
            })
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
        q: list.q,
        sort: list.sort,
        limit: list.limit,
        after: list.after,
    };
    let page = state.items.list(&caller.0, query).await?;
    Ok(HttpResponse::Ok().json(ItemPage {
        data: page.data.into_iter().map(ItemBody::from).collect(),
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
    if if_none_match(&req, item.version)? {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag(item.version)))
            .finish());
    }
    Ok(item_response(actix_web::http::StatusCode::OK, item))
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
    let item = state
        .items
        .update(&caller.0, item_id(id), change, if_match(&req)?)
        .await?;
    Ok(item_response(actix_web::http::StatusCode::OK, item))
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
    let item = state
        .items
        .update(
            &caller.0,
            item_id(id),
            ItemChange::from(draft),
            if_match(&req)?,
        )
        .await?;
    Ok(item_response(actix_web::http::StatusCode::OK, item))
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
