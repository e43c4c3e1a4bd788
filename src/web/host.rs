//! The bindings of `host.js`: the browser calls the wasm module makes, one crossing each.

use crate::prelude::*;
use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/host.js")]
extern "C" {
    /// `document.cookie` (`""` when unreadable).
    pub fn cookies() -> String;
    /// Assigns `document.cookie`.
    #[wasm_bindgen(js_name = setCookie)]
    pub fn set_cookie(assignment: &str);
    /// `localStorage.getItem`.
    #[wasm_bindgen(js_name = storageGet)]
    pub fn storage_get(key: &str) -> Option<String>;
    /// `localStorage.setItem`; false when refused.
    #[wasm_bindgen(js_name = storageSet)]
    pub fn storage_set(key: &str, value: &str) -> bool;
    /// `localStorage.setItem(key, lines)` with each of `lines` followed by `\n`; false when refused.
    #[wasm_bindgen(js_name = storageSetLines)]
    pub fn storage_set_lines(key: &str, lines: &js_sys::Array) -> bool;
    /// The lines of `text`, each of them followed by `\n` in it, as JS strings.
    #[wasm_bindgen(js_name = splitLines)]
    pub fn split_lines(text: &str) -> js_sys::Array;
    /// `localStorage.removeItem`.
    #[wasm_bindgen(js_name = storageRemove)]
    pub fn storage_remove(key: &str);
    /// The localStorage keys starting with `prefix`.
    #[wasm_bindgen(js_name = storageKeys)]
    pub fn storage_keys(prefix: &str) -> js_sys::Array;
    /// Fills `bytes` with cryptographically random bytes.
    #[wasm_bindgen(js_name = fillRandom)]
    pub fn fill_random(bytes: &mut [u8]);
    /// `[protocol, hostname, timeZone, language, charset, resolution, colorDepth, cookieEnabled]`.
    #[wasm_bindgen(js_name = browserInfo)]
    pub fn browser_info() -> js_sys::Array;
    /// `[url, referrer, title, viewport, documentSize]`, or `None` when unchanged since the
    /// last answer.
    #[wasm_bindgen(js_name = pageFacts)]
    pub fn page_facts() -> Option<js_sys::Array>;
    /// The value a callback from `host.js` is called with (callbacks take no arguments, so the
    /// module has one closure shape less per argument list).
    #[wasm_bindgen(js_name = callbackArg)]
    pub fn callback_arg() -> JsValue;
    /// The values of `options` named in `spec` (`name:type ...`, see `bindings::OPTIONS`), in
    /// its order, `undefined` for absent ones, after a `""`; or `["field\treason"]` for the
    /// first invalid one.
    #[wasm_bindgen(js_name = readOptions)]
    pub fn read_options(options: &JsValue, spec: &str) -> js_sys::Array;
    /// A track call's input of `kind` (see `bindings::Input`), type-checked: `[""`, then its
    /// values`]`, or `["field\treason"]` for the first invalid field.
    #[wasm_bindgen(js_name = readEvent)]
    pub fn read_event(kind: u32, event: &JsValue) -> js_sys::Array;
    /// Whether the page is hidden.
    pub fn hidden() -> bool;
    /// Calls `f` on a page event (`visibilitychange`, `pagehide`, `online`).
    #[wasm_bindgen(js_name = onPage)]
    pub fn on_page(event: &str, f: &Function);
    /// Calls `f` at the end of the current task.
    pub fn microtask(f: &JsValue);
    /// Sends a request; `done` is called once with `[status, retryAfterMs]` (status 0: no answer).
    /// POST when `head` is given: the body is `head`, then `events` each followed by `stm`,
    /// joined by commas, then `tail`. GET otherwise: the URL is `url` + `events[0]`.
    #[allow(clippy::too_many_arguments)]
    pub fn send(
        url: &str,
        events: &js_sys::Array,
        head: Option<&str>,
        stm: &str,
        tail: &str,
        credentials: &str,
        keepalive: bool,
        timeout_ms: u32,
        done: &JsValue,
    );
    /// Calls a user callback with a JSON report, logging what it throws.
    pub fn notify(callback: &Function, report: &str);
    /// Marks this page alive while it lives.
    pub fn announce(tab_id: &str);
    /// Stops announcing this page.
    pub fn retire(tab_id: &str);
    /// Calls `f` with `liveTabIds` (`null`: the lock was refused) while holding the
    /// origin-wide lock `name`.
    #[wasm_bindgen(js_name = whileLocked)]
    pub fn while_locked(name: &str, f: &JsValue);
}

/// The items of a JS array of strings (`""` for any other item), converted one by one: a
/// `Vec<String>` return would bring wasm-bindgen's array conversion code into the module.
pub fn strings(array: js_sys::Array) -> impl ExactSizeIterator<Item = String> {
    array.into_iter().map(|item| item.as_string().unwrap_or_default())
}
