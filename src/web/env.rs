//! [`WebEnv`]: the real browser behind the core's [`Env`]. Every browser call that can throw
//! (cookies in a sandboxed iframe, storage in private mode or over quota) is caught.
//!
//! Cookies written in the last 50 ms are read back from memory: in Chrome, reading
//! `document.cookie` right after writing it waits for a round trip to the browser process
//! (hundreds of µs), which would dominate every `track*` call. The JS tracker keeps the same
//! 50 ms read cache. Another tab's write is seen once the window has passed.

use crate::core::cookie::cookie_value;
use crate::core::env::{CookieWrite, Env};
use crate::core::id_cookie::uuid_v4_from_bytes;
use wasm_bindgen::JsCast;
use web_sys::{Crypto, HtmlDocument, Storage};

/// Browser-backed environment.
#[derive(Debug)]
pub struct WebEnv {
    document: Option<HtmlDocument>,
    storage: Option<Storage>,
    crypto: Option<Crypto>,
    secure_context: bool,
    /// Cookies written recently: name, value (`None` once deleted), trusted until (epoch ms).
    written: Vec<(String, Option<String>, f64)>,
}

/// How long a written cookie is read back from memory.
const COOKIE_CACHE_MS: f64 = 50.0;

impl WebEnv {
    /// Binds to the current window; anything missing (no document in a worker, storage denied) is
    /// remembered as absent.
    pub fn new() -> Self {
        let window = web_sys::window();
        WebEnv {
            document: window
                .as_ref()
                .and_then(|w| w.document())
                .and_then(|d| d.dyn_into::<HtmlDocument>().ok()),
            storage: window.as_ref().and_then(|w| w.local_storage().ok().flatten()),
            crypto: window.as_ref().and_then(|w| w.crypto().ok()),
            secure_context: window.as_ref().is_some_and(|w| w.is_secure_context()),
            written: Vec::new(),
        }
    }
}

impl WebEnv {
    /// The page's document, for code that must bypass the cookie cache.
    pub fn document(&self) -> Option<&HtmlDocument> {
        self.document.as_ref()
    }
}

impl Default for WebEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Env for WebEnv {
    fn now_ms(&self) -> i64 {
        js_sys::Date::now() as i64
    }

    fn new_uuid(&mut self) -> String {
        if let Some(crypto) = &self.crypto {
            // randomUUID exists only in secure contexts (https, localhost, 127.0.0.1).
            if self.secure_context {
                return crypto.random_uuid();
            }
            let mut bytes = [0u8; 16];
            if crypto.get_random_values_with_u8_array(&mut bytes).is_ok() {
                return uuid_v4_from_bytes(bytes);
            }
        }
        // No Web Crypto at all: Math.random is the best there is, and ids stay well-formed.
        let mut bytes = [0u8; 16];
        for b in &mut bytes {
            *b = (js_sys::Math::random() * 256.0) as u8;
        }
        uuid_v4_from_bytes(bytes)
    }

    fn read_cookie(&self, name: &str) -> Option<String> {
        let now = js_sys::Date::now();
        if let Some((_, value, _)) = self.written.iter().find(|(n, _, until)| n == name && now < *until) {
            return value.clone();
        }
        cookie_value(&self.document.as_ref()?.cookie().ok()?, name)
    }

    fn set_cookie(&mut self, cookie: &CookieWrite<'_>) {
        let Some(document) = &self.document else { return };
        if document.set_cookie(&cookie.to_cookie_string()).is_err() {
            return;
        }
        let ttl_ms = cookie.ttl_s.map_or(f64::INFINITY, |ttl| ttl as f64 * 1000.0);
        let until = js_sys::Date::now() + COOKIE_CACHE_MS.min(ttl_ms);
        let value = (ttl_ms > 0.0).then(|| cookie.value.to_owned());
        self.written.retain(|(n, _, _)| n != cookie.name);
        self.written.push((cookie.name.to_owned(), value, until));
    }

    fn storage_get(&self, key: &str) -> Option<String> {
        self.storage.as_ref()?.get_item(key).ok().flatten()
    }

    fn storage_set(&mut self, key: &str, value: &str) -> bool {
        self.storage.as_ref().is_some_and(|s| s.set_item(key, value).is_ok())
    }

    fn storage_remove(&mut self, key: &str) {
        if let Some(storage) = &self.storage {
            let _ = storage.remove_item(key);
        }
    }

    fn storage_keys(&self, prefix: &str) -> Vec<String> {
        let Some(storage) = &self.storage else { return Vec::new() };
        (0..storage.length().unwrap_or(0))
            .filter_map(|i| storage.key(i).ok().flatten())
            .filter(|key| key.starts_with(prefix))
            .collect()
    }
}
