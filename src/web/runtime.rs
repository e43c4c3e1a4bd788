//! The running tracker in the page: its state shared between the JS API, the send loop, the
//! retry timer and the page-lifecycle listeners, and the delivery logic that ties the core's
//! queue to `fetch`.
//!
//! Delivery: at most two requests in flight while the page is visible (new events accumulate
//! into the next batches, so throughput follows the collector's speed); after a failure a timer resumes
//! sending when the backoff ends, or at once when the browser comes back online; when the page
//! is hidden or unloaded everything that fits in the browser's 64 KiB `keepalive` budget is sent
//! at once. Events stay persisted until a 2xx answer, and a page's leftovers are adopted by the
//! next live page of the origin.

use crate::core::text::concat;
#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::env::Env;
use crate::core::queue::Outcome;
use crate::core::tracker::{Tracker, queue_key_tab};
use crate::web::env::WebEnv;
use crate::web::timer::{self, Timeout};
use crate::web::{tabs, transport};
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;
use js_sys::{Array, Function, JSON, Object, Reflect};
use wasm_bindgen::prelude::*;

/// Browsers refuse `keepalive` requests once their bodies in flight pass 64 KiB.
const KEEPALIVE_BUDGET: usize = 64 * 1024;
/// Send loops (so requests in flight) at most while the page is visible: two keep both the
/// network and the collector busy, and adding more gained nothing measurable.
const MAX_SENDERS: usize = 2;
/// How often a page looks for events left by pages that are gone.
const ADOPT_EVERY_MS: u32 = 10_000;

/// The JS callbacks of `newTracker`'s config.
#[derive(Debug, Default)]
pub struct Callbacks {
    /// `onSessionUpdate(clientSession)`.
    pub on_session_update: Option<Function>,
    /// `onRequestSuccess({events, eventIds, status})`.
    pub on_request_success: Option<Function>,
    /// `onRequestFailure({events, eventIds, status, willRetry})`.
    pub on_request_failure: Option<Function>,
    /// `onEventDropped({eventId, reason})`: the queue was full.
    pub on_event_dropped: Option<Function>,
}

/// One tracker's page-side state.
#[derive(Debug)]
pub struct Runtime {
    /// The core tracker.
    pub tracker: Tracker,
    /// The browser environment.
    pub env: WebEnv,
    /// The user's callbacks.
    pub callbacks: Callbacks,
    senders: usize,
    keepalive_bytes: usize,
    /// Keepalive requests that got no answer while the page was hidden: the page may be
    /// unloading and the browser may still deliver them, so their events are not resent from
    /// here until the page is visible again (if it goes, the next page adopts them).
    parked: Vec<u64>,
    retry_timer: Option<Timeout>,
}

/// The shared handle.
pub type Shared = Rc<RefCell<Runtime>>;

/// A callback call decided while the state was borrowed, made after it is released (so the
/// callback may call the tracker again).
pub struct Notice(Function, JsValue);

impl Notice {
    /// Calls the callback; an exception it throws is logged, never propagated.
    pub fn deliver(self) {
        if let Err(err) = self.0.call1(&JsValue::NULL, &self.1) {
            let message = Reflect::get(&err, &"message".into()).ok().and_then(|m| m.as_string());
            let message = message.or_else(|| err.as_string()).unwrap_or_default();
            web_sys::console::warn_1(&concat(&["snowtrack: a callback threw: ", &message]).into());
        }
    }
}

/// A notice for `callback` with the JSON object `json`, when both exist.
pub fn notice(callback: &Option<Function>, json: &str) -> Option<Notice> {
    Some(Notice(callback.clone()?, JSON::parse(json).ok()?))
}

fn request_report<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    status: Option<u16>,
    will_retry: Option<bool>,
) -> JsValue {
    let report = Object::new();
    let _ = Reflect::set(&report, &"events".into(), &JsValue::from(ids.len() as u32));
    let ids: Array = ids.map(JsValue::from_str).collect();
    let _ = Reflect::set(&report, &"eventIds".into(), &ids);
    let _ = Reflect::set(&report, &"status".into(), &status.map_or(JsValue::NULL, JsValue::from));
    if let Some(will_retry) = will_retry {
        let _ = Reflect::set(&report, &"willRetry".into(), &will_retry.into());
    }
    report.into()
}

impl Runtime {
    /// Wraps a started tracker; call [`start`] next.
    pub fn new(tracker: Tracker, env: WebEnv, callbacks: Callbacks) -> Shared {
        Rc::new(RefCell::new(Runtime {
            tracker,
            env,
            callbacks,
            senders: 0,
            keepalive_bytes: 0,
            parked: Vec::new(),
            retry_timer: None,
        }))
    }

    /// A notice for `onEventDropped`.
    pub fn dropped_notice(&self, event_id: &str) -> Option<Notice> {
        let callback = self.callbacks.on_event_dropped.clone()?;
        let report = Object::new();
        let _ = Reflect::set(&report, &"eventId".into(), &event_id.into());
        let _ = Reflect::set(&report, &"reason".into(), &"queue full".into());
        Some(Notice(callback, report.into()))
    }
}

/// Announces the page, follows its lifecycle, adopts leftovers and sends what is queued.
pub fn start(shared: &Shared) {
    if let Ok(rt) = shared.try_borrow() {
        tabs::announce(rt.tracker.tab_id());
    }
    listen(shared);
    let weak = Rc::downgrade(shared);
    timer::every(ADOPT_EVERY_MS, move || {
        if let Some(shared) = weak.upgrade() {
            wasm_bindgen_futures::spawn_local(adopt_orphans(shared));
        }
    });
    wasm_bindgen_futures::spawn_local(adopt_orphans(shared.clone()));
    send_soon(shared);
}

fn listen(shared: &Shared) {
    let Some(window) = web_sys::window() else { return };
    let on = |target: &web_sys::EventTarget, event: &str, f: fn(&Shared)| {
        let weak: Weak<RefCell<Runtime>> = Rc::downgrade(shared);
        let closure = Closure::<dyn FnMut()>::new(move || {
            if let Some(shared) = weak.upgrade() {
                f(&shared);
            }
        });
        let _ = target.add_event_listener_with_callback(event, closure.as_ref().unchecked_ref());
        closure.forget();
    };
    if let Some(document) = window.document() {
        on(&document, "visibilitychange", |shared| {
            let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
            if let Ok(mut rt) = shared.try_borrow_mut() {
                let Runtime { tracker, env, .. } = &mut *rt;
                tracker.set_hidden(env, hidden);
            }
            if hidden {
                flush_with_keepalive(shared);
            } else {
                unpark(shared);
            }
        });
    }
    on(&window, "pagehide", |shared| {
        flush_with_keepalive(shared);
        if let Ok(rt) = shared.try_borrow() {
            tabs::retire(rt.tracker.tab_id());
        }
    });
    on(&window, "online", |shared| {
        if let Ok(mut rt) = shared.try_borrow_mut() {
            rt.tracker.queue_mut().retry_now();
        }
        send_soon(shared);
    });
}

/// Starts send loops up to [`MAX_SENDERS`] (counted at once, so a burst of calls in one task
/// starts no more).
pub fn send_soon(shared: &Shared) {
    while try_begin(shared) {
        let shared = shared.clone();
        wasm_bindgen_futures::spawn_local(async move {
            drain(shared).await;
        });
    }
}

/// Claims a send loop; false when [`MAX_SENDERS`] run already or nothing waits.
pub fn try_begin(shared: &Shared) -> bool {
    match shared.try_borrow_mut() {
        Ok(mut rt) if rt.senders < MAX_SENDERS && rt.tracker.queue().pending() > 0 => {
            rt.senders += 1;
            true
        }
        _ => false,
    }
}

/// How a send loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrainEnd {
    /// Nothing left to take (other loops may still have requests in flight).
    Idle,
    /// A request failed: the retry timer takes over.
    Failed,
}

/// A send loop, claimed with [`try_begin`]: sends requests one at a time until nothing is left
/// to take or a request fails (then the retry timer takes over).
pub async fn drain(shared: Shared) -> DrainEnd {
    let end = loop {
        let next = {
            let Ok(mut rt) = shared.try_borrow_mut() else { break DrainEnd::Failed };
            let now = rt.env.now_ms();
            let config = rt.tracker.config().clone();
            rt.tracker.next_request(now, None).map(|r| (r, config))
        };
        let Some((request, config)) = next else { break DrainEnd::Idle };
        let answer = transport::send(&request, &config, false).await;
        if complete(&shared, request.id, &answer) == Outcome::Failed {
            break DrainEnd::Failed;
        }
    };
    if let Ok(mut rt) = shared.try_borrow_mut() {
        rt.senders = rt.senders.saturating_sub(1);
    }
    end
}

/// Records a request's outcome, reports it, and arms the retry timer after a failure.
fn complete(shared: &Shared, id: u64, answer: &transport::Answer) -> Outcome {
    let (outcome, notice) = {
        let Ok(mut guard) = shared.try_borrow_mut() else { return Outcome::Failed };
        let rt = &mut *guard;
        let Runtime { tracker, env, callbacks, retry_timer, .. } = rt;
        let (outcome, done) =
            tracker.complete(env, id, answer.status, js_sys::Math::random(), answer.retry_after_ms);
        let notice = match outcome {
            Outcome::Delivered => callbacks.on_request_success.clone().map(|f| {
                Notice(
                    f,
                    request_report(done.removed.iter().map(|e| e.event_id.as_str()), answer.status, None),
                )
            }),
            // Removed events were dropped (a non-retryable answer, or a single event too large).
            _ if !done.removed.is_empty() => callbacks.on_request_failure.clone().map(|f| {
                let ids = done.removed.iter().map(|e| e.event_id.as_str());
                Notice(f, request_report(ids, answer.status, Some(false)))
            }),
            Outcome::TooLarge | Outcome::Rejected => callbacks.on_request_failure.clone().map(|f| {
                Notice(f, request_report(done.requeued.iter().map(String::as_str), answer.status, Some(true)))
            }),
            Outcome::Failed => {
                let notice = callbacks.on_request_failure.clone().map(|f| {
                    Notice(
                        f,
                        request_report(done.requeued.iter().map(String::as_str), answer.status, Some(true)),
                    )
                });
                if let Some(at) = done.retry_at_ms {
                    let delay = u32::try_from((at - env.now_ms()).max(0)).unwrap_or(u32::MAX);
                    let weak = Rc::downgrade(shared);
                    *retry_timer = Some(Timeout::new(delay, move || {
                        if let Some(shared) = weak.upgrade() {
                            send_soon(&shared);
                        }
                    }));
                }
                notice
            }
        };
        (outcome, notice)
    };
    if let Some(notice) = notice {
        notice.deliver();
    }
    outcome
}

/// The page is going away or hidden: send everything that fits in the `keepalive` budget at
/// once, ignoring the backoff (this may be the last chance). What does not fit stays persisted.
pub fn flush_with_keepalive(shared: &Shared) {
    loop {
        let next = {
            let Ok(mut rt) = shared.try_borrow_mut() else { return };
            rt.tracker.queue_mut().retry_now();
            let budget = KEEPALIVE_BUDGET.saturating_sub(rt.keepalive_bytes);
            let now = rt.env.now_ms();
            let config = rt.tracker.config().clone();
            let request = rt.tracker.next_request(now, Some(budget));
            if let Some(r) = &request {
                rt.keepalive_bytes += r.bytes;
            }
            request.map(|r| (r, config))
        };
        let Some((request, config)) = next else { return };
        let shared = shared.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let answer = transport::send(&request, &config, true).await;
            let hidden = web_sys::window().and_then(|w| w.document()).is_some_and(|d| d.hidden());
            if let Ok(mut rt) = shared.try_borrow_mut() {
                rt.keepalive_bytes = rt.keepalive_bytes.saturating_sub(request.bytes);
                if answer.status.is_none() && hidden {
                    rt.parked.push(request.id);
                    return;
                }
            }
            // A delivered keepalive batch (the page stayed) may end a backoff: resume sending.
            if complete(&shared, request.id, &answer) == Outcome::Delivered {
                send_soon(&shared);
            }
        });
    }
}

/// The page is visible again: keepalive requests parked while it was hidden failed for good;
/// their events go back to the queue and are sent again.
fn unpark(shared: &Shared) {
    let parked = match shared.try_borrow_mut() {
        Ok(mut rt) => core::mem::take(&mut rt.parked),
        Err(_) => return,
    };
    for id in parked {
        complete(shared, id, &transport::Answer::default());
    }
    send_soon(shared);
}

/// Takes over the events of pages that are gone (their tab is no longer alive).
async fn adopt_orphans(shared: Shared) {
    let (prefix, own) = match shared.try_borrow() {
        Ok(rt) => (rt.tracker.queue_prefix().to_owned(), rt.tracker.tab_id().to_owned()),
        Err(_) => return,
    };
    let foreign = |rt: &Runtime| {
        rt.env.storage_keys(&prefix).iter().any(|k| queue_key_tab(&prefix, k).is_some_and(|tab| tab != own))
    };
    if !shared.try_borrow().is_ok_and(|rt| foreign(&rt)) {
        return;
    }
    let weak = Rc::downgrade(&shared);
    let lock = concat(&["snowtrack.adopt.", &prefix]);
    // Which pages live is asked while holding the lock, so a page starting meanwhile is seen.
    tabs::exclusively(&lock, async move {
        let live = tabs::live_tabs().await;
        let Some(shared) = weak.upgrade() else { return };
        let adopted = {
            let Ok(mut rt) = shared.try_borrow_mut() else { return };
            let Runtime { tracker, env, .. } = &mut *rt;
            let orphans: Vec<String> = env
                .storage_keys(&prefix)
                .into_iter()
                .filter(|k| {
                    queue_key_tab(&prefix, k).is_some_and(|tab| tab != own && !live.iter().any(|t| t == tab))
                })
                .collect();
            tracker.adopt(env, &orphans)
        };
        if adopted > 0 {
            send_soon(&shared);
        }
    });
}

/// `getDeliveryStats()`.
pub fn delivery_stats(rt: &Runtime) -> JsValue {
    let s = rt.tracker.queue().stats();
    let out = Object::new();
    for (key, value) in [
        ("queued", s.queued as f64),
        ("inFlight", s.in_flight as f64),
        ("sent", s.sent as f64),
        ("failed", s.failed as f64),
        ("retried", s.retried as f64),
        ("dropped", s.dropped as f64),
    ] {
        let _ = Reflect::set(&out, &key.into(), &value.into());
    }
    out.into()
}
