//! `setTimeout` / `setInterval` with Rust closures.

#[allow(unused_imports)]
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

/// A pending `setTimeout`; dropping it cancels the call.
#[derive(Debug)]
pub struct Timeout {
    id: JsValue,
    _callback: Closure<dyn FnMut()>,
}

impl Timeout {
    /// Calls `f` once after `ms` milliseconds, unless dropped before.
    pub fn new(ms: u32, f: impl FnOnce() + 'static) -> Self {
        let callback = Closure::once(f);
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
    let callback = Closure::<dyn FnMut()>::new(f);
    set_interval(callback.as_ref().unchecked_ref(), ms);
    callback.forget();
}
