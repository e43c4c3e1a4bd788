//! The pure core: no browser APIs, no clock, no randomness. Time and ids come in through
//! arguments and the [`env::Env`] trait, so everything here runs under plain `cargo test`.

pub mod activity;
pub mod config;
pub mod contexts;
pub mod cookie;
pub mod delivery;
pub mod engagement;
pub mod env;
pub mod event;
pub mod facts;
pub mod history;
pub mod id_cookie;
#[cfg(feature = "full")]
pub mod link_click;
pub mod page_state;
pub mod payload;
pub mod session;
pub mod state_store;
pub mod tracker;
pub mod util;
pub mod warnings;
