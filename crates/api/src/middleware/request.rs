//! The outermost middleware: request id, the request span and its log
//! line, security headers, and problem+json bodies for every error.

use super::{RequestId, SecurityHeaders};
use crate::error::ApiError;
use crate::middleware::draining::Draining;
use crate::problem::{PROBLEM_JSON, Problem};
use crate::state::{ApiConfig, AppState};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ResponseHead, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{ConnectionType, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage, HttpResponse, HttpResponseBuilder, ResponseError, web};
use std::fmt;
use std::time::Instant;
use tracing::{Instrument, field};

/// The response header carrying the request id.
pub const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Gives the request an id, runs it inside a span with id, method, route
/// template, status, latency and user, logs one line when it ends, sets the
/// security headers and writes the problem document of any 4xx/5xx.
///
/// # Errors
/// An inner error comes back as a [`RenderedError`], whose response is the
/// full problem document.
pub async fn request_context(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let started = Instant::now();
    let request_id = RequestId::from_header(req.headers().get(&X_REQUEST_ID));
    let draining = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.draining.clone());
    let _in_flight = draining.as_ref().map(Draining::begin);
    let config = req.app_data::<web::Data<ApiConfig>>();
    let hsts = config.is_some_and(|config| config.production);
    let traced = config.is_some_and(|config| config.export_traces);
    let security = SecurityHeaders::for_path(req.path(), hsts);
    req.extensions_mut().insert(request_id.clone());
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %request_id,
        method = %req.method(),
        route = field::Empty,
        status = field::Empty,
        latency_ms = field::Empty,
        user_id = field::Empty,
        otel.name = field::Empty,
        otel.kind = field::Empty,
    );
    if traced {
        super::adopt_caller_trace(&span, &req);
    }
    let result = next
        .call(req)
        .instrument(span.clone())
        .await
        .map(ServiceResponse::map_into_boxed_body);
    let (status, route, outcome) = match result {
        Ok(mut response) => {
            let status = response.status();
            if status.is_client_error() || status.is_server_error() {
                response = with_problem_body(response, &request_id);
            }
            finish_headers(response.headers_mut(), &request_id, security);
            if draining.as_ref().is_some_and(Draining::is_draining)
                && status != StatusCode::SWITCHING_PROTOCOLS
            {
                let head = response.response_mut().head_mut();
                head.set_connection_type(ConnectionType::Close);
            }
            let route = response.request().match_pattern();
            (status, route, Ok(response))
        }
        Err(error) => {
            let status = error.as_response_error().status_code();
            let rendered = RenderedError {
                error,
                request_id: request_id.clone(),
                security,
            };
            (status, None, Err(rendered.into()))
        }
    };
    let route = route.as_deref().unwrap_or("<unmatched>");
    crate::metrics::request_finished(method.as_str(), route, status.as_u16(), started.elapsed());
    span.record("route", route);
    span.record("status", status.as_u16());
    span.record("latency_ms", started.elapsed().as_secs_f64() * 1000.0);
    span.in_scope(|| {
        if status.is_server_error() {
            tracing::error!("request finished");
        } else {
            tracing::info!("request finished");
        }
    });
    outcome
}

fn finish_headers(
    headers: &mut header::HeaderMap,
    request_id: &RequestId,
    security: SecurityHeaders,
) {
    if let Ok(value) = HeaderValue::from_str(request_id.as_str()) {
        headers.insert(X_REQUEST_ID, value);
    }
    security.apply(headers);
    crate::middleware::cors::strip_without_origin(headers);
}

/// The problem document for an error response.
fn problem_for(status: StatusCode, error: Option<&Error>, request_id: &RequestId) -> Problem {
    match error {
        Some(error) => match error.as_error::<ApiError>() {
            Some(api_error) => Problem::from_api_error(api_error, request_id.as_str()),
            None if status.is_server_error() => {
                tracing::error!(cause = %error, "request failed unexpectedly");
                Problem::from_status(status, None, request_id.as_str())
            }
            None => Problem::from_status(status, Some(error.to_string()), request_id.as_str()),
        },
        None => Problem::from_status(status, default_detail(status), request_id.as_str()),
    }
}

/// Replaces the body of an error response with its problem document,
/// keeping the status and headers (such as `Allow` on a 405).
fn with_problem_body(
    response: ServiceResponse<BoxBody>,
    request_id: &RequestId,
) -> ServiceResponse<BoxBody> {
    let status = response.status();
    let (request, original) = response.into_parts();
    let problem = problem_for(status, original.error(), request_id);
    let mut replacement = HttpResponse::build(status);
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            replacement.append_header((name.clone(), value.clone()));
        }
    }
    keep_close(&mut replacement, original.head());
    ServiceResponse::new(
        request,
        replacement
            .content_type(PROBLEM_JSON)
            .body(problem_body(&problem)),
    )
}

/// Carries over an error's demand to close the connection (a 408).
fn keep_close(replacement: &mut HttpResponseBuilder, original: &ResponseHead) {
    if original.connection_type() == ConnectionType::Close {
        replacement.force_close();
    }
}

fn problem_body(problem: &Problem) -> Vec<u8> {
    serde_json::to_vec(problem).unwrap_or_default()
}

fn default_detail(status: StatusCode) -> Option<String> {
    let text = match status.as_u16() {
        404 => "no resource at this path",
        429 => "too many requests; retry after the number of seconds in Retry-After",
        405 => "this path does not accept this method; see the Allow header",
        _ => return None,
    };
    Some(text.to_owned())
}

/// An error that escaped the services as `Err` (not as a response): it
/// renders as the same problem document, with request id and security
/// headers.
pub struct RenderedError {
    error: Error,
    request_id: RequestId,
    security: SecurityHeaders,
}

impl fmt::Debug for RenderedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.error)
    }
}

impl fmt::Display for RenderedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.error)
    }
}

impl ResponseError for RenderedError {
    fn status_code(&self) -> StatusCode {
        self.error.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let inner = self.error.error_response();
        let problem = problem_for(status, Some(&self.error), &self.request_id);
        let mut response = HttpResponse::build(status);
        for (name, value) in inner.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                response.append_header((name.clone(), value.clone()));
            }
        }
        keep_close(&mut response, inner.head());
        let mut response = response
            .content_type(PROBLEM_JSON)
            .body(problem_body(&problem));
        finish_headers(response.headers_mut(), &self.request_id, self.security);
        response
    }
}
