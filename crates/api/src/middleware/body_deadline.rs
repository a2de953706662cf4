//! A deadline on reading a request body. actix-http's
//! `client_request_timeout` covers only the request head: a client that
//! announces `Content-Length: 1000` and sends 8 bytes would hold its
//! connection (and a worker's attention) for as long as it likes. Every
//! request's payload is wrapped in a stream that fails once the body has
//! taken longer than [`ApiConfig::body_read_timeout`] from the first read;
//! the request then answers 408 `request_timeout` and its connection is
//! closed.

use crate::error::ApiError;
use crate::state::ApiConfig;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage, HttpResponse};
use futures_util::Stream;
use std::cell::Cell;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::Sleep;

/// Runs the request with its body under the configured deadline; a body
/// that did not arrive in time makes the answer a 408 that closes the
/// connection, whatever the handler made of the failed read.
///
/// # Errors
/// The inner service's.
pub async fn body_deadline(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let limit = req
        .app_data::<web::Data<ApiConfig>>()
        .map_or(ApiConfig::default().body_read_timeout, |config| {
            config.body_read_timeout
        });
    let expired = Rc::new(Cell::new(false));
    let payload = Deadline {
        inner: req.take_payload(),
        limit,
        sleep: None,
        expired: Rc::clone(&expired),
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(payload),
    });
    let result = next.call(req).await;
    if !expired.get() {
        return result.map(ServiceResponse::map_into_boxed_body);
    }
    let timeout = HttpResponse::from_error(ApiError::request_timeout(limit));
    match result {
        Ok(response) => Ok(ServiceResponse::new(response.request().clone(), timeout)),
        Err(_) => Err(ApiError::request_timeout(limit).into()),
    }
}

/// A payload that fails with a timeout once `limit` has passed since it
/// was first polled.
struct Deadline {
    inner: Payload,
    limit: Duration,
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Rc<Cell<bool>>,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.expired.get() {
            return Poll::Ready(None);
        }
        let limit = this.limit;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        if let Poll::Ready(chunk) = Pin::new(&mut this.inner).poll_next(cx) {
            return Poll::Ready(chunk);
        }
        if sleep.as_mut().poll(cx).is_ready() {
            this.expired.set(true);
            let late =
                std::io::Error::new(std::io::ErrorKind::TimedOut, "the body came too slowly");
            return Poll::Ready(Some(Err(PayloadError::Io(late))));
        }
        Poll::Pending
    }
}
