//! Rust closures as JS functions (`setTimeout`, `setInterval`, microtasks, event listeners).
//!
//! Every distinct closure type handed to wasm-bindgen adds its own set of shims to the module,
//! so callbacks go through two boxed shapes: [`once`] for one-shot calls and [`repeating`] for
//! the rest.

use crate::prelude::*;
use js_sys::Function;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(handler: &Function, ms: u32) -> JsValue;
    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
    #[wasm_bindgen(js_name = setInterval)]
    fn set_interval(handler: &Function, ms: u32) -> JsValue;
}

/// A JS function that calls `f` the first time it is called (and frees it then).
pub fn once(f: impl FnOnce() + 'static) -> JsValue {
    once_boxed(Box::new(f))
}

fn once_boxed(f: Box<dyn FnOnce()>) -> JsValue {
    Closure::once_into_js(f)
}

/// A JS function that calls `f` each time it is called, for as long as the closure lives.
pub fn repeating(f: impl FnMut() + 'static) -> Closure<dyn FnMut()> {
    repeating_boxed(Box::new(f))
}

fn repeating_boxed(f: Box<dyn FnMut()>) -> Closure<dyn FnMut()> {
    Closure::new(f)
}

/// A pending `setTimeout`; dropping it cancels the call.
#[derive(Debug)]
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `f` once after `ms` milliseconds, unless dropped before.
    pub fn new(ms: u32, f: impl FnOnce() + 'static) -> Self {
        let mut f = Some(f);
        let callback = repeating(move || {
            if let Some(f) = f.take() {
                f();
            }
        });
        Timeout { id: set_timeout(callback.as_ref().unchecked_ref(), ms), _callback: callback }
    }
}

impl Drop for Timeout {
    fn drop(&mut self) {
        clear_timeout(&self.id);
    }
}

/// Calls `f` every `ms` milliseconds for as long as the page lives.
pub fn every(ms: u32, f: impl FnMut() + 'static) {
    let callback = repeating(f);
    set_interval(callback.as_ref().unchecked_ref(), ms);
    callback.forget();
}
