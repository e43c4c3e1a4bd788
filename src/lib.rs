//! # snowtrack
//!
//! A browser event tracker in Rust and WebAssembly that speaks the Snowplow tracker protocol
//! and keeps identity in the same first-party cookies as the Snowplow JavaScript tracker
//! (`_sp_id.<hash>`, `_sp_ses.<hash>`), so sites can switch trackers without losing users or
//! sessions.
//!
//! ## Architecture
//! - [`core`]: the pure tracker: configuration, the id cookie codec, session rules, payload
//!   building and the out-queue. No browser APIs; time and ids come in through [`core::env::Env`].
//! - `web` (wasm32 only): the browser side of [`core::env::Env`] plus fetch, timers and page
//!   lifecycle.
//! - `bindings` (wasm32 only): the JavaScript API (`newTracker`, `trackPageView`, ...).
//!
//! ## Crate features
//! - `test-util`: exports [`core::env::MemoryEnv`], a deterministic environment for tests.

pub mod core;
pub mod error;

#[cfg(target_arch = "wasm32")]
pub mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod web;

pub use error::{Error, Result};
