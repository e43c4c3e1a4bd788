//! # snowtrack
//!
//! A browser event tracker in Rust and WebAssembly that speaks the Snowplow tracker protocol
//! and keeps identity in the same first-party cookies as the Snowplow JavaScript tracker
//! (`_sp_id.<hash>`, `_sp_ses.<hash>`), so sites can switch trackers without losing users or
//! sessions.
//!
//! ## Architecture
//! - [`engine`]: the pure tracker: configuration, the id cookie codec, session rules, payload
//!   building and the out-queue. No browser APIs; time and ids come in through [`engine::env::Env`].
//! - `web` (wasm32 only): the browser side of [`engine::env::Env`] plus fetch, timers and page
//!   lifecycle, every browser call going through small JS modules (`src/web/host.js`, and
//!   `src/web/host_full.js` for what only the full build calls).
//! - `bindings` (wasm32 only): the JavaScript API (`newTracker`, `trackPageView`, ...).
//!
//! The crate is `no_std` (with `alloc`): the release wasm module carries its own allocator
//! (talc) and a panic handler that traps, and no `core::fmt` machinery on its paths.
//!
//! ## Crate features
//! - `test-util`: exports [`engine::env::MemoryEnv`], a deterministic environment for tests.
//! - `std`: links `std` on wasm32 (for the wasm-bindgen test harness) instead of snowtrack's
//!   allocator and panic handler.

#![no_std]

extern crate alloc;
#[cfg(any(test, feature = "std", not(target_arch = "wasm32")))]
extern crate std;

mod prelude;

pub mod engine;
pub mod error;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};

/// The release module's allocator: talc, about 4 KB smaller in the module than the dlmalloc
/// `std` brings, and as fast.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// A panic traps: nothing formats a message, and the lints keep panics out of snowtrack's own
/// code (a trap would stop this page's tracker, never the page).
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &::core::panic::PanicInfo<'_>) -> ! {
    ::core::arch::wasm32::unreachable()
}
