//! Performs one of delivery's requests with `fetch` (in `host.js`), aborted after its timeout.
//! The POST body is assembled in JS from the events' JS strings ([`JsWire`]).

use crate::core::delivery::{Answer, Request};
use crate::core::payload::{Method, PostBody};
use crate::web::page_local::keys;
use crate::web::wire::{JsWire, wire_array};
use crate::web::{host, timer};
use wasm_bindgen::JsValue;

keys! {
    STATUS = "status",
    RETRY_AFTER_MS = "retryAfterMs",
}

/// Performs `request` (with the page's `customHeaders`, a JS object or `undefined`) and calls
/// `done` with the answer, once.
pub fn send(request: &Request<JsWire>, headers: &JsValue, done: impl FnOnce(Answer) + 'static) {
    let done = timer::once(move || {
        let answer = host::callback_arg();
        let status = host::number(&answer, &STATUS) as u16;
        let retry_after_ms = host::number(&answer, &RETRY_AFTER_MS);
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
        request.credentials.as_str(),
        request.keepalive,
        request.timeout_ms,
        headers,
        request.anonymous,
        &done,
    );
}
