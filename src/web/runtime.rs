//! The running tracker in the page: the core's [`Tracker`] and [`Delivery`], and the executor
//! of delivery's [`Action`]s: `fetch`, localStorage, timers, Web Locks and the page's
//! callbacks, all through `host.js`. No delivery policy lives here; every decision is the
//! core's, this module only carries it out and feeds the results back.
//!
//! Every entry from JavaScript (a tracker method, a request answered, a timer, a page event)
//! goes through [`run`]: it borrows the state once, applies the input, performs the actions it
//! produced, releases the state, and only then calls the page's callbacks (which may call the
//! tracker again).

use crate::engine::activity::{Activity, ActivityAction, ActivityConfig, Coalesced, Extents, Which};
use crate::engine::delivery::chunks::{chunk_events, event_id_of};
use crate::engine::delivery::{Action, Delivery, LiveTabs, OrphanChunk, Report, Timer};
use crate::engine::engagement::ScrollChanged;
use crate::engine::env::Env;
use crate::engine::event::{Event, TrackOptions};
use crate::engine::facts::PageFacts;
use crate::engine::tracker::{Sink, Tracked, Tracker};
use crate::engine::util::text::concat;
use crate::prelude::*;
use crate::web::env::WebEnv;
use crate::web::lazy_global::keys;
use crate::web::page_functions::PageFunctions;
use crate::web::timer::{self, Timeout};
use crate::web::transport::{self, RawAnswer};
use crate::web::wire::{JsWire, Wires, wire_array};
use crate::web::{facts, host};
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;
use js_sys::Function;
use wasm_bindgen::prelude::*;

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
}

/// Prefix of the Web Lock names (and heartbeat keys) that mark a page alive.
const TAB_PREFIX: &str = "snowtrack.tab.";

/// The page's callbacks, from `newTracker`'s options.
#[derive(Debug, Default)]
pub struct Callbacks {
    /// `onSessionUpdate(clientSession)` (alias `onSessionUpdateCallback`).
    pub on_session_update: Option<Function>,
    /// `onRequestSuccess({events, eventIds, status})`.
    pub on_request_success: Option<Function>,
    /// `onRequestFailure({events, eventIds, status, willRetry})`.
    pub on_request_failure: Option<Function>,
    /// `onEventDropped({eventId, reason})`.
    pub on_event_dropped: Option<Function>,
}

/// A callback to call once the state is released.
#[derive(Debug)]
struct Notice {
    callback: Function,
    arg: NoticeArg,
}

/// What a [`Notice`]'s callback gets.
#[derive(Debug)]
enum NoticeArg {
    /// A report, as JSON (parsed into an object for the callback).
    Json(String),
    /// The value a `flush()` promise settles with.
    Settled(bool),
    /// The activity callback's page view id and scroll extents.
    Activity(String, Extents),
}

impl Notice {
    fn deliver(self) {
        match self.arg {
            NoticeArg::Json(json) => host::notify(&self.callback, &json),
            NoticeArg::Settled(value) => host::settle(&self.callback, value),
            // Only the full build has activity tracking (and so these).
            NoticeArg::Activity(id, e) if cfg!(feature = "full") => {
                host::activity(&self.callback, &id, e.min_x, e.min_y, e.max_x, e.max_y)
            }
            NoticeArg::Activity(..) => {}
        }
    }
}

/// One tracker's page-side state.
#[derive(Debug)]
pub struct Runtime {
    /// Identity, sessions and payloads.
    pub tracker: Tracker,
    /// The delivery state machine.
    pub delivery: Delivery<JsWire>,
    /// The browser behind the tracker's [`Env`].
    pub env: WebEnv,
    /// Global contexts' generators and filters, plugins.
    pub page_functions: PageFunctions,
    wires: Wires,
    callbacks: Callbacks,
    retry_timer: Option<Timeout>,
    adopt_timer: Option<Timeout>,
    /// `resolve` functions of pending `flush()` promises, by ticket.
    flushes: Vec<(u64, Function)>,
    /// Callbacks decided while the state was borrowed.
    notices: Vec<Notice>,
    /// The events of the current input (kept to reuse its buffer).
    tracked: Vec<Tracked>,
    /// The document's scroll, coalesced in `host.js` (with `screenEngagementScroll`).
    scroll: Option<JsValue>,
    /// `customHeaders` as the JS object `fetch` takes (`undefined` without).
    headers: JsValue,
    /// Activity tracking (page pings).
    pub activity: Activity,
    activity_out: Vec<ActivityAction>,
    /// The page's activity, coalesced in `host_full.js` once activity tracking started.
    activity_watch: Option<JsValue>,
    ping_timer: Option<Timeout>,
    callback_timer: Option<Timeout>,
    /// `enableActivityTrackingCallback`'s callback.
    activity_callback: Option<Function>,
    /// What link click tracking calls for each click (made on first use, kept for the page).
    pub links: Option<Closure<dyn FnMut()>>,
}

/// The shared handle.
pub type Shared = Rc<RefCell<Runtime>>;

impl Runtime {
    /// Wraps a started tracker and starts its delivery: announces the page, follows its
    /// lifecycle, looks for other pages' leftovers. `page_functions`: the page's generators, filters
    /// and plugins.
    pub fn start(
        tracker: Tracker,
        mut env: WebEnv,
        callbacks: Callbacks,
        page_functions: PageFunctions,
    ) -> Shared {
        let tab_id = env.new_uuid();
        let seed = env.random_u64();
        let delivery =
            Delivery::new(tracker.config().send_settings(), &tracker.config().namespace, tab_id, seed);
        let config = tracker.config();
        let scroll = (config.screen_engagement_autotracking && config.screen_engagement_scroll)
            .then(host::watch_scroll);
        let headers = if config.custom_headers.is_empty() {
            JsValue::UNDEFINED
        } else {
            let object = js_sys::Object::new();
            for (name, value) in &config.custom_headers {
                let _ = js_sys::Reflect::set(&object, &JsValue::from_str(name), &JsValue::from_str(value));
            }
            object.into()
        };
        let history = cfg!(feature = "full") && config.page_view_autotracking;
        let activity = Activity::new(config.reset_activity_on_page_view);
        let shared = Rc::new(RefCell::new(Runtime {
            tracker,
            delivery,
            env,
            page_functions,
            wires: Wires::default(),
            callbacks,
            retry_timer: None,
            adopt_timer: None,
            flushes: Vec::new(),
            notices: Vec::new(),
            tracked: Vec::new(),
            scroll,
            headers,
            activity,
            activity_out: Vec::new(),
            activity_watch: None,
            ping_timer: None,
            callback_timer: None,
            activity_callback: None,
            links: None,
        }));
        listen(&shared);
        if history {
            crate::web::history::watch(&shared);
        }
        input(&Rc::downgrade(&shared), |rt, now| rt.delivery.start(now));
        shared
    }

    /// Tracks an event (validated: [`Event::validate`]) and hands what it produced to delivery;
    /// a page view (re)starts the activity checks.
    pub fn track(&mut self, event: Event, options: TrackOptions, page: &PageFacts) {
        if matches!(event, Event::ScreenView(_)) {
            self.fold_scroll(); // the ending screen's last scrolls
        }
        let page_view = matches!(event, Event::PageView { .. });
        let mut out = core::mem::take(&mut self.tracked);
        let to = &mut Sink { events: &mut out, hooks: &mut self.page_functions };
        let _ = self.tracker.track(&mut self.env, event, options, page, to);
        self.deliver(out);
        if page_view {
            let now = self.env.now_ms();
            self.activity.page_view(now, &mut self.activity_out);
        }
    }

    /// Tracks a link click (`trackLinkClick`, link click tracking): the page may navigate away
    /// at once, so its request goes with `keepalive`.
    pub fn track_link_click(&mut self, event: Event, options: TrackOptions, page: &PageFacts) {
        self.track(event, options, page);
        self.delivery.expect_unload();
    }

    /// `enableActivityTracking` (`callback: None`) or `enableActivityTrackingCallback`.
    pub fn enable_activity(&mut self, which: Which, config: ActivityConfig, callback: Option<Function>) {
        if self.activity.enable(which, config) && callback.is_some() {
            self.activity_callback = callback;
        }
    }

    /// `disableActivityTracking` or `disableActivityTrackingCallback`.
    pub fn disable_activity(&mut self, which: Which) {
        self.activity.disable(which, &mut self.activity_out);
    }

    /// What the page's activity listeners noted since the last time (`None` before they started).
    fn coalesced(&self) -> Option<Coalesced> {
        if !cfg!(feature = "full") {
            return None; // the core build has no activity tracking
        }
        let taken = host::take_activity(self.activity_watch.as_ref()?);
        let n = |key| host::number(&taken, key);
        let extents = Extents { min_x: n(&MIN_X), max_x: n(&MAX_X), min_y: n(&MIN_Y), max_y: n(&MAX_Y) };
        Some(Coalesced { last_activity_ms: n(&LAST) as i64, extents, x: n(&X), y: n(&Y) })
    }

    fn activity_timer(&mut self, which: Which) -> &mut Option<Timeout> {
        match which {
            Which::Ping => &mut self.ping_timer,
            Which::Callback => &mut self.callback_timer,
        }
    }

    /// Carries out the activity actions: listeners, timers, pings (tracked now) and callback
    /// calls (as notices, once the state is released).
    fn perform_activity(&mut self, weak: &Weak<RefCell<Runtime>>, notices: &mut Vec<Notice>) {
        if !cfg!(feature = "full") {
            return; // the core build has no activity tracking
        }
        while !self.activity_out.is_empty() {
            for action in core::mem::take(&mut self.activity_out) {
                match action {
                    ActivityAction::Listen => self.activity_watch = Some(host::watch_activity()),
                    ActivityAction::Arm { which, after_ms } => {
                        let weak = weak.clone();
                        let ms = u32::try_from(after_ms).unwrap_or(u32::MAX);
                        *self.activity_timer(which) = Some(Timeout::new(ms, move || {
                            input(&weak, move |rt, now| {
                                let coalesced = rt.coalesced().unwrap_or_default();
                                rt.activity.tick(now, which, coalesced, host::hidden(), &mut rt.activity_out);
                            });
                        }));
                    }
                    ActivityAction::Cancel(which) => *self.activity_timer(which) = None,
                    ActivityAction::Fire { which: Which::Ping, extents } => {
                        self.track(Event::PagePing(extents), TrackOptions::default(), &facts::page());
                    }
                    ActivityAction::Fire { which: Which::Callback, extents } => {
                        let Some(callback) = self.activity_callback.clone() else { continue };
                        let id = self.tracker.page_state().page_view_id(|| self.env.new_uuid()).to_owned();
                        notices.push(Notice { callback, arg: NoticeArg::Activity(id, extents) });
                    }
                }
            }
        }
    }

    /// The page became hidden or visible (lifecycle events first, then delivery's page-hide
    /// flush, which carries them).
    fn visibility(&mut self, now: i64, hidden: bool) {
        self.fold_scroll();
        let coalesced = self.coalesced();
        self.activity.visibility(hidden, coalesced);
        let mut out = core::mem::take(&mut self.tracked);
        let to = &mut Sink { events: &mut out, hooks: &mut self.page_functions };
        self.tracker.visibility(&mut self.env, hidden, &facts::page(), to);
        self.deliver(out);
        self.delivery.visibility_changed(now, hidden);
    }

    /// `pagehide`: the tracker's last events, then delivery's flush.
    fn page_hide(&mut self, now: i64) {
        self.fold_scroll();
        let mut out = core::mem::take(&mut self.tracked);
        let to = &mut Sink { events: &mut out, hooks: &mut self.page_functions };
        self.tracker.page_hide(&mut self.env, &facts::page(), to);
        self.deliver(out);
        self.delivery.page_hide(now);
    }

    /// Folds the document's scroll since the last time into the current screen's summary.
    fn fold_scroll(&mut self) {
        let Some(watch) = &self.scroll else { return };
        let taken = host::take_scroll(watch);
        if taken.is_undefined() {
            return;
        }
        let n = |key| host::number(&taken, key);
        let size = |key| u64::try_from(n(key) as i64).ok();
        let (view_width, view_height) = (size(&VIEW_WIDTH), size(&VIEW_HEIGHT));
        let (content_width, content_height) = (size(&CONTENT_WIDTH), size(&CONTENT_HEIGHT));
        for (x, y) in [(&MIN_X, &MIN_Y), (&MAX_X, &MAX_Y)] {
            self.tracker.scroll(ScrollChanged {
                x_offset: Some(n(x) as i64),
                y_offset: Some(n(y) as i64),
                view_width,
                view_height,
                content_width,
                content_height,
            });
        }
    }

    /// Hands tracked events to delivery, in order (the buffer is kept for the next input). When
    /// the opt-out cookie stopped an event, the events still waiting are dropped too.
    fn deliver(&mut self, mut out: Vec<Tracked>) {
        let now = self.env.now_ms();
        if self.tracker.take_opt_out() {
            self.delivery.drop_waiting();
        }
        out.reverse();
        while let Some(tracked) = out.pop() {
            if let Some(update) = tracked.session_update {
                self.session_update(update);
            }
            let wire = self.wires.wire(&tracked.wire);
            self.delivery.track(now, tracked.event_id, wire, tracked.anonymous);
        }
        self.tracked = out;
    }

    /// Calls `onSessionUpdate` with a new session's `client_session` (once released).
    pub fn session_update(&mut self, client_session: String) {
        if let Some(callback) = &self.callbacks.on_session_update {
            self.notices.push(Notice { callback: callback.clone(), arg: NoticeArg::Json(client_session) });
        }
    }

    /// `flush()`: `resolve` gets true once the queue is empty, false when a request failed.
    pub fn flush(&mut self, resolve: Function) {
        let now = self.env.now_ms();
        let ticket = self.delivery.flush(now);
        self.flushes.push((ticket, resolve));
    }

    /// Performs the actions delivery asked for, in order; returns the callbacks to call once
    /// the state is released.
    fn perform(&mut self, weak: &Weak<RefCell<Runtime>>) -> Vec<Notice> {
        let mut notices = core::mem::take(&mut self.notices);
        self.perform_activity(weak, &mut notices);
        while let Some(action) = self.delivery.next_action() {
            match action {
                Action::EndOfTask => {
                    let weak = weak.clone();
                    host::microtask(&timer::once(move || {
                        input(&weak, |rt, now| rt.delivery.end_of_task(now));
                    }));
                }
                Action::Send(request) => {
                    let (weak, id) = (weak.clone(), request.id);
                    transport::send(&request, &self.headers, move |answer: RawAnswer| {
                        input(&weak, move |rt, now| rt.delivery.answered(now, id, answer.read(now)));
                    });
                }
                Action::Store { key, wires, chunk } => {
                    let stored = host::storage_set_lines(&key, &wire_array(&wires));
                    if let (false, Some(chunk)) = (stored, chunk) {
                        self.delivery.store_refused(chunk);
                    }
                }
                Action::Mark { key, text } => {
                    host::storage_set(&key, &text);
                }
                Action::Remove { key } => host::storage_remove(&key),
                Action::Arm { timer, after_ms } => {
                    let weak = weak.clone();
                    let ms = u32::try_from(after_ms).unwrap_or(u32::MAX);
                    let armed = Timeout::new(ms, move || {
                        input(&weak, move |rt, now| rt.delivery.timer_fired(now, timer))
                    });
                    match timer {
                        Timer::Retry => self.retry_timer = Some(armed),
                        Timer::Adopt => self.adopt_timer = Some(armed),
                    }
                }
                Action::Announce { tab_id, heartbeat_every_ms } => {
                    let every = u32::try_from(heartbeat_every_ms).unwrap_or(u32::MAX);
                    host::announce(&concat(&[TAB_PREFIX, &tab_id]), every);
                }
                Action::Retire { tab_id } => host::retire(&concat(&[TAB_PREFIX, &tab_id])),
                Action::ListKeys { prefix } => {
                    let keys: Vec<String> = host::strings(host::storage_keys(&prefix)).collect();
                    let now = self.env.now_ms();
                    self.delivery.keys_listed(now, &keys);
                }
                Action::FindLiveTabs { lock, prefix } => {
                    let weak = weak.clone();
                    let found = timer::once(move || {
                        let tabs = live_tabs(host::callback_arg());
                        input(&weak, move |rt, now| {
                            let keys = host::strings(host::storage_keys(&prefix)).collect();
                            rt.delivery.live_tabs(now, &tabs, keys);
                        });
                    });
                    host::while_locked(&lock, TAB_PREFIX, &found);
                }
                Action::ReadChunks { keys, marks } => {
                    let chunks = keys.into_iter().map(|key| self.read_chunk(key)).collect();
                    let marks = marks
                        .into_iter()
                        .filter_map(|key| Some((key.clone(), self.env.storage_get(&key)?)))
                        .collect();
                    let now = self.env.now_ms();
                    self.delivery.chunks_read(now, chunks, marks);
                }
                Action::Report(report) => notices.extend(self.notice(report)),
            }
        }
        notices
    }

    /// Another page's chunk, its events as wires.
    fn read_chunk(&mut self, key: String) -> OrphanChunk<JsWire> {
        let text = self.env.storage_get(&key).unwrap_or_default();
        let events = chunk_events(&text)
            .map(|wire| (event_id_of(wire).unwrap_or_default().to_owned(), self.wires.wire(wire)))
            .collect();
        OrphanChunk { key, events }
    }

    /// The page callback a report is for, if the page gave one.
    fn notice(&mut self, report: Report) -> Option<Notice> {
        let c = &self.callbacks;
        let callback = match &report {
            Report::Delivered { .. } => c.on_request_success.clone(),
            Report::Failed { .. } => c.on_request_failure.clone(),
            Report::Dropped { .. } => c.on_event_dropped.clone(),
            Report::Flushed { ticket, ok } => {
                let at = self.flushes.iter().position(|(t, _)| t == ticket)?;
                let (_, resolve) = self.flushes.swap_remove(at);
                return Some(Notice { callback: resolve, arg: NoticeArg::Settled(*ok) });
            }
        };
        Some(Notice { callback: callback?, arg: NoticeArg::Json(report.to_json()?) })
    }
}

/// What `host.js` found under the adoption lock: the live tabs' ids (Web Locks), `false`
/// without Web Locks (the heartbeat keys tell then), `null` when the lock was refused.
fn live_tabs(found: JsValue) -> LiveTabs {
    if found.is_null_or_undefined() {
        return LiveTabs::Unknown;
    }
    if js_sys::Array::is_array(&found) {
        return LiveTabs::Locks(host::strings(found.unchecked_into()).collect());
    }
    let beats = host::strings(host::storage_keys(TAB_PREFIX))
        .filter_map(|key| {
            let at = host::storage_get(&key).and_then(|v| crate::engine::id_cookie::parse_int(&v))?;
            Some((key.get(TAB_PREFIX.len()..)?.to_owned(), at))
        })
        .collect();
    LiveTabs::Heartbeats(beats)
}

/// Applies `f` to the state, performs the actions it produced, then calls the page's callbacks.
/// Does nothing when the state is in use (a call from inside one of its own host calls, e.g. a
/// `fetch` the page wrapped): [`input`] defers it then.
fn run(shared: &Shared, f: &mut dyn FnMut(&mut Runtime)) {
    let weak = Rc::downgrade(shared);
    let notices = {
        let Ok(mut rt) = shared.try_borrow_mut() else { return };
        f(&mut rt);
        rt.perform(&weak)
    };
    for notice in notices {
        notice.deliver();
    }
}

/// An input for the runtime, applied at a given time.
type Input = Box<dyn FnOnce(&mut Runtime, i64)>;

/// Applies an input to the runtime (`f` gets the time too) with [`run`]; while the state is in
/// use (a re-entrant call) the input waits for the end of the task.
pub fn input(weak: &Weak<RefCell<Runtime>>, f: impl FnOnce(&mut Runtime, i64) + 'static) {
    input_boxed(weak, Box::new(f));
}

fn input_boxed(weak: &Weak<RefCell<Runtime>>, f: Input) {
    let Some(shared) = weak.upgrade() else { return };
    let mut f = Some(f);
    run(&shared, &mut |rt| {
        let now = rt.env.now_ms();
        if let Some(f) = f.take() {
            f(rt, now);
        }
    });
    if let Some(f) = f {
        let weak = weak.clone();
        host::microtask(&timer::once(move || input_boxed(&weak, f)));
    }
}

/// Follows the page's lifecycle: visibility, page hide, online.
fn listen(shared: &Shared) {
    let on = |event: &str, f: fn(&mut Runtime, i64)| {
        let weak = Rc::downgrade(shared);
        let closure = timer::repeating(move || input(&weak, f));
        host::on_page(event, closure.as_ref().unchecked_ref());
        closure.forget();
    };
    on("visibilitychange", |rt, now| rt.visibility(now, host::hidden()));
    on("pagehide", |rt, now| rt.page_hide(now));
    // Back from the back/forward cache: the page shows again (pagehide sent it to the background).
    on("pageshow", |rt, now| {
        if !host::hidden() {
            rt.visibility(now, false);
        }
    });
    on("online", |rt, now| rt.delivery.online(now));
}
