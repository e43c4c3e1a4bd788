//! [`WebEnv`]: the real browser behind the core's [`Env`]: cookies through the page's
//! [`CookieJar`], localStorage, `Date.now` and UUIDs v4 from `crypto.getRandomValues`, all
//! through `host.js`, which catches every browser refusal (cookies in a sandboxed iframe,
//! storage in private mode or over quota).

use crate::engine::env::{CookieWrite, Env};
use crate::engine::id_cookie::uuid_v4_from_bytes;
use crate::prelude::*;
use crate::web::cookie_jar::CookieJar;
use crate::web::host;

/// Random bytes fetched per crossing: 64 UUIDs.
const RANDOM_POOL: usize = 1024;

/// Browser-backed environment.
#[derive(Debug)]
pub struct WebEnv {
    cookies: CookieJar,
    /// Random bytes from `crypto.getRandomValues`, fetched [`RANDOM_POOL`] at a time (one call
    /// per 64 ids instead of one `crypto.randomUUID()` per id).
    random: Vec<u8>,
}

impl Default for WebEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl WebEnv {
    /// The page's environment.
    pub fn new() -> Self {
        WebEnv { cookies: CookieJar::new(), random: Vec::new() }
    }
}

impl WebEnv {
    /// 64 random bits (the delivery jitter's seed).
    pub fn random_u64(&mut self) -> u64 {
        self.refill();
        let mut seed = 0u64;
        for _ in 0..8 {
            seed = seed << 8 | u64::from(self.random.pop().unwrap_or(0));
        }
        seed
    }

    fn refill(&mut self) {
        if self.random.len() < 16 {
            self.random.resize(RANDOM_POOL, 0);
            host::fill_random(&mut self.random);
        }
    }
}

impl Env for WebEnv {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    fn new_uuid(&mut self) -> String {
        self.refill();
        let mut bytes = [0u8; 16];
        for b in &mut bytes {
            *b = self.random.pop().unwrap_or(0);
        }
        uuid_v4_from_bytes(bytes)
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
}
