//! Middleware of the application.

mod request;
mod request_id;
mod security_headers;

pub use request::{RenderedError, request_context};
pub use request_id::RequestId;
pub use security_headers::SecurityHeaders;
