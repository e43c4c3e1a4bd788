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
use alloc::rc::Rc;
use core::cell::{OnceCell, RefCell};

/// The wire texts of events tracked together (in one task, up to [`BATCH_MAX_BYTES`]): kept in
/// wasm until first needed (for storage or a request), then turned into JS strings in one
/// crossing, one UTF-8 decode for the lot instead of one per event.
#[derive(Debug, Default)]
struct Batch {
    /// The texts not yet handed to JS, each followed by `\n` (no wire text holds a raw newline).
    text: RefCell<String>,
    /// The texts as JS strings, once handed over.
    lines: OnceCell<js_sys::Array>,
}

impl Batch {
    fn lines(&self) -> &js_sys::Array {
        self.lines.get_or_init(|| {
            let text = self.text.try_borrow_mut().map(|mut t| core::mem::take(&mut *t)).unwrap_or_default();
            host::split_lines(&text)
        })
    }
}

/// A batch is handed to JS once its texts reach this size, whether or not they are needed yet:
/// the wasm memory a burst takes stays bounded (it never shrinks).
const BATCH_MAX_BYTES: usize = 16 * 1024;

/// An event's wire text: in its batch, which holds it in wasm until the batch is handed to JS,
/// then as a JS string (a queued event costs the wasm memory a handle and two numbers).
#[derive(Debug, Clone)]
pub struct JsWire {
    batch: Rc<Batch>,
    index: u32,
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
        array.push(&wire.batch.lines().get(wire.index));
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
    /// The batch new events' texts go to, and how many it holds.
    batch: Rc<Batch>,
    batch_len: u32,
}

impl Default for WebEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl WebEnv {
    /// The page's environment.
    pub fn new() -> Self {
        WebEnv { cookies: CookieJar::new(), random: Vec::new(), batch: Rc::default(), batch_len: 0 }
    }
}

impl Env for WebEnv {
    type Wire = JsWire;

    fn wire(&mut self, text: String) -> JsWire {
        let full = self.batch.text.try_borrow().map_or(true, |t| t.len() >= BATCH_MAX_BYTES);
        if full {
            self.batch.lines(); // handed to JS now, so the wasm memory holds one batch at most
        }
        if self.batch.lines.get().is_some() {
            self.batch = Rc::default();
            self.batch_len = 0;
        }
        if let Ok(mut batch) = self.batch.text.try_borrow_mut() {
            batch.push_str(&text);
            batch.push('\n');
        }
        let wire = JsWire { batch: Rc::clone(&self.batch), index: self.batch_len, len: text.len() };
        self.batch_len += 1;
        wire
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

    fn storage_keys(&self, prefix: &str) -> Vec<String> {
        host::strings(host::storage_keys(prefix)).collect()
    }
}
