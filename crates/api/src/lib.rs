//! The actix-web application of backend-api: routes → handlers → domain
//! services, with problem+json errors, request ids and the OpenAPI
//! description. It names no database type.

pub mod asyncapi;
pub mod dto;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod realtime;
pub mod routes;
pub mod state;

pub use error::ApiError;
pub use state::{ApiConfig, AppState, DependencyCheck};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, web};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// What [`build_app`]'s `App` is made of: the service factory an HTTP
/// server (and [`realtime::takeover::upgrades`]) instantiates per worker.
pub trait AppFactory:
    ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    > + 'static
{
}

impl<T> AppFactory for T where
    T: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<BoxBody>,
            Error = actix_web::Error,
            InitError = (),
        > + 'static
{
}

/// Builds the application: state, body limits, error handling, routes,
/// `/openapi.json` and Swagger UI at `/docs`.
pub fn build_app(
    state: AppState,
    config: ApiConfig,
    realtime: realtime::Realtime,
) -> App<impl AppFactory> {
    let limit = config.max_body_bytes;
    let cors = middleware::cors::cors(&config.cors_origins);
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(realtime))
        .app_data(web::Data::new(config))
        .app_data(extract::json_config(limit))
        .app_data(extract::form_config(limit))
        .app_data(extract::query_config())
        .app_data(extract::path_config())
        .app_data(extract::payload_config(limit))
        .configure(routes::configure)
        .service(
            SwaggerUi::new("/docs/{_:.*}")
                .url("/openapi.json", openapi::ApiDoc::openapi())
                .config(openapi::swagger_config()),
        )
        .wrap(actix_web::middleware::from_fn(middleware::body_deadline))
        .wrap(actix_web::middleware::from_fn(middleware::rate_limit))
        .wrap(cors)
        .wrap(actix_web::middleware::from_fn(middleware::request_context))
}
