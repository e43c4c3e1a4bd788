//! `document.cookie` with writes coalesced per task and recent writes read back from memory.
//!
//! In Chrome, reading `document.cookie` right after writing it waits for a round trip to the
//! browser process (hundreds of µs), and every write costs a few µs more. So a write is
//! recorded here and performed once, at the end of the current task (a microtask), however many
//! events the task tracked; until then, and for 50 ms after (the JS tracker's read cache), reads
//! of that cookie are answered from memory. Same-origin iframes and tabs see the value once the
//! task ends, before any of their own scripts run in this thread.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::cookie::{CookieAttributes, cookie_string, cookie_value};
use crate::engine::env::CookieWrite;
use crate::web::lazy_global::LazyGlobal;
use crate::web::{host, timer};
use alloc::rc::Rc;
use core::cell::RefCell;

/// How long a written cookie is read back from memory after it reached `document.cookie`.
const READ_BACK_MS: f64 = 50.0;

#[derive(Debug)]
struct Entry {
    name: String,
    /// The value as written.
    value: String,
    /// The write deleted the cookie (a lifetime of 0 or less).
    deleted: bool,
    /// The write still to perform (formatted only then: a burst of events writes the same
    /// cookie many times in one task).
    pending: Option<Pending>,
    /// How long the value may be read back after the write, ms.
    read_back_ms: f64,
    /// Read back from memory until then (epoch ms); infinite while pending.
    until: f64,
}

/// A recorded write's lifetime from `now_ms` and attributes (the value is the entry's).
#[derive(Debug)]
struct Pending {
    ttl_s: Option<i64>,
    now_ms: i64,
    attributes: CookieAttributes,
}

#[derive(Debug, Default)]
struct State {
    entries: Vec<Entry>,
    flush_scheduled: bool,
}

/// One state per page: trackers sharing a cookie prefix must see each other's writes at once.
static PAGE_STATE: LazyGlobal<Rc<RefCell<State>>> = LazyGlobal::new(Rc::default);

/// The page's cookies (cheap to clone; every jar of a page shares one state).
#[derive(Debug, Clone)]
pub struct CookieJar {
    state: Rc<RefCell<State>>,
}

impl Default for CookieJar {
    fn default() -> Self {
        Self::new()
    }
}

impl CookieJar {
    /// The page's jar.
    pub fn new() -> Self {
        CookieJar { state: Rc::clone(&PAGE_STATE) }
    }

    /// The value of cookie `name`: what this page last wrote, while that is recent, or else what
    /// `document.cookie` holds. `None` when absent or unreadable.
    pub fn get(&self, name: &str) -> Option<String> {
        if let Ok(state) = self.state.try_borrow() {
            let now = js_sys::Date::now();
            if let Some(entry) = state.entries.iter().find(|e| e.name == name && now < e.until) {
                return (!entry.deleted).then(|| entry.value.clone());
            }
        }
        cookie_value(&host::cookies(), name)
    }

    /// Records a write, performed at the end of the current task.
    pub fn set(&self, cookie: &CookieWrite<'_>) {
        let Ok(mut state) = self.state.try_borrow_mut() else { return };
        let read_back_ms = cookie.ttl_s.map_or(READ_BACK_MS, |ttl| READ_BACK_MS.min(ttl as f64 * 1000.0));
        let entry = Entry {
            name: cookie.name.to_owned(),
            value: cookie.value.to_owned(),
            deleted: cookie.ttl_s.is_some_and(|ttl| ttl <= 0),
            pending: Some(Pending {
                ttl_s: cookie.ttl_s,
                now_ms: cookie.now_ms,
                attributes: cookie.attributes.clone(),
            }),
            read_back_ms,
            until: f64::INFINITY,
        };
        match state.entries.iter_mut().find(|e| e.name == entry.name) {
            Some(slot) => *slot = entry,
            None => state.entries.push(entry),
        }
        if !core::mem::replace(&mut state.flush_scheduled, true) {
            let jar = self.clone();
            host::microtask(&timer::once(move || jar.flush()));
        }
    }

    /// Performs the pending writes now.
    pub fn flush(&self) {
        let Ok(mut state) = self.state.try_borrow_mut() else { return };
        state.flush_scheduled = false;
        let now = js_sys::Date::now();
        for entry in &mut state.entries {
            if let Some(p) = entry.pending.take() {
                host::set_cookie(&cookie_string(&entry.name, &entry.value, p.ttl_s, p.now_ms, &p.attributes));
                entry.until = now + entry.read_back_ms;
            }
        }
        state.entries.retain(|e| e.until > now);
    }
}
