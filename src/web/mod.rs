//! The browser side (wasm32 only): [`env::WebEnv`] implements the core's `Env` over
//! `document.cookie`, `localStorage`, `Date.now` and `crypto`; the other modules read page
//! facts, discover the root domain, send requests with `fetch`, follow page visibility and
//! coordinate tabs with Web Locks. Every browser call goes through [`host`] (`host.js`).

pub mod cookie_jar;
pub mod domain;
pub mod env;
pub mod facts;
pub mod host;
pub mod lazy_global;
pub mod page_functions;
pub mod runtime;
pub mod timer;
pub mod transport;
pub mod wire;
