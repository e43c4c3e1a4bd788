//! The pure core: no browser APIs, no clock, no randomness. Time and ids come in through
//! arguments and the [`env::Env`] trait, so everything here runs under plain `cargo test`.

pub mod activity;
pub mod base64;
pub mod config;
pub mod contexts;
pub mod cookie;
pub mod delivery;
pub mod engagement;
pub mod env;
pub mod event;
pub mod id_cookie;
pub mod json;
pub mod payload;
pub mod session;
pub mod sha1;
pub mod state_store;
pub mod text;
pub mod time;
pub mod tracker;
pub mod web_page;
