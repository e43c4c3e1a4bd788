//! Sends one queued request with `fetch` (in `host.js`), aborted after `connectionTimeout`.
//! The body is assembled in JS from the events' JS strings ([`JsWire`]).

use crate::core::config::{Config, Method};
use crate::core::payload::PostBody;
use crate::core::queue::Request;
use crate::web::env::{JsWire, wire_array};
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
pub fn send(
    request: &Request<JsWire>,
    config: &Config,
    keepalive: bool,
    done: impl FnOnce(Answer) + 'static,
) {
    let done = Closure::once_into_js(move |status: u16, retry_after_ms: f64| {
        done(Answer {
            status: (status != 0).then_some(status),
            retry_after_ms: (retry_after_ms >= 0.0).then_some(retry_after_ms as u64),
        })
    });
    let body = (request.method == Method::Post).then(|| PostBody::new(request.stm_ms));
    host::send(
        &request.url,
        &wire_array(&request.wires),
        body.as_ref().map(|b| b.head.as_str()),
        body.as_ref().map_or("", |b| b.stm.as_str()),
        PostBody::TAIL,
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
