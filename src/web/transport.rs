//! Sends one queued request with `fetch` (in `host.js`), aborted after `connectionTimeout`.
//! The body is assembled in JS from the events' JS strings ([`JsWire`]).

use crate::core::config::{Config, Method};
use crate::core::payload::PostBody;
use crate::core::queue::Request;
use crate::web::env::{JsWire, wire_array};
use crate::web::{host, timer};

/// What the collector answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// The HTTP status; `None` for a network error, a timeout or an aborted request.
    pub status: Option<u16>,
    /// `Retry-After`, in milliseconds from now.
    pub retry_after_ms: Option<u64>,
}

/// How requests are made, from the tracker's configuration (copied per request, where the
/// whole configuration would be cloned).
#[derive(Debug, Clone, Copy)]
pub struct SendOptions {
    /// `credentials`: `include`, `same-origin` or `omit`.
    pub credentials: &'static str,
    /// `fetch`'s `keepalive`, so the request can outlive the page.
    pub keepalive: bool,
    /// `connectionTimeout`, ms.
    pub timeout_ms: u32,
}

impl SendOptions {
    /// The options `config` asks for; `keepalive` also when the page is going away.
    pub fn of(config: &Config, page_going: bool) -> Self {
        SendOptions {
            credentials: match config.credentials.as_str() {
                "omit" => "omit",
                "same-origin" => "same-origin",
                _ => "include",
            },
            keepalive: page_going || config.keepalive,
            timeout_ms: config.connection_timeout_ms,
        }
    }
}

/// Performs `request` and calls `done` with the answer, once.
pub fn send(request: &Request<JsWire>, options: SendOptions, done: impl FnOnce(Answer) + 'static) {
    let done = timer::once(move || {
        let answer = js_sys::Array::from(&host::callback_arg());
        let status = answer.get(0).as_f64().unwrap_or(0.0) as u16;
        let retry_after_ms = answer.get(1).as_f64().unwrap_or(-1.0);
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
        options.credentials,
        options.keepalive,
        options.timeout_ms,
        &done,
    );
}
