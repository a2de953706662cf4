//! Routes: every path is one `web::resource`, so a wrong method answers
//! 405 with `Allow`.

pub mod account_mail;
pub mod agents;
pub mod auth;
pub mod browser;
pub mod chat;
pub mod commands;
pub mod console;
pub mod health;
pub mod items;
pub mod oauth;
pub mod support;
pub mod users;

use actix_web::{HttpResponse, http::header, web};

/// Registers every route of the API.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .service(web::resource("/auth/register").route(web::post().to(auth::register)))
            .service(web::resource("/auth/login").route(web::post().to(auth::login)))
            .service(web::resource("/auth/token").route(web::post().to(auth::token)))
            .service(web::resource("/auth/refresh").route(web::post().to(auth::refresh)))
            .service(web::resource("/auth/logout").route(web::post().to(auth::logout)))
            .service(web::resource("/auth/sessions").route(web::get().to(auth::sessions)))
            .service(
                web::resource("/auth/email/verify/request")
                    .route(web::post().to(account_mail::request_verification)),
            )
            .service(
                web::resource("/auth/email/verify")
                    .route(web::post().to(account_mail::verify_email)),
            )
            .service(
                web::resource("/auth/email/confirm")
                    .route(web::post().to(account_mail::confirm_email)),
            )
            .service(
                web::resource("/auth/password/forgot")
                    .route(web::post().to(account_mail::forgot_password)),
            )
            .service(
                web::resource("/auth/password/reset")
                    .route(web::post().to(account_mail::reset_password)),
            )
            .service(
                web::resource("/auth/sessions/{id}").route(web::delete().to(auth::revoke_session)),
            )
            .service(web::resource("/auth/providers").route(web::get().to(oauth::providers)))
            .service(
                web::resource("/auth/oauth/{provider}/authorize")
                    .route(web::get().to(oauth::authorize)),
            )
            .service(
                web::resource("/auth/oauth/{provider}/callback")
                    .route(web::get().to(oauth::callback)),
            )
            .service(
                web::resource("/users/me")
                    .route(web::get().to(users::me))
                    .route(web::patch().to(users::update_me))
                    .route(web::delete().to(users::delete_me)),
            )
            .service(web::resource("/users").route(web::get().to(users::list)))
            .service(
                web::resource("/items")
                    .route(web::get().to(items::list))
                    .route(web::post().to(items::create)),
            )
            .service(
                web::resource("/items/{id}")
                    .route(web::get().to(items::get))
                    .route(web::patch().to(items::patch))
                    .route(web::put().to(items::put))
                    .route(web::delete().to(items::delete)),
            )
            .service(
                web::resource("/agents")
                    .route(web::get().to(agents::list))
                    .route(web::post().to(agents::create)),
            )
            .service(
                web::resource("/agents/{id}")
                    .route(web::get().to(agents::get))
                    .route(web::patch().to(agents::patch))
                    .route(web::put().to(agents::put))
                    .route(web::delete().to(agents::delete)),
            )
            .service(
                web::resource("/agents/{id}/metadata")
                    .route(web::patch().to(agents::patch_metadata)),
            )
            .service(
                web::resource("/agents/{id}/token").route(web::post().to(agents::rotate_token)),
            )
            .service(web::resource("/chat/{name}/messages").route(web::post().to(chat::publish)))
            .service(web::resource("/stream").route(web::get().to(crate::realtime::stream::stream)))
            .configure(commands::configure)
            .service(web::resource("/users/{id}").route(web::patch().to(users::admin_update)))
            .service(
                web::resource("/users/{id}/sessions")
                    .route(web::delete().to(users::admin_revoke_sessions)),
            ),
    )
    .service(web::resource("/ws").route(web::get().to(crate::realtime::upgrade::ws)))
    .service(web::resource("/ws/agent").route(web::get().to(crate::realtime::agent::ws_agent)))
    .service(web::resource("/asyncapi.json").route(web::get().to(crate::asyncapi::serve)))
    .service(web::resource("/metrics").route(web::get().to(crate::metrics::scrape)))
    .service(web::resource("/health/live").route(web::get().to(health::live)))
    .service(web::resource("/health/ready").route(web::get().to(health::ready)))
    .service(web::resource("/docs").route(web::get().to(docs_redirect)))
    .configure(console::configure);
}

/// `/docs` → `/docs/`, where Swagger UI lives.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/docs/"))
        .finish()
}
