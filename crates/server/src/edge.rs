//! The answers actix-http writes by itself. A request line it can't parse
//! (400), a head over its buffer (431) or a head that doesn't arrive in
//! time (408) is answered by the HTTP/1 dispatcher before any service
//! sees a request, with no body, no security headers and no request id.
//! [`Edge`] wraps each connection's socket and replaces such a response,
//! as it is written, with the API's own: a problem document with
//! `X-Request-Id` and the security headers, closing the connection (the
//! dispatcher closes it after these answers anyway).
//!
//! Only a response head that starts a write, carries one of those
//! statuses, says `content-length: 0` and has no `x-request-id` is
//! replaced: every response of the application has a request id, so none
//! of them is touched.

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use api::middleware::{RequestId, SecurityHeaders};
use api::problem::{PROBLEM_JSON, Problem};
use std::fmt::Write as _;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection's socket whose dispatcher-made error answers are
/// rewritten (see the module documentation).
pub struct Edge<T> {
    inner: T,
    hsts: bool,
    /// A replacement still to be written, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<T> Edge<T> {
    /// Wraps `inner`; `hsts` adds `Strict-Transport-Security` (production).
    pub fn new(inner: T, hsts: bool) -> Self {
        Self {
            inner,
            hsts,
            pending: Vec::new(),
            written: 0,
        }
    }

    /// The socket itself (for a connection upgraded to a WebSocket).
    pub fn into_inner(self) -> T {
        self.inner
    }
}

impl<T: AsyncWrite + Unpin> Edge<T> {
    /// Writes what is left of a replacement; ready when nothing is.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n =
                ready!(Pin::new(&mut self.inner).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Edge<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Edge<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        if let Some((status, head_len)) = dispatcher_error(buf) {
            this.pending = replacement(status, this.hsts);
            // The original head is taken whole; its replacement goes out
            // now and on later calls.
            match this.drain(cx) {
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Ready(Ok(())) | Poll::Pending => return Poll::Ready(Ok(head_len)),
            }
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// The status and head length of a dispatcher-made error response at the
/// start of `buf`.
fn dispatcher_error(buf: &[u8]) -> Option<(StatusCode, usize)> {
    let status = [
        (b"HTTP/1.1 400 ".as_slice(), StatusCode::BAD_REQUEST),
        (b"HTTP/1.1 408 ".as_slice(), StatusCode::REQUEST_TIMEOUT),
        (
            b"HTTP/1.1 431 ".as_slice(),
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ),
    ]
    .into_iter()
    .find_map(|(line, status)| buf.starts_with(line).then_some(status))?;
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    (head.contains("\r\ncontent-length: 0\r\n") && !head.contains("\r\nx-request-id:"))
        .then_some((status, end))
}

/// The API's answer for `status`: a problem document with a new request
/// id and the security headers, closing the connection.
fn replacement(status: StatusCode, hsts: bool) -> Vec<u8> {
    let request_id = RequestId::from_header(None);
    let detail = match status {
        StatusCode::REQUEST_TIMEOUT => "the request head did not arrive in time",
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE => "the request head is too large",
        _ => "the request is not valid HTTP/1.1",
    };
    let problem = Problem::from_status(status, Some(detail.to_owned()), request_id.as_str());
    let body = serde_json::to_vec(&problem).unwrap_or_default();
    let mut headers = HeaderMap::new();
    SecurityHeaders::for_path("", hsts).apply(&mut headers);
    let mut out = format!(
        "HTTP/1.1 {} {}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {}\r\nconnection: close\r\nx-request-id: {request_id}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("Error"),
        body.len(),
    );
    for (name, value) in &headers {
        // Writing to a String can't fail.
        let _ = write!(out, "{name}: {}\r\n", value.to_str().unwrap_or_default());
    }
    out.push_str("\r\n");
    let mut out = out.into_bytes();
    out.extend_from_slice(&body);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_dispatcher_answers_are_recognized() {
        let bare = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        assert_eq!(
            dispatcher_error(bare),
            Some((StatusCode::BAD_REQUEST, bare.len()))
        );
        let app = b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nx-request-id: a\r\n\r\n";
        assert_eq!(dispatcher_error(app), None);
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n";
        assert_eq!(dispatcher_error(ok), None);
        let text =
            String::from_utf8(replacement(StatusCode::REQUEST_TIMEOUT, false)).unwrap_or_default();
        assert!(
            text.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{text}"
        );
        assert!(
            text.contains("x-content-type-options: nosniff\r\n"),
            "{text}"
        );
    }
}
