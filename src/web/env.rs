//! [`WebEnv`]: the real browser behind the core's [`Env`]: cookies through the page's
//! [`CookieJar`], localStorage, `Date.now` and UUIDs v4 from `crypto.getRandomValues`, all
//! through `host.js`, which
//! catches every browser refusal (cookies in a sandboxed iframe, storage in private mode or
//! over quota).

use crate::core::env::{CookieWrite, Env};
use crate::core::id_cookie::uuid_v4_from_bytes;
use crate::core::queue::Wire;
use crate::prelude::*;
use crate::web::cookie_jar::CookieJar;
use crate::web::host;
use wasm_bindgen::JsValue;

/// An event's wire text as a JS string, so a queued event costs the wasm memory (which never
/// shrinks) a handle and its length, and the text goes to the garbage-collected JS heap.
#[derive(Debug, Clone)]
pub struct JsWire {
    text: JsValue,
    len: usize,
}

impl Wire for JsWire {
    fn wire_len(&self) -> usize {
        self.len
    }
}

/// The JS strings of `wires`, as a JS array.
pub fn wire_array<'a>(wires: impl IntoIterator<Item = &'a JsWire>) -> js_sys::Array {
    let array = js_sys::Array::new();
    for wire in wires {
        array.push(&wire.text);
    }
    array
}

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

impl Env for WebEnv {
    type Wire = JsWire;

    fn wire(&mut self, text: String) -> JsWire {
        JsWire { len: text.len(), text: JsValue::from_str(&text) }
    }

    fn storage_set_wires(&mut self, key: &str, wires: &[&JsWire]) -> bool {
        host::storage_set_lines(key, &wire_array(wires.iter().copied()))
    }

    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    fn new_uuid(&mut self) -> String {
        if self.random.len() < 16 {
            self.random.resize(RANDOM_POOL, 0);
            host::fill_random(&mut self.random);
        }
        let mut bytes = [0u8; 16];
        let at = self.random.len() - 16;
        for (b, r) in bytes.iter_mut().zip(self.random.drain(at..)) {
            *b = r;
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

    fn storage_keys(&self, prefix: &str) -> Vec<String> {
        host::storage_keys(prefix)
    }
}
