//! The one error type of snowtrack.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::text::{concat, int};
use core::fmt;

/// Everything that can go wrong in snowtrack, with the field it concerns where there is one.
///
/// Configuration and event-input errors surface to JavaScript as an `Error` whose message is this
/// type's `Display`. Storage and transport problems never reach the host page: the tracker
/// degrades (in-memory state, retry) instead.
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
    /// The browser refused a storage operation (cookies or localStorage).
    Storage(String),
    /// A request to the collector failed.
    Transport {
        /// The HTTP status, when a response was received.
        status: Option<u16>,
        /// What happened.
        message: String,
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
        match self {
            Error::Config { field, reason } => concat(&["snowtrack: invalid config `", field, "`: ", reason]),
            Error::Event { field, reason } => concat(&["snowtrack: invalid event `", field, "`: ", reason]),
            Error::Storage(message) => concat(&["snowtrack: storage: ", message]),
            Error::Transport { status: Some(status), message } => {
                concat(&["snowtrack: collector answered ", &int((*status).into()), ": ", message])
            }
            Error::Transport { status: None, message } => concat(&["snowtrack: request failed: ", message]),
        }
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
