//! What the routes of several resources share: body field parsing, list
//! parameters, ETags and conditional answers, idempotent creates.

pub mod etag;
pub mod fields;
pub mod idempotency;
pub mod list;
pub mod versioned;
