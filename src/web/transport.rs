//! Sends one queued request with `fetch`, aborting it after `connectionTimeout`.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::config::{Config, Method};
use crate::core::queue::Request;
use crate::web::timer::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, RequestCredentials, RequestInit, RequestMode, Response};

/// What the collector answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// The HTTP status; `None` for a network error, a timeout or an aborted request.
    pub status: Option<u16>,
    /// `Retry-After`, in milliseconds from now.
    pub retry_after_ms: Option<u64>,
}

/// Performs `request`, with `keepalive` so it can outlive the page when asked.
pub async fn send(request: &Request, config: &Config, keepalive: bool) -> Answer {
    let Some(window) = web_sys::window() else { return Answer::default() };
    let init = RequestInit::new();
    init.set_mode(RequestMode::Cors);
    init.set_credentials(match config.credentials.as_str() {
        "omit" => RequestCredentials::Omit,
        "same-origin" => RequestCredentials::SameOrigin,
        _ => RequestCredentials::Include,
    });
    // web-sys has no setter for `keepalive` yet.
    let _ = js_sys::Reflect::set(&init, &"keepalive".into(), &(keepalive || config.keepalive).into());
    let controller = AbortController::new().ok();
    if let Some(controller) = &controller {
        init.set_signal(Some(&controller.signal()));
    }
    let body = request.body.as_deref().filter(|_| request.method == Method::Post);
    init.set_method(if body.is_some() { "POST" } else { "GET" });
    if let Some(body) = body {
        init.set_body(&body.into());
    }
    let Ok(http_request) = web_sys::Request::new_with_str_and_init(&request.url, &init) else {
        return Answer::default();
    };
    if body.is_some()
        && http_request.headers().set("Content-Type", "application/json; charset=UTF-8").is_err()
    {
        return Answer::default();
    }
    let _timer = controller.map(|c| Timeout::new(config.connection_timeout_ms, move || c.abort()));
    let Ok(response) = JsFuture::from(window.fetch_with_request(&http_request)).await else {
        return Answer::default();
    };
    let Ok(response) = response.dyn_into::<Response>() else { return Answer::default() };
    let retry_after_ms = response.headers().get("Retry-After").ok().flatten().and_then(|v| retry_after(&v));
    Answer { status: Some(response.status()), retry_after_ms }
}

/// `Retry-After` as delay-seconds or an HTTP date, in ms from now.
fn retry_after(value: &str) -> Option<u64> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = crate::core::id_cookie::parse_int(value)?;
        return Some(u64::try_from(seconds).ok()?.saturating_mul(1000));
    }
    let at = js_sys::Date::parse(value);
    (at.is_finite()).then(|| (at - js_sys::Date::now()).max(0.0) as u64)
}
