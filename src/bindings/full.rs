//! The tracker methods that only snowtrack's full build has (compiled with the `full`
//! feature): the `gdpr` entity, activity tracking (page pings) and link click tracking; the
//! privacy, global context and plugin methods are in [`super::privacy`]. In the core build
//! these methods are not in the module; the package's JS gives the core build's `Tracker` one
//! for each of them that throws an `Error` naming it (`js/build.mjs`, `js/builds.js`).

use super::{JsTracker, input, js_error};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::Input;
use crate::engine::activity::Which;
use crate::engine::event::LINK_CLICK_SCHEMA;
use crate::web::runtime::{self, Runtime};
use crate::web::{host, timer};
use alloc::rc::Rc;
use input::EventReader;
use wasm_bindgen::prelude::*;

/// A click on a link, from link click tracking's listener (prepared by `host_full.js` as
/// `trackLinkClick`'s input is); what cannot be tracked is reported with `console.warn`.
fn link_clicked(shared: &alloc::rc::Weak<core::cell::RefCell<Runtime>>) {
    let data = host::callback_arg();
    let mut reader = EventReader::new(&data);
    let event = reader.link_click();
    match reader.options() {
        Ok(options) => {
            if let Some(event) = event {
                runtime::input(shared, move |rt, _| rt.track_link_click(event, options));
            }
        }
        Err(err) => host::warn(&err.message()),
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
        self.with(move |rt| rt.engine.tracker.set_gdpr(Some(gdpr)));
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
        input::check_link_click_config(&configuration).map_err(js_error)?;
        let weak = Rc::downgrade(&self.shared);
        self.with(move |rt| {
            let clicked = rt.links.get_or_insert_with(|| timer::repeating(move || link_clicked(&weak)));
            host::watch_links(clicked.as_ref(), LINK_CLICK_SCHEMA, &configuration);
        });
        Ok(())
    }

    /// Stops link click tracking.
    #[wasm_bindgen(js_name = disableLinkClickTracking)]
    pub fn disable_link_click_tracking(&self) {
        self.act(|rt, _| {
            if let Some(clicked) = &rt.links {
                host::unwatch_links(clicked.as_ref());
            }
        });
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
        self.track_with(
            &host::link_event(&event, LINK_CLICK_SCHEMA),
            EventReader::link_click,
            Runtime::track_link_click,
        )
    }
}
