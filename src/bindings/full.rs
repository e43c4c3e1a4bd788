//! The tracker methods that only snowtrack's full build has (compiled with the `full`
//! feature): the `gdpr` entity, activity tracking (page pings), link click tracking and
//! cross-domain linking; the
//! privacy, global context and plugin methods are in [`super::privacy`]. In the core build
//! these methods are not in the module; the package's JS gives the core build's `Tracker` one
//! for each of them that throws an `Error` naming it (`js/build.mjs`, `js/builds.js`).

use super::{Answer, JsTracker, input, js_error};
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
use input::{LinkAttributes, LinkClickConfig};
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
    /// Runs `method`, one of the full build's (or answers that there is no such method).
    pub(super) fn dispatch_full<'a>(&self, method: &str, arg: impl Fn(usize) -> input::Input<'a>) -> Answer {
        let done = Ok(JsValue::UNDEFINED);
        match method {
            "enableGdprContext" => {
                let gdpr = input::read_gdpr(arg(0)).map_err(js_error)?;
                self.with(move |rt| rt.handle(Input::Set(Setting::Gdpr(gdpr))));
                done
            }
            "enableActivityTracking" => self.enable_activity(Which::Ping, arg(0)).and(done),
            "enableActivityTrackingCallback" => self.enable_activity(Which::Callback, arg(0)).and(done),
            "disableActivityTracking" => {
                self.act(|rt, _| rt.handle(Input::DisableActivity(Which::Ping)));
                done
            }
            "disableActivityTrackingCallback" => {
                self.act(|rt, _| rt.handle(Input::DisableActivity(Which::Callback)));
                done
            }
            "updatePageActivity" => {
                self.act(|rt, _| rt.handle(Input::UpdatePageActivity));
                done
            }
            "enableLinkClickTracking" => {
                let config = input::link_click_config(arg(0)).map_err(js_error)?;
                let shared = Rc::downgrade(&self.shared);
                self.with(move |rt| watch_links(rt, shared, config));
                done
            }
            "disableLinkClickTracking" => {
                self.act(|rt, _| unwatch_links(rt));
                done
            }
            // Later links are tracked anyway (a no-op in the JS tracker too).
            "refreshLinkClickTracking" => done,
            "trackLinkClick" => {
                self.track_with(arg(0), |r| r.link_click(), Runtime::track_link_click).and(done)
            }
            "crossDomainLinker" => {
                let linker: Function = arg(0)
                    .page_value()
                    .dyn_into()
                    .map_err(|_| js_error(Error::config("crossDomainLinker", "must be a function")))?;
                let shared = Rc::downgrade(&self.shared);
                self.with(move |rt| watch_cross_domain(rt, shared, linker));
                done
            }
            "discardHashTag" => self.set_flag(arg(0), "enable", Setting::DiscardHashTag).and(done),
            "discardBrace" => self.set_flag(arg(0), "enable", Setting::DiscardBrace).and(done),
            "setUserIdFromLocation" => {
                self.set_text(arg(0).as_str(), "querystringField", Setting::UserIdFromLocation);
                done
            }
            "setUserIdFromReferrer" => {
                self.set_text(arg(0).as_str(), "querystringField", Setting::UserIdFromReferrer);
                done
            }
            "setUserIdFromCookie" => {
                self.set_text(arg(0).as_str(), "cookieName", Setting::UserIdFromCookie);
                done
            }
            "setCookiePath" => {
                self.set_text(arg(0).as_str(), "path", Setting::CookiePath);
                done
            }
            "setVisitorCookieTimeout" => {
                if let Some(seconds) = whole(arg(0), "timeout") {
                    self.with(move |rt| rt.handle(Input::Set(Setting::VisitorCookieTimeout(seconds))));
                }
                done
            }
            "setCollectorUrl" => {
                self.set_collector_url(arg(0));
                done
            }
            "setBufferSize" => {
                self.set_buffer_size(arg(0));
                done
            }
            "flushBuffer" => {
                // No promise to settle: ticket 0 is none of `flush()`'s (they count from 1).
                self.with(|rt| rt.handle(Input::Flush { ticket: 0 }));
                if let Some(size) = arg(0).member("newBufferSize").filter(|size| !size.is_absent()) {
                    self.set_buffer_size(size);
                }
                done
            }
            _ => self.dispatch_privacy(method, arg).unwrap_or_else(|| Err(super::unknown(method))),
        }
    }

    /// Starts activity tracking (`which`: page pings or the callback) as `configuration` says.
    #[inline(never)]
    fn enable_activity(
        &self,
        which: Which,
        configuration: input::Input<'_>,
    ) -> core::result::Result<(), JsError> {
        let (config, callback) =
            input::activity_config(configuration, which == Which::Callback).map_err(js_error)?;
        self.with(move |rt| rt.enable_activity(which, config, callback));
        Ok(())
    }

    /// Hands the engine the setting `f` makes of a setter's boolean `value`; anything but a
    /// boolean is reported with `console.warn` (naming `field`) and ignored.
    #[inline(never)]
    fn set_flag(
        &self,
        value: input::Input<'_>,
        field: &str,
        f: fn(bool) -> Setting,
    ) -> core::result::Result<(), JsError> {
        let Some(flag) = value.as_bool() else {
            host::warn(&Error::config(field, "must be a boolean").message());
            return Ok(());
        };
        self.with(move |rt| rt.handle(Input::Set(f(flag))));
        Ok(())
    }

    /// Sends every later request to `url` (the events queued already included).
    fn set_collector_url(&self, url: input::Input<'_>) {
        let Some(url) = url.as_str() else {
            return host::warn(&Error::config("collectorUrl", "must be a string").message());
        };
        self.with(move |rt| match rt.engine.tracker.collector_url_for(&url) {
            Ok(url) => rt.handle(Input::Set(Setting::CollectorUrl(url))),
            Err(error) => host::warn(&error.message()),
        });
    }

    /// Sends once `size` events are queued (at least 1).
    fn set_buffer_size(&self, size: input::Input<'_>) {
        if let Some(size) = whole(size, "newBufferSize") {
            // Delivery keeps it at least 1.
            let size = usize::try_from(size).unwrap_or(usize::MAX);
            self.with(move |rt| rt.handle(Input::Set(Setting::BufferSize(size))));
        }
    }
}

/// A setter's whole non-negative number; anything else is reported with `console.warn` (naming
/// `field`) and gives `None`.
#[inline(never)]
fn whole(value: input::Input<'_>, field: &str) -> Option<i64> {
    match value.as_f64() {
        Some(n) if n >= 0.0 && (n as i64) as f64 == n && n <= 9_007_199_254_740_991.0 => Some(n as i64),
        _ => {
            host::warn(&Error::config(field, "must be a whole number, 0 or more").message());
            None
        }
    }
}
