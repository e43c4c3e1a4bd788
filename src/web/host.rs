//! The bindings of `host.js` (and of `host_full.js`, what only the full build calls): the browser
//! calls the wasm module makes, one crossing each.

use crate::prelude::*;
use crate::web::lazy_global::Key;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/host.js")]
extern "C" {
    /// `object[key]`; what a throwing getter throws is the error.
    #[wasm_bindgen(catch)]
    pub fn property(object: &JsValue, key: &JsValue) -> Result<JsValue, JsValue>;
    /// The message of a thrown value (`message`, or the value as a string).
    #[wasm_bindgen(js_name = messageOf)]
    pub fn message_of(thrown: &JsValue) -> String;
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
    /// The facts that stay while the page lives (read in `page.rs`).
    #[wasm_bindgen(js_name = browserInfo)]
    pub fn browser_info() -> JsValue;
    /// The facts of each event (read in `page.rs`), or `undefined` when unchanged since the
    /// last answer.
    #[wasm_bindgen(js_name = pageFacts)]
    pub fn page_facts() -> JsValue;
    /// The value a callback from `host.js` is called with (callbacks take no arguments, so the
    /// module has one closure shape less per argument list).
    #[wasm_bindgen(js_name = callbackArg)]
    pub fn callback_arg() -> JsValue;
    /// Starts following the document's scroll (a passive listener coalescing offsets in JS);
    /// the watcher for [`take_scroll`].
    #[wasm_bindgen(js_name = watchScroll)]
    pub fn watch_scroll() -> JsValue;
    /// The scroll extent since the last call (`{minX, maxX, minY, maxY, viewWidth, viewHeight,
    /// contentWidth, contentHeight}`), then starts again from the current position.
    #[wasm_bindgen(js_name = takeScroll)]
    pub fn take_scroll(watcher: &JsValue) -> JsValue;
    /// Whether the page is hidden.
    pub fn hidden() -> bool;
    /// Calls `f` on a page event (`visibilitychange`, `pagehide`, `online`).
    #[wasm_bindgen(js_name = onPage)]
    pub fn on_page(event: &str, f: &Function);
    /// Calls `f` at the end of the current task.
    pub fn microtask(f: &JsValue);
    /// Sends `request` (JSON: [`crate::web::transport::request_json`]) with `events`, the
    /// events' JS strings; `done` is called once with `{status, retryAfter, retryAt}` (read in
    /// `transport.rs`); `fetcher`, [`fetcher`]'s function (the full build's) or `undefined`.
    pub fn send(request: &str, events: &js_sys::Array, done: &JsValue, fetcher: &JsValue);
    /// Calls a user callback with a JSON report, logging what it throws.
    pub fn notify(callback: &Function, report: &str);
    /// Settles a `flush()` promise.
    pub fn settle(resolve: &Function, value: bool);
    /// Marks this page alive while it lives: the Web Lock `name`, or a heartbeat key `name`
    /// rewritten every `every_ms`.
    pub fn announce(name: &str, every_ms: u32);
    /// Stops announcing this page.
    pub fn retire(name: &str);
    /// Calls `f` while holding the origin-wide lock `lock`, with the ids of the live tabs (the
    /// lock names starting with `prefix`, without it); with `false` where Web Locks are
    /// missing, `null` when the lock was refused.
    #[wasm_bindgen(js_name = whileLocked)]
    pub fn while_locked(lock: &str, prefix: &str, f: &JsValue);
    /// `console.warn(message)`.
    pub fn warn(message: &str);
    /// A string resolved against the page's URL, as links are (`undefined` for anything else).
    #[wasm_bindgen(js_name = resolveUrl)]
    pub fn resolve_url(url: &JsValue) -> JsValue;
    /// `getDomainUserInfo()`'s tuple from an `_sp_id` value (`stored`: the first item `'0'`, else
    /// `'1'`), with the JS tracker's types (numbers, `undefined` for empty times).
    #[wasm_bindgen(js_name = domainUserInfo)]
    pub fn domain_user_info(stored: bool, value: &str) -> JsValue;
    /// The tab id in sessionStorage under `key` (set to `candidate` when missing), or `null`.
    #[wasm_bindgen(js_name = tabId)]
    pub fn tab_id(key: &str, candidate: &str) -> JsValue;
}

// What only the full build calls: the page's code, activity, history and links (`host_full.js`,
// which a page of the core build does not download).
#[wasm_bindgen(module = "/src/web/host_full.js")]
extern "C" {
    /// The function performing a request instead of `fetch`: the page's `customFetch`
    /// (`undefined`: `fetch`), after a GET of `before` when given (the cookie extension service).
    pub fn fetcher(custom_fetch: &JsValue, before: Option<&str>) -> JsValue;
    /// A new registry of the page's code (see `page_functions.rs`); `threw` is called with
    /// `[what, message]` when one of its functions throws.
    #[wasm_bindgen(js_name = pageCode)]
    pub fn page_functions(threw: &JsValue) -> JsValue;
    /// The handle of a generator or filter in `code`.
    pub fn register(code: &JsValue, f: &Function) -> u32;
    /// Adds a plugin to `code`.
    #[wasm_bindgen(js_name = addPlugin)]
    pub fn add_plugin(code: &JsValue, plugin: &JsValue);
    /// Calls generator `handle` on the event: its answer.
    pub fn generate(
        code: &JsValue,
        handle: u32,
        event: &str,
        event_type: &str,
        event_schema: &str,
    ) -> JsValue;
    /// Calls filter `handle` on the event: whether it answered exactly `true`.
    pub fn filter(code: &JsValue, handle: u32, event: &str, event_type: &str, event_schema: &str) -> bool;
    /// Each plugin's `contexts()` answer.
    #[wasm_bindgen(js_name = pluginContexts)]
    pub fn plugin_contexts(code: &JsValue) -> Array;
    /// The plugins' `beforeTrack`: `{fields, entities}` they added, `undefined` without the hook.
    #[wasm_bindgen(js_name = beforeTrack)]
    pub fn before_track(code: &JsValue, payload: &str) -> JsValue;
    /// The plugins' `filter`: false when one answered exactly `false`.
    pub fn keep(code: &JsValue, payload: &str) -> bool;
    /// The plugins' `afterTrack`.
    #[wasm_bindgen(js_name = afterTrack)]
    pub fn after_track(code: &JsValue, payload: &str);
    /// Starts following the page's activity (passive listeners noting it in JS); the watcher
    /// for [`take_activity`].
    #[wasm_bindgen(js_name = watchActivity)]
    pub fn watch_activity() -> JsValue;
    /// The activity noted since the last call: `{last, minX, maxX, minY, maxY, x, y}`.
    #[wasm_bindgen(js_name = takeActivity)]
    pub fn take_activity(watcher: &JsValue) -> JsValue;
    /// Calls `f` once per task after `pushState`, `replaceState` or `popstate` (whether the URL
    /// changed is [`crate::engine::history`]'s to decide).
    #[wasm_bindgen(js_name = watchHistory)]
    pub fn watch_history(f: &Function);
    /// The raw attributes of a link: `[href, hostname, id, target, ...classes]`; `undefined`
    /// for anything but an `a` or `area` element.
    #[wasm_bindgen(js_name = linkFacts)]
    pub fn link_facts(link: &JsValue) -> JsValue;
    /// The page's link filter `f` called with `link`: whether it answered truthy, or the message
    /// of what it threw (a string).
    #[wasm_bindgen(js_name = linkFilter)]
    pub fn link_filter(f: &Function, link: &JsValue) -> JsValue;
    /// Link click tracking's `context` entries for `link`: functions called with it
    /// (`undefined` when one throws), the others as they are.
    #[wasm_bindgen(js_name = linkContext)]
    pub fn link_context(context: &Array, link: &JsValue) -> Array;
    /// Calls `f` with `[type, which, button, link]` for each event of `types` (space-separated,
    /// capturing listeners on the window, so links added later count too) inside an `a` or
    /// `area` element (the closest one, through shadow roots), replacing what `f` had.
    #[wasm_bindgen(js_name = watchLinks)]
    pub fn watch_links(f: &JsValue, types: &str);
    /// Stops link click tracking for `f`.
    #[wasm_bindgen(js_name = watchLinks)]
    pub fn unwatch_links(f: &JsValue);
    /// Cross-domain linking: calls `f` with `[link, event, href]` for each click and mousedown on a
    /// link with an `href` (one listener per type on the document), replacing what `f` had;
    /// `on` false stops.
    #[wasm_bindgen(js_name = watchCrossDomain)]
    pub fn watch_cross_domain(f: &JsValue, on: bool);
    /// The reason text of a cross-domain click: the page's `f` of the event (`undefined` when it
    /// threw), else the link's text, trimmed.
    #[wasm_bindgen(js_name = linkReason)]
    pub fn link_reason(f: Option<&Function>, event: &JsValue, link: &JsValue) -> JsValue;
    /// Sets a link's `href`.
    #[wasm_bindgen(js_name = setHref)]
    pub fn set_href(link: &JsValue, href: &str);
}

/// A string property of one of `host.js`'s answers (`""` when it is not a string).
pub fn text(object: &JsValue, key: &Key) -> String {
    property(object, key.js()).ok().and_then(|v| v.as_string()).unwrap_or_default()
}

/// A number property of one of `host.js`'s answers (`NaN` when it is not a number).
pub fn number(object: &JsValue, key: &Key) -> f64 {
    property(object, key.js()).ok().and_then(|v| v.as_f64()).unwrap_or(f64::NAN)
}

/// The items of a JS array of strings (`""` for any other item), converted one by one: a
/// `Vec<String>` return would bring wasm-bindgen's array conversion code into the module.
pub fn strings(array: js_sys::Array) -> impl ExactSizeIterator<Item = String> {
    array.into_iter().map(|item| item.as_string().unwrap_or_default())
}
