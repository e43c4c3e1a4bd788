//! The hand-written utilities that stay in the module instead of a crate, each for a measured
//! reason (the README's "Dependencies" table) and each checked against the crate it replaces by
//! the property tests in `tests/properties.rs`: string building and number formatting
//! ([`text`]), the JSON writer ([`json`]) and reader ([`json_value`]), base64url ([`base64`]), SHA-1 for the cookie-name hash
//! ([`sha1`]), the two JS date formats ([`time`]) and the URI component codec ([`uri`]). Nothing
//! here knows about Snowplow.

pub mod base64;
pub mod json;
pub mod json_value;
pub mod sha1;
pub mod text;
pub mod time;
pub mod uri;
