//! The seams between the pure core and the browser: time, ids and storage.
//!
//! The web layer implements [`Env`] over `Date.now`, `crypto.randomUUID`, `document.cookie` and
//! `localStorage`; [`MemoryEnv`] is the deterministic double host tests use.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::cookie::{CookieAttributes, cookie_string};

/// One cookie to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieWrite<'a> {
    /// Cookie name.
    pub name: &'a str,
    /// Cookie value (not yet URI-encoded).
    pub value: &'a str,
    /// Lifetime in seconds from `now_ms`; `None` for a browser-session cookie, negative to delete.
    pub ttl_s: Option<i64>,
    /// The time of the write.
    pub now_ms: i64,
    /// Domain, SameSite and Secure.
    pub attributes: &'a CookieAttributes,
}

impl CookieWrite<'_> {
    /// The `document.cookie` assignment for this write.
    pub fn to_cookie_string(&self) -> String {
        cookie_string(self.name, self.value, self.ttl_s, self.now_ms, self.attributes)
    }
}

/// What the tracker core needs from its host for identity and sessions (delivery takes its
/// inputs as plain values instead: [`crate::engine::delivery`]). Every method must be infallible
/// from the core's point of view: a browser that refuses storage answers `None`/`false`, never
/// panics.
pub trait Env {
    /// The current time, epoch milliseconds.
    fn now_ms(&self) -> i64;
    /// A fresh random UUID v4, lowercase.
    fn new_uuid(&mut self) -> String;
    /// The value of cookie `name` (URI-decoded), `None` when absent or when cookies cannot be read.
    fn read_cookie(&self, name: &str) -> Option<String>;
    /// Writes one cookie (an implementation may defer the write to the end of the current task,
    /// as long as [`Env::read_cookie`] sees it at once).
    fn set_cookie(&mut self, cookie: &CookieWrite<'_>);
    /// Performs deferred cookie writes now: called when a session starts, so that other tabs
    /// and iframes join it rather than starting their own, and when the page hides or goes, so
    /// that the next page reads its last event.
    fn commit_cookies(&mut self) {}
    /// `localStorage.getItem`, `None` when missing or when storage fails.
    fn storage_get(&self, key: &str) -> Option<String>;
    /// `localStorage.setItem`; false when storage fails (quota, disabled).
    fn storage_set(&mut self, key: &str, value: &str) -> bool;
    /// `localStorage.removeItem`.
    fn storage_remove(&mut self, key: &str);
}

#[cfg(any(test, feature = "test-util"))]
pub use memory::MemoryEnv;

#[cfg(any(test, feature = "test-util"))]
mod memory {
    use super::{CookieWrite, Env};
    use crate::prelude::*;
    use alloc::collections::BTreeMap;

    /// A deterministic [`Env`]: a settable clock, sequential UUIDs, a cookie jar that honours
    /// expiry, and a key-value store; either store can be made to fail.
    #[derive(Debug, Default)]
    pub struct MemoryEnv {
        /// The clock, epoch ms.
        pub now: i64,
        /// UUIDs handed out so far.
        pub ids_issued: u32,
        /// Cookies: name → (value, expiry ms).
        pub cookies: BTreeMap<String, (String, Option<i64>)>,
        /// Every cookie string written, in order.
        pub cookie_log: Vec<String>,
        /// When true, `document.cookie` is unreadable and writes are ignored.
        pub cookies_blocked: bool,
        /// localStorage contents.
        pub storage: BTreeMap<String, String>,
        /// When true, every storage call fails.
        pub storage_blocked: bool,
        /// Successful `storage_set` calls so far (to check per-event work stays constant).
        pub storage_writes: u64,
        /// When set, `storage_set` fails once this many values are stored (a full quota).
        pub storage_quota: Option<usize>,
    }

    impl MemoryEnv {
        /// An environment at time `now` ms.
        pub fn at(now: i64) -> Self {
            MemoryEnv { now, ..Default::default() }
        }

        /// The live value of cookie `name`.
        pub fn cookie(&self, name: &str) -> Option<&str> {
            self.cookies
                .get(name)
                .filter(|(_, exp)| exp.is_none_or(|e| e > self.now))
                .map(|(v, _)| v.as_str())
        }
    }

    impl MemoryEnv {
        /// Every stored key that starts with `prefix` (empty when storage fails).
        pub fn storage_keys(&self, prefix: &str) -> Vec<String> {
            if self.storage_blocked {
                return Vec::new();
            }
            self.storage.keys().filter(|k| k.starts_with(prefix)).cloned().collect()
        }
    }

    impl Env for MemoryEnv {
        fn now_ms(&self) -> i64 {
            self.now
        }

        fn new_uuid(&mut self) -> String {
            self.ids_issued += 1;
            format!("00000000-0000-4000-8000-{:012x}", self.ids_issued)
        }

        fn read_cookie(&self, name: &str) -> Option<String> {
            if self.cookies_blocked { None } else { self.cookie(name).map(str::to_owned) }
        }

        fn set_cookie(&mut self, cookie: &CookieWrite<'_>) {
            if self.cookies_blocked {
                return;
            }
            self.cookie_log.push(cookie.to_cookie_string());
            let expiry = cookie.ttl_s.map(|ttl| cookie.now_ms + ttl * 1000);
            self.cookies.insert(cookie.name.to_owned(), (cookie.value.to_owned(), expiry));
        }

        fn storage_get(&self, key: &str) -> Option<String> {
            if self.storage_blocked { None } else { self.storage.get(key).cloned() }
        }

        fn storage_set(&mut self, key: &str, value: &str) -> bool {
            let full = self
                .storage_quota
                .is_some_and(|q| self.storage.len() >= q && !self.storage.contains_key(key));
            if self.storage_blocked || full {
                return false;
            }
            self.storage_writes += 1;
            self.storage.insert(key.to_owned(), value.to_owned());
            true
        }

        fn storage_remove(&mut self, key: &str) {
            if !self.storage_blocked {
                self.storage.remove(key);
            }
        }
    }
}
