//! The stream's own event payloads (the others are the socket's frames
//! without their `type`), typed so that `/asyncapi.json` describes them.

use serde::Serialize;
use utoipa::ToSchema;

/// `data` of `event: resync_required`: the room's events since the given
/// position were lost to retention; reload over REST.
#[derive(Debug, Serialize, ToSchema)]
pub struct Resync<'a> {
    /// The room.
    pub room: &'a str,
}

/// `data` of `event: close`: the server ends the stream.
#[derive(Debug, Serialize, ToSchema)]
pub struct Closing<'a> {
    /// `unauthorized`, `slow_consumer` or `server shutting down`.
    pub reason: &'a str,
}

/// The names of the stream's events besides the socket's server frames
/// (`joined`, `message`, `presence`, and each logged or live event by its
/// own name).
pub const OWN_EVENTS: [&str; 2] = ["resync_required", "close"];
