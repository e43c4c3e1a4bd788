//! Which pages (tabs) of this origin are alive, so the events a closed page left in
//! localStorage are taken over by exactly one live page.
//!
//! With Web Locks each page holds the lock `snowtrack.tab.<tab id>` for its lifetime; the
//! browser releases it when the page goes, however it goes. Without Web Locks each page writes a
//! heartbeat key `snowtrack.tab.<tab id>` every 2 s and a page is alive while its heartbeat is
//! younger than 6 s.

use crate::core::text::{concat, int};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::web::timer;
use core::future::Future;
use js_sys::{Array, Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

const LOCK_PREFIX: &str = "snowtrack.tab.";
const HEARTBEAT_MS: u32 = 2000;
const HEARTBEAT_STALE_MS: i64 = 6000;

#[wasm_bindgen]
extern "C" {
    /// `navigator.locks` (web-sys only binds it behind its unstable-API flag).
    type LockManager;
    #[wasm_bindgen(method, catch)]
    fn request(this: &LockManager, name: &str, callback: &Function) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, catch)]
    fn query(this: &LockManager) -> Result<Promise, JsValue>;
}

fn lock_manager() -> Option<LockManager> {
    let navigator = web_sys::window()?.navigator();
    let locks = Reflect::get(&navigator, &"locks".into()).ok()?;
    (locks.is_object()).then(|| locks.unchecked_into())
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// Marks this page alive for as long as it lives.
pub fn announce(tab_id: &str) {
    let name = concat(&[LOCK_PREFIX, tab_id]);
    if let Some(locks) = lock_manager() {
        // Held until the page goes: the callback's promise never settles.
        let hold = Closure::once_into_js(|| Promise::new(&mut |_, _| {}));
        let _ = locks.request(&name, hold.unchecked_ref());
        return;
    }
    let beat = move || {
        if let Some(storage) = storage() {
            let _ = storage.set_item(&name, &int(js_sys::Date::now() as i64));
        }
    };
    beat();
    timer::every(HEARTBEAT_MS, beat);
}

/// Stops announcing this page (heartbeat fallback only; a lock goes with the page).
pub fn retire(tab_id: &str) {
    if lock_manager().is_none() {
        if let Some(storage) = storage() {
            let _ = storage.remove_item(&concat(&[LOCK_PREFIX, tab_id]));
        }
    }
}

/// The tab ids of the live pages of this origin.
pub async fn live_tabs() -> Vec<String> {
    let mut live = Vec::new();
    if let Some(locks) = lock_manager() {
        let Ok(promise) = locks.query() else { return live };
        let Ok(snapshot) = JsFuture::from(promise).await else { return live };
        // A page whose lock request is still pending is alive too (it may have queued events).
        let list =
            |key: &str| Reflect::get(&snapshot, &key.into()).map(|h| Array::from(&h)).unwrap_or_default();
        for lock in list("held").iter().chain(list("pending").iter()) {
            let name = Reflect::get(&lock, &"name".into()).ok().and_then(|n| n.as_string());
            if let Some(tab) = name.as_deref().and_then(|n| n.strip_prefix(LOCK_PREFIX)) {
                live.push(tab.to_owned());
            }
        }
        return live;
    }
    let Some(storage) = storage() else { return live };
    let now = js_sys::Date::now() as i64;
    for i in 0..storage.length().unwrap_or(0) {
        let Some(key) = storage.key(i).ok().flatten() else { continue };
        let Some(tab) = key.strip_prefix(LOCK_PREFIX) else { continue };
        let beat = storage.get_item(&key).ok().flatten().and_then(|v| crate::core::id_cookie::parse_int(&v));
        if beat.is_some_and(|t| now - t < HEARTBEAT_STALE_MS) {
            live.push(tab.to_owned());
        }
    }
    live
}

/// Runs `task` to completion while holding the origin-wide lock `name` (so two pages never
/// adopt the same events), or at once when Web Locks are missing.
pub fn exclusively(name: &str, task: impl Future<Output = ()> + 'static) {
    match lock_manager() {
        // The lock is held until the promise the callback returns settles. If the request is
        // refused nothing runs; the next periodic check tries again.
        Some(locks) => {
            let callback = Closure::once_into_js(move || {
                wasm_bindgen_futures::future_to_promise(async move {
                    task.await;
                    Ok(JsValue::UNDEFINED)
                })
            });
            let _ = locks.request(name, callback.unchecked_ref());
        }
        None => wasm_bindgen_futures::spawn_local(task),
    }
}
