//! Property tests of the domain's parsers and JSON operations against
//! reference models: merge patch (RFC 7396), metadata JSON Patch
//! (RFC 6902) and keyset cursors.

mod cursor;
mod json_patch;
mod merge_patch;
