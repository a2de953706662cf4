//! The bare baseline: `GET /api/v1/items/{id}` with the same work as the
//! real server's handler and none of its layers (no middleware, no
//! problem+json, no domain types, no ORM):
//!
//! 1. verify the HS256 access token (jsonwebtoken, `exp` required, no
//!    leeway), as `infra::jwt` does;
//! 2. the session check, the one indexed query of `infra`'s
//!    `queries::principal` (sessions JOIN users by session id: live, not
//!    expired, user enabled), and the token's `sub` must be its user;
//! 3. the item select of `infra`'s `item_sql::select`, scoped to the owner
//!    (every item for an admin);
//! 4. the item as JSON (RFC 3339 timestamps) with its `ETag`.
//!
//! Configured by `APP_ADDR`, `DATABASE_URL`, `DATABASE_MAX_CONNECTIONS` and
//! `JWT_SECRET`, like the real server; actix-web's default worker count
//! (one per core), like the real server.

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, http::header, web};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::{SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use uuid::Uuid;

struct State {
    pool: PgPool,
    key: DecodingKey,
    validation: Validation,
}

#[derive(Deserialize)]
struct Claims {
    sub: Uuid,
    sid: Uuid,
}

#[derive(Serialize)]
struct ItemBody {
    id: Uuid,
    owner_id: Uuid,
    name: String,
    description: Option<String>,
    attributes: serde_json::Value,
    version: i64,
    created_at: String,
    updated_at: String,
}

type ItemRow = (
    Uuid,
    Uuid,
    String,
    Option<String>,
    serde_json::Value,
    i64,
    i64,
    i64,
);

/// The columns `infra`'s item reads return.
macro_rules! item_select {
    () => {
        "SELECT id, owner_id, name, description, attributes, version, created_at, updated_at FROM items"
    };
}

fn now_micros() -> i64 {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

fn rfc3339(micros: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn status(code: actix_web::http::StatusCode) -> HttpResponse {
    HttpResponse::build(code).finish()
}

async fn get_item(
    state: web::Data<State>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    use actix_web::http::StatusCode;
    let Some(token) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
    else {
        return status(StatusCode::UNAUTHORIZED);
    };
    let Ok(token) = jsonwebtoken::decode::<Claims>(token, &state.key, &state.validation) else {
        return status(StatusCode::UNAUTHORIZED);
    };
    let claims = token.claims;
    let principal: Result<Option<(Uuid, String)>, _> = sqlx::query_as(
        "SELECT sessions.user_id, users.role FROM sessions \
         INNER JOIN users ON users.id = sessions.user_id \
         WHERE sessions.id = $1 AND sessions.revoked_at IS NULL \
         AND sessions.expires_at > $2 AND users.disabled = $3",
    )
    .bind(claims.sid)
    .bind(now_micros())
    .bind(false)
    .fetch_optional(&state.pool)
    .await;
    let (user_id, role) = match principal {
        Ok(Some(row)) if row.0 == claims.sub => row,
        Ok(_) => return status(StatusCode::UNAUTHORIZED),
        Err(_) => return status(StatusCode::INTERNAL_SERVER_ERROR),
    };
    let Ok(id) = Uuid::parse_str(&id) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let row: Result<Option<ItemRow>, _> = if role == "admin" {
        sqlx::query_as(concat!(item_select!(), " WHERE id = $1"))
            .bind(id)
            .fetch_optional(&state.pool)
            .await
    } else {
        sqlx::query_as(concat!(item_select!(), " WHERE id = $1 AND owner_id = $2"))
            .bind(id)
            .bind(user_id)
            .fetch_optional(&state.pool)
            .await
    };
    match row {
        Ok(Some((id, owner_id, name, description, attributes, version, created, updated))) => {
            HttpResponse::Ok()
                .insert_header((header::ETAG, format!("\"{version}\"")))
                .json(ItemBody {
                    id,
                    owner_id,
                    name,
                    description,
                    attributes,
                    version,
                    created_at: rfc3339(created),
                    updated_at: rfc3339(updated),
                })
        }
        Ok(None) => status(StatusCode::NOT_FOUND),
        Err(_) => status(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

fn env(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let url = env(
        "DATABASE_URL",
        "postgres://postgres@127.0.0.1:5432/postgres",
    );
    let max: u32 = env("DATABASE_MAX_CONNECTIONS", "16").parse().unwrap_or(16);
    let secret = std::env::var("JWT_SECRET").expect("JWT_SECRET must be set");
    let pool = PgPoolOptions::new()
        .max_connections(max)
        .test_before_acquire(false)
        .connect(&url)
        .await
        .map_err(std::io::Error::other)?;
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = 0;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp"]);
    let state = web::Data::new(State {
        pool,
        key: DecodingKey::from_secret(secret.as_bytes()),
        validation,
    });
    let addr = env("APP_ADDR", "127.0.0.1:8090");
    println!("bare baseline listening on {addr}");
    HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/api/v1/items/{id}", web::get().to(get_item))
    })
    .bind(addr)?
    .run()
    .await
}
