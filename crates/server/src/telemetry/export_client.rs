//! The OTLP exporter's HTTP client: the workspace's reqwest (rustls with
//! ring), blocking. The batch span processor exports from its own thread,
//! so blocking there is right and no async runtime is involved.

use super::TelemetryError;
use opentelemetry_http::{Bytes, HttpClient, HttpError, Request, Response};
use std::io::Read;
use std::time::Duration;

/// Most of a collector's answer that is read (it is a small status).
const MAX_RESPONSE_BYTES: u64 = 1024 * 1024;

/// A blocking reqwest client as the exporter's [`HttpClient`].
#[derive(Debug)]
pub(super) struct BlockingClient(reqwest::blocking::Client);

impl BlockingClient {
    /// A client whose requests give up after `timeout`.
    ///
    /// # Errors
    /// When reqwest can't build it (no TLS backend).
    pub(super) fn new(timeout: Duration) -> Result<Self, TelemetryError> {
        // reqwest's blocking client refuses to be built inside an async
        // runtime; building it on a thread of its own works from anywhere.
        let build = || {
            reqwest::blocking::Client::builder()
                .timeout(timeout)
                .build()
        };
        std::thread::scope(|scope| scope.spawn(build).join())
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .map(Self)
            .map_err(TelemetryError::HttpClient)
    }
}

#[async_trait::async_trait]
impl HttpClient for BlockingClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::blocking::Request::try_from(request)?;
        let response = self.0.execute(request)?;
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        response.take(MAX_RESPONSE_BYTES).read_to_end(&mut body)?;
        let mut answer = Response::builder().status(status).body(Bytes::from(body))?;
        *answer.headers_mut() = headers;
        Ok(answer)
    }
}
