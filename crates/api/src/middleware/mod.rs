//! Middleware of the application.

mod body_deadline;
pub mod cors;
pub mod draining;
pub mod json_depth;
mod limits;
pub mod rate_limit;
mod request;
mod request_id;
mod security_headers;
mod trace_context;

pub use body_deadline::body_deadline;
pub use limits::rate_limit;
pub use request::{RenderedError, request_context};
pub use request_id::RequestId;
pub use security_headers::SecurityHeaders;
pub use trace_context::{adopt_caller_trace, exports_traces, link_to_request};
