//! Sends one queued request with `fetch` (in `host.js`), aborted after `connectionTimeout`.

use crate::core::config::{Config, Method};
use crate::core::queue::Request;
use crate::web::host;
use wasm_bindgen::prelude::*;

/// What the collector answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// The HTTP status; `None` for a network error, a timeout or an aborted request.
    pub status: Option<u16>,
    /// `Retry-After`, in milliseconds from now.
    pub retry_after_ms: Option<u64>,
}

/// Performs `request` (with `keepalive` so it can outlive the page when asked) and calls
/// `done` with the answer, once.
pub fn send(request: &Request, config: &Config, keepalive: bool, done: impl FnOnce(Answer) + 'static) {
    let body = request.body.as_deref().filter(|_| request.method == Method::Post);
    let done = Closure::once_into_js(move |status: u16, retry_after_ms: f64| {
        done(Answer {
            status: (status != 0).then_some(status),
            retry_after_ms: (retry_after_ms >= 0.0).then_some(retry_after_ms as u64),
        })
    });
    host::send(
        &request.url,
        body,
        match config.credentials.as_str() {
            "omit" => "omit",
            "same-origin" => "same-origin",
            _ => "include",
        },
        keepalive || config.keepalive,
        config.connection_timeout_ms,
        &done,
    );
}
