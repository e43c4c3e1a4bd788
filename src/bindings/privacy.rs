//! The privacy and extensibility methods of the tracker, named as in @snowplow/browser-tracker:
//! anonymous tracking and its switches, `clearUserData`, the opt-out cookie, global contexts and
//! plugins. Input is read and checked in [`input::privacy`]; every change applies from the next
//! event.

use super::{JsTracker, full_build, input::privacy as input, js_error};
#[allow(unused_imports)]
use crate::prelude::*;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
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
        full_build("enableAnonymousTracking")?;
        let (settings, strategy) = input::enable_anonymous(&configuration).map_err(js_error)?;
        self.with(move |rt| {
            if let Some(strategy) = strategy {
                rt.tracker.set_state_storage(&mut rt.env, strategy);
            }
            rt.tracker.enable_anonymous(&mut rt.env, settings);
        });
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
        full_build("disableAnonymousTracking")?;
        let strategy = input::disable_anonymous(&configuration).map_err(js_error)?;
        self.with(move |rt| {
            if let Some(strategy) = strategy {
                rt.tracker.set_state_storage(&mut rt.env, strategy);
            }
            rt.tracker.disable_anonymous(&mut rt.env);
        });
        Ok(())
    }

    /// Removes the stored identity and session and starts fresh ids (keeping the session or
    /// the user when asked).
    #[wasm_bindgen(js_name = clearUserData)]
    pub fn clear_user_data(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "ClearUserDataConfiguration")] configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        full_build("clearUserData")?;
        let (preserve_session, preserve_user) = input::clear_user_data(&configuration).map_err(js_error)?;
        self.with(move |rt| rt.tracker.clear_user_data(&mut rt.env, preserve_session, preserve_user));
        Ok(())
    }

    /// No events while the cookie `name` exists (`null` stops looking); the queue of a page
    /// that opts out is dropped and reported.
    #[wasm_bindgen(js_name = setOptOutCookie)]
    pub fn set_opt_out_cookie(&self, name: Option<String>) -> core::result::Result<(), JsError> {
        full_build("setOptOutCookie")?;
        self.with(move |rt| rt.tracker.set_opt_out_cookie(name));
        Ok(())
    }

    /// Adds global contexts: a list, or an object of named ones (a name added again replaces).
    #[wasm_bindgen(js_name = addGlobalContexts)]
    pub fn add_global_contexts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "GlobalContext[] | Record<string, GlobalContext>")]
        contexts: JsValue,
    ) -> core::result::Result<(), JsError> {
        full_build("addGlobalContexts")?;
        let contexts = input::global_contexts(&contexts, &|f| self.registry.handle(f)).map_err(js_error)?;
        self.with(move |rt| {
            for (name, context) in contexts {
                rt.tracker.contexts_mut().add(name, context);
            }
        });
        Ok(())
    }

    /// Removes global contexts: names (strings) remove named ones, contexts the unnamed ones
    /// equal to them.
    #[wasm_bindgen(js_name = removeGlobalContexts)]
    pub fn remove_global_contexts(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Array<string | GlobalContext>")] contexts: JsValue,
    ) -> core::result::Result<(), JsError> {
        full_build("removeGlobalContexts")?;
        let (names, contexts) =
            input::removed_contexts(&contexts, &|f| self.registry.handle(f)).map_err(js_error)?;
        self.with(move |rt| {
            let global = rt.tracker.contexts_mut();
            for name in names {
                global.remove_named(&name);
            }
            for context in contexts {
                global.remove(&context);
            }
        });
        Ok(())
    }

    /// Removes every global context.
    #[wasm_bindgen(js_name = clearGlobalContexts)]
    pub fn clear_global_contexts(&self) -> core::result::Result<(), JsError> {
        full_build("clearGlobalContexts")?;
        self.with(|rt| rt.tracker.contexts_mut().clear());
        Ok(())
    }

    /// Adds a plugin (`{plugin}`), whose hooks run for every later event.
    #[wasm_bindgen(js_name = addPlugin)]
    pub fn add_plugin(
        &self,
        #[wasm_bindgen(unchecked_param_type = "{ plugin: BrowserPlugin }")] configuration: JsValue,
    ) -> core::result::Result<(), JsError> {
        full_build("addPlugin")?;
        let plugin = input::plugin(&configuration).map_err(js_error)?;
        self.with(move |rt| rt.page_code.add_plugin(&plugin));
        Ok(())
    }
}
