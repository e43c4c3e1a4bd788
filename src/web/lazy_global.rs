//! [`LazyGlobal`]: a lazily built global for the page's one thread, what `thread_local!` gives
//! with `std` (the release module is `no_std`); [`Key`], a property name kept as a JS string.
#![allow(unsafe_code)]

use core::cell::{LazyCell, OnceCell};
use core::ops::Deref;

#[cfg(target_feature = "atomics")]
compile_error!("LazyGlobal assumes a single-threaded wasm module (no `atomics` target feature)");

/// A value built on first use and shared by everything in the page.
pub struct LazyGlobal<T>(LazyCell<T>);

// SAFETY: wasm32 without the `atomics` target feature (checked above) has exactly one thread,
// so the value is never reached from two threads.
unsafe impl<T> Sync for LazyGlobal<T> {}

impl<T> LazyGlobal<T> {
    /// A global built by `init` on first use.
    pub const fn new(init: fn() -> T) -> Self {
        LazyGlobal(LazyCell::new(init))
    }
}

impl<T> Deref for LazyGlobal<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

/// A property name for reading JS objects ([`crate::web::host::property`]): made a JS string
/// on first use and kept for the page, so reading it costs no string conversion.
pub struct Key {
    name: &'static str,
    js: OnceCell<wasm_bindgen::JsValue>,
}

// SAFETY: as for `LazyGlobal`: the module has one thread.
unsafe impl Sync for Key {}

impl Key {
    /// The key `name`.
    pub const fn new(name: &'static str) -> Self {
        Key { name, js: OnceCell::new() }
    }

    /// The name, as Rust text.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The name, as a JS string.
    pub fn js(&self) -> &wasm_bindgen::JsValue {
        self.js.get_or_init(|| wasm_bindgen::JsValue::from_str(self.name))
    }
}

/// Declares property names as [`Key`] statics: `keys! { APP_ID = "appId", }`.
macro_rules! keys {
    ($($key:ident = $name:literal,)*) => {
        $(
            #[doc = concat!("`", $name, "`")]
            static $key: $crate::web::lazy_global::Key = $crate::web::lazy_global::Key::new($name);
        )*
    };
}
pub(crate) use keys;
