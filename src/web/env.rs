//! [`WebEnv`]: the real browser behind the core's [`Env`]. Every browser call that can throw
//! (cookies in a sandboxed iframe, storage in private mode or over quota) is caught.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::env::{CookieWrite, Env};
use crate::core::id_cookie::uuid_v4_from_bytes;
use crate::web::cookie_jar::CookieJar;
use wasm_bindgen::JsCast;
use web_sys::{Crypto, HtmlDocument, Storage};

/// Browser-backed environment.
#[derive(Debug)]
pub struct WebEnv {
    document: Option<HtmlDocument>,
    storage: Option<Storage>,
    crypto: Option<Crypto>,
    secure_context: bool,
    cookies: Option<CookieJar>,
}

impl WebEnv {
    /// Binds to the current window; anything missing (no document in a worker, storage denied) is
    /// remembered as absent.
    pub fn new() -> Self {
        let window = web_sys::window();
        let document =
            window.as_ref().and_then(|w| w.document()).and_then(|d| d.dyn_into::<HtmlDocument>().ok());
        WebEnv {
            cookies: document.clone().map(CookieJar::new),
            document,
            storage: window.as_ref().and_then(|w| w.local_storage().ok().flatten()),
            crypto: window.as_ref().and_then(|w| w.crypto().ok()),
            secure_context: window.as_ref().is_some_and(|w| w.is_secure_context()),
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
        self.cookies.as_ref()?.get(name)
    }

    fn set_cookie(&mut self, cookie: &CookieWrite<'_>) {
        if let Some(jar) = &self.cookies {
            jar.set(cookie);
        }
    }

    fn commit_cookies(&mut self) {
        if let Some(jar) = &self.cookies {
            jar.flush();
        }
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
