//! The running tracker in the page: its state shared between the JS API, the send loops, the
//! retry timer and the page-lifecycle listeners, and the delivery logic that ties the core's
//! queue to `fetch`.
//!
//! Delivery: at most two requests in flight while the page is visible (new events accumulate
//! into the next batches, so throughput follows the collector's speed); after a failure a timer resumes
//! sending when the backoff ends, or at once when the browser comes back online; when the page
//! is hidden or unloaded everything that fits in the browser's 64 KiB `keepalive` budget is sent
//! at once. Events stay persisted until a 2xx answer, and a page's leftovers are adopted by the
//! next live page of the origin.
//!
//! Everything is driven by callbacks from `host.js` (request answered, timer fired, lock
//! granted): no futures executor is compiled in.

use crate::core::env::Env;
use crate::core::json::ObjectWriter;
use crate::core::queue::Outcome;
use crate::core::text::concat;
use crate::core::tracker::{Tracker, queue_key_tab};
use crate::prelude::*;
use crate::web::env::{JsWire, WebEnv};
use crate::web::host;
use crate::web::timer::{self, Timeout};
use crate::web::transport::{self, SendOptions};
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;
use js_sys::Function;
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
    pub tracker: Tracker<JsWire>,
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
    /// `resolve` functions of pending `flush()` promises.
    flush_waiters: Vec<Function>,
    /// A microtask will write the events tracked in this task.
    commit_scheduled: bool,
}

/// The shared handle.
pub type Shared = Rc<RefCell<Runtime>>;

/// A callback call decided while the state was borrowed, made after it is released (so the
/// callback may call the tracker again).
pub struct Notice(Function, String);

impl Notice {
    /// Calls the callback with the report; an exception it throws is logged, never propagated.
    pub fn deliver(self) {
        host::notify(&self.0, &self.1);
    }
}

/// A notice for `callback` with the JSON object `json`, when there is a callback.
pub fn notice(callback: &Option<Function>, json: &str) -> Option<Notice> {
    Some(Notice(callback.clone()?, json.to_owned()))
}

/// `{events, eventIds, status[, willRetry]}` as JSON.
fn request_report<'a>(
    ids: impl ExactSizeIterator<Item = &'a str>,
    status: Option<u16>,
    will_retry: Option<bool>,
) -> String {
    let mut out = ObjectWriter::new();
    out.number("events", ids.len() as u64);
    let mut list = String::from("[");
    for (i, id) in ids.enumerate() {
        if i > 0 {
            list.push(',');
        }
        crate::core::json::push_string(&mut list, id);
    }
    list.push(']');
    out.raw("eventIds", &list);
    match status {
        Some(status) => out.number("status", status.into()),
        None => out.raw("status", "null"),
    };
    if let Some(will_retry) = will_retry {
        out.raw("willRetry", if will_retry { "true" } else { "false" });
    }
    out.finish()
}

impl Runtime {
    /// Wraps a started tracker; call [`start`] next.
    pub fn new(tracker: Tracker<JsWire>, env: WebEnv, callbacks: Callbacks) -> Shared {
        Rc::new(RefCell::new(Runtime {
            tracker,
            env,
            callbacks,
            senders: 0,
            keepalive_bytes: 0,
            parked: Vec::new(),
            retry_timer: None,
            flush_waiters: Vec::new(),
            commit_scheduled: false,
        }))
    }

    /// A notice for `onEventDropped`.
    pub fn dropped_notice(&self, event_id: &str) -> Option<Notice> {
        let mut report = ObjectWriter::new();
        report.string("eventId", event_id).string("reason", "queue full");
        Some(Notice(self.callbacks.on_event_dropped.clone()?, report.finish()))
    }
}

/// Announces the page, follows its lifecycle, adopts leftovers and sends what is queued.
pub fn start(shared: &Shared) {
    if let Ok(rt) = shared.try_borrow() {
        host::announce(rt.tracker.tab_id());
    }
    listen(shared);
    let weak = Rc::downgrade(shared);
    timer::every(ADOPT_EVERY_MS, move || {
        if let Some(shared) = weak.upgrade() {
            adopt_orphans(&shared);
        }
    });
    adopt_orphans(shared);
    send_soon(shared);
}

fn listen(shared: &Shared) {
    let on = |event: &str, f: fn(&Shared)| {
        let weak: Weak<RefCell<Runtime>> = Rc::downgrade(shared);
        let closure = timer::repeating(move || {
            if let Some(shared) = weak.upgrade() {
                f(&shared);
            }
        });
        host::on_page(event, closure.as_ref().unchecked_ref());
        closure.forget();
    };
    on("visibilitychange", |shared| {
        let hidden = host::hidden();
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
    on("pagehide", |shared| {
        flush_with_keepalive(shared);
        if let Ok(rt) = shared.try_borrow() {
            host::retire(rt.tracker.tab_id());
        }
    });
    on("online", |shared| {
        if let Ok(mut rt) = shared.try_borrow_mut() {
            rt.tracker.queue_mut().retry_now();
        }
        send_soon(shared);
    });
}

/// Writes the events tracked in this task to storage at its end (one chunk for all of them),
/// before any other task can run.
pub fn commit_soon(shared: &Shared) {
    let schedule = match shared.try_borrow_mut() {
        Ok(mut rt) if rt.tracker.has_unwritten() && !rt.commit_scheduled => {
            rt.commit_scheduled = true;
            true
        }
        _ => false,
    };
    if !schedule {
        return;
    }
    let weak = Rc::downgrade(shared);
    host::microtask(&timer::once(move || {
        let Some(shared) = weak.upgrade() else { return };
        if let Ok(mut rt) = shared.try_borrow_mut() {
            let Runtime { tracker, env, commit_scheduled, .. } = &mut *rt;
            *commit_scheduled = false;
            tracker.commit_queue(env);
        }
    }));
}

/// Starts send loops up to [`MAX_SENDERS`] (counted at once, so a burst of calls in one task
/// starts no more). Their first requests go at the end of the current task, so they carry
/// every event the task tracked.
pub fn send_soon(shared: &Shared) {
    while try_begin(shared) {
        let shared = shared.clone();
        host::microtask(&timer::once(move || send_next(shared)));
    }
}

/// Claims a send loop; false when [`MAX_SENDERS`] run already or nothing waits.
fn try_begin(shared: &Shared) -> bool {
    match shared.try_borrow_mut() {
        Ok(mut rt) if rt.senders < MAX_SENDERS && rt.tracker.queue().pending() > 0 => {
            rt.senders += 1;
            true
        }
        _ => false,
    }
}

/// One step of a send loop claimed with [`try_begin`]: sends the next request and, once it is
/// answered, the one after, until nothing is left to take or a request fails (then the retry
/// timer takes over).
fn send_next(shared: Shared) {
    let next = match shared.try_borrow_mut() {
        Ok(mut guard) => {
            let Runtime { tracker, env, .. } = &mut *guard;
            let now = env.now_ms();
            tracker.next_request(env, now, None).map(|r| (r, SendOptions::of(tracker.config(), false)))
        }
        Err(_) => None,
    };
    let Some((request, options)) = next else {
        end_loop(&shared, false);
        return;
    };
    let id = request.id;
    transport::send(&request, options, move |answer| {
        if complete(&shared, id, &answer) == Outcome::Failed {
            end_loop(&shared, true);
        } else {
            send_next(shared);
        }
    });
}

/// A send loop ended (`failed`: a request failed and the retry timer took over); settles
/// `flush()` promises that can be settled.
fn end_loop(shared: &Shared, failed: bool) {
    let waiters = match shared.try_borrow_mut() {
        Ok(mut rt) => {
            rt.senders = rt.senders.saturating_sub(1);
            settled_waiters(&mut rt, failed)
        }
        Err(_) => return,
    };
    resolve(waiters);
}

/// The `flush()` waiters to resolve now, with their answer: true once the queue is empty,
/// false after a failure.
fn settled_waiters(rt: &mut Runtime, failed: bool) -> Option<(Vec<Function>, bool)> {
    if rt.flush_waiters.is_empty() {
        return None;
    }
    let empty = rt.tracker.queue().is_empty();
    (empty || failed).then(|| (core::mem::take(&mut rt.flush_waiters), empty))
}

fn resolve(waiters: Option<(Vec<Function>, bool)>) {
    if let Some((waiters, value)) = waiters {
        for resolve in waiters {
            let _ = resolve.call1(&JsValue::NULL, &JsValue::from_bool(value));
        }
    }
}

/// `flush()`: sends every queued event now, skipping any retry backoff; `resolve` gets true
/// when the queue is empty, false when a request failed (the events stay queued).
pub fn flush(shared: &Shared, resolve_with: Function) {
    let done = match shared.try_borrow_mut() {
        Ok(rt) if rt.tracker.queue().is_empty() => Some(true),
        Ok(mut rt) => {
            rt.tracker.queue_mut().retry_now();
            rt.flush_waiters.push(resolve_with.clone());
            None
        }
        Err(_) => Some(false),
    };
    match done {
        Some(value) => resolve(Some((vec![resolve_with], value))),
        None => send_soon(shared),
    }
}

/// Records a request's outcome, reports it, and arms the retry timer after a failure.
fn complete(shared: &Shared, id: u64, answer: &transport::Answer) -> Outcome {
    let (outcome, notice) = {
        let Ok(mut guard) = shared.try_borrow_mut() else { return Outcome::Failed };
        let rt = &mut *guard;
        let Runtime { tracker, env, callbacks, retry_timer, .. } = rt;
        let (outcome, done) =
            tracker.complete(env, id, answer.status, js_sys::Math::random(), answer.retry_after_ms);
        let report = |f: &Option<Function>, ids: &mut dyn ExactSizeIterator<Item = &str>, retry| {
            f.clone().map(|f| Notice(f, request_report(ids, answer.status, retry)))
        };
        let notice = match outcome {
            Outcome::Delivered => report(
                &callbacks.on_request_success,
                &mut done.removed.iter().map(|e| e.event_id.as_str()),
                None,
            ),
            // Removed events were dropped (a non-retryable answer, or a single event too large).
            _ if !done.removed.is_empty() => report(
                &callbacks.on_request_failure,
                &mut done.removed.iter().map(|e| e.event_id.as_str()),
                Some(false),
            ),
            _ => {
                if let (Outcome::Failed, Some(at)) = (outcome, done.retry_at_ms) {
                    let delay = u32::try_from((at - env.now_ms()).max(0)).unwrap_or(u32::MAX);
                    let weak = Rc::downgrade(shared);
                    *retry_timer = Some(Timeout::new(delay, move || {
                        if let Some(shared) = weak.upgrade() {
                            send_soon(&shared);
                        }
                    }));
                }
                report(
                    &callbacks.on_request_failure,
                    &mut done.requeued.iter().map(String::as_str),
                    Some(true),
                )
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
            let Ok(mut guard) = shared.try_borrow_mut() else { return };
            let Runtime { tracker, env, keepalive_bytes, .. } = &mut *guard;
            tracker.queue_mut().retry_now();
            let budget = KEEPALIVE_BUDGET.saturating_sub(*keepalive_bytes);
            let now = env.now_ms();
            let request = tracker.next_request(env, now, Some(budget));
            if let Some(r) = &request {
                *keepalive_bytes += r.bytes;
            }
            request.map(|r| (r, SendOptions::of(tracker.config(), true)))
        };
        let Some((request, options)) = next else { return };
        let shared = shared.clone();
        let (id, bytes) = (request.id, request.bytes);
        transport::send(&request, options, move |answer| {
            if let Ok(mut rt) = shared.try_borrow_mut() {
                rt.keepalive_bytes = rt.keepalive_bytes.saturating_sub(bytes);
                if answer.status.is_none() && host::hidden() {
                    rt.parked.push(id);
                    return;
                }
            }
            // A delivered keepalive batch (the page stayed) may end a backoff: resume sending.
            if complete(&shared, id, &answer) == Outcome::Delivered {
                send_soon(&shared);
            }
            let waiters = shared.try_borrow_mut().ok().and_then(|mut rt| settled_waiters(&mut rt, false));
            resolve(waiters);
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
fn adopt_orphans(shared: &Shared) {
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
    let weak = Rc::downgrade(shared);
    let lock = concat(&["snowtrack.adopt.", &prefix]);
    // Which pages live is read while holding the lock, so a page starting meanwhile is seen.
    let adopt = timer::once(move || {
        let live = host::callback_arg();
        let Some(shared) = weak.upgrade() else { return };
        if live.is_null() || live.is_undefined() {
            return; // the lock was refused: the next periodic check tries again
        }
        let live: Vec<String> = js_sys::Array::from(&live).iter().filter_map(|t| t.as_string()).collect();
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
    host::while_locked(&lock, &adopt);
}

/// `getDeliveryStats()` as JSON.
pub fn delivery_stats(rt: &Runtime) -> String {
    let s = rt.tracker.queue().stats();
    let mut out = ObjectWriter::new();
    out.number("queued", s.queued as u64)
        .number("inFlight", s.in_flight as u64)
        .number("sent", s.sent)
        .number("failed", s.failed)
        .number("retried", s.retried)
        .number("dropped", s.dropped);
    out.finish()
}
