//! [`PageLocal`]: a lazily built global for the page's one thread, what `thread_local!` gives
//! with `std` (the release module is `no_std`).
#![allow(unsafe_code)]

use core::cell::LazyCell;
use core::ops::Deref;

#[cfg(target_feature = "atomics")]
compile_error!("PageLocal assumes a single-threaded wasm module (no `atomics` target feature)");

/// A value built on first use and shared by everything in the page.
pub struct PageLocal<T>(LazyCell<T>);

// SAFETY: wasm32 without the `atomics` target feature (checked above) has exactly one thread,
// so the value is never reached from two threads.
unsafe impl<T> Sync for PageLocal<T> {}

impl<T> PageLocal<T> {
    /// A global built by `init` on first use.
    pub const fn new(init: fn() -> T) -> Self {
        PageLocal(LazyCell::new(init))
    }
}

impl<T> Deref for PageLocal<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}
