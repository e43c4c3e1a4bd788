//! [`WebEnv`]: the real browser behind the engine's [`Shell`] and [`Env`]: cookies through the
//! page's [`CookieJar`], localStorage, `Date.now` and UUIDs v4 from `crypto.getRandomValues`,
//! the page's facts, and what `host.js`'s listeners coalesced (the document's scroll, the
//! page's activity), all through `host.js`, which catches every browser refusal (cookies in a
//! sandboxed iframe, storage in private mode or over quota).

use crate::engine::Shell;
use crate::engine::activity::{Coalesced, Extents, Metrics};
use crate::engine::engagement::DocumentScroll;
use crate::engine::env::{CookieWrite, Env};
use crate::engine::facts::PageFacts;
use crate::engine::id_cookie::uuid_v4_from_bytes;
use crate::prelude::*;
use crate::web::cookie_jar::CookieJar;
use crate::web::lazy_global::keys;
use crate::web::wire::{JsWire, Wires};
use crate::web::{facts, host};
use alloc::rc::Rc;
use wasm_bindgen::JsValue;

keys! {
    MIN_X = "minX",
    MAX_X = "maxX",
    MIN_Y = "minY",
    MAX_Y = "maxY",
    VIEW_WIDTH = "viewWidth",
    VIEW_HEIGHT = "viewHeight",
    CONTENT_WIDTH = "contentWidth",
    CONTENT_HEIGHT = "contentHeight",
    LAST = "last",
    X = "x",
    Y = "y",
    MOUSE = "mouse",
    SCROLL = "scroll",
    KEYS = "keys",
    CLICKS = "clicks",
    TOUCHES = "touches",
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
    /// Queued events' wire texts.
    wires: Wires,
    /// The document's scroll, coalesced in `host.js` once watched.
    pub scroll: Option<JsValue>,
    /// The page's activity, coalesced in `host_full.js` once watched.
    pub activity: Option<JsValue>,
    /// The time of the input being handled ([`WebEnv::hold_clock`]), 0 between inputs.
    held_ms: i64,
}

impl Default for WebEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl WebEnv {
    /// The page's environment.
    pub fn new() -> Self {
        WebEnv {
            cookies: CookieJar::new(),
            random: Vec::new(),
            wires: Wires::default(),
            scroll: None,
            activity: None,
            held_ms: 0,
        }
    }
}

impl WebEnv {
    /// Reads the clock once for the input about to be handled: until [`WebEnv::release_clock`],
    /// [`Env::now_ms`] answers that time (an event asks the time several times; `Date.now()`
    /// is a crossing each).
    pub fn hold_clock(&mut self) -> i64 {
        self.held_ms = 0;
        self.held_ms = self.now_ms();
        self.held_ms
    }

    /// Lets [`Env::now_ms`] read the clock again.
    pub fn release_clock(&mut self) {
        self.held_ms = 0;
    }

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
        if self.held_ms != 0 { self.held_ms } else { js_sys::Date::now() as i64 }
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

impl Shell for WebEnv {
    type Wire = JsWire;

    fn wire(&mut self, text: &str) -> JsWire {
        self.wires.wire(text)
    }

    fn page_facts(&mut self) -> Rc<PageFacts> {
        facts::page()
    }

    fn hidden(&mut self) -> bool {
        host::hidden()
    }

    fn take_scroll(&mut self) -> Option<DocumentScroll> {
        let taken = host::take_scroll(self.scroll.as_ref()?);
        let n = |key| host::number(&taken, key);
        Some(DocumentScroll {
            min_x: n(&MIN_X),
            max_x: n(&MAX_X),
            min_y: n(&MIN_Y),
            max_y: n(&MAX_Y),
            view_width: n(&VIEW_WIDTH),
            view_height: n(&VIEW_HEIGHT),
            content_width: n(&CONTENT_WIDTH),
            content_height: n(&CONTENT_HEIGHT),
        })
    }

    fn take_activity(&mut self) -> Option<Coalesced> {
        if !cfg!(feature = "full") {
            return None; // the core build has no activity tracking
        }
        let taken = host::take_activity(self.activity.as_ref()?);
        let n = |key| host::number(&taken, key);
        let extents = Extents { min_x: n(&MIN_X), max_x: n(&MAX_X), min_y: n(&MIN_Y), max_y: n(&MAX_Y) };
        let metrics = Metrics {
            mouse_distance: n(&MOUSE),
            scroll_distance: n(&SCROLL),
            key_presses: n(&KEYS),
            clicks: n(&CLICKS),
            touches: n(&TOUCHES),
        };
        Some(Coalesced { last_activity_ms: n(&LAST) as i64, extents, x: n(&X), y: n(&Y), metrics })
    }
}
