//! The privacy and extensibility methods of the tracker, named as in @snowplow/browser-tracker:
//! anonymous tracking and its switches, `clearUserData`, the opt-out cookie, global contexts and
//! plugins. Input is read and checked in [`input::privacy`]; every change applies from the next
//! event. Only the full build has them (the `full` feature; see [`super::full`]).

use super::input::{Input, privacy as input};
use super::{Answer, JsTracker, js_error};
use crate::engine::{Input as EngineInput, Setting};
#[allow(unused_imports)]
use crate::prelude::*;
use wasm_bindgen::prelude::*;

impl JsTracker {
    /// Runs the privacy, global context or plugin method `method`; `None` when it is none of them.
    pub(super) fn dispatch_privacy<'a>(
        &self,
        method: &str,
        arg: impl Fn(usize) -> Input<'a>,
    ) -> Option<Answer> {
        let done = Ok(JsValue::UNDEFINED);
        Some(match method {
            "enableAnonymousTracking" => self.enable_anonymous_tracking(arg(0)).and(done),
            "disableAnonymousTracking" => self.disable_anonymous_tracking(arg(0)).and(done),
            "clearUserData" => self.clear_user_data(arg(0)).and(done),
            "setOptOutCookie" => {
                self.set_opt_out_cookie(arg(0).as_str());
                done
            }
            "addGlobalContexts" => self.add_global_contexts(arg(0)).and(done),
            "removeGlobalContexts" => self.remove_global_contexts(arg(0)).and(done),
            "clearGlobalContexts" => {
                self.with(|rt| rt.handle(EngineInput::Set(Setting::ClearGlobalContexts)));
                done
            }
            "addPlugin" => self.add_plugin(arg(0)).and(done),
            _ => return None,
        })
    }

    /// Anonymous tracking from the next event (`configuration.options`, and the storage to switch to).
    fn enable_anonymous_tracking(&self, configuration: Input<'_>) -> Result<(), JsError> {
        let (settings, strategy) = input::enable_anonymous(configuration).map_err(js_error)?;
        self.with(move |rt| {
            rt.handle(EngineInput::Set(Setting::Anonymous { settings, state_storage: strategy }))
        });
        Ok(())
    }

    /// Identified tracking again from the next event.
    fn disable_anonymous_tracking(&self, configuration: Input<'_>) -> Result<(), JsError> {
        let strategy = input::disable_anonymous(configuration).map_err(js_error)?;
        self.with(move |rt| rt.handle(EngineInput::Set(Setting::Identified { state_storage: strategy })));
        Ok(())
    }

    /// Clears the stored identity (the session and the user id unless preserved).
    fn clear_user_data(&self, configuration: Input<'_>) -> Result<(), JsError> {
        let (preserve_session, preserve_user) = input::clear_user_data(configuration).map_err(js_error)?;
        self.with(move |rt| {
            rt.handle(EngineInput::Set(Setting::ClearUserData { preserve_session, preserve_user }))
        });
        Ok(())
    }

    /// The name of a cookie whose presence stops tracking (`None`: no such cookie).
    fn set_opt_out_cookie(&self, name: Option<String>) {
        self.with(move |rt| rt.handle(EngineInput::Set(Setting::OptOutCookie(name))));
    }

    /// Adds global contexts (a list, or an object of named ones).
    fn add_global_contexts(&self, contexts: Input<'_>) -> Result<(), JsError> {
        let contexts = input::global_contexts(contexts, &|f| self.registry.handle(f)).map_err(js_error)?;
        self.with(move |rt| rt.handle(EngineInput::Set(Setting::AddGlobalContexts(contexts))));
        Ok(())
    }

    /// Removes global contexts: by name, or the same context (the same generator or filter).
    fn remove_global_contexts(&self, contexts: Input<'_>) -> Result<(), JsError> {
        let (names, contexts) =
            input::removed_contexts(contexts, &|f| self.registry.handle(f)).map_err(js_error)?;
        self.with(move |rt| rt.handle(EngineInput::Set(Setting::RemoveGlobalContexts { names, contexts })));
        Ok(())
    }

    /// Adds a plugin (`{plugin}`): its hooks run for every later event.
    fn add_plugin(&self, configuration: Input<'_>) -> Result<(), JsError> {
        let plugin = input::plugin(configuration).map_err(js_error)?;
        self.with(move |rt| rt.page_functions.add_plugin(&plugin));
        Ok(())
    }
}
