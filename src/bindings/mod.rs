//! The JavaScript API (wasm32 only): `newTracker` and the tracker's methods, named as in
//! @snowplow/browser-tracker. Input is read by name and validated in [`input`], once, into the
//! core's typed values. Bad configuration or event input throws an `Error` naming the field;
//! nothing else throws.

#[cfg(feature = "full")]
mod full;
pub mod input;
#[cfg(feature = "full")]
pub mod privacy;

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::config::{Config, StateStorage};
use crate::engine::env::Env;
use crate::engine::event::{Event, TrackOptions};
use crate::engine::tracker::Tracker as CoreTracker;
use crate::engine::{Input, Setting};
use crate::error::Error;
use crate::web::page_functions::PageFunctions;
use crate::web::runtime::{self, Runtime, Shared};
use crate::web::{domain, env::WebEnv, facts, host};
use alloc::rc::Rc;
use input::EventReader;
use js_sys::{JSON, Object};
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
/** `trackScreenView` input; the previous screen's fields are filled in unless `previousName` or `previousId` is given. */
export interface ScreenViewEvent extends CommonEventProperties {
  name: string; id?: string; type?: string; transitionType?: string;
  previousName?: string; previousId?: string; previousType?: string;
}
/** `enableGdprContext` input: the `gdpr` entity on every later event. */
export interface GdprContext {
  basisForProcessing?: 'consent' | 'contract' | 'legal_obligation' | 'vital_interests' | 'public_task' | 'legitimate_interests';
  documentId?: string | null; documentVersion?: string | null; documentDescription?: string | null;
}
/** `trackListItemView` input: an item of a list seen (folded into the screen summary while screen engagement is on). */
export interface ListItemViewEvent extends CommonEventProperties { index: number; itemsCount?: number; }
/** `trackScrollChanged` input, in pixels (folded into the screen summary while screen engagement is on). */
export interface ScrollChangedEvent extends CommonEventProperties {
  xOffset?: number; yOffset?: number; viewWidth?: number; viewHeight?: number; contentWidth?: number; contentHeight?: number;
}
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
  contexts?: { session?: boolean; webPage?: boolean; /** Accepted; no geolocation entity is attached. */ geolocation?: boolean };
  /** application_background / application_foreground when the page is hidden / visible again, and the application_lifecycle entity on every event (default true; the JS tracker has neither). */
  lifecycleAutotracking?: boolean;
  /** screen_end with a screen_summary entity before each new screen view; list items and scrolls folded into the summary (default true). */
  screenEngagementAutotracking?: boolean;
  /** The document's own scroll feeds the screen summary (default true). */
  screenEngagementScroll?: boolean;
  /** Extra request headers (the collector must allow them in CORS). */
  customHeaders?: Record<string, string>;
  /** Events on another URL (by this comparison) get a new page view id without a page view (default false). */
  preservePageViewIdForUrl?: boolean | 'full' | 'pathname' | 'pathnameAndSearch';
  /** The page's first referrer stays `refr` through single-page navigations (default false). */
  preserveOriginalReferrer?: boolean;
  /** Performs the requests instead of `fetch` (given a `Request`; resolves to its `Response`). */
  customFetch?: (request: Request) => Promise<Response>;
  /** A URL requested (GET) once, before the tracker's first request (Snowplow's cookie extension service). */
  cookieExtensionService?: string;
  /** @deprecated The former name of `cookieExtensionService`. */
  idService?: string;

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
  /** An event was dropped: the queue was full ('queue full'), or the user opted out while it waited ('opted out'). */
  onEventDropped?: (report: { eventId: string; reason: 'queue full' | 'opted out' }) => void;
  /** Track without user identifiers (see AnonymousTracking); default false. */
  anonymousTracking?: AnonymousTracking;
  /** No tracking and nothing stored when the browser sends Do Not Track; default false. */
  respectDoNotTrack?: boolean;
  /** Anonymous tracking with server anonymisation when the browser signals Global Privacy Control (navigator.globalPrivacyControl); default false. */
  respectGlobalPrivacyControl?: boolean;
  /** The name of a cookie whose presence stops tracking (as setOptOutCookie). */
  respectOptOutCookie?: string;
  /** Plugins, as addPlugin adds them. */
  plugins?: BrowserPlugin[];
}
/** What onRequestSuccess / onRequestFailure receive. */
export interface RequestReport { events: number; eventIds: string[]; status: number | null; willRetry?: boolean; }
/** getDeliveryStats() counters. */
export interface DeliveryStats { queued: number; inFlight: number; sent: number; failed: number; retried: number; dropped: number; filtered: number; }
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_WEB_MODEL: &str = r#"
export interface TrackerConfiguration {
  /** Whether each page view restarts the activity checks (default true). */
  resetActivityTrackingOnPageView?: boolean;
  /** 'history': a page view in the task after each pushState, replaceState or popstate that changes the URL (its fragment aside). Default off. */
  pageViewAutotracking?: 'history' | false;
}
/** `enableActivityTracking` input, in whole seconds; `heartbeatDelay` at least 1. */
export interface ActivityTrackingConfiguration { minimumVisitLength: number; heartbeatDelay: number; }
/** What the activity callback gets: the page view id and the scroll extents since the last call (`context` is always empty). */
export interface ActivityCallbackData {
  context: SelfDescribingJson[]; pageViewId: string;
  minXOffset: number; minYOffset: number; maxXOffset: number; maxYOffset: number;
}
/** `enableActivityTrackingCallback` input. */
export interface ActivityTrackingConfigurationCallback extends ActivityTrackingConfiguration { callback: (data: ActivityCallbackData) => void; }
/** Which links are tracked: those with one of the classes, without any, or those `filter` accepts. */
export type LinkFilter = { allowlist: string | string[] } | { denylist: string | string[] } | { filter: (link: HTMLElement) => boolean };
/** `enableLinkClickTracking` input. */
export interface LinkClickTrackingConfiguration {
  options?: LinkFilter | null; pseudoClicks?: boolean; trackContent?: boolean;
  context?: Array<SelfDescribingJson | ((link: HTMLElement) => SelfDescribingJson | null | undefined)> | null;
}
/** `trackLinkClick` input: the fields, or the link element. */
export type LinkClickEvent = CommonEventProperties & (
  { targetUrl: string; elementId?: string; elementClasses?: string[]; elementTarget?: string; elementContent?: string }
  | { element: HTMLAnchorElement | HTMLAreaElement; trackContent?: boolean });
/** `getDomainUserInfo()`: `_sp_id` as the JS tracker parses it ('1' first: nothing stored). */
export type DomainUserInfo = [string, string, number, number, number, number | undefined, string, string, string, number | undefined, number];
"#;

// The types of cross-domain linking's options (the full build's, declared in both builds).
#[wasm_bindgen(typescript_custom_section)]
const TS_CROSS_DOMAIN: &str = r#"
/** The fields of the extended `_sp` value (`useExtendedCrossDomainLinker`); `true` is `{ sessionId: true, sourceId: true }`. */
export interface ExtendedCrossDomainLinkerAttributes {
  /** The user id (`setUserId`), base64url. Default false. */
  userId?: boolean;
  /** The session id. Default true. */
  sessionId?: boolean;
  /** The app id, base64url. Default true. */
  sourceId?: boolean;
  /** The platform. Default false. */
  sourcePlatform?: boolean;
  /** The link's text (trimmed), or what the function answers for the click or mousedown event, base64url. Default false. */
  reason?: boolean | ((event: Event) => string);
}
export interface TrackerConfiguration {
  /** Decorates the links it answers true for with `_sp=<duid>.<ms>` when clicked (links added later too). Full build. */
  crossDomainLinker?: (link: HTMLAnchorElement | HTMLAreaElement) => boolean;
  /** The extended `_sp` value: `duid.ms.sid.b64u(uid).b64u(aid).platform.b64u(reason)`, trailing dots trimmed. Full build. */
  useExtendedCrossDomainLinker?: boolean | ExtendedCrossDomainLinkerAttributes;
}
"#;

// The types of the privacy, global context and plugin options and methods (the full build's,
// declared in both builds: `TrackerConfiguration` names some of them).
#[wasm_bindgen(typescript_custom_section)]
const TS_PRIVACY: &str = r#"
/** Anonymous tracking: `true` is `{}` (no session tracking, no server anonymisation). */
export type AnonymousTracking = boolean | {
  /** The session goes on, kept in the session cookie and memory (no `_sp_id`). */
  withSessionTracking?: boolean;
  /** Requests carry `SP-Anonymous: *`: the collector keeps no IP address and sets no network user id cookie. */
  withServerAnonymisation?: boolean;
};
/** `enableAnonymousTracking` input. */
export interface EnableAnonymousTrackingConfiguration {
  options?: AnonymousTracking;
  stateStorageStrategy?: 'cookieAndLocalStorage' | 'cookie' | 'localStorage' | 'none';
}
/** `disableAnonymousTracking` input. */
export interface DisableAnonymousTrackingConfiguration {
  stateStorageStrategy?: 'cookieAndLocalStorage' | 'cookie' | 'localStorage' | 'none';
}
/** `clearUserData` input. */
export interface ClearUserDataConfiguration { preserveSession?: boolean; preserveUser?: boolean; }
/** What a generator or a conditional's filter gets. */
export interface ContextEvent { event: Record<string, string>; eventType: string; eventSchema: string; }
/** Attaches entities per event; what it throws or answers that is not entities is left out (with a console warning). */
export type ContextGenerator = (args: ContextEvent) => SelfDescribingJson | SelfDescribingJson[] | undefined | null;
/** Attaches a conditional's contexts when it returns exactly true. */
export type ContextFilter = (args: ContextEvent) => boolean;
/** Iglu schema globs such as `iglu:com.acme/*\/jsonschema/1-*-*`: attach when an accept rule matches and no reject rule does. */
export interface RuleSet { accept?: string | string[]; reject?: string | string[]; }
/** An entity or a generator. */
export type ContextPrimitive = SelfDescribingJson | ContextGenerator;
/** A global context: a primitive, or `[ruleset | filter, primitive | primitives]`. */
export type GlobalContext = ContextPrimitive | [RuleSet | ContextFilter, ContextPrimitive | ContextPrimitive[]];
/** The payload builder a plugin's `beforeTrack` gets (the JS tracker's methods). */
export interface PayloadBuilder {
  add(key: string, value: unknown): void;
  addDict(dict: Record<string, unknown>): void;
  addContextEntity(entity: SelfDescribingJson): void;
  getPayload(): Record<string, string>;
}
/** A plugin: any of the hooks, each called once per event (none registered: no per-event cost). */
export interface BrowserPlugin {
  contexts?: () => SelfDescribingJson[];
  beforeTrack?: (payloadBuilder: PayloadBuilder) => void;
  /** `false` drops the event before it is queued or stored (counted in getDeliveryStats().filtered). */
  filter?: (payload: Record<string, string>) => boolean;
  afterTrack?: (payload: Record<string, string>) => void;
}
"#;

/// A JS `Error` for `err`.
fn js_error(err: Error) -> JsError {
    JsError::new(&err.message())
}

/// A snowtrack tracker, created by `newTracker`.
#[wasm_bindgen(js_name = Tracker)]
pub struct JsTracker {
    shared: Shared,
    /// The runtime's registry of the page's functions, to give them handles while reading
    /// `addGlobalContexts` input (even from inside one of the page's functions).
    #[cfg(feature = "full")]
    registry: PageFunctions,
}

/// Creates a tracker sending to `collectorUrl` (`https://` is assumed on https pages when the
/// scheme is missing). Throws an `Error` naming the field when an option is invalid.
#[wasm_bindgen(js_name = newTracker)]
pub fn new_tracker(
    #[wasm_bindgen(unchecked_param_type = "string")] namespace: JsValue,
    #[wasm_bindgen(js_name = collectorUrl, unchecked_param_type = "string")] collector_url: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "TrackerConfiguration | null")] config: Option<Object>,
) -> core::result::Result<JsTracker, JsError> {
    let options = config.map_or(JsValue::UNDEFINED, JsValue::from);
    let namespace =
        namespace.as_string().ok_or_else(|| js_error(Error::config("namespace", "must be a string")))?;
    let collector_url = collector_url
        .as_string()
        .ok_or_else(|| js_error(Error::config("collectorUrl", "must be a string")))?;
    let mut core_config = Config::new(&namespace, &collector_url);
    let callbacks = input::read_options(&mut core_config, &options).map_err(js_error)?;
    #[cfg(feature = "full")]
    let linker = input::cross_domain::read_options(&options, &mut core_config).map_err(js_error)?;
    let browser = facts::browser_info();
    let mut env = WebEnv::new();
    let discover = core_config.cookie_domain.is_none()
        && core_config.discover_root_domain
        && core_config.state_storage.uses_cookies();
    let root = discover.then(|| {
        let secure = core_config.secure_cookies(&browser.protocol);
        domain::find_root_domain(&browser.hostname, core_config.cookie_same_site, secure)
    });
    let hidden = crate::web::host::hidden();
    let plugins = input::privacy::plugins(&options).map_err(js_error)?;
    let tracker = CoreTracker::new(core_config, browser, root, hidden, &mut env).map_err(js_error)?;
    // The core build runs no page code: no entity reader for it.
    let read: crate::web::page_functions::ReadEntities =
        if cfg!(feature = "full") { input::privacy::entities } else { |_| Ok(Vec::new()) };
    let mut registry = PageFunctions::new(read);
    for plugin in &plugins {
        registry.add_plugin(plugin);
    }
    let shared = Runtime::start(tracker, env, callbacks, registry.clone());
    #[cfg(feature = "full")]
    full::start_cross_domain(&shared, linker);
    Ok(JsTracker {
        shared,
        #[cfg(feature = "full")]
        registry,
    })
}

impl JsTracker {
    /// Applies `f` to the shared state (at the end of the task when the state is in use: a
    /// call from inside one of the tracker's own host calls), never a panic.
    fn with(&self, f: impl FnOnce(&mut Runtime) + 'static) {
        runtime::input(&Rc::downgrade(&self.shared), move |rt, _| f(rt));
    }

    /// Reads the shared state (no input, nothing to perform); `None` while it is in use.
    fn peek<T>(&self, f: impl FnOnce(&mut Runtime) -> T) -> Option<T> {
        self.shared.try_borrow_mut().ok().map(|mut rt| f(&mut rt))
    }

    /// Reads `event` (`build` reads the event's own fields, then the common options follow)
    /// and tracks it. A call made while the tracker is in use is tracked at the end of the task.
    fn track<'v>(
        &self,
        event: &'v JsValue,
        build: fn(&mut EventReader<'v>) -> Option<Event>,
    ) -> core::result::Result<(), JsError> {
        self.track_with(event, build, Runtime::track)
    }

    /// As [`JsTracker::track`], the event handed to `track`.
    fn track_with<'v>(
        &self,
        event: &'v JsValue,
        build: fn(&mut EventReader<'v>) -> Option<Event>,
        track: fn(&mut Runtime, Event, TrackOptions),
    ) -> core::result::Result<(), JsError> {
        let mut reader = EventReader::new(event);
        let event = build(&mut reader);
        let options = reader.options().map_err(js_error)?;
        let Some(event) = event else { return Ok(()) }; // a failure is always reported above
        event.validate().map_err(js_error)?;
        self.with(move |rt| track(rt, event, options));
        Ok(())
    }
}

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// Tracks a page view (`title` defaults to `document.title`).
    #[wasm_bindgen(js_name = trackPageView)]
    pub fn track_page_view(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "PageViewEvent | null")] event: Option<Object>,
    ) -> core::result::Result<(), JsError> {
        let event = event.map_or(JsValue::UNDEFINED, JsValue::from);
        self.track(&event, EventReader::page_view)
    }

    /// Tracks a screen view (mobile data model) and makes it the current screen.
    #[wasm_bindgen(js_name = trackScreenView)]
    pub fn track_screen_view(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ScreenViewEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(&event, EventReader::screen_view)
    }

    /// Tracks a self-describing event.
    #[wasm_bindgen(js_name = trackSelfDescribingEvent)]
    pub fn track_self_describing_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "SelfDescribingEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(&event, EventReader::self_describing)
    }

    /// Tracks a structured event.
    #[wasm_bindgen(js_name = trackStructEvent)]
    pub fn track_struct_event(
        &self,
        #[wasm_bindgen(unchecked_param_type = "StructuredEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(&event, EventReader::structured)
    }

    /// A list item seen: folded into the current screen's summary while screen engagement is
    /// on (no event), else tracked as a `list_item_view` event.
    #[wasm_bindgen(js_name = trackListItemView)]
    pub fn track_list_item_view(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ListItemViewEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(&event, EventReader::list_item_view)
    }

    /// A scroll position: folded into the current screen's summary while screen engagement is
    /// on (no event), else tracked as a `scroll_changed` event.
    #[wasm_bindgen(js_name = trackScrollChanged)]
    pub fn track_scroll_changed(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ScrollChangedEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track(&event, EventReader::scroll_changed)
    }

    /// Starts a new session now, written to storage at once.
    #[wasm_bindgen(js_name = newSession)]
    pub fn new_session(&self) {
        self.with(|rt| {
            rt.handle(Input::NewSession);
        });
    }

    /// The current session index (`vid`).
    #[wasm_bindgen(js_name = getDomainSessionIndex)]
    pub fn get_domain_session_index(&self) -> f64 {
        self.peek(|rt| rt.engine.tracker.state().visit_count as f64).unwrap_or(0.0)
    }

    /// The current `client_session` entity data.
    #[wasm_bindgen(js_name = getSessionContext, unchecked_return_type = "ClientSession")]
    pub fn get_session_context(&self) -> JsValue {
        self.peek(|rt| rt.engine.tracker.session_context_json())
            .and_then(|json| JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL)
    }

    /// Sends every queued event now, skipping any retry backoff; resolves to true when the
    /// queue is empty (false when the collector could not be reached: events stay queued).
    #[wasm_bindgen(unchecked_return_type = "Promise<boolean>")]
    pub fn flush(&self) -> js_sys::Promise {
        js_sys::Promise::new(&mut |resolve, _reject| self.with(move |rt| rt.flush(resolve)))
    }

    /// Delivery counters: `{queued, inFlight, sent, failed, retried, dropped, filtered}`.
    #[wasm_bindgen(js_name = getDeliveryStats, unchecked_return_type = "DeliveryStats")]
    pub fn get_delivery_stats(&self) -> JsValue {
        self.peek(|rt| {
            let mut stats = rt.engine.delivery.stats();
            stats.filtered = rt.engine.tracker.filtered();
            stats.to_json()
        })
        .and_then(|json| JSON::parse(&json).ok())
        .unwrap_or(JsValue::NULL)
    }
}

#[wasm_bindgen(typescript_custom_section)]
const TS_SET_USER_ID: &str = r#"
export interface Tracker {
  /** Sets the business user id (`uid`); `null` or `undefined` clears it. */
  setUserId(userId?: string | null): void;
}
"#;

// The Rust side of four methods whose JavaScript side (below) takes and returns JS values: the
// same behaviour, with less glue in the module.
impl JsTracker {
    /// Sets the business user id (`uid`); `null` or `undefined` clears it.
    pub fn set_user_id(&self, user_id: Option<String>) {
        self.with(move |rt| rt.handle(Input::Set(Setting::UserId(user_id))));
    }

    /// The domain user id (`duid`).
    pub fn get_domain_user_id(&self) -> String {
        self.peek(|rt| rt.engine.tracker.state().domain_user_id.clone()).unwrap_or_default()
    }

    /// The current session id (`sid`).
    pub fn get_domain_session_id(&self) -> String {
        self.peek(|rt| rt.engine.tracker.state().session_id.clone()).unwrap_or_default()
    }

    /// The full name of the `id` or `ses` cookie, e.g. `_sp_id.1fff`.
    pub fn get_cookie_name(&self, base: &str) -> String {
        self.peek(|rt| {
            let (id, ses) = rt.engine.tracker.storage_keys();
            if base == "ses" { ses.to_owned() } else { id.to_owned() }
        })
        .unwrap_or_default()
    }
}

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// Sets the business user id (`uid`); `null` or `undefined` clears it.
    #[wasm_bindgen(js_name = setUserId, skip_typescript)]
    pub fn set_user_id_js(&self, #[wasm_bindgen(js_name = userId)] user_id: JsValue) {
        self.set_user_id(user_id.as_string());
    }

    /// The domain user id (`duid`).
    #[wasm_bindgen(js_name = getDomainUserId, unchecked_return_type = "string")]
    pub fn get_domain_user_id_js(&self) -> JsValue {
        JsValue::from_str(&self.get_domain_user_id())
    }

    /// The current session id (`sid`).
    #[wasm_bindgen(js_name = getDomainSessionId, unchecked_return_type = "string")]
    pub fn get_domain_session_id_js(&self) -> JsValue {
        JsValue::from_str(&self.get_domain_session_id())
    }

    /// The full name of the `id` or `ses` cookie, e.g. `_sp_id.1fff`.
    #[wasm_bindgen(js_name = getCookieName, unchecked_return_type = "string")]
    pub fn get_cookie_name_js(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] base: JsValue,
    ) -> JsValue {
        JsValue::from_str(&self.get_cookie_name(&base.as_string().unwrap_or_default()))
    }
}

// The web data model: activity tracking, single-page apps, link clicks, getters. Each method
// goes through one of the shared helpers below (one instance each in the module).
impl JsTracker {
    /// Applies `f` to the state (with the time).
    #[inline(never)]
    fn act(&self, f: fn(&mut Runtime, i64)) {
        runtime::input(&Rc::downgrade(&self.shared), f);
    }

    /// Hands the engine the setting `f` makes of a setter's string `value`; anything but a
    /// string is reported with `console.warn` (naming `field`) and ignored.
    #[inline(never)]
    fn set_text(&self, value: &JsValue, field: &str, f: fn(String) -> Setting) {
        let Some(text) = value.as_string() else {
            return host::warn(&Error::config(field, "must be a string").message());
        };
        self.with(move |rt| rt.handle(Input::Set(f(text))));
    }

    /// A getter's answer (`null` while the state is in use).
    #[inline(never)]
    fn get(&self, f: fn(&mut Runtime) -> JsValue) -> JsValue {
        self.peek(f).unwrap_or(JsValue::NULL)
    }
}

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// The `url` of later events (resolved against the page's).
    #[wasm_bindgen(js_name = setCustomUrl)]
    pub fn set_custom_url(&self, #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) {
        self.set_text(&host::resolve_url(&url), "url", Setting::CustomUrl)
    }

    /// The `refr` of later events.
    #[wasm_bindgen(js_name = setReferrerUrl)]
    pub fn set_referrer_url(&self, #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue) {
        self.set_text(&url, "url", Setting::ReferrerUrl)
    }

    /// The title of later page views tracked without one.
    #[wasm_bindgen(js_name = setDocumentTitle)]
    pub fn set_document_title(&self, #[wasm_bindgen(unchecked_param_type = "string")] title: JsValue) {
        self.set_text(&title, "title", Setting::DocumentTitle)
    }

    /// Keeps the page view id for later page views.
    #[wasm_bindgen(js_name = preservePageViewId)]
    pub fn preserve_page_view_id(&self) {
        self.act(|rt, _| rt.handle(Input::Set(Setting::PreservePageViewId)));
    }

    /// The page view id (of the `web_page` entity).
    #[wasm_bindgen(js_name = getPageViewId, unchecked_return_type = "string")]
    pub fn get_page_view_id(&self) -> JsValue {
        self.get(|rt| JsValue::from_str(rt.engine.tracker.page_state().page_view_id(|| rt.env.new_uuid())))
    }

    /// The business user id (`null` when none).
    #[wasm_bindgen(js_name = getUserId, unchecked_return_type = "string | null")]
    pub fn get_user_id(&self) -> JsValue {
        self.get(|rt| rt.engine.tracker.user_id().map_or(JsValue::NULL, JsValue::from_str))
    }

    /// `_sp_id` as the JS tracker reads it (`DomainUserInfo`).
    #[wasm_bindgen(js_name = getDomainUserInfo, unchecked_return_type = "DomainUserInfo")]
    pub fn get_domain_user_info(&self) -> JsValue {
        self.get(|rt| {
            let (stored, value) = rt.engine.tracker.domain_user_info(&mut rt.env);
            host::domain_user_info(stored, &value)
        })
    }

    /// The tab's id (sessionStorage `_sp_tab_id`, as the JS tracker's); `null` without storage.
    #[wasm_bindgen(js_name = getTabId, unchecked_return_type = "string | null")]
    pub fn get_tab_id(&self) -> JsValue {
        self.get(|rt| match rt.engine.tracker.config().state_storage {
            StateStorage::None => JsValue::NULL,
            _ => host::tab_id("_sp_tab_id", &rt.env.new_uuid()),
        })
    }
}
