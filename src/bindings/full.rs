//! The tracker methods that only snowtrack's full build has (compiled with the `full`
//! feature): the `gdpr` entity, activity tracking (page pings), link click tracking and
//! cross-domain linking; the
//! privacy, global context and plugin methods are in [`super::privacy`]. In the core build
//! these methods are not in the module; the package's JS gives the core build's `Tracker` one
//! for each of them that throws an `Error` naming it (`js/build.mjs`, `js/builds.js`).

use super::{JsTracker, input, js_error};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::activity::Which;
use crate::engine::link_click::{self, LinkClicks, Pointer};
use crate::engine::util::text::concat;
use crate::engine::{Input, Setting};
use crate::error::Error;
use crate::web::runtime::{self, Runtime};
use crate::web::{host, page_functions, timer};
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;
use input::{EventReader, LinkAttributes, LinkClickConfig};
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

/// One tracker's link click tracking: the core's rules, and the page's filter and context.
struct LinkWatch {
    clicks: LinkClicks<JsValue>,
    page_filter: Option<Function>,
    context: Option<Array>,
}

impl LinkWatch {
    /// A mouse event on a link, from `host_full.js`'s listener (`[type, which, button, link]`):
    /// tracked when the core says it is a click on a link to track.
    fn event(&mut self, shared: &Weak<RefCell<Runtime>>) {
        let arg: Array = host::callback_arg().unchecked_into();
        let Some(pointer) = arg.get(0).as_string().as_deref().and_then(Pointer::of) else { return };
        let number = |v: JsValue| v.as_f64().map_or(0, |n| n as u32);
        let button = link_click::button(number(arg.get(1)), number(arg.get(2)));
        let link = arg.get(3);
        let Some(attributes) = LinkAttributes::of(&link) else { return };
        let page_filter = &self.page_filter;
        let accepted = || page_filter.as_ref().is_some_and(|f| filter_accepts(f, &link));
        if !self.clicks.event(pointer, button, link.clone(), &attributes.classes, accepted) {
            return;
        }
        let Some(event) = attributes.event(&link, self.clicks.track_content) else { return };
        let options = match &self.context {
            Some(context) => input::link_click_context(&host::link_context(context, &link)),
            None => Ok(Default::default()),
        };
        match options {
            Ok(options) => {
                runtime::input(shared, move |rt, _| rt.track_link_click(event, options));
            }
            Err(err) => host::warn(&err.message()),
        }
    }
}

/// Whether the page's link filter `f` accepts `link` (one that throws does not, warned).
fn filter_accepts(f: &Function, link: &JsValue) -> bool {
    page_accepts("a link filter", f, link)
}

/// Whether the page's function `f` (`what`) accepts `link` (one that throws does not, warned).
fn page_accepts(what: &str, f: &Function, link: &JsValue) -> bool {
    let answer = host::link_filter(f, link);
    if let Some(why) = answer.as_string() {
        page_functions::failed(what, &concat(&["threw ", &why]));
    }
    answer.as_bool() == Some(true)
}

/// A click or mousedown on a link, from `host_full.js`'s cross-domain listener (`[link, event,
/// href]`): the page's `linker` asked, the reason read when the extended value carries one, and
/// the engine decides whether and how the link is decorated ([`Input::CrossDomainLink`]).
fn cross_domain_event(linker: &Function, shared: &Weak<RefCell<Runtime>>) {
    let arg: Array = host::callback_arg().unchecked_into();
    let (link, event, href) = (arg.get(0), arg.get(1), arg.get(2).as_string().unwrap_or_default());
    let accepted = page_accepts("the cross-domain linker", linker, &link);
    let Some(rt) = shared.upgrade() else { return };
    let wanted = rt.try_borrow().ok().and_then(|rt| {
        let extended = rt.engine.tracker.config().cross_domain_extended;
        extended.is_some_and(|fields| fields.reason).then(|| rt.cross_domain.reason.clone())
    });
    let reason = (accepted && wanted.is_some()).then(|| {
        let answer = host::link_reason(wanted.flatten().as_ref(), &event, &link);
        if answer.is_undefined() {
            page_functions::failed("the cross-domain reason function", "threw");
        }
        answer.as_string().unwrap_or_default()
    });
    runtime::input(shared, move |rt, _| {
        rt.cross_domain.link = Some(link);
        rt.handle(Input::CrossDomainLink { accepted, href, reason });
    });
}

/// Decorates the links `linker` selects from now on, replacing the tracker's linker.
fn watch_cross_domain(rt: &mut Runtime, shared: Weak<RefCell<Runtime>>, linker: Function) {
    if let Some(old) = rt.cross_domain.listener.take() {
        host::watch_cross_domain(old.as_ref(), false);
        host::microtask(&timer::once(move || drop(old)));
    }
    let listener = timer::repeating(move || cross_domain_event(&linker, &shared));
    host::watch_cross_domain(listener.as_ref(), true);
    rt.cross_domain.listener = Some(listener);
}

/// Starts cross-domain linking as `newTracker`'s options asked.
pub(super) fn start_cross_domain(shared: &runtime::Shared, linker: input::cross_domain::Linker) {
    let Some(f) = linker.linker else { return };
    let weak = Rc::downgrade(shared);
    runtime::input(&weak.clone(), move |rt, _| {
        rt.cross_domain.reason = linker.reason;
        watch_cross_domain(rt, weak, f);
    });
}

/// Starts link click tracking as `config` says, replacing what the tracker had.
fn watch_links(rt: &mut Runtime, shared: Weak<RefCell<Runtime>>, config: LinkClickConfig) {
    unwatch_links(rt);
    let mut watch = LinkWatch {
        clicks: LinkClicks::new(config.filter, config.track_content),
        page_filter: config.page_filter,
        context: config.context,
    };
    let listener = timer::repeating(move || watch.event(&shared));
    host::watch_links(listener.as_ref(), link_click::event_types(config.pseudo_clicks));
    rt.links = Some(listener);
}

/// Stops link click tracking. The listener is freed at the end of the task: it may be the one
/// calling (a page callback of its event enabling again).
fn unwatch_links(rt: &mut Runtime) {
    if let Some(listener) = rt.links.take() {
        host::unwatch_links(listener.as_ref());
        host::microtask(&timer::once(move || drop(listener)));
    }
}

impl JsTracker {
    #[inline(never)]
    fn enable_activity(&self, which: Which, configuration: &JsValue) -> core::result::Result<(), JsError> {
        let (config, callback) =
            input::activity_config(configuration, which == Which::Callback).map_err(js_error)?;
        self.with(move |rt| rt.enable_activity(which, config, callback));
        Ok(())
    }
}

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// Adds the `gdpr` entity (the basis for processing) to every later event.
    #[wasm_bindgen(js_name = enableGdprContext)]
    pub fn enable_gdpr_context(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GdprContext")] gdpr: JsValue,
    ) -> core::result::Result<(), JsError> {
        let gdpr = input::read_gdpr(&gdpr).map_err(js_error)?;
        self.with(move |rt| rt.handle(Input::Set(Setting::Gdpr(gdpr))));
        Ok(())
    }

    /// Page pings from the next page view on: after `minimumVisitLength` s, then every `heartbeatDelay` s, when there was activity.
    #[wasm_bindgen(js_name = enableActivityTracking)]
    pub fn enable_activity_tracking(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ActivityTrackingConfiguration")] configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.enable_activity(Which::Ping, &configuration)
    }

    /// As `enableActivityTracking`, calling `callback` instead of sending pings.
    #[wasm_bindgen(js_name = enableActivityTrackingCallback)]
    pub fn enable_activity_tracking_callback(
        &self,
        #[wasm_bindgen(unchecked_param_type = "ActivityTrackingConfigurationCallback")]
        configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.enable_activity(Which::Callback, &configuration)
    }

    /// Stops page pings.
    #[wasm_bindgen(js_name = disableActivityTracking)]
    pub fn disable_activity_tracking(&self) {
        self.act(|rt, _| rt.handle(Input::DisableActivity(Which::Ping)));
    }

    /// Stops the activity callback.
    #[wasm_bindgen(js_name = disableActivityTrackingCallback)]
    pub fn disable_activity_tracking_callback(&self) {
        self.act(|rt, _| rt.handle(Input::DisableActivity(Which::Callback)));
    }

    /// Activity now (e.g. a video playing).
    #[wasm_bindgen(js_name = updatePageActivity)]
    pub fn update_page_activity(&self) {
        self.act(|rt, _| rt.handle(Input::UpdatePageActivity));
    }

    /// Tracks clicks on links (`a`, `area`), also those added later, as `link_click` events.
    #[wasm_bindgen(js_name = enableLinkClickTracking)]
    pub fn enable_link_click_tracking(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "LinkClickTrackingConfiguration")]
        configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        let config = input::link_click_config(&configuration).map_err(js_error)?;
        let shared = Rc::downgrade(&self.shared);
        self.with(move |rt| watch_links(rt, shared, config));
        Ok(())
    }

    /// Stops link click tracking.
    #[wasm_bindgen(js_name = disableLinkClickTracking)]
    pub fn disable_link_click_tracking(&self) {
        self.act(|rt, _| unwatch_links(rt));
    }

    /// Decorates the links `linker` selects (a function of the link answering true) with `_sp`
    /// when they are clicked, replacing the linker of `newTracker`'s `crossDomainLinker`.
    #[wasm_bindgen(js_name = crossDomainLinker)]
    pub fn cross_domain_linker(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(link: HTMLAnchorElement | HTMLAreaElement) => boolean")]
        linker: JsValue,
    ) -> core::result::Result<(), JsError> {
        let linker: Function = linker
            .dyn_into()
            .map_err(|_| js_error(crate::error::Error::config("crossDomainLinker", "must be a function")))?;
        let shared = Rc::downgrade(&self.shared);
        self.with(move |rt| watch_cross_domain(rt, shared, linker));
        Ok(())
    }

    /// Does nothing: later links are tracked anyway (a no-op in the JS tracker too).
    #[wasm_bindgen(js_name = refreshLinkClickTracking)]
    pub fn refresh_link_click_tracking(&self) {}

    /// Tracks a link click, sent with `keepalive` so that it outlives a navigation.
    #[wasm_bindgen(js_name = trackLinkClick)]
    pub fn track_link_click(
        &self,
        #[wasm_bindgen(unchecked_param_type = "LinkClickEvent")] event: JsValue,
    ) -> core::result::Result<(), JsError> {
        self.track_with(&event, EventReader::link_click, Runtime::track_link_click)
    }
}

// The JS tracker's page, identity and emitter commands that the common calls do without
// (issue 21's): full build only, so the core build's module stays without them.
impl JsTracker {
    /// Hands the engine the setting `f` makes of a setter's boolean `value`; anything but a
    /// boolean is reported with `console.warn` (naming `field`) and ignored.
    #[inline(never)]
    fn set_flag(&self, value: &JsValue, field: &str, f: fn(bool) -> Setting) {
        let Some(flag) = value.as_bool() else {
            return host::warn(&Error::config(field, "must be a boolean").message());
        };
        self.with(move |rt| rt.handle(Input::Set(f(flag))));
    }
}

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// Drops the fragment (`#…`) from `url` and `refr` of later events (`false`: keeps it).
    #[wasm_bindgen(js_name = discardHashTag)]
    pub fn discard_hash_tag(&self, #[wasm_bindgen(unchecked_param_type = "boolean")] enable: JsValue) {
        self.set_flag(&enable, "enable", Setting::DiscardHashTag)
    }

    /// Drops the braces (`{`, `}`) from `url` and `refr` of later events (`false`: keeps them).
    #[wasm_bindgen(js_name = discardBrace)]
    pub fn discard_brace(&self, #[wasm_bindgen(unchecked_param_type = "boolean")] enable: JsValue) {
        self.set_flag(&enable, "enable", Setting::DiscardBrace)
    }

    /// Sets the business user id from the page URL's query parameter `field` (cleared when absent).
    #[wasm_bindgen(js_name = setUserIdFromLocation)]
    pub fn set_user_id_from_location(&self, #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue) {
        self.set_text(&field, "querystringField", Setting::UserIdFromLocation)
    }

    /// Sets the business user id from the referrer's query parameter `field` (cleared when absent).
    #[wasm_bindgen(js_name = setUserIdFromReferrer)]
    pub fn set_user_id_from_referrer(&self, #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue) {
        self.set_text(&field, "querystringField", Setting::UserIdFromReferrer)
    }

    /// Sets the business user id from the cookie `name` (cleared when absent).
    #[wasm_bindgen(js_name = setUserIdFromCookie)]
    pub fn set_user_id_from_cookie(&self, #[wasm_bindgen(unchecked_param_type = "string")] name: JsValue) {
        self.set_text(&name, "cookieName", Setting::UserIdFromCookie)
    }

    /// The path of the tracker's cookies (and of their names' hash); the identity moves there.
    #[wasm_bindgen(js_name = setCookiePath)]
    pub fn set_cookie_path(&self, #[wasm_bindgen(unchecked_param_type = "string")] path: JsValue) {
        self.set_text(&path, "path", Setting::CookiePath)
    }

    /// The lifetime in seconds of the `_sp_id` cookie, from its next write.
    #[wasm_bindgen(js_name = setVisitorCookieTimeout)]
    pub fn set_visitor_cookie_timeout(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] timeout: JsValue,
    ) {
        if let Some(seconds) = whole(&timeout, "timeout") {
            self.with(move |rt| rt.handle(Input::Set(Setting::VisitorCookieTimeout(seconds))));
        }
    }

    /// Sends every later request to `collectorUrl` (the events queued already included).
    #[wasm_bindgen(js_name = setCollectorUrl)]
    pub fn set_collector_url(
        &self,
        #[wasm_bindgen(js_name = collectorUrl, unchecked_param_type = "string")] url: JsValue,
    ) {
        let Some(url) = url.as_string() else {
            return host::warn(&Error::config("collectorUrl", "must be a string").message());
        };
        self.with(move |rt| match rt.engine.tracker.collector_url_for(&url) {
            Ok(url) => rt.handle(Input::Set(Setting::CollectorUrl(url))),
            Err(error) => host::warn(&error.message()),
        });
    }

    /// Sends once `bufferSize` events are queued (at least 1).
    #[wasm_bindgen(js_name = setBufferSize)]
    pub fn set_buffer_size(
        &self,
        #[wasm_bindgen(js_name = newBufferSize, unchecked_param_type = "number")] size: JsValue,
    ) {
        if let Some(size) = whole(&size, "newBufferSize") {
            // Delivery keeps it at least 1.
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            self.with(move |rt| rt.handle(Input::Set(Setting::BufferSize(size))));
        }
    }

    /// Sends every queued event now; then `newBufferSize`, when given, is the buffer size.
    #[wasm_bindgen(js_name = flushBuffer)]
    pub fn flush_buffer(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "{ newBufferSize?: number }")] configuration: Option<
            JsValue,
        >,
    ) {
        // No promise to settle: ticket 0 is none of `flush()`'s (they count from 1).
        self.with(|rt| rt.handle(Input::Flush { ticket: 0 }));
        let size = configuration
            .filter(JsValue::is_object)
            .and_then(|c| js_sys::Reflect::get(&c, &JsValue::from_str("newBufferSize")).ok())
            .filter(|v| !v.is_null_or_undefined());
        if let Some(size) = size {
            self.set_buffer_size(size);
        }
    }
}

/// A setter's whole non-negative number; anything else is reported with `console.warn` (naming
/// `field`) and gives `None`.
#[inline(never)]
fn whole(value: &JsValue, field: &str) -> Option<i64> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && (n as i64) as f64 == n && n <= 9_007_199_254_740_991.0 => Some(n as i64),
        _ => {
            host::warn(&Error::config(field, "must be a whole number, 0 or more").message());
            None
        }
    }
}
