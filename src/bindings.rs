//! The JavaScript API (wasm32 only): `newTracker` and the tracker's methods, named as in
//! @snowplow/browser-tracker. Input is validated here, once, into the core's typed values.
//! Bad configuration or event input throws an `Error` naming the field; nothing else throws.

use crate::core::text::{concat, push_uint};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::config::{Config, Method, StateStorage};
use crate::core::cookie::SameSite;
use crate::core::event::{Event, ScreenView, SelfDescribingJson, StructEvent, Timestamp, TrackOptions};
use crate::core::id_cookie::parse_int;
use crate::core::tracker::Tracker as CoreTracker;
use crate::error::{Error, Result};
use crate::web::runtime::{self, Callbacks, Runtime, Shared};
use crate::web::{domain, env::WebEnv, host, page};
use js_sys::{Array, Function, JSON};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** A self-describing JSON: an event body or an entity. */
export interface SelfDescribingJson { schema: string; data: Record<string, unknown>; }
/** A `timestamp` option: a number is the device timestamp (`dtm`); `{type: 'ttm'}` a true timestamp. */
export type Timestamp = number | { type: 'ttm' | 'dtm'; value: number };
/** Options every track call accepts. */
export interface CommonEventProperties { context?: SelfDescribingJson[] | null; timestamp?: Timestamp | null; }
/** `trackPageView` input. */
export interface PageViewEvent extends CommonEventProperties { title?: string | null; }
/** `trackScreenView` input. */
export interface ScreenViewEvent extends CommonEventProperties { name: string; id?: string; type?: string; transitionType?: string; }
/** `trackSelfDescribingEvent` input. */
export interface SelfDescribingEvent extends CommonEventProperties { event: SelfDescribingJson; }
/** `trackStructEvent` input. */
export interface StructuredEvent extends CommonEventProperties { category: string; action: string; label?: string; property?: string; value?: number; }
/** The `client_session` entity data. */
export interface ClientSession {
  userId: string; sessionId: string; eventIndex: number; sessionIndex: number;
  previousSessionId: string | null; storageMechanism: 'COOKIE_1' | 'LOCAL_STORAGE';
  firstEventId: string | null; firstEventTimestamp: string | null;
}
/** `newTracker` options; defaults as in @snowplow/browser-tracker unless noted. */
export interface TrackerConfiguration {
  appId?: string; platform?: string;
  cookieName?: string; cookieDomain?: string; discoverRootDomain?: boolean;
  cookieSameSite?: 'Strict' | 'Lax' | 'None';
  /** Default: true on https pages, false on http (the JS tracker always defaults to true). */
  cookieSecure?: boolean;
  cookieLifetime?: number; sessionCookieTimeout?: number;
  /** Inactivity (seconds) that ends a session while the page is visible; default sessionCookieTimeout. */
  foregroundTimeout?: number;
  /** Inactivity (seconds) that ends a session while the page is hidden; default sessionCookieTimeout. */
  backgroundTimeout?: number;
  stateStorageStrategy?: 'cookieAndLocalStorage' | 'cookie' | 'localStorage' | 'none';
  eventMethod?: 'post' | 'get'; postPath?: string; encodeBase64?: boolean;
  connectionTimeout?: number; bufferSize?: number; maxPostBytes?: number;
  credentials?: 'include' | 'same-origin' | 'omit'; keepalive?: boolean;
  /** Entities attached to every event; both on by default (the JS tracker has session off). */
  contexts?: { session?: boolean; webPage?: boolean };
  /** Called with the new client_session when a session starts. Alias: onSessionUpdateCallback. */
  onSessionUpdate?: (session: ClientSession) => void;
  /** Status codes always retried / never retried (400, 401, 403, 410, 422 are never retried unless listed in retryStatusCodes). */
  retryStatusCodes?: number[]; dontRetryStatusCodes?: number[];
  /** Backoff after a failed send: base (default 1000 ms), doubled per failure up to the max (default 60000 ms), with jitter. */
  retryBaseDelay?: number; retryMaxDelay?: number;
  /** Most events (default 100000) and bytes (default 64 MiB) queued; beyond them events are dropped and reported. */
  maxQueueSize?: number; maxQueueBytes?: number;
  /** Most bytes of queued events kept in localStorage (default 2 MiB, leaving the site room in the origin's quota); the rest wait in memory. */
  maxLocalStorageQueueBytes?: number;
  /** A request was answered 2xx. */
  onRequestSuccess?: (report: RequestReport) => void;
  /** A request failed; `willRetry` false means its events were dropped (non-retryable status). */
  onRequestFailure?: (report: RequestReport) => void;
  /** The queue was full and an event was dropped. */
  onEventDropped?: (report: { eventId: string; reason: string }) => void;
}
/** What onRequestSuccess / onRequestFailure receive. */
export interface RequestReport { events: number; eventIds: string[]; status: number | null; willRetry?: boolean; }
/** getDeliveryStats() counters. */
export interface DeliveryStats { queued: number; inFlight: number; sent: number; failed: number; retried: number; dropped: number; }
"#;

/// A JS `Error` for `err`.
fn js_error(err: Error) -> JsError {
    JsError::new(&err.message())
}

/// `newTracker`'s options, in the order [`read_config`] takes them: `name:type`, the type one of
/// `s` string, `b` boolean, `n` non-negative whole number, `c` array of HTTP status codes, `o`
/// object, `f` function. `host.js` checks the types (one crossing for all options).
const OPTIONS: &str = "appId:s platform:s cookieName:s postPath:s credentials:s cookieDomain:s \
    discoverRootDomain:b cookieSameSite:s cookieSecure:b cookieLifetime:n sessionCookieTimeout:n \
    foregroundTimeout:n backgroundTimeout:n stateStorageStrategy:s eventMethod:s encodeBase64:b \
    connectionTimeout:n bufferSize:n maxPostBytes:n keepalive:b contexts:o contexts.session:b \
    contexts.webPage:b retryStatusCodes:c dontRetryStatusCodes:c retryBaseDelay:n retryMaxDelay:n \
    maxQueueSize:n maxQueueBytes:n maxLocalStorageQueueBytes:n onSessionUpdate:f \
    onSessionUpdateCallback:f onRequestSuccess:f onRequestFailure:f onEventDropped:f";

/// `value` as one of `parse`'s, or an error naming `field` and the `allowed` values.
fn one_of<T>(
    field: &str,
    value: Option<String>,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> Result<Option<T>> {
    value
        .map(|s| parse(&s).ok_or_else(|| Error::config(field, concat(&["must be one of ", allowed]))))
        .transpose()
}

/// Reads `newTracker`'s third argument into `config`; returns the callbacks.
fn read_config(config: &mut Config, options: &JsValue) -> Result<Callbacks> {
    if !options.is_undefined() && !options.is_null() && !options.is_object() {
        return Err(Error::config("config", "must be an object"));
    }
    let mut o = Input::checked(host::read_options(options, OPTIONS), true)?;
    let set = |slot: &mut String, v: Option<String>| {
        if let Some(v) = v {
            *slot = v;
        }
    };
    set(&mut config.app_id, o.string());
    set(&mut config.platform, o.string());
    set(&mut config.cookie_name, o.string());
    set(&mut config.post_path, o.string());
    set(&mut config.credentials, o.string());
    config.cookie_domain = o.string();
    config.discover_root_domain = o.boolean().unwrap_or(config.cookie_domain.is_none());
    if let Some(v) = one_of("cookieSameSite", o.string(), SameSite::parse, "'Strict', 'Lax', 'None'")? {
        config.cookie_same_site = v;
    }
    config.cookie_secure = o.boolean();
    if let Some(v) = o.whole() {
        config.cookie_lifetime_s = v;
    }
    if let Some(v) = o.whole() {
        config.session_cookie_timeout_s = v;
    }
    config.foreground_timeout_s = o.whole().unwrap_or(config.session_cookie_timeout_s);
    config.background_timeout_s = o.whole().unwrap_or(config.session_cookie_timeout_s);
    let strategies = "'cookieAndLocalStorage', 'cookie', 'localStorage', 'none'";
    if let Some(v) = one_of("stateStorageStrategy", o.string(), StateStorage::parse, strategies)? {
        config.state_storage = v;
    }
    let method = |s: &str| match s.to_ascii_lowercase().as_str() {
        "post" => Some(Method::Post),
        "get" => Some(Method::Get),
        _ => None,
    };
    if let Some(v) = one_of("eventMethod", o.string(), method, "'post', 'get'")? {
        config.method = v;
    }
    config.encode_base64 = o.boolean().unwrap_or(config.method == Method::Get);
    if let Some(v) = o.whole() {
        config.connection_timeout_ms =
            u32::try_from(v).map_err(|_| Error::config("connectionTimeout", "is too large"))?;
    }
    if let Some(v) = o.size() {
        config.buffer_size = v;
    }
    if let Some(v) = o.size() {
        config.max_post_bytes = v;
    }
    if let Some(v) = o.boolean() {
        config.keepalive = v;
    }
    o.next(); // contexts (checked to be an object)
    config.session_context = o.boolean().unwrap_or(true);
    config.web_page_context = o.boolean().unwrap_or(true);
    if let Some(v) = o.codes() {
        config.retry.retry_status_codes = v;
    }
    if let Some(v) = o.codes() {
        config.retry.dont_retry_status_codes = v;
    }
    if let Some(v) = o.whole() {
        config.retry.base_delay_ms = u64::try_from(v).unwrap_or(0);
    }
    if let Some(v) = o.whole() {
        config.retry.max_delay_ms = u64::try_from(v).unwrap_or(0);
    }
    if let Some(v) = o.size() {
        config.queue_limits.max_events = v;
    }
    if let Some(v) = o.size() {
        config.queue_limits.max_bytes = v;
    }
    if let Some(v) = o.size() {
        config.queue_limits.max_persisted_bytes = v;
    }
    let on_session_update = o.function();
    let on_session_update_callback = o.function();
    Ok(Callbacks {
        on_session_update: on_session_update.or(on_session_update_callback),
        on_request_success: o.function(),
        on_request_failure: o.function(),
        on_event_dropped: o.function(),
    })
}

/// The kinds of track call, as `host.js`'s `readEvent` knows them.
const PAGE_VIEW: u32 = 0;
const SCREEN_VIEW: u32 = 1;
const SELF_DESCRIBING: u32 = 2;
const STRUCT: u32 = 3;

/// Values `host.js` read and type-checked in one crossing (`readOptions`, `readEvent`), taken
/// here in the order it lists them. For a track call: the event's own fields (optional ones
/// `=value`, or empty when absent), the timestamp, then each entity's schema and data JSON.
struct Input(js_sys::ArrayIntoIter);

impl Input {
    /// The values of `checked` (`["", ...values]`), or the error its first item names
    /// (`"field\treason"`: the first invalid field). `config`: these are `newTracker`'s options
    /// (an [`Error::Config`]), else a track call's input (an [`Error::Event`]).
    fn checked(checked: Array, config: bool) -> Result<Self> {
        let mut values = checked.into_iter();
        let failure = values.next().and_then(|v| v.as_string()).unwrap_or_default();
        if failure.is_empty() {
            return Ok(Input(values));
        }
        let whole = if config { "config" } else { "event" };
        let (field, reason) = failure.split_once('\t').unwrap_or((whole, &failure));
        let (field, reason) = (field.to_owned(), reason.to_owned());
        Err(if config { Error::Config { field, reason } } else { Error::Event { field, reason } })
    }

    /// Reads `event` as a track call of `kind`.
    fn read(kind: u32, event: &JsValue) -> Result<Self> {
        Self::checked(host::read_event(kind, event), false)
    }

    fn next(&mut self) -> JsValue {
        self.0.next().unwrap_or(JsValue::UNDEFINED)
    }

    fn string(&mut self) -> Option<String> {
        self.next().as_string()
    }

    fn boolean(&mut self) -> Option<bool> {
        self.next().as_bool()
    }

    fn whole(&mut self) -> Option<i64> {
        self.next().as_f64().map(|n| n as i64)
    }

    fn size(&mut self) -> Option<usize> {
        self.whole().map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn codes(&mut self) -> Option<Vec<u16>> {
        let value = self.next();
        Array::is_array(&value)
            .then(|| Array::from(&value).iter().map(|n| n.as_f64().unwrap_or(0.0) as u16).collect())
    }

    fn function(&mut self) -> Option<Function> {
        self.next().dyn_into::<Function>().ok()
    }

    fn required(&mut self) -> String {
        self.string().unwrap_or_default()
    }

    fn optional(&mut self) -> Option<String> {
        self.required().get(1..).map(String::from)
    }

    fn self_describing(&mut self, field: &str) -> Result<SelfDescribingJson> {
        let schema = self.required();
        SelfDescribingJson::new(field, &schema, self.required())
    }

    /// The common options: `timestamp` and the `context` entities.
    fn options(mut self) -> Result<TrackOptions> {
        let timestamp = self.required();
        let ms = |text: &str| parse_int(text.get(3..).unwrap_or("")).unwrap_or(0);
        let mut options = TrackOptions {
            timestamp: match timestamp.get(..3) {
                Some("ttm") => Some(Timestamp::True(ms(&timestamp))),
                Some("dtm") => Some(Timestamp::Device(ms(&timestamp))),
                _ => None,
            },
            ..TrackOptions::default()
        };
        while self.0.len() >= 2 {
            let mut field = String::from("context[");
            push_uint(&mut field, options.context.len() as u64, 0);
            field.push(']');
            options.context.push(self.self_describing(&field)?);
        }
        Ok(options)
    }
}

/// A snowtrack tracker, created by `newTracker`.
#[wasm_bindgen(js_name = Tracker)]
pub struct JsTracker {
    shared: Shared,
}

/// Creates a tracker sending to `collectorUrl` (`https://` is assumed on https pages when the
/// scheme is missing). Throws an `Error` naming the field when an option is invalid.
#[wasm_bindgen(js_name = newTracker)]
pub fn new_tracker(
    #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
    #[wasm_bindgen(js_name = collectorUrl, unchecked_param_type = "string")] collector_url: JsValue,
    #[wasm_bindgen(unchecked_param_type = "TrackerConfiguration")] config: Option<js_sys::Object>,
) -> core::result::Result<JsTracker, JsError> {
    let config = config.map_or(JsValue::UNDEFINED, JsValue::from);
    let namespace =
        namespace.as_string().ok_or_else(|| js_error(Error::config("namespace", "must be a string")))?;
    let collector_url = collector_url
        .as_string()
        .ok_or_else(|| js_error(Error::config("collectorUrl", "must be a string")))?;
    let mut core_config = Config::new(&namespace, &collector_url);
    let callbacks = read_config(&mut core_config, &config).map_err(js_error)?;
    let browser = page::browser_info();
    let mut env = WebEnv::new();
    let discover = core_config.cookie_domain.is_none()
        && core_config.discover_root_domain
        && core_config.state_storage.uses_cookies();
    let root = discover.then(|| {
        let secure = core_config.secure_cookies(&browser.protocol);
        domain::find_root_domain(&browser.hostname, core_config.cookie_same_site, secure)
    });
    let tracker = CoreTracker::new(core_config, browser, root, &mut env).map_err(js_error)?;
    let shared = Runtime::new(tracker, env, callbacks);
    runtime::start(&shared);
    Ok(JsTracker { shared })
}

impl JsTracker {
    /// Runs `f` on the shared state; a re-entrant call (from inside a callback) is refused, not a panic.
    fn with<T>(&self, f: impl FnOnce(&mut Runtime) -> T) -> Option<T> {
        Some(f(&mut *self.shared.try_borrow_mut().ok()?))
    }

    /// Reads `event` as a track call of `kind` (`build` takes the event's own fields, then the
    /// common options follow) and tracks it.
    fn track(
        &self,
        kind: u32,
        event: &JsValue,
        build: fn(&mut Input) -> Result<Event>,
    ) -> core::result::Result<(), JsError> {
        let read = || {
            let mut input = Input::read(kind, event)?;
            Ok((build(&mut input)?, input.options()?))
        };
        let (event, options) = read().map_err(js_error)?;
        let page = page::page();
        let (notices, send) = self
            .with(|rt| -> Result<_> {
                let tracked = rt.tracker.track(&mut rt.env, event, options, &page)?;
                let mut notices = Vec::new();
                if let Some(update) = &tracked.session_update {
                    notices.extend(runtime::notice(&rt.callbacks.on_session_update, update));
                }
                if tracked.dropped {
                    notices.extend(rt.dropped_notice(&tracked.event_id));
                }
                let send = rt.tracker.queue().pending() >= rt.tracker.config().buffer_size;
                Ok((notices, send))
            })
            .unwrap_or_else(|| Err(Error::Storage("tracker is busy (re-entrant call)".into())))
            .map_err(js_error)?;
        runtime::commit_soon(&self.shared);
        for notice in notices {
            notice.deliver();
        }
        if send {
            runtime::send_soon(&self.shared);
        }
        Ok(())
    }
}

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// Tracks a page view (`title` defaults to `document.title`).
    #[wasm_bindgen(js_name = trackPageView)]
    pub fn track_page_view(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PageViewEvent")] event: Option<js_sys::Object>,
    ) -> core::result::Result<(), JsError> {
        let event = event.map_or(JsValue::UNDEFINED, JsValue::from);
        self.track(PAGE_VIEW, &event, |input| Ok(Event::PageView { title: input.optional() }))
    }

    /// Tracks a screen view (mobile data model) and makes it the current screen.
    #[wasm_bindgen(js_name = trackScreenView)]
    pub fn track_screen_view(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ScreenViewEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(SCREEN_VIEW, &event, |input| {
            Ok(Event::ScreenView(ScreenView {
                name: input.required(),
                id: input.optional(),
                screen_type: input.optional(),
                transition_type: input.optional(),
            }))
        })
    }

    /// Tracks a self-describing event.
    #[wasm_bindgen(js_name = trackSelfDescribingEvent)]
    pub fn track_self_describing_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SelfDescribingEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(SELF_DESCRIBING, &event, |input| {
            Ok(Event::SelfDescribing(input.self_describing("event")?))
        })
    }

    /// Tracks a structured event.
    #[wasm_bindgen(js_name = trackStructEvent)]
    pub fn track_struct_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StructuredEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(STRUCT, &event, |input| {
            Ok(Event::Struct(StructEvent {
                category: input.required(),
                action: input.required(),
                label: input.optional(),
                property: input.optional(),
                value: input.optional(),
            }))
        })
    }

    /// Sets the business user id (`uid`); `null` or `undefined` clears it.
    #[wasm_bindgen(js_name = setUserId)]
    pub fn set_user_id(&self, #[wasm_bindgen(js_name = userId)] user_id: Option<String>) {
        self.with(|s| s.tracker.set_user_id(user_id));
    }

    /// Starts a new session now, written to storage at once.
    #[wasm_bindgen(js_name = newSession)]
    pub fn new_session(&self) {
        let notice = self.with(|rt| {
            let update = rt.tracker.new_session(&mut rt.env);
            runtime::notice(&rt.callbacks.on_session_update, &update)
        });
        if let Some(Some(notice)) = notice {
            notice.deliver();
        }
    }

    /// The domain user id (`duid`).
    #[wasm_bindgen(js_name = getDomainUserId)]
    pub fn get_domain_user_id(&self) -> String {
        self.with(|rt| rt.tracker.state().domain_user_id.clone()).unwrap_or_default()
    }

    /// The current session id (`sid`).
    #[wasm_bindgen(js_name = getDomainSessionId)]
    pub fn get_domain_session_id(&self) -> String {
        self.with(|rt| rt.tracker.state().session_id.clone()).unwrap_or_default()
    }

    /// The current session index (`vid`).
    #[wasm_bindgen(js_name = getDomainSessionIndex)]
    pub fn get_domain_session_index(&self) -> f64 {
        self.with(|rt| rt.tracker.state().visit_count as f64).unwrap_or(0.0)
    }

    /// The current `client_session` entity data.
    #[wasm_bindgen(js_name = getSessionContext, unchecked_return_type = "ClientSession")]
    pub fn get_session_context(&self) -> JsValue {
        self.with(|rt| rt.tracker.session_context_json())
            .and_then(|json| JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL)
    }

    /// The full name of the `id` or `ses` cookie, e.g. `_sp_id.1fff`.
    #[wasm_bindgen(js_name = getCookieName)]
    pub fn get_cookie_name(&self, base: &str) -> String {
        self.with(|rt| {
            let (id, ses) = rt.tracker.storage_keys();
            if base == "ses" { ses.to_owned() } else { id.to_owned() }
        })
        .unwrap_or_default()
    }

    /// Sends every queued event now, skipping any retry backoff; resolves to true when the
    /// queue is empty (false when the collector could not be reached: events stay queued).
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn flush(&self) -> js_sys::Promise {
        js_sys::Promise::new(&mut |resolve, _reject| runtime::flush(&self.shared, resolve))
    }

    /// Delivery counters: `{queued, inFlight, sent, failed, retried, dropped}`.
    #[wasm_bindgen(js_name = getDeliveryStats, unchecked_return_type = "DeliveryStats")]
    pub fn get_delivery_stats(&self) -> JsValue {
        self.shared
            .try_borrow()
            .ok()
            .and_then(|rt| JSON::parse(&runtime::delivery_stats(&rt)).ok())
            .unwrap_or(JsValue::NULL)
    }
}
