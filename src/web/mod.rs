//! The browser side (wasm32 only): [`env::WebEnv`] implements the core's `Env` over
//! `document.cookie`, `localStorage`, `Date.now` and `crypto`; the other modules read page
//! facts, discover the root domain, send requests with `fetch` and follow page visibility.

pub mod cookie_jar;
pub mod domain;
pub mod env;
pub mod page;
pub mod page_local;
pub mod runtime;
pub mod tabs;
pub mod timer;
pub mod transport;
