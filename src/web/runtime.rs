//! The running tracker in the page: the [`Engine`] and the executor of its [`Effect`]s: `fetch`,
//! localStorage, timers, Web Locks, listeners and the page's callbacks, all through `host.js`.
//! No policy lives here; every decision is the engine's, this module only carries it out and
//! feeds the browser's answers back as [`Input`]s.
//!
//! Every entry from JavaScript (a tracker method, a request answered, a timer, a page event)
//! goes through [`input`]: it borrows the state once, applies the input, performs the effects it
//! produced, releases the state, and only then calls the page's callbacks (which may call the
//! tracker again).

use crate::engine::activity::{self, ActivityConfig, Which};
use crate::engine::delivery::{Action, LiveTabs, Report};
use crate::engine::env::Env;
use crate::engine::event::{Event, TrackOptions};
use crate::engine::tracker::Tracker;
use crate::engine::util::text::concat;
use crate::engine::{Effect, Engine, Input, Timer};
use crate::prelude::*;
use crate::web::env::WebEnv;
use crate::web::host;
use crate::web::page_functions::PageFunctions;
use crate::web::timer::{self, Timeout};
use crate::web::transport::{self, RawAnswer};
use crate::web::wire::{JsWire, wire_array};
use alloc::rc::{Rc, Weak};
use core::cell::RefCell;
use js_sys::Function;
use wasm_bindgen::prelude::*;

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
    /// `customFetch(request)`: performs the requests instead of `fetch`.
    pub custom_fetch: Option<Function>,
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
}

impl Notice {
    fn deliver(self) {
        match self.arg {
            NoticeArg::Json(json) => host::notify(&self.callback, &json),
            NoticeArg::Settled(value) => host::settle(&self.callback, value),
        }
    }
}

/// Cross-domain linking in the page (`crossDomainLinker`; the full build's).
#[cfg(feature = "full")]
#[derive(Debug, Default)]
pub struct CrossDomain {
    /// What the document's listener calls for each click or mousedown on a link.
    pub listener: Option<Closure<dyn FnMut()>>,
    /// `useExtendedCrossDomainLinker.reason`, when a function.
    pub reason: Option<Function>,
    /// The link of the input being handled: [`Effect::Decorate`] sets its `href`.
    pub link: Option<JsValue>,
}

#[cfg(feature = "full")]
impl Drop for CrossDomain {
    /// A tracker freed (`free()`, or collected) stops decorating: its listener goes with it.
    fn drop(&mut self) {
        if let Some(listener) = &self.listener {
            host::watch_cross_domain(listener.as_ref(), false);
        }
    }
}

/// One tracker's page-side state.
#[derive(Debug)]
pub struct Runtime {
    /// Every decision.
    pub engine: Engine<JsWire>,
    /// The browser behind the engine's [`crate::engine::Shell`].
    pub env: WebEnv,
    /// Global contexts' generators and filters, plugins.
    pub page_functions: PageFunctions,
    callbacks: Callbacks,
    /// The page's functions the engine refers to by id (activity callbacks).
    functions: Vec<Function>,
    timers: [Option<Timeout>; 4],
    /// `resolve` functions of pending `flush()` promises, by ticket.
    flushes: Vec<(u64, Function)>,
    next_ticket: u64,
    /// What link click tracking calls for each click (made on first use, kept for the page).
    pub links: Option<Closure<dyn FnMut()>>,
    /// Cross-domain linking.
    #[cfg(feature = "full")]
    pub cross_domain: CrossDomain,
}

/// The shared handle.
pub type Shared = Rc<RefCell<Runtime>>;

impl Runtime {
    /// Wraps a created tracker and starts it: follows the page's lifecycle and hands the engine
    /// [`Input::Start`]. `page_functions`: the page's generators, filters and plugins.
    pub fn start(
        tracker: Tracker,
        mut env: WebEnv,
        callbacks: Callbacks,
        page_functions: PageFunctions,
    ) -> Shared {
        let tab_id = env.new_uuid();
        let seed = env.random_u64();
        let shared = Rc::new(RefCell::new(Runtime {
            engine: Engine::new(tracker, tab_id, seed),
            env,
            page_functions,
            callbacks,
            functions: Vec::new(),
            timers: Default::default(),
            flushes: Vec::new(),
            next_ticket: 0,
            links: None,
            #[cfg(feature = "full")]
            cross_domain: CrossDomain::default(),
        }));
        listen(&shared);
        input(&Rc::downgrade(&shared), |rt, _| rt.handle(Input::Start));
        shared
    }

    /// Hands the engine an input.
    pub fn handle(&mut self, input: Input) {
        self.engine.handle(&mut self.env, &mut self.page_functions, input);
    }

    /// Tracks an event (validated: [`Event::validate`]).
    pub fn track(&mut self, event: Event, options: TrackOptions) {
        self.handle(Input::Track { event, options });
    }

    /// Tracks a link click (sent with `keepalive`).
    pub fn track_link_click(&mut self, event: Event, options: TrackOptions) {
        self.handle(Input::LinkClick { event, options });
    }

    /// `enableActivityTracking` (`callback: None`) or `enableActivityTrackingCallback`.
    pub fn enable_activity(&mut self, which: Which, config: ActivityConfig, callback: Option<Function>) {
        let callback = callback.map(|f| {
            self.functions.push(f);
            u32::try_from(self.functions.len() - 1).unwrap_or(u32::MAX)
        });
        self.handle(Input::EnableActivity { which, config, callback });
    }

    /// `flush()`: `resolve` gets true once the queue is empty, false when a request failed.
    pub fn flush(&mut self, resolve: Function) {
        self.next_ticket += 1;
        self.flushes.push((self.next_ticket, resolve));
        self.handle(Input::Flush { ticket: self.next_ticket });
    }

    /// Carries out the engine's effects, in order; returns the callbacks to call once the state
    /// is released.
    fn perform(&mut self, weak: &Weak<RefCell<Runtime>>) -> Vec<Notice> {
        let mut notices = Vec::new();
        while let Some(effect) = self.engine.next_effect() {
            match effect {
                Effect::Delivery(action) => self.perform_delivery(weak, action, &mut notices),
                Effect::Arm { timer, after_ms } => self.arm(weak, timer, after_ms),
                Effect::Cancel(timer) => *self.timer(timer) = None,
                Effect::WatchScroll => self.env.scroll = Some(host::watch_scroll()),
                Effect::WatchActivity if cfg!(feature = "full") => {
                    self.env.activity = Some(host::watch_activity())
                }
                Effect::WatchHistory if cfg!(feature = "full") => {
                    let weak = weak.clone();
                    let closure =
                        timer::repeating(move || input(&weak, |rt, _| rt.handle(Input::UrlChanged)));
                    host::watch_history(closure.as_ref().unchecked_ref());
                    closure.forget();
                }
                Effect::WatchActivity | Effect::WatchHistory => {}
                Effect::SessionUpdate(client_session) => {
                    if let Some(callback) = &self.callbacks.on_session_update {
                        notices.push(Notice {
                            callback: callback.clone(),
                            arg: NoticeArg::Json(client_session),
                        });
                    }
                }
                #[cfg(feature = "full")]
                Effect::Decorate(href) => {
                    if let Some(link) = self.cross_domain.link.take() {
                        host::set_href(&link, &href);
                    }
                }
                // Only the full build has activity tracking (and so these).
                Effect::ActivityCallback { callback, page_view_id, extents, metrics }
                    if cfg!(feature = "full") =>
                {
                    if let Some(callback) = self.functions.get(callback as usize) {
                        let arg = NoticeArg::Json(activity::callback_json(
                            &page_view_id,
                            &extents,
                            metrics.as_deref(),
                        ));
                        notices.push(Notice { callback: callback.clone(), arg });
                    }
                }
                Effect::ActivityCallback { .. } => {}
            }
        }
        notices
    }

    /// The slot of `timer`.
    fn timer(&mut self, timer: Timer) -> &mut Option<Timeout> {
        let [retry, adopt, ping, callback] = &mut self.timers;
        match timer {
            Timer::Delivery(crate::engine::delivery::Timer::Retry) => retry,
            Timer::Delivery(crate::engine::delivery::Timer::Adopt) => adopt,
            Timer::Activity(Which::Ping) => ping,
            Timer::Activity(Which::Callback) => callback,
        }
    }

    /// Arms `timer` (replacing the armed one): [`Input::TimerFired`] after `after_ms`.
    fn arm(&mut self, weak: &Weak<RefCell<Runtime>>, timer: Timer, after_ms: u64) {
        let weak = weak.clone();
        let ms = u32::try_from(after_ms).unwrap_or(u32::MAX);
        let armed = Timeout::new(ms, move || input(&weak, move |rt, _| rt.handle(Input::TimerFired(timer))));
        *self.timer(timer) = Some(armed);
    }

    /// Carries out one of delivery's actions.
    fn perform_delivery(
        &mut self,
        weak: &Weak<RefCell<Runtime>>,
        action: Action<JsWire>,
        notices: &mut Vec<Notice>,
    ) {
        match action {
            Action::EndOfTask => {
                let weak = weak.clone();
                host::microtask(&timer::once(move || input(&weak, |rt, _| rt.handle(Input::EndOfTask))));
            }
            Action::Send(request) => {
                let (weak, id) = (weak.clone(), request.id);
                let headers = &self.engine.tracker.config().custom_headers;
                transport::send(
                    &request,
                    headers,
                    self.callbacks.custom_fetch.as_ref(),
                    move |answer: RawAnswer| {
                        input(&weak, move |rt, now| {
                            rt.handle(Input::Answered { id, answer: answer.read(now) })
                        });
                    },
                );
            }
            Action::Store { key, wires, chunk } => {
                let stored = host::storage_set_lines(&key, &wire_array(&wires));
                if let (false, Some(chunk)) = (stored, chunk) {
                    self.handle(Input::StoreRefused { chunk });
                }
            }
            Action::Mark { key, text } => {
                host::storage_set(&key, &text);
            }
            Action::Remove { key } => host::storage_remove(&key),
            // The engine hands delivery's timers out as `Effect::Arm`.
            Action::Arm { .. } => {}
            Action::Announce { tab_id, heartbeat_every_ms } => {
                let every = u32::try_from(heartbeat_every_ms).unwrap_or(u32::MAX);
                host::announce(&concat(&[TAB_PREFIX, &tab_id]), every);
            }
            Action::Retire { tab_id } => host::retire(&concat(&[TAB_PREFIX, &tab_id])),
            Action::ListKeys { prefix } => {
                let keys = host::strings(host::storage_keys(&prefix)).collect();
                self.handle(Input::KeysListed { keys });
            }
            Action::FindLiveTabs { lock, prefix } => {
                let weak = weak.clone();
                let found = timer::once(move || {
                    let tabs = live_tabs(host::callback_arg());
                    input(&weak, move |rt, _| {
                        let keys = host::strings(host::storage_keys(&prefix)).collect();
                        rt.handle(Input::LiveTabs { tabs, keys });
                    });
                });
                host::while_locked(&lock, TAB_PREFIX, &found);
            }
            Action::ReadChunks { keys, marks } => {
                let chunks = keys
                    .into_iter()
                    .map(|key| {
                        let text = host::storage_get(&key).unwrap_or_default();
                        (key, text)
                    })
                    .collect();
                let marks = marks
                    .into_iter()
                    .filter_map(|key| Some((key.clone(), host::storage_get(&key)?)))
                    .collect();
                self.handle(Input::ChunksRead { chunks, marks });
            }
            Action::Report(report) => notices.extend(self.notice(report)),
        }
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

/// Applies `f` to the state, performs the effects it produced, then calls the page's callbacks.
/// Does nothing when the state is in use (a call from inside one of its own host calls, e.g. a
/// `fetch` the page wrapped): [`input`] defers it then.
fn run(shared: &Shared, f: &mut dyn FnMut(&mut Runtime)) {
    let weak = Rc::downgrade(shared);
    let notices = {
        let Ok(mut rt) = shared.try_borrow_mut() else { return };
        f(&mut rt);
        let notices = rt.perform(&weak);
        rt.env.release_clock();
        notices
    };
    for notice in notices {
        notice.deliver();
    }
}

/// An input for the runtime, applied at a given time.
type Boxed = Box<dyn FnOnce(&mut Runtime, i64)>;

/// Applies an input to the runtime (`f` gets the time too) with [`run`]; while the state is in
/// use (a re-entrant call) the input waits for the end of the task.
pub fn input(weak: &Weak<RefCell<Runtime>>, f: impl FnOnce(&mut Runtime, i64) + 'static) {
    input_boxed(weak, Box::new(f), false);
}

/// [`input`]; `deferred`: this is the input's second try, from a microtask. A microtask runs on
/// an empty JS stack, where no call of the module is under way, so a state still in use there
/// could only have been left so by a trap: the input is then dropped, not retried forever (which
/// would starve the page's own microtasks).
fn input_boxed(weak: &Weak<RefCell<Runtime>>, f: Boxed, deferred: bool) {
    let Some(shared) = weak.upgrade() else { return };
    let mut f = Some(f);
    run(&shared, &mut |rt| {
        let now = rt.env.hold_clock();
        if let Some(f) = f.take() {
            f(rt, now);
        }
    });
    if let (Some(f), false) = (f, deferred) {
        let weak = weak.clone();
        host::microtask(&timer::once(move || input_boxed(&weak, f, true)));
    }
}

/// Follows the page's lifecycle: visibility, page hide and show, online.
fn listen(shared: &Shared) {
    let on = |event: &str, f: fn(&mut Runtime, i64)| {
        let weak = Rc::downgrade(shared);
        let closure = timer::repeating(move || input(&weak, f));
        host::on_page(event, closure.as_ref().unchecked_ref());
        closure.forget();
    };
    on("visibilitychange", |rt, _| rt.handle(Input::Visibility { hidden: host::hidden() }));
    on("pagehide", |rt, _| rt.handle(Input::PageHide));
    on("pageshow", |rt, _| rt.handle(Input::PageShow));
    on("online", |rt, _| rt.handle(Input::Online));
}
