//! Performs one of delivery's requests with `fetch` (in `host.js`), aborted after its timeout.
//! The POST body is assembled in JS from the events' JS strings ([`JsWire`]).

use crate::engine::delivery::{Answer, Request, retry_after_ms};
use crate::engine::payload::{Method, PostBody};
use crate::engine::util::json::ObjectWriter;
use crate::prelude::*;
use crate::web::lazy_global::keys;
use crate::web::wire::{JsWire, wire_array};
use crate::web::{host, timer};

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

/// `request` as the data `host.js`'s `send` takes: `{url, init, body, timeoutMs}`, where `init`
/// is `fetch`'s (method, mode, credentials, keepalive and the headers: `custom_headers`,
/// `SP-Anonymous` for an anonymous request, the JSON content type of a POST) and `body` (POST
/// only) the pieces the body is assembled from around the events' JS strings: `head`, each
/// event followed by `stm` and joined by commas, then `tail`. A GET goes to `url` followed by its
/// one event's query.
pub fn request_json(request: &Request<JsWire>, custom_headers: &[(String, String)]) -> String {
    let post = request.method == Method::Post;
    let mut headers = ObjectWriter::new();
    for (name, value) in custom_headers {
        headers.string(name, value);
    }
    if request.anonymous {
        headers.string("SP-Anonymous", "*");
    }
    if post {
        headers.string("Content-Type", "application/json; charset=UTF-8");
    }
    let mut init = ObjectWriter::new();
    init.string("method", if post { "POST" } else { "GET" })
        .string("mode", "cors")
        .string("credentials", request.credentials.as_str())
        .raw("keepalive", if request.keepalive { "true" } else { "false" });
    if post || request.anonymous || !custom_headers.is_empty() {
        init.raw("headers", &headers.finish());
    }
    let mut out = ObjectWriter::with_capacity(256);
    out.string("url", &request.url)
        .raw("init", &init.finish())
        .number("timeoutMs", request.timeout_ms.into());
    if post {
        let body = PostBody::new(request.stm_ms);
        let mut pieces = ObjectWriter::new();
        pieces.string("head", &body.head).string("stm", &body.stm).string("tail", PostBody::TAIL);
        out.raw("body", &pieces.finish());
    }
    out.finish()
}

/// Performs `request` (with the page's `customHeaders`, through its `customFetch` when it has
/// one) and calls `done` with the answer, once.
pub fn send(
    request: &Request<JsWire>,
    custom_headers: &[(String, String)],
    custom_fetch: Option<&js_sys::Function>,
    done: impl FnOnce(RawAnswer) + 'static,
) {
    let done = timer::once(move || {
        let answer = host::callback_arg();
        let status = host::number(&answer, &STATUS) as u16;
        let retry_after = host::property(&answer, RETRY_AFTER.js()).ok().and_then(|v| v.as_string());
        let retry_at = host::number(&answer, &RETRY_AT);
        let retry_at = retry_at.is_finite().then_some(retry_at as i64);
        done(RawAnswer { status: (status != 0).then_some(status), retry_after, retry_at })
    });
    // The full build's `customFetch` and cookie extension service (the core build has neither).
    let fetcher = match (custom_fetch, &request.before) {
        (None, None) => wasm_bindgen::JsValue::UNDEFINED,
        #[cfg(feature = "full")]
        (custom, before) => {
            host::fetcher(&custom.map_or(wasm_bindgen::JsValue::UNDEFINED, |f| f.into()), before.as_deref())
        }
        #[cfg(not(feature = "full"))]
        _ => wasm_bindgen::JsValue::UNDEFINED,
    };
    host::send(&request_json(request, custom_headers), &wire_array(&request.wires), &done, &fetcher);
}
