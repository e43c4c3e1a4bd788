//! The page's own code taking part in events: global contexts' generators and filters (the
//! core refers to them by [`Handle`]) and plugins (`addPlugin`). They live in `host_full.js`,
//! in one registry per tracker, which calls them guarded: one crossing per hook per event,
//! whatever the number of plugins; what they throw is told to [`failed`] (a call into the
//! module per throw), which warns on the console within [`WarningLimit`]'s rate limit.
//! What they answer as entities is checked here by the validator the bindings give
//! ([`ReadEntities`]); an invalid answer leaves that context out of that event, never the
//! event itself.

use crate::engine::contexts::{Additions, ContextHost, EventKind, Handle, PageHooks};
use crate::engine::util::text::concat;
use crate::engine::warnings::WarningLimit;
use crate::prelude::*;
use crate::web::lazy_global::{LazyGlobal, keys};
use crate::web::{host, timer};
use core::cell::RefCell;
use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

keys! {
    FIELDS = "fields",
    ENTITIES = "entities",
}

/// Whether page code runs: not in the core build (no `full` feature), which has neither global
/// contexts nor plugins, so none of this (or of `host_full.js`) is compiled in there.
const PAGE_CODE: bool = cfg!(feature = "full");

/// The rate limit of the warnings about the page's code: one for the page, as its console is.
static WARNINGS: LazyGlobal<RefCell<WarningLimit>> = LazyGlobal::new(Default::default);

/// What `host_full.js` calls with `[what, message]` when one of the page's functions threw.
fn threw() {
    let arg: Array = host::callback_arg().unchecked_into();
    let text = |i| arg.get(i).as_string().unwrap_or_default();
    failed(&text(0), &concat(&["threw ", &text(1)]));
}

/// Warns on the console that the page's code failed (`what`: `why`; it is left out), within the
/// page's rate limit.
pub fn failed(what: &str, why: &str) {
    let message = WARNINGS.try_borrow_mut().ok().and_then(|mut limit| {
        let now = js_sys::Date::now() as i64;
        limit.warn(now, what, why)
    });
    if let Some(message) = message {
        host::warn(&message);
    }
}

/// Reads what a page function answered as entities: `undefined`/`null` (none), one
/// self-describing JSON, or an array of them; `Err` (a message) for anything else.
pub type ReadEntities = fn(&JsValue) -> core::result::Result<Vec<String>, String>;

/// The page's functions and plugins of one tracker.
#[derive(Debug, Clone)]
pub struct PageFunctions {
    /// The registry in `host_full.js`.
    registry: JsValue,
    plugins: usize,
    read_entities: ReadEntities,
}

impl PageFunctions {
    /// An empty registry; `read_entities` checks what its functions answer.
    pub fn new(read_entities: ReadEntities) -> Self {
        let registry = if PAGE_CODE {
            // Kept for the page's life, as the tracker is.
            let threw = timer::repeating(threw);
            let registry = host::page_functions(threw.as_ref());
            threw.forget();
            registry
        } else {
            JsValue::UNDEFINED
        };
        PageFunctions { registry, plugins: 0, read_entities }
    }

    /// The handle of a generator or filter (the same function keeps its handle, so removing a
    /// context finds it).
    pub fn handle(&self, f: &Function) -> Handle {
        host::register(&self.registry, f)
    }

    /// Adds a plugin: an object with any of `contexts`, `beforeTrack`, `filter`, `afterTrack`.
    pub fn add_plugin(&mut self, plugin: &JsValue) {
        if !PAGE_CODE {
            return;
        }
        host::add_plugin(&self.registry, plugin);
        self.plugins += 1;
    }

    /// The entities `answer` holds; none (warned) when it is not entities.
    fn entities(&self, what: &str, answer: &JsValue) -> Vec<String> {
        (self.read_entities)(answer).unwrap_or_else(|why| {
            failed(what, &why);
            Vec::new()
        })
    }
}

impl ContextHost for PageFunctions {
    fn generate(&mut self, handle: Handle, e: EventKind<'_>) -> Vec<String> {
        if !PAGE_CODE {
            return Vec::new();
        }
        let answer = host::generate(&self.registry, handle, e.event, e.event_type, e.event_schema);
        self.entities("a global context generator", &answer)
    }

    fn filter(&mut self, handle: Handle, e: EventKind<'_>) -> bool {
        if !PAGE_CODE {
            return false;
        }
        host::filter(&self.registry, handle, e.event, e.event_type, e.event_schema)
    }
}

impl PageHooks for PageFunctions {
    fn has_plugins(&self) -> bool {
        PAGE_CODE && self.plugins > 0
    }

    fn plugin_contexts(&mut self) -> Vec<String> {
        if !PAGE_CODE {
            return Vec::new();
        }
        let answers = host::plugin_contexts(&self.registry);
        answers.iter().flat_map(|answer| self.entities("a plugin's contexts()", &answer)).collect()
    }

    fn before_track(&mut self, payload: &str) -> Additions {
        if !PAGE_CODE {
            return Additions::default();
        }
        let builder = host::before_track(&self.registry, payload);
        let mut added = Additions::default();
        if builder.is_undefined() {
            return added;
        }
        let fields = host::property(&builder, FIELDS.js()).ok().map(|a| Array::from(&a)).unwrap_or_default();
        let mut fields = host::strings(fields);
        while let (Some(key), Some(value)) = (fields.next(), fields.next()) {
            added.fields.push((key, value));
        }
        let entities = host::property(&builder, ENTITIES.js()).unwrap_or(JsValue::UNDEFINED);
        added.entities = self.entities("a plugin's beforeTrack()", &entities);
        added
    }

    fn keep(&mut self, payload: &str) -> bool {
        if !PAGE_CODE {
            return true;
        }
        host::keep(&self.registry, payload)
    }

    fn after_track(&mut self, payload: &str) {
        if !PAGE_CODE {
            return;
        }
        host::after_track(&self.registry, payload);
    }
}
