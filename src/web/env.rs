//! [`WebEnv`]: the real browser behind the core's [`Env`]: cookies through the page's
//! [`CookieJar`], localStorage, `Date.now` and random UUIDs, all through `host.js`, which
//! catches every browser refusal (cookies in a sandboxed iframe, storage in private mode or
//! over quota).

use crate::core::env::{CookieWrite, Env};
use crate::prelude::*;
use crate::web::cookie_jar::CookieJar;
use crate::web::host;

/// Browser-backed environment.
#[derive(Debug, Default)]
pub struct WebEnv {
    cookies: CookieJar,
}

impl WebEnv {
    /// The page's environment.
    pub fn new() -> Self {
        WebEnv { cookies: CookieJar::new() }
    }
}

impl Env for WebEnv {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    fn new_uuid(&mut self) -> String {
        host::uuid()
    }

    fn read_cookie(&self, name: &str) -> Option<String> {
        self.cookies.get(name)
    }

    fn set_cookie(&mut self, cookie: &CookieWrite<'_>) {
        self.cookies.set(cookie);
    }

    fn commit_cookies(&mut self) {
        self.cookies.flush();
    }

    fn storage_get(&self, key: &str) -> Option<String> {
        host::storage_get(key)
    }

    fn storage_set(&mut self, key: &str, value: &str) -> bool {
        host::storage_set(key, value)
    }

    fn storage_remove(&mut self, key: &str) {
        host::storage_remove(key);
    }

    fn storage_keys(&self, prefix: &str) -> Vec<String> {
        host::storage_keys(prefix)
    }
}
