//! The privacy and extensibility methods of the tracker, named as in @snowplow/browser-tracker:
//! anonymous tracking and its switches, `clearUserData`, the opt-out cookie, global contexts and
//! plugins. Input is read and checked in [`input::privacy`]; every change applies from the next
//! event. Only the full build has them (the `full` feature; see [`super::full`]).

use super::{JsTracker, input::privacy as input, js_error};
use crate::engine::{Input, Setting};
#[allow(unused_imports)]
use crate::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(js_class = Tracker)]
impl JsTracker {
    /// Tracks anonymously from the next event: no domain user id, user id or `_sp_id`; the
    /// stored identity stays until `clearUserData`.
    #[wasm_bindgen(js_name = enableAnonymousTracking)]
    pub fn enable_anonymous_tracking(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "EnableAnonymousTrackingConfiguration")]
        configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        let (settings, strategy) = input::enable_anonymous(&configuration).map_err(js_error)?;
        self.with(move |rt| rt.handle(Input::Set(Setting::Anonymous { settings, state_storage: strategy })));
        Ok(())
    }

    /// Stops tracking anonymously from the next event: the stored domain user id, or a new one,
    /// written at once.
    #[wasm_bindgen(js_name = disableAnonymousTracking)]
    pub fn disable_anonymous_tracking(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "DisableAnonymousTrackingConfiguration")]
        configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        let strategy = input::disable_anonymous(&configuration).map_err(js_error)?;
        self.with(move |rt| rt.handle(Input::Set(Setting::Identified { state_storage: strategy })));
        Ok(())
    }

    /// Removes the stored identity and session and starts fresh ids (keeping the session or
    /// the user when asked).
    #[wasm_bindgen(js_name = clearUserData)]
    pub fn clear_user_data(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ClearUserDataConfiguration")] configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        let (preserve_session, preserve_user) = input::clear_user_data(&configuration).map_err(js_error)?;
        self.with(move |rt| {
            rt.handle(Input::Set(Setting::ClearUserData { preserve_session, preserve_user }))
        });
        Ok(())
    }

    /// No events while the cookie `name` exists (`null` stops looking); the queue of a page
    /// that opts out is dropped and reported.
    #[wasm_bindgen(js_name = setOptOutCookie)]
    pub fn set_opt_out_cookie(&self, name: Option<String>) {
        self.with(move |rt| rt.handle(Input::Set(Setting::OptOutCookie(name))));
    }

    /// Adds global contexts: a list, or an object of named ones (a name added again replaces).
    #[wasm_bindgen(js_name = addGlobalContexts)]
    pub fn add_global_contexts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GlobalContext[] | Record<string, GlobalContext>")]
        contexts: JsValue,
    ) -> core::result::Result<(), JsError> {
        let contexts = input::global_contexts(&contexts, &|f| self.registry.handle(f)).map_err(js_error)?;
        self.with(move |rt| rt.handle(Input::Set(Setting::AddGlobalContexts(contexts))));
        Ok(())
    }

    /// Removes global contexts: names (strings) remove named ones, contexts the unnamed ones
    /// equal to them.
    #[wasm_bindgen(js_name = removeGlobalContexts)]
    pub fn remove_global_contexts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<string | GlobalContext>")] contexts: JsValue,
    ) -> core::result::Result<(), JsError> {
        let (names, contexts) =
            input::removed_contexts(&contexts, &|f| self.registry.handle(f)).map_err(js_error)?;
        self.with(move |rt| rt.handle(Input::Set(Setting::RemoveGlobalContexts { names, contexts })));
        Ok(())
    }

    /// Removes every global context.
    #[wasm_bindgen(js_name = clearGlobalContexts)]
    pub fn clear_global_contexts(&self) {
        self.with(|rt| rt.handle(Input::Set(Setting::ClearGlobalContexts)));
    }

    /// Adds a plugin (`{plugin}`), whose hooks run for every later event.
    #[wasm_bindgen(js_name = addPlugin)]
    pub fn add_plugin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ plugin: BrowserPlugin }")] configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        let plugin = input::plugin(&configuration).map_err(js_error)?;
        self.with(move |rt| rt.page_functions.add_plugin(&plugin));
        Ok(())
    }
}
