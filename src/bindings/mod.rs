//! The module's entry point (wasm32 only): three exports under the package's JS facade
//! (`js/facade.js`), which gives the JavaScript API named as in @snowplow/browser-tracker.
//! [`create`] makes a tracker (`newTracker`); [`call`] runs one of its methods, [`get`] one that
//! answers (a getter, `flush`). They take the
//! call's arguments as one JSON text (the facade's `JSON.stringify`) and the page's values it
//! refers to (functions, elements, plugins), read and validated once in [`input`] into the
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
use crate::engine::util::json_value::Json;
use crate::engine::{Input, Setting};
use crate::error::Error;
use crate::web::lazy_global::LazyGlobal;
use crate::web::page_functions::PageFunctions;
use crate::web::runtime::{self, Runtime, Shared};
use crate::web::{domain, env::WebEnv, facts, host};
use alloc::rc::Rc;
use core::cell::RefCell;
use input::EventReader;
use js_sys::{Array, JSON};
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

/// What a method answers: a value for the page, or an `Error` naming the field.
type Answer = core::result::Result<JsValue, JsError>;

/// The trackers of the page, by the number [`create`] gave them.
static TRACKERS: LazyGlobal<RefCell<Vec<Rc<JsTracker>>>> = LazyGlobal::new(Default::default);

/// One tracker, made by [`create`]: the runtime it drives.
pub struct JsTracker {
    shared: Shared,
    /// The runtime's registry of the page's functions, to give them handles while reading
    /// `addGlobalContexts` input (even from inside one of the page's functions).
    #[cfg(feature = "full")]
    registry: PageFunctions,
}

/// Reads a call's JSON `args` (the text of an array) and hands its items to `f`. The text is a
/// JS string copied into the module here, inside the call (one call into the module per call
/// of the API, its allocation nested in it). (A fixed array of items instead of the `Vec` was
/// measured: 60 B more gzip for one small allocation less per call.)
fn with_args<T>(
    args: &JsValue,
    f: impl FnOnce(&[Json<'_>]) -> core::result::Result<T, JsError>,
) -> core::result::Result<T, JsError> {
    let text = args.as_string().unwrap_or_default();
    let Some(items) = Json::new(&text).items() else {
        return Err(js_error(Error::config("arguments", "must be the JSON text of an array")));
    };
    f(&items.collect::<Vec<_>>())
}

/// `newTracker(namespace, collectorUrl, config)`: `args` is the JSON text of those three
/// arguments (the facade's), `page` the page's values it refers to. Answers the tracker's
/// number for [`call`]. Throws an `Error` naming the field when an option is invalid.
#[wasm_bindgen]
pub fn create(args: &JsValue, page: &Array) -> core::result::Result<u32, JsError> {
    with_args(args, |items| {
        let arg = |i: usize| input::Input::new(items.get(i).copied().unwrap_or(Json::new("null")), page);
        let tracker = new_tracker(arg(0), arg(1), arg(2))?;
        let mut trackers = TRACKERS.try_borrow_mut().map_err(|_| {
            js_error(Error::config("newTracker", "cannot be called from a tracker's callback"))
        })?;
        let id = u32::try_from(trackers.len()).unwrap_or(u32::MAX);
        trackers.push(Rc::new(tracker));
        Ok(id)
    })
}

/// Runs the method `args[0]` of the tracker number `tracker` with the arguments that follow
/// (the JSON text of `[method, ...arguments]`, the facade's; `page` the page's values it refers
/// to). Throws an `Error` naming the field when an argument is invalid, or the method when the
/// build has no such method. For the methods that answer nothing: no value crosses back.
#[wasm_bindgen]
pub fn call(tracker: u32, args: &JsValue, page: &Array) -> core::result::Result<(), JsError> {
    get(tracker, args, page).map(drop)
}

/// As [`call`], for the methods that answer (the getters and `flush`): their answer.
#[wasm_bindgen]
pub fn get(tracker: u32, args: &JsValue, page: &Array) -> Answer {
    let tracker = TRACKERS.try_borrow().ok().and_then(|trackers| trackers.get(tracker as usize).cloned());
    let Some(tracker) = tracker else {
        return Err(js_error(Error::config("tracker", "is not one newTracker made")));
    };
    with_args(args, |items| {
        let method = items.first().and_then(|m| m.as_str()).unwrap_or_default();
        let arg = |i: usize| input::Input::new(items.get(i + 1).copied().unwrap_or(Json::new("null")), page);
        tracker.dispatch(&method, arg)
    })
}

/// Creates a tracker sending to `collectorUrl` (`https://` is assumed on https pages when the
/// scheme is missing).
fn new_tracker(
    namespace: input::Input<'_>,
    collector_url: input::Input<'_>,
    options: input::Input<'_>,
) -> core::result::Result<JsTracker, JsError> {
    let namespace =
        namespace.as_str().ok_or_else(|| js_error(Error::config("namespace", "must be a string")))?;
    let collector_url =
        collector_url.as_str().ok_or_else(|| js_error(Error::config("collectorUrl", "must be a string")))?;
    let mut core_config = Config::new(&namespace, &collector_url);
    let callbacks = input::read_options(&mut core_config, options).map_err(js_error)?;
    #[cfg(feature = "full")]
    let linker = input::cross_domain::read_options(options, &mut core_config).map_err(js_error)?;
    let plugins = input::privacy::plugins(options).map_err(js_error)?;
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
    /// Runs the method `method` with the arguments `arg` gives.
    fn dispatch<'a>(&self, method: &str, arg: impl Fn(usize) -> input::Input<'a>) -> Answer {
        let done = Ok(JsValue::UNDEFINED);
        match method {
            "trackPageView" => self.track(arg(0), |r| r.page_view()).and(done),
            "trackScreenView" => self.track(arg(0), |r| r.screen_view()).and(done),
            "trackSelfDescribingEvent" => self.track(arg(0), |r| r.self_describing()).and(done),
            "trackStructEvent" => self.track(arg(0), |r| r.structured()).and(done),
            "trackListItemView" => self.track(arg(0), |r| r.list_item_view()).and(done),
            "trackScrollChanged" => self.track(arg(0), |r| r.scroll_changed()).and(done),
            "newSession" => {
                self.with(|rt| rt.handle(Input::NewSession));
                done
            }
            "setUserId" => {
                self.set_user_id(arg(0).as_str());
                done
            }
            "getDomainSessionIndex" => Ok(JsValue::from_f64(self.get_domain_session_index())),
            "getSessionContext" => Ok(self.get_session_context()),
            "flush" => Ok(self.flush().into()),
            "getDeliveryStats" => Ok(self.get_delivery_stats()),
            "getDomainUserId" => Ok(JsValue::from_str(&self.get_domain_user_id())),
            "getDomainSessionId" => Ok(JsValue::from_str(&self.get_domain_session_id())),
            "getCookieName" => {
                Ok(JsValue::from_str(&self.get_cookie_name(&arg(0).as_str().unwrap_or_default())))
            }
            "setCustomUrl" => {
                let url = arg(0).as_str().map(|url| host::resolve_url(&JsValue::from_str(&url)));
                self.set_text(url.and_then(|url| url.as_string()), "url", Setting::CustomUrl);
                done
            }
            "setReferrerUrl" => {
                self.set_text(arg(0).as_str(), "url", Setting::ReferrerUrl);
                done
            }
            "setDocumentTitle" => {
                self.set_text(arg(0).as_str(), "title", Setting::DocumentTitle);
                done
            }
            "preservePageViewId" => {
                self.act(|rt, _| rt.handle(Input::Set(Setting::PreservePageViewId)));
                done
            }
            "getPageViewId" => Ok(self.get_page_view_id()),
            "getUserId" => {
                Ok(self.get(|rt| rt.engine.tracker.user_id().map_or(JsValue::NULL, JsValue::from_str)))
            }
            "getDomainUserInfo" => Ok(self.get(|rt| {
                let (stored, value) = rt.engine.tracker.domain_user_info(&mut rt.env);
                host::domain_user_info(stored, &value)
            })),
            "getTabId" => Ok(self.get(|rt| match rt.engine.tracker.config().state_storage {
                StateStorage::None => JsValue::NULL,
                _ => host::tab_id("_sp_tab_id", &rt.env.new_uuid()),
            })),
            #[cfg(feature = "full")]
            _ => self.dispatch_full(method, arg),
            #[cfg(not(feature = "full"))]
            _ => Err(unknown(method)),
        }
    }

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
    fn track(
        &self,
        event: input::Input<'_>,
        build: for<'v> fn(&mut EventReader<'v>) -> Option<Event>,
    ) -> core::result::Result<(), JsError> {
        self.track_with(event, build, Runtime::track)
    }

    /// As [`JsTracker::track`], the event handed to `track`.
    fn track_with(
        &self,
        event: input::Input<'_>,
        build: for<'v> fn(&mut EventReader<'v>) -> Option<Event>,
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

    /// The current session index (`vid`).
    pub fn get_domain_session_index(&self) -> f64 {
        self.peek(|rt| rt.engine.tracker.state().visit_count as f64).unwrap_or(0.0)
    }

    /// The current `client_session` entity data.
    pub fn get_session_context(&self) -> JsValue {
        self.peek(|rt| rt.engine.tracker.session_context_json())
            .and_then(|json| JSON::parse(&json).ok())
            .unwrap_or(JsValue::NULL)
    }

    /// Sends every queued event now, skipping any retry backoff; resolves to true when the
    /// queue is empty (false when the collector could not be reached: events stay queued).
    pub fn flush(&self) -> js_sys::Promise {
        js_sys::Promise::new(&mut |resolve, _reject| self.with(move |rt| rt.flush(resolve)))
    }

    /// Delivery counters: `{queued, inFlight, sent, failed, retried, dropped, filtered}`.
    pub fn get_delivery_stats(&self) -> JsValue {
        self.peek(|rt| {
            let mut stats = rt.engine.delivery.stats();
            stats.filtered = rt.engine.tracker.filtered();
            stats.to_json()
        })
        .and_then(|json| JSON::parse(&json).ok())
        .unwrap_or(JsValue::NULL)
    }

    /// Sets the business user id (`uid`); `None` clears it.
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

    /// The page view id (of the `web_page` entity).
    pub fn get_page_view_id(&self) -> JsValue {
        self.get(|rt| JsValue::from_str(rt.engine.tracker.page_state().page_view_id(|| rt.env.new_uuid())))
    }

    /// Applies `f` to the state (with the time).
    #[inline(never)]
    fn act(&self, f: fn(&mut Runtime, i64)) {
        runtime::input(&Rc::downgrade(&self.shared), f);
    }

    /// Hands the engine the setting `f` makes of a setter's string `value`; anything but a
    /// string is reported with `console.warn` (naming `field`) and ignored.
    #[inline(never)]
    fn set_text(&self, value: Option<String>, field: &str, f: fn(String) -> Setting) {
        let Some(text) = value else {
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

/// The error of a method this build does not have.
#[inline(never)]
fn unknown(method: &str) -> JsError {
    js_error(Error::config(method, "is no method of this build's tracker"))
}
