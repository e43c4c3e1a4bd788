//! The tracker methods that only snowtrack's full build has (compiled with the `full`
//! feature): the `gdpr` entity, activity tracking (page pings) and link click tracking; the
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
    let answer = host::link_filter(f, link);
    if let Some(why) = answer.as_string() {
        page_functions::failed("a link filter", &concat(&["threw ", &why]));
    }
    answer.as_bool() == Some(true)
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
