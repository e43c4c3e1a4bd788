//! What crosses the boundary from JavaScript: `newTracker`'s options and the track calls'
//! input, read property by property **by name** into the core's types, and type-checked here,
//! once. A property whose getter throws is reported as a
//! field that could not be read; nothing of it reaches the page as an exception.
//!
//! Error messages name the field as JavaScript spells it (`appId`, `context[1].data`, ...);
//! the core's own checks ([`Config::validate`], [`Event::validate`]) follow.

/// Declares property names as [`Key`] constants: `names! { APP_ID = "appId", }`.
macro_rules! names {
    ($($key:ident = $name:literal,)*) => {
        $(
            #[doc = concat!("`", $name, "`")]
            const $key: $crate::bindings::input::Key = $crate::bindings::input::Key($name);
        )*
    };
}

#[cfg(feature = "full")]
pub mod cross_domain;
pub mod privacy;

use crate::engine::util::text::{concat, push_uint};
#[allow(unused_imports)]
use crate::prelude::*;
use alloc::borrow::Cow;

use crate::engine::activity::ActivityConfig;
use crate::engine::config::{Config, Method, PreserveForUrl, StateStorage};
use crate::engine::cookie::SameSite;
use crate::engine::delivery::Credentials;
use crate::engine::event::{
    Event, Gdpr, ListItemView, ScreenView, ScrollChanged, SelfDescribingJson, StructEvent, Timestamp,
    TrackOptions,
};
#[cfg(feature = "full")]
use crate::engine::link_click::{self, Link, LinkFilter};
use crate::engine::util::json_value::{self, Json, key_text};
use crate::error::{Error, Result};
#[cfg(feature = "full")]
use crate::web::host;
use crate::web::runtime::Callbacks;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

// The property names read.
names! {
    APP_ID = "appId",
    PLATFORM = "platform",
    COOKIE_NAME = "cookieName",
    POST_PATH = "postPath",
    CREDENTIALS = "credentials",
    COOKIE_DOMAIN = "cookieDomain",
    DISCOVER_ROOT_DOMAIN = "discoverRootDomain",
    COOKIE_SAME_SITE = "cookieSameSite",
    COOKIE_SECURE = "cookieSecure",
    COOKIE_LIFETIME = "cookieLifetime",
    SESSION_COOKIE_TIMEOUT = "sessionCookieTimeout",
    FOREGROUND_TIMEOUT = "foregroundTimeout",
    BACKGROUND_TIMEOUT = "backgroundTimeout",
    STATE_STORAGE_STRATEGY = "stateStorageStrategy",
    EVENT_METHOD = "eventMethod",
    ENCODE_BASE64 = "encodeBase64",
    CONNECTION_TIMEOUT = "connectionTimeout",
    BUFFER_SIZE = "bufferSize",
    MAX_POST_BYTES = "maxPostBytes",
    KEEPALIVE = "keepalive",
    CONTEXTS = "contexts",
    RETRY_STATUS_CODES = "retryStatusCodes",
    DONT_RETRY_STATUS_CODES = "dontRetryStatusCodes",
    RETRY_BASE_DELAY = "retryBaseDelay",
    RETRY_MAX_DELAY = "retryMaxDelay",
    MAX_QUEUE_SIZE = "maxQueueSize",
    MAX_QUEUE_BYTES = "maxQueueBytes",
    MAX_LOCAL_STORAGE_QUEUE_BYTES = "maxLocalStorageQueueBytes",
    ON_SESSION_UPDATE = "onSessionUpdate",
    ON_SESSION_UPDATE_CALLBACK = "onSessionUpdateCallback",
    ON_REQUEST_SUCCESS = "onRequestSuccess",
    ON_REQUEST_FAILURE = "onRequestFailure",
    ON_EVENT_DROPPED = "onEventDropped",
    LIFECYCLE_AUTOTRACKING = "lifecycleAutotracking",
    SCREEN_ENGAGEMENT_AUTOTRACKING = "screenEngagementAutotracking",
    SCREEN_ENGAGEMENT_SCROLL = "screenEngagementScroll",
    PREVIOUS_NAME = "previousName",
    PREVIOUS_ID = "previousId",
    PREVIOUS_TYPE = "previousType",
    INDEX = "index",
    ITEMS_COUNT = "itemsCount",
    X_OFFSET = "xOffset",
    Y_OFFSET = "yOffset",
    VIEW_WIDTH = "viewWidth",
    VIEW_HEIGHT = "viewHeight",
    CONTENT_WIDTH = "contentWidth",
    CONTENT_HEIGHT = "contentHeight",
    BASIS_FOR_PROCESSING = "basisForProcessing",
    DOCUMENT_ID = "documentId",
    DOCUMENT_VERSION = "documentVersion",
    DOCUMENT_DESCRIPTION = "documentDescription",
    CUSTOM_HEADERS = "customHeaders",
    PRESERVE_PAGE_VIEW_ID_FOR_URL = "preservePageViewIdForUrl",
    PRESERVE_ORIGINAL_REFERRER = "preserveOriginalReferrer",
    CUSTOM_FETCH = "customFetch",
    COOKIE_EXTENSION_SERVICE = "cookieExtensionService",
    ID_SERVICE = "idService",
    GEOLOCATION = "geolocation",
    SESSION = "session",
    WEB_PAGE = "webPage",
    TITLE = "title",
    NAME = "name",
    ID = "id",
    TYPE = "type",
    TRANSITION_TYPE = "transitionType",
    EVENT = "event",
    CATEGORY = "category",
    ACTION = "action",
    LABEL = "label",
    PROPERTY = "property",
    VALUE = "value",
    CONTEXT = "context",
    TIMESTAMP = "timestamp",
    SCHEMA = "schema",
    DATA = "data",
    RESET_ACTIVITY_TRACKING_ON_PAGE_VIEW = "resetActivityTrackingOnPageView",
    PAGE_VIEW_AUTOTRACKING = "pageViewAutotracking",
    MINIMUM_VISIT_LENGTH = "minimumVisitLength",
    HEARTBEAT_DELAY = "heartbeatDelay",
    ACTIVITY_METRICS = "activityMetrics",
    CALLBACK = "callback",
}

// The names only link click tracking reads (the full build's).
#[cfg(feature = "full")]
names! {
    OPTIONS = "options",
    PSEUDO_CLICKS = "pseudoClicks",
    TRACK_CONTENT = "trackContent",
    TARGET_URL = "targetUrl",
    ELEMENT = "element",
    ELEMENT_ID = "elementId",
    ELEMENT_CLASSES = "elementClasses",
    ELEMENT_TARGET = "elementTarget",
    ELEMENT_CONTENT = "elementContent",
    ALLOWLIST = "allowlist",
    DENYLIST = "denylist",
    FILTER = "filter",
    INNER_HTML = "innerHTML",
}

/// The reason an option that only snowtrack's full build has is refused by the core build.
pub const NOT_IN_CORE: &str = "is in snowtrack's full build, not in the core build this page loaded (see \"Builds\" in snowtrack's README)";

/// One argument of a call, read: its JSON value and the page's values (functions, elements,
/// plugins) the value refers to by number.
#[derive(Clone, Copy)]
pub struct Input<'a> {
    value: Json<'a>,
    page: &'a Array,
}

/// Reads what one of the page's functions answered (`value`, named `field` in errors) as JSON,
/// once, and hands it to `read`: what `JSON.stringify` keeps of it (no functions, non-finite
/// numbers as `null`).
///
/// # Errors
/// What `read` answers, or an error naming `field` when `value` cannot be written as JSON (a
/// getter or `toJSON` that throws, a cycle, a BigInt).
pub fn read_answer<T>(value: &JsValue, field: &str, read: impl FnOnce(Input<'_>) -> Result<T>) -> Result<T> {
    let text = js_sys::JSON::stringify(value).ok().and_then(|text| text.as_string());
    let text = text.ok_or_else(|| Error::event(field, "could not be written as JSON"))?;
    read(Input { value: Json::new(&text), page: &Array::new() })
}

impl<'a> Input<'a> {
    /// The argument `value` of a call whose page values are `page`.
    pub fn new(value: Json<'a>, page: &'a Array) -> Self {
        Input { value, page }
    }

    /// The argument, if it is a string.
    pub fn as_str(&self) -> Option<String> {
        self.value.as_str().map(Cow::into_owned)
    }

    /// The argument, if it is a finite number.
    pub fn as_f64(&self) -> Option<f64> {
        self.value.as_f64()
    }

    /// The argument, if it is a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        self.value.as_bool()
    }

    /// The page's value the argument refers to (`undefined` when it is no reference).
    pub fn page_value(&self) -> JsValue {
        self.page_object(self.value)
    }

    /// The member `key` of the argument, if it is an object that has it.
    pub fn member(&self, key: &str) -> Option<Input<'a>> {
        self.value.get(key).map(|value| Input { value, page: self.page })
    }

    /// Whether the argument is absent (`undefined` or `null`).
    pub fn is_absent(&self) -> bool {
        self.value.is_null()
    }
    /// The page's value `value` refers to (`undefined` when it is no reference).
    fn page_object(&self, value: Json<'_>) -> JsValue {
        value.page().map_or(JsValue::UNDEFINED, |i| self.page.get(i))
    }

    /// The JS value `value` stands for: the page's value for a reference, else a copy made from
    /// its JSON (`JSON.parse`).
    #[cfg(feature = "full")]
    fn js(&self, value: Json<'_>) -> JsValue {
        match value.page() {
            Some(i) => self.page.get(i),
            None => js_sys::JSON::parse(&value.to_json()).unwrap_or(JsValue::UNDEFINED),
        }
    }
}

/// A property name read from a call's argument.
pub struct Key(&'static str);

impl Key {
    /// The name, as JavaScript spells it.
    pub const fn name(&self) -> &'static str {
        self.0
    }
}

/// Reads one object's properties by name and type-checks them. The first failure is kept (as
/// an [`Error::Config`] or [`Error::Event`] naming the field) and every later read answers
/// `None`, so callers read on and check [`Reader::finish`] once: the checks are compiled once
/// each, not once per property.
struct Reader<'a> {
    object: Option<Json<'a>>,
    page: &'a Array,
    /// Prepended to a key to name the field in an error (`contexts.`, `context[1].`, ...).
    prefix: &'a str,
    options: bool,
    error: Option<Error>,
}

/// Whether `value` is an object or an array (what `typeof` calls an object).
fn is_object(value: &Json<'_>) -> bool {
    value.is_object() || value.items().is_some()
}

/// Whether `value` is truthy as JavaScript sees it.
fn truthy(value: &Json<'_>) -> bool {
    if let Some(n) = value.non_finite() {
        return n != "NaN";
    }
    match value.raw() {
        "" | "null" | "false" | "\"\"" => false,
        _ => value.as_f64().is_none_or(|n| n != 0.0),
    }
}

impl<'a> Reader<'a> {
    /// Reads `input`'s properties (anything but an object: every property absent).
    fn new(input: Input<'a>, prefix: &'a str, options: bool) -> Self {
        let object = is_object(&input.value).then_some(input.value);
        Reader { object, page: input.page, prefix, options, error: None }
    }

    /// The call's input at `value` (same page values).
    fn input(&self, value: Json<'a>) -> Input<'a> {
        Input { value, page: self.page }
    }

    /// The page's value `value` refers to (`undefined` when it is no reference).
    fn page_object(&self, value: Json<'a>) -> JsValue {
        self.input(value).page_object(value)
    }

    /// Whether `value` refers to one of the page's functions.
    fn is_function(&self, value: Json<'a>) -> bool {
        self.page_object(value).is_function()
    }

    /// Records the first failure, of the field `key` names.
    #[inline(never)]
    fn fail(&mut self, key: &str, reason: &str) {
        if self.error.is_none() {
            let field = concat(&[self.prefix, key]);
            self.error =
                Some(if self.options { Error::config(field, reason) } else { Error::event(field, reason) });
        }
    }

    /// The property (`None` when absent or `null`, or after a failure).
    #[inline(never)]
    fn value(&mut self, key: &Key) -> Option<Json<'a>> {
        if self.error.is_some() {
            return None;
        }
        self.object?.get(key.name()).filter(|v| !v.is_null())
    }

    /// The property if `check` accepts it, else a failure with `reason`.
    #[inline(never)]
    fn checked(&mut self, key: &Key, check: fn(&Json<'_>) -> bool, reason: &str) -> Option<Json<'a>> {
        let value = self.value(key)?;
        if check(&value) {
            Some(value)
        } else {
            self.fail(key.name(), reason);
            None
        }
    }

    #[inline(never)]
    fn string(&mut self, key: &Key) -> Option<String> {
        self.checked(key, |v| v.as_str().is_some(), "must be a string")?.as_str().map(Cow::into_owned)
    }

    #[inline(never)]
    fn boolean(&mut self, key: &Key) -> Option<bool> {
        self.checked(key, |v| v.as_bool().is_some(), "must be a boolean")?.as_bool()
    }

    #[inline(never)]
    fn number(&mut self, key: &Key) -> Option<f64> {
        self.checked(key, |v| v.as_f64().is_some(), "must be a finite number")?.as_f64()
    }

    /// A non-negative whole number, at most 9e15.
    #[inline(never)]
    fn whole(&mut self, key: &Key) -> Option<u64> {
        let value = self.checked(key, |v| whole(v).is_some(), "must be a non-negative whole number")?;
        whole(&value)
    }

    fn size(&mut self, key: &Key) -> Option<usize> {
        self.whole(key).map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }

    fn seconds(&mut self, key: &Key) -> Option<i64> {
        self.whole(key).map(|n| i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// An array of HTTP status codes (100–599).
    #[inline(never)]
    fn status_codes(&mut self, key: &Key) -> Option<Vec<u16>> {
        fn code(v: Json<'_>) -> Option<f64> {
            v.as_f64().filter(|n| (100.0..600.0).contains(n))
        }
        let codes = |v: &Json<'_>| v.items().is_some_and(|mut items| items.all(|n| code(n).is_some()));
        let value = self.checked(key, codes, "must be an array of HTTP status codes")?;
        Some(value.items()?.filter_map(code).map(|n| n as u16).collect())
    }

    /// An array of strings.
    #[cfg(feature = "full")]
    #[inline(never)]
    fn strings(&mut self, key: &Key) -> Option<Vec<String>> {
        let all = |v: &Json<'_>| v.items().is_some_and(|mut items| items.all(|s| s.as_str().is_some()));
        let value = self.checked(key, all, "must be an array of strings")?;
        Some(value.items()?.filter_map(|s| s.as_str()).map(Cow::into_owned).collect())
    }

    /// One of the page's functions.
    #[inline(never)]
    fn function(&mut self, key: &Key) -> Option<Function> {
        let value = self.value(key)?;
        let f = self.page_object(value);
        if f.is_function() {
            return Some(f.unchecked_into());
        }
        self.fail(key.name(), "must be a function");
        None
    }

    /// A string that must be one of `parse`'s values.
    fn one_of<T>(&mut self, key: &Key, parse: fn(&str) -> Option<T>, allowed: &str) -> Option<T> {
        let value = parse(&self.string(key)?);
        if value.is_none() {
            self.not_one_of(key, allowed);
        }
        value
    }

    #[inline(never)]
    fn not_one_of(&mut self, key: &Key, allowed: &str) {
        self.fail(key.name(), &concat(&["must be one of ", allowed]));
    }

    /// A required, non-empty string.
    #[inline(never)]
    fn required(&mut self, key: &Key) -> String {
        match self.string(key) {
            Some(text) if !text.is_empty() => text,
            _ => {
                self.fail(key.name(), "must be a non-empty string");
                String::new()
            }
        }
    }

    /// Keeps `other`'s failure if this reader has none yet.
    #[cfg(feature = "full")]
    fn adopt(&mut self, other: Result<()>) {
        if let (None, Err(err)) = (&self.error, other) {
            self.error = Some(err);
        }
    }

    /// The first failure, if any.
    fn finish(self) -> Result<()> {
        self.error.map_or(Ok(()), Err)
    }
}

/// A non-negative whole number up to 9e15 (`-0` is 0).
fn whole(value: &Json<'_>) -> Option<u64> {
    let text = value.number_text()?;
    let digits = if text == "-0" { "0" } else { text };
    digits.parse::<u64>().ok().filter(|n| *n <= 9_000_000_000_000_000)
}

/// A number rounded to the nearest whole one (halves away from zero), saturating.
fn round(n: f64) -> i64 {
    (if n < 0.0 { n - 0.5 } else { n + 0.5 }) as i64
}

fn method(text: &str) -> Option<Method> {
    match text.to_ascii_lowercase().as_str() {
        "post" => Some(Method::Post),
        "get" => Some(Method::Get),
        _ => None,
    }
}

/// Sets `slot` when `value` is given.
fn set<T>(slot: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *slot = value;
    }
}

/// Reads `newTracker`'s options (`undefined` or `null`: all defaults) into `config`; returns
/// the callbacks.
///
/// # Errors
/// [`Error::Config`] naming the first option of the wrong type or value.
pub fn read_options(config: &mut Config, options: Input<'_>) -> Result<Callbacks> {
    if !options.value.is_null() && !is_object(&options.value) {
        return Err(Error::config("config", "must be an object"));
    }
    let mut o = Reader::new(options, "", true);
    set(&mut config.app_id, o.string(&APP_ID));
    set(&mut config.platform, o.string(&PLATFORM));
    set(&mut config.cookie_name, o.string(&COOKIE_NAME));
    set(&mut config.post_path, o.string(&POST_PATH));
    let allowed = "'include', 'same-origin', 'omit'";
    set(&mut config.credentials, o.one_of(&CREDENTIALS, Credentials::parse, allowed));
    config.cookie_domain = o.string(&COOKIE_DOMAIN);
    config.discover_root_domain = o.boolean(&DISCOVER_ROOT_DOMAIN).unwrap_or(config.cookie_domain.is_none());
    let same_site = "'Strict', 'Lax', 'None'";
    set(&mut config.cookie_same_site, o.one_of(&COOKIE_SAME_SITE, SameSite::parse, same_site));
    config.cookie_secure = o.boolean(&COOKIE_SECURE);
    set(&mut config.cookie_lifetime_s, o.seconds(&COOKIE_LIFETIME));
    set(&mut config.session_cookie_timeout_s, o.seconds(&SESSION_COOKIE_TIMEOUT));
    config.foreground_timeout_s = o.seconds(&FOREGROUND_TIMEOUT).unwrap_or(config.session_cookie_timeout_s);
    config.background_timeout_s = o.seconds(&BACKGROUND_TIMEOUT).unwrap_or(config.session_cookie_timeout_s);
    let strategies = "'cookieAndLocalStorage', 'cookie', 'localStorage', 'none'";
    let strategy = o.one_of(&STATE_STORAGE_STRATEGY, StateStorage::parse, strategies);
    set(&mut config.state_storage, strategy);
    set(&mut config.method, o.one_of(&EVENT_METHOD, method, "'post', 'get'"));
    config.encode_base64 = o.boolean(&ENCODE_BASE64).unwrap_or(config.method == Method::Get);
    if let Some(ms) = o.whole(&CONNECTION_TIMEOUT) {
        match u32::try_from(ms) {
            Ok(ms) => config.connection_timeout_ms = ms,
            Err(_) => o.fail(CONNECTION_TIMEOUT.name(), "is too large"),
        }
    }
    set(&mut config.buffer_size, o.size(&BUFFER_SIZE));
    set(&mut config.max_post_bytes, o.size(&MAX_POST_BYTES));
    set(&mut config.keepalive, o.boolean(&KEEPALIVE));
    set(&mut config.lifecycle_autotracking, o.boolean(&LIFECYCLE_AUTOTRACKING));
    set(&mut config.screen_engagement_autotracking, o.boolean(&SCREEN_ENGAGEMENT_AUTOTRACKING));
    set(&mut config.screen_engagement_scroll, o.boolean(&SCREEN_ENGAGEMENT_SCROLL));
    set(&mut config.reset_activity_on_page_view, o.boolean(&RESET_ACTIVITY_TRACKING_ON_PAGE_VIEW));
    if let Some(autotracking) = o.value(&PAGE_VIEW_AUTOTRACKING) {
        match autotracking.as_str().as_deref() {
            Some("history") if !cfg!(feature = "full") => o.fail(PAGE_VIEW_AUTOTRACKING.name(), NOT_IN_CORE),
            Some("history") => config.page_view_autotracking = true,
            _ if autotracking.as_bool() == Some(false) => {}
            _ => o.not_one_of(&PAGE_VIEW_AUTOTRACKING, "'history', false"),
        }
    }
    if let Some(contexts) = o.checked(&CONTEXTS, is_object, "must be an object") {
        let mut c = Reader::new(o.input(contexts), "contexts.", true);
        config.session_context = c.boolean(&SESSION).unwrap_or(true);
        config.web_page_context = c.boolean(&WEB_PAGE).unwrap_or(true);
        config.geolocation_context = c.boolean(&GEOLOCATION).unwrap_or(false);
        c.finish()?;
    }
    set(&mut config.retry.retry_status_codes, o.status_codes(&RETRY_STATUS_CODES));
    let dont = o.status_codes(&DONT_RETRY_STATUS_CODES);
    set(&mut config.retry.dont_retry_status_codes, dont);
    set(&mut config.retry.base_delay_ms, o.whole(&RETRY_BASE_DELAY));
    set(&mut config.retry.max_delay_ms, o.whole(&RETRY_MAX_DELAY));
    set(&mut config.queue_limits.max_events, o.size(&MAX_QUEUE_SIZE));
    set(&mut config.queue_limits.max_bytes, o.size(&MAX_QUEUE_BYTES));
    let persisted = o.size(&MAX_LOCAL_STORAGE_QUEUE_BYTES);
    set(&mut config.queue_limits.max_persisted_bytes, persisted);
    if let Some(headers) = o.checked(&CUSTOM_HEADERS, is_object, "must be an object") {
        config.custom_headers = headers_of(&mut o, headers);
    }
    if cfg!(feature = "full") {
        last_mile_options(&mut o, config);
    }
    privacy::read_options(&mut o, config);
    let on_session_update = o.function(&ON_SESSION_UPDATE);
    let alias = o.function(&ON_SESSION_UPDATE_CALLBACK);
    let custom_fetch = if cfg!(feature = "full") { o.function(&CUSTOM_FETCH) } else { None };
    let callbacks = Callbacks {
        on_session_update: on_session_update.or(alias),
        on_request_success: o.function(&ON_REQUEST_SUCCESS),
        on_request_failure: o.function(&ON_REQUEST_FAILURE),
        on_event_dropped: o.function(&ON_EVENT_DROPPED),
        custom_fetch,
    };
    o.finish()?;
    Ok(callbacks)
}

/// The full build's options of issue 21: `preserveOriginalReferrer`, `preservePageViewIdForUrl`,
/// `cookieExtensionService` (alias `idService`). (`customFetch` is read with the callbacks.)
fn last_mile_options(o: &mut Reader<'_>, config: &mut Config) {
    set(&mut config.preserve_original_referrer, o.boolean(&PRESERVE_ORIGINAL_REFERRER));
    let id_service = o.string(&ID_SERVICE);
    config.cookie_extension_service =
        o.string(&COOKIE_EXTENSION_SERVICE).or(id_service).filter(|url| !url.is_empty());
    if let Some(preserve) = o.value(&PRESERVE_PAGE_VIEW_ID_FOR_URL) {
        let mode = match preserve.as_bool() {
            Some(on) => Some(if on { PreserveForUrl::Full } else { PreserveForUrl::Off }),
            None => preserve.as_str().as_deref().and_then(PreserveForUrl::parse),
        };
        match mode {
            Some(mode) => config.preserve_page_view_id_for_url = mode,
            None => o.not_one_of(
                &PRESERVE_PAGE_VIEW_ID_FOR_URL,
                "true, false, 'full', 'pathname', 'pathnameAndSearch'",
            ),
        }
    }
}

/// The longest timer browsers honour, in seconds (`setTimeout` takes a signed 32-bit ms count).
const MAX_TIMER_S: u64 = 2_147_483;

/// `enableActivityTracking`'s configuration (`{minimumVisitLength, heartbeatDelay}`, whole
/// seconds, and `activityMetrics`), and `enableActivityTrackingCallback`'s `callback` when `callback` is true.
///
/// # Errors
/// [`Error::Config`] naming the first missing or invalid field.
pub fn activity_config(value: Input<'_>, callback: bool) -> Result<(ActivityConfig, Option<Function>)> {
    let mut r = Reader::new(value, "", true);
    let mut ms = |key: &Key, least: u64| {
        let seconds = r.whole(key).filter(|s| (least..=MAX_TIMER_S).contains(s));
        if seconds.is_none() {
            r.fail(key.name(), "must be whole seconds up to 2147483 (the heartbeat at least 1)");
        }
        i64::try_from(seconds.unwrap_or(0) * 1000).unwrap_or(0)
    };
    let config = ActivityConfig {
        minimum_visit_ms: ms(&MINIMUM_VISIT_LENGTH, 0),
        heartbeat_ms: ms(&HEARTBEAT_DELAY, 1),
        metrics: r.boolean(&ACTIVITY_METRICS).unwrap_or(false),
    };
    let function = if callback { r.function(&CALLBACK) } else { None };
    if callback && function.is_none() {
        r.fail(CALLBACK.name(), "must be a function");
    }
    r.finish()?;
    Ok((config, function))
}

#[cfg(feature = "full")]
/// `enableLinkClickTracking`'s configuration, read.
#[derive(Debug)]
pub struct LinkClickConfig {
    /// Which links are tracked.
    pub filter: LinkFilter,
    /// The page's `filter` function (with [`LinkFilter::Page`]).
    pub page_filter: Option<Function>,
    /// `pseudoClicks`: mousedown and mouseup instead of click.
    pub pseudo_clicks: bool,
    /// `trackContent`: a link's `innerHTML` as `elementContent`.
    pub track_content: bool,
    /// `context`: entities, and functions of the link returning one (called at each click),
    /// as JS values.
    pub context: Option<Array>,
}

#[cfg(feature = "full")]
/// Reads `enableLinkClickTracking`'s configuration: `options` an object (`{filter}`: a function
/// of the link, which wins as in the JS tracker; else `{allowlist}` or `{denylist}`: a class or
/// a list of them), `pseudoClicks` and `trackContent` booleans, `context` a list (its entries
/// are checked at each click).
///
/// # Errors
/// [`Error::Config`] naming the first invalid field.
pub fn link_click_config(value: Input<'_>) -> Result<LinkClickConfig> {
    let mut r = Reader::new(value, "", true);
    let options = r.checked(&OPTIONS, |v| v.is_object(), "must be an object");
    let (mut filter, mut page_filter) = (LinkFilter::All, None);
    if let Some(options) = options {
        let mut o = Reader::new(r.input(options), "options.", true);
        page_filter = o.value(&FILTER).filter(|v| truthy(v)).and_then(|_| o.function(&FILTER));
        if page_filter.is_some() {
            filter = LinkFilter::Page;
        } else {
            // An `allowlist` property makes the list an allowlist (the JS tracker's rule).
            let allow = options.get(ALLOWLIST.name()).is_some();
            let key = if o.value(&ALLOWLIST).is_some_and(|v| truthy(&v)) { &ALLOWLIST } else { &DENYLIST };
            let listed = match o.value(key) {
                Some(class) if class.as_str().is_some() => {
                    class.as_str().map(Cow::into_owned).into_iter().collect()
                }
                Some(_) => o.strings(key).unwrap_or_default(),
                None => Vec::new(),
            };
            filter = LinkFilter::Classes { allow, listed };
        }
        r.adopt(o.finish());
    }
    let pseudo_clicks = r.boolean(&PSEUDO_CLICKS).unwrap_or(false);
    let track_content = r.boolean(&TRACK_CONTENT).unwrap_or(false);
    let context = r.checked(&CONTEXT, |v| v.items().is_some(), "must be an array");
    let context =
        context.and_then(|c| c.items()).map(|items| items.map(|item| value.js(item)).collect::<Array>());
    r.finish()?;
    Ok(LinkClickConfig { filter, page_filter, pseudo_clicks, track_content, context })
}

#[cfg(feature = "full")]
/// A link's attributes, as `host_full.js` read them.
#[derive(Debug, Default)]
pub struct LinkAttributes {
    /// `href`, `hostname`, `id`, `target`.
    texts: [String; 4],
    /// Its classes.
    pub classes: Vec<String>,
}

#[cfg(feature = "full")]
impl LinkAttributes {
    /// The attributes of `element`; `None` when it is no `a` or `area` element.
    pub fn of(element: &JsValue) -> Option<Self> {
        let facts = host::link_facts(element);
        if facts.is_undefined() {
            return None;
        }
        let mut items = host::strings(facts.unchecked_into());
        let texts = core::array::from_fn(|_| items.next().unwrap_or_default());
        Some(LinkAttributes { texts, classes: items.collect() })
    }

    /// The link's `link_click` event (with `element`'s `innerHTML` when `content`); `None` for a
    /// script link.
    pub fn event(&self, element: &JsValue, content: bool) -> Option<Event> {
        let inner = content
            .then(|| host::property(element, &JsValue::from_str(INNER_HTML.name())).ok()?.as_string())
            .flatten();
        let [href, hostname, id, target] = &self.texts;
        let classes = &self.classes;
        link_click::event(&Link { href, hostname, id, classes, target, content: inner.as_deref() })
    }
}

#[cfg(feature = "full")]
/// Link click tracking's entities for one click: `context`'s entries as `host_full.js` resolved
/// them for the link (functions called with it, `undefined` when one threw), the falsy ones
/// left out as the JS tracker does.
///
/// # Errors
/// [`Error::Event`] naming the first entry that is not a self-describing JSON.
pub fn link_click_context(resolved: &Array) -> Result<TrackOptions> {
    read_answer(resolved, "context", |input| {
        let mut r = Reader::new(input, "", false);
        let mut options = TrackOptions::default();
        if let Some(items) = input.value.items() {
            entities(&mut r, items, truthy, &mut options.context);
        }
        r.finish()?;
        Ok(options)
    })
}

/// The entities of `context` (those `keep` keeps) into `out`; the first invalid one is `r`'s
/// failure.
fn entities<'a>(
    r: &mut Reader<'a>,
    context: json_value::Items<'a>,
    keep: fn(&Json<'_>) -> bool,
    out: &mut Vec<SelfDescribingJson>,
) {
    for (i, entity) in context.enumerate() {
        if !keep(&entity) {
            continue;
        }
        let mut field = String::from("context[");
        push_uint(&mut field, i as u64, 0);
        field.push(']');
        let entity = (!entity.is_null()).then_some(entity);
        match self_describing_json(r, &field, entity) {
            Some(sdj) => out.push(sdj),
            None => break,
        }
    }
}

/// A track call's argument (anything but an object reads as an event without fields).
pub struct EventReader<'a> {
    reader: Reader<'a>,
}

/// A screen view's fields (`trackScreenView`, or the data of a mobile `screen_view` event).
fn screen_view(r: &mut Reader<'_>) -> Event {
    Event::ScreenView(ScreenView {
        name: r.required(&NAME),
        id: r.string(&ID),
        screen_type: r.string(&TYPE),
        transition_type: r.string(&TRANSITION_TYPE),
        previous_name: r.string(&PREVIOUS_NAME),
        previous_id: r.string(&PREVIOUS_ID),
        previous_type: r.string(&PREVIOUS_TYPE),
    })
}

/// `trackListItemView`'s fields.
fn list_item_view(r: &mut Reader<'_>) -> Option<Event> {
    let i = r.whole(&INDEX);
    if i.is_none() {
        r.fail(INDEX.name(), "is required");
    }
    let items_count = r.whole(&ITEMS_COUNT);
    let small = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Some(Event::ListItemView(ListItemView { index: small(i?), items_count: items_count.map(small) }))
}

/// `trackScrollChanged`'s fields (offsets and sizes in pixels, rounded).
fn scroll_changed(r: &mut Reader<'_>) -> Event {
    let mut px = |key: &Key| r.number(key).map(round);
    let x_offset = px(&X_OFFSET);
    let y_offset = px(&Y_OFFSET);
    let mut size = |key: &Key| px(key).and_then(|n| u64::try_from(n).ok());
    Event::ScrollChanged(ScrollChanged {
        x_offset,
        y_offset,
        view_width: size(&VIEW_WIDTH),
        view_height: size(&VIEW_HEIGHT),
        content_width: size(&CONTENT_WIDTH),
        content_height: size(&CONTENT_HEIGHT),
    })
}

impl<'a> EventReader<'a> {
    /// Reads `value`.
    pub fn new(value: Input<'a>) -> Self {
        EventReader { reader: Reader::new(value, "", false) }
    }

    /// `trackPageView`'s event (`None` after a failure, which [`EventReader::options`] returns).
    pub fn page_view(&mut self) -> Option<Event> {
        Some(Event::PageView { title: self.reader.string(&TITLE) })
    }

    /// `trackScreenView`'s event.
    pub fn screen_view(&mut self) -> Option<Event> {
        Some(screen_view(&mut self.reader))
    }

    /// `trackListItemView`'s event.
    pub fn list_item_view(&mut self) -> Option<Event> {
        list_item_view(&mut self.reader)
    }

    /// `trackScrollChanged`'s event.
    pub fn scroll_changed(&mut self) -> Option<Event> {
        Some(scroll_changed(&mut self.reader))
    }

    #[cfg(feature = "full")]
    /// `trackLinkClick`'s event: of `element` (an `a` or `area` element, its `innerHTML` with
    /// `trackContent`; a script link is none), else of the fields (`targetUrl` a non-empty
    /// string, `elementClasses` an array of strings, the others strings).
    pub fn link_click(&mut self) -> Option<Event> {
        let r = &mut self.reader;
        if r.object.is_none() {
            r.fail(ELEMENT.name(), "must be an a or area element");
        }
        if let Some(element) = r.value(&ELEMENT) {
            let content = r.boolean(&TRACK_CONTENT).unwrap_or(false);
            let element = r.page_object(element);
            let Some(link) = LinkAttributes::of(&element) else {
                r.fail(ELEMENT.name(), "must be an a or area element");
                return None;
            };
            return link.event(&element, content);
        }
        let url = r.required(&TARGET_URL);
        let id = r.string(&ELEMENT_ID);
        let classes = r.strings(&ELEMENT_CLASSES);
        let target = r.string(&ELEMENT_TARGET);
        let content = r.string(&ELEMENT_CONTENT);
        if r.error.is_some() {
            return None;
        }
        let data = link_click::link_click_data(
            &url,
            id.as_deref(),
            classes.as_deref(),
            target.as_deref(),
            content.as_deref(),
        );
        link_click::link_click_event(data)
    }

    /// `trackSelfDescribingEvent`'s event.
    pub fn self_describing(&mut self) -> Option<Event> {
        let event = self.reader.value(&EVENT);
        self_describing_json(&mut self.reader, "event", event).map(Event::SelfDescribing)
    }

    /// `trackStructEvent`'s event.
    pub fn structured(&mut self) -> Option<Event> {
        let r = &mut self.reader;
        let category = r.required(&CATEGORY);
        let action = r.required(&ACTION);
        let label = r.string(&LABEL);
        let property = r.string(&PROPERTY);
        // As the browser's `JSON.stringify` wrote it, which is `String(value)` (no float
        // formatting in wasm).
        let value = match r.checked(&VALUE, |v| v.as_f64().is_some(), "must be a finite number") {
            Some(value) => value.number_text().map(String::from),
            None => None,
        };
        Some(Event::Struct(StructEvent { category, action, label, property, value }))
    }

    /// The options every track call takes (`context` entities and `timestamp`), once the
    /// event's own fields are read; the first invalid field is the error.
    ///
    /// # Errors
    /// [`Error::Event`] naming the first invalid field of the whole input.
    pub fn options(mut self) -> Result<TrackOptions> {
        let r = &mut self.reader;
        let mut options = TrackOptions::default();
        let context = r.checked(&CONTEXT, |v| v.items().is_some(), "must be an array");
        if let Some(context) = context.and_then(|c| c.items()) {
            entities(r, context, |_| true, &mut options.context);
        }
        if let Some(ts) = r.value(&TIMESTAMP) {
            options.timestamp = timestamp(r, ts);
        }
        self.reader.finish()?;
        Ok(options)
    }
}

/// A self-describing JSON under `field`: `{schema, data}` with `data` an object.
fn self_describing_json<'a>(
    r: &mut Reader<'a>,
    field: &str,
    value: Option<Json<'a>>,
) -> Option<SelfDescribingJson> {
    if r.error.is_some() {
        return None;
    }
    let Some(value) = value.filter(|v| is_object(v)) else {
        r.fail(field, "must be an object with schema and data");
        return None;
    };
    let prefix = concat(&[field, "."]);
    let mut sdj = Reader::new(r.input(value), &prefix, false);
    let schema = sdj.string(&SCHEMA);
    if schema.is_none() {
        sdj.fail(SCHEMA.name(), "is required");
    }
    // The data's text as `JSON.stringify` wrote it: not written again.
    let json = sdj.value(&DATA).filter(Json::is_object).map(|d| d.to_json());
    if json.is_none() {
        sdj.fail(DATA.name(), "must be an object");
    }
    let checked = sdj
        .finish()
        .and_then(|()| SelfDescribingJson::new(field, &schema.unwrap_or_default(), json.unwrap_or_default()));
    match checked {
        Ok(sdj) => Some(sdj),
        Err(err) => {
            r.error = Some(err);
            None
        }
    }
}

/// A `timestamp`: a number (device time) or `{type: 'ttm' | 'dtm', value}`.
fn timestamp<'a>(r: &mut Reader<'a>, value: Json<'a>) -> Option<Timestamp> {
    if let Some(ms) = value.as_f64() {
        return Some(Timestamp::Device(ms as i64));
    }
    let mut t = Reader::new(r.input(value), "timestamp.", false);
    let ms = t.number(&VALUE);
    let kind = t.string(&TYPE);
    let stamp = match (kind.as_deref(), ms) {
        (Some("ttm"), Some(ms)) => Some(Timestamp::True(ms as i64)),
        (Some("dtm"), Some(ms)) => Some(Timestamp::Device(ms as i64)),
        _ => None,
    };
    if let Err(err) = t.finish() {
        r.error = Some(err);
    } else if stamp.is_none() {
        r.fail("timestamp", "must be a number or {type: 'ttm' | 'dtm', value: number}");
    }
    stamp
}

/// `enableGdprContext`'s argument: the `gdpr` entity's fields (`basisForProcessing` defaults to
/// `consent`, as in the JS tracker).
///
/// # Errors
/// [`Error::Event`] naming the first invalid field.
pub fn read_gdpr(value: Input<'_>) -> Result<Gdpr> {
    let mut r = Reader::new(value, "", false);
    let gdpr = Gdpr {
        basis: r.string(&BASIS_FOR_PROCESSING).unwrap_or_else(|| "consent".into()),
        document_id: r.string(&DOCUMENT_ID),
        document_version: r.string(&DOCUMENT_VERSION),
        document_description: r.string(&DOCUMENT_DESCRIPTION),
    };
    r.finish()?;
    gdpr.validate()?;
    Ok(gdpr)
}

/// `customHeaders`: an object of header names and string values.
fn headers_of(o: &mut Reader<'_>, headers: Json<'_>) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let Some(members) = headers.members() else { return pairs };
    for (name, value) in members {
        match value.as_str() {
            Some(value) if !name.is_empty() => pairs.push((key_text(name).into_owned(), value.into_owned())),
            _ => {
                o.fail(CUSTOM_HEADERS.name(), "must map header names to strings");
                break;
            }
        }
    }
    pairs
}
