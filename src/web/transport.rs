//! Performs one of delivery's requests with `fetch` (in `host.js`), aborted after its timeout.
//! The POST body is assembled in JS from the events' JS strings ([`JsWire`]).

use crate::engine::delivery::{Answer, Request, retry_after_ms};
use crate::engine::payload::{Method, PostBody};
use crate::prelude::*;
use crate::web::lazy_global::keys;
use crate::web::wire::{JsWire, wire_array};
use crate::web::{host, timer};
use wasm_bindgen::JsValue;

keys! {
    STATUS = "status",
    RETRY_AFTER = "retryAfter",
    RETRY_AT = "retryAt",
}

/// A request's answer as the browser gave it.
#[derive(Debug)]
pub struct RawAnswer {
    /// The status; `None` for a network error, a timeout or an abort.
    pub status: Option<u16>,
    /// The `Retry-After` header, as sent.
    pub retry_after: Option<String>,
    /// The browser's reading of it as a date (`Date.parse`), epoch ms.
    pub retry_at: Option<i64>,
}

impl RawAnswer {
    /// The answer for delivery at `now_ms` (the core reads `Retry-After`).
    pub fn read(&self, now_ms: i64) -> Answer {
        Answer {
            status: self.status,
            retry_after_ms: retry_after_ms(self.retry_after.as_deref(), self.retry_at, now_ms),
        }
    }
}

/// Performs `request` (with the page's `customHeaders`, a JS object or `undefined`) and calls
/// `done` with the answer, once.
pub fn send(request: &Request<JsWire>, headers: &JsValue, done: impl FnOnce(RawAnswer) + 'static) {
    let done = timer::once(move || {
        let answer = host::callback_arg();
        let status = host::number(&answer, &STATUS) as u16;
        let retry_after = host::property(&answer, RETRY_AFTER.js()).ok().and_then(|v| v.as_string());
        let retry_at = host::number(&answer, &RETRY_AT);
        let retry_at = retry_at.is_finite().then_some(retry_at as i64);
        done(RawAnswer { status: (status != 0).then_some(status), retry_after, retry_at })
    });
    let body = (request.method == Method::Post).then(|| PostBody::new(request.stm_ms));
    host::send(
        &request.url,
        &wire_array(&request.wires),
        body.as_ref().map(|b| b.head.as_str()),
        body.as_ref().map_or("", |b| b.stm.as_str()),
        PostBody::TAIL,
        request.credentials.as_str(),
        request.keepalive,
        request.timeout_ms,
        headers,
        request.anonymous,
        &done,
    );
}
