//! The one error type of snowtrack.

#[allow(unused_imports)]
use crate::prelude::*;

use core::fmt;

/// What a caller can get wrong: a tracker option or a track call's input, with the field it
/// concerns.
///
/// Both surface to JavaScript as an `Error` whose message is this type's `Display`. Nothing
/// else is an error: storage that refuses and collectors that fail never reach the page (the
/// tracker keeps state in memory and retries; delivery reports failures through
/// [`crate::engine::delivery::Report`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A tracker option (or the collector URL) has the wrong type or an unusable value.
    Config {
        /// The option's name, as JavaScript spells it (`appId`, `cookieLifetime`, ...).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Event input (a schema, data, an entity) is not what the tracker protocol allows.
    Event {
        /// The offending field (`event.schema`, `context[1].data`, `category`, ...).
        field: String,
        /// What is wrong with it.
        reason: String,
    },
}

impl Error {
    /// A configuration error for `field`.
    pub fn config(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Config { field: field.into(), reason: reason.into() }
    }

    /// An event-input error for `field`.
    pub fn event(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Event { field: field.into(), reason: reason.into() }
    }
}

impl Error {
    /// The message a JavaScript `Error` carries (also this type's `Display`), built without
    /// `core::fmt`, which the wasm module does not link.
    pub fn message(&self) -> String {
        let (kind, field, reason) = match self {
            Error::Config { field, reason } => ("config", field, reason),
            Error::Event { field, reason } => ("event", field, reason),
        };
        let mut out = String::from("snowtrack: invalid ");
        for part in [kind, " `", field, "`: ", reason] {
            out.push_str(part);
        }
        out
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

/// Shorthand for results whose error is [`Error`].
pub type Result<T> = core::result::Result<T, Error>;
