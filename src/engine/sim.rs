//! A deterministic browser for the [`Engine`] (test-util only): pages of one origin sharing
//! cookies and localStorage (one [`MemoryEnv`]), a fake clock with timers, hidden pages, the
//! back/forward cache, tabs that close, and a scripted collector. It carries out every
//! [`Effect`] the way the web shell (`src/web/runtime.rs`) does and feeds the answers back as
//! [`Input`]s, so the whole tracker (events, lifecycle, delivery, tabs) runs as host tests:
//! outages, `Retry-After`, navigations, reloads, closed tabs, bursts, refusing storage.
//!
//! Events are tracked through the tracker: [`Browser::track`] tracks structured events, and the
//! ids it returns are those of every event the call produced.

use super::activity::Coalesced;
use super::config::{AnonymousTracking, Config};
use super::contexts::NoHooks;
use super::delivery::chunks::{chunk_events, event_id_of};
use super::delivery::{Action, Answer, DeliveryStats, LiveTabs, Report, Request};
use super::engagement::DocumentScroll;
use super::env::{CookieWrite, Env, MemoryEnv};
use super::event::{Event, StructEvent, TrackOptions};
use super::facts::{BrowserInfo, PageFacts};
use super::tracker::Tracker;
use super::{Effect, Engine, Input, Shell, Timer};
use crate::prelude::*;
use alloc::collections::{BTreeMap, VecDeque};
use alloc::rc::Rc;

/// How the collector answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Nothing listens: every request fails at once without an answer.
    Down,
    /// Answer `status` (with `Retry-After` seconds when given) to the next `count` requests.
    Status {
        /// The status.
        status: u16,
        /// `Retry-After`, seconds.
        retry_after_s: Option<u64>,
        /// How many requests get it (`u32::MAX`: until cleared).
        count: u32,
    },
    /// Hold the next `count` requests for `ms` before answering 200.
    Delay {
        /// The hold, ms.
        ms: i64,
        /// How many requests.
        count: u32,
    },
}

/// One request as the collector saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// When it arrived.
    pub at_ms: i64,
    /// The status answered (`None`: the connection was refused).
    pub status: Option<u16>,
    /// Its events' ids.
    pub event_ids: Vec<String>,
    /// The request as sent.
    pub request: Request<String>,
}

/// The scripted collector.
#[derive(Debug, Default)]
pub struct Collector {
    /// Faults, applied in order while their count lasts.
    pub faults: VecDeque<Fault>,
    /// Every request it saw, refused ones included.
    pub log: Vec<Received>,
    /// The time every answer takes, ms.
    pub latency_ms: i64,
}

impl Collector {
    /// The ids of the events it accepted (2xx), in arrival order, duplicates included.
    pub fn accepted(&self) -> Vec<String> {
        self.log
            .iter()
            .filter(|r| r.status.is_some_and(|s| (200..300).contains(&s)))
            .flat_map(|r| r.event_ids.iter().cloned())
            .collect()
    }

    /// Requests refused with a status or no answer.
    pub fn refused(&self) -> usize {
        self.log.iter().filter(|r| !r.status.is_some_and(|s| (200..300).contains(&s))).count()
    }

    /// How a request arriving now is answered: (status, Retry-After ms, hold ms).
    fn answer(&mut self) -> (Option<u16>, Option<u64>, i64) {
        let latency = self.latency_ms;
        let Some(fault) = self.faults.front_mut() else { return (Some(200), None, latency) };
        let answer = match fault {
            Fault::Down => return (None, None, 0),
            Fault::Status { status, retry_after_s, count } => {
                *count = count.saturating_sub(1);
                (Some(*status), retry_after_s.map(|s| s * 1000), latency)
            }
            Fault::Delay { ms, count } => {
                *count = count.saturating_sub(1);
                (Some(200), None, *ms)
            }
        };
        if matches!(self.faults.front(), Some(Fault::Status { count: 0, .. } | Fault::Delay { count: 0, .. }))
        {
            self.faults.pop_front();
        }
        answer
    }
}

/// One page (tab) of the origin.
#[derive(Debug)]
pub struct Page {
    /// Its engine.
    pub engine: Engine<String>,
    /// Still open.
    pub open: bool,
    /// Announced itself alive (holds its Web Lock, or writes heartbeats).
    pub announced: bool,
    /// Its reports, in order.
    pub reports: Vec<Report>,
    /// The `client_session` of each session it started (`onSessionUpdate`).
    pub session_updates: Vec<String>,
    /// The page view ids the activity callback got.
    pub activity_callbacks: Vec<String>,
    /// The `href`s cross-domain linking gave links ([`Effect::Decorate`]).
    pub decorated: Vec<String>,
    /// Storage writes of chunks it performed.
    pub stores: u64,
    /// In the back/forward cache: no timer fires and no answer is heard until it is shown.
    pub frozen: bool,
    /// What the page shows and senses.
    pub sensors: Sensors,
    end_of_task: bool,
    timers: Vec<(Timer, i64)>,
    next_beat_ms: Option<i64>,
    heartbeat_every_ms: i64,
}

/// What a page shows and its listeners coalesce.
#[derive(Debug, Clone, Default)]
pub struct Sensors {
    /// Hidden (a background tab, a minimized window).
    pub hidden: bool,
    /// Its URL, title and sizes.
    pub facts: PageFacts,
    /// The document's scroll since the engine last took it (once watched).
    pub scroll: Option<DocumentScroll>,
    /// Watching the document's scroll ([`Effect::WatchScroll`]).
    pub watching_scroll: bool,
    /// Watching the page's activity ([`Effect::WatchActivity`]).
    pub watching_activity: bool,
    /// Following history changes ([`Effect::WatchHistory`]).
    pub watching_history: bool,
    /// The page's activity since the engine last took it.
    pub activity: Coalesced,
}

/// A request on the wire: it reaches the collector's log and is answered at `at_ms`.
#[derive(Debug)]
struct Pending {
    page: usize,
    at_ms: i64,
    answer: Answer,
    request: Request<String>,
}

/// The fake browser.
#[derive(Debug, Default)]
pub struct Browser {
    /// The clock, epoch ms.
    pub now: i64,
    /// The origin's cookies and localStorage, and the ids handed out (`env.now` follows [`Browser::now`]).
    pub env: MemoryEnv,
    /// When true, every `setItem` of delivery's is refused.
    pub storage_refuses: bool,
    /// When true, the browser refuses every `keepalive` request at once (over its budget: other
    /// code of the page used it up): the page hears a failure, the collector sees nothing.
    pub keepalive_refused: bool,
    /// When false, pages prove they live with heartbeat keys instead of Web Locks.
    pub web_locks: bool,
    /// The pages, by index (closed ones stay, `open` false).
    pub pages: Vec<Page>,
    /// The collector.
    pub collector: Collector,
    wire: Vec<Pending>,
    /// Requests the browser refused, to be failed before the page's task ends.
    refused: Vec<(usize, u64)>,
    next_ticket: u64,
    seed: u64,
    /// Event ids whose wire texts the current input produced.
    tracked: Vec<String>,
    /// The bytes of the wire texts of every event tracked so far.
    pub tracked_bytes: usize,
}

/// The prefix of heartbeat keys.
const TAB_PREFIX: &str = "snowtrack.tab.";

/// The browser facts of every page.
pub fn browser_info() -> BrowserInfo {
    BrowserInfo {
        protocol: "https:".into(),
        hostname: "www.example.com".into(),
        timezone: "Europe/London".into(),
        language: "en-GB".into(),
        charset: "UTF-8".into(),
        resolution: "1920x1080".into(),
        color_depth: "24".into(),
        cookie_enabled: true,
        do_not_track: false,
        global_privacy_control: false,
    }
}

/// What the engine of one page reads while it handles an input: the origin's cookies and
/// storage, the page's facts and sensors.
struct PageShell<'a> {
    env: &'a mut MemoryEnv,
    sensors: &'a mut Sensors,
    tracked: &'a mut Vec<String>,
    tracked_bytes: &'a mut usize,
}

impl Env for PageShell<'_> {
    fn now_ms(&self) -> i64 {
        self.env.now_ms()
    }
    fn new_uuid(&mut self) -> String {
        self.env.new_uuid()
    }
    fn read_cookie(&self, name: &str) -> Option<String> {
        self.env.read_cookie(name)
    }
    fn set_cookie(&mut self, cookie: &CookieWrite<'_>) {
        self.env.set_cookie(cookie);
    }
    fn storage_get(&self, key: &str) -> Option<String> {
        self.env.storage_get(key)
    }
    fn storage_set(&mut self, key: &str, value: &str) -> bool {
        self.env.storage_set(key, value)
    }
    fn storage_remove(&mut self, key: &str) {
        self.env.storage_remove(key);
    }
}

impl Shell for PageShell<'_> {
    type Wire = String;
    fn wire(&mut self, text: &str) -> String {
        self.tracked.push(event_id_of(text).unwrap_or_default().to_owned());
        *self.tracked_bytes += text.len();
        text.to_owned()
    }
    fn page_facts(&mut self) -> Rc<PageFacts> {
        Rc::new(self.sensors.facts.clone())
    }
    fn hidden(&mut self) -> bool {
        self.sensors.hidden
    }
    fn take_scroll(&mut self) -> Option<DocumentScroll> {
        if !self.sensors.watching_scroll {
            return None;
        }
        self.sensors.scroll.take()
    }
    fn take_activity(&mut self) -> Option<Coalesced> {
        self.sensors.watching_activity.then(|| core::mem::take(&mut self.sensors.activity))
    }
}

/// The page facts of a page at `url`.
pub fn facts_at(url: &str) -> PageFacts {
    PageFacts {
        url: url.into(),
        referrer: String::new(),
        title: "Shop".into(),
        viewport: "1200x800".into(),
        document_size: "1200x3000".into(),
    }
}

impl Browser {
    /// A browser at time `now` with Web Locks.
    pub fn new(now: i64) -> Self {
        Browser { now, web_locks: true, env: MemoryEnv::at(now), ..Browser::default() }
    }

    /// The origin's localStorage.
    pub fn storage(&self) -> &BTreeMap<String, String> {
        &self.env.storage
    }

    /// Opens a page at `https://www.example.com/` with a tracker of `config` and starts it.
    pub fn open(&mut self, config: Config) -> usize {
        self.open_at(config, "https://www.example.com/")
    }

    /// Opens a page at `url` with a tracker of `config` and starts it.
    ///
    /// # Panics
    /// When `config` is invalid (a test's mistake).
    #[allow(clippy::panic)]
    pub fn open_at(&mut self, config: Config, url: &str) -> usize {
        self.env.now = self.now;
        self.seed += 0x9e37_79b9;
        let tab = self.env.new_uuid();
        let tracker = Tracker::new(config, browser_info(), Some("example.com".into()), false, &mut self.env)
            .unwrap_or_else(|e| panic!("the tracker's configuration: {}", e.message()));
        let page = Page {
            engine: Engine::new(tracker, tab, self.seed),
            open: true,
            announced: false,
            reports: Vec::new(),
            session_updates: Vec::new(),
            activity_callbacks: Vec::new(),
            decorated: Vec::new(),
            stores: 0,
            frozen: false,
            sensors: Sensors { facts: facts_at(url), ..Sensors::default() },
            end_of_task: false,
            timers: Vec::new(),
            next_beat_ms: None,
            heartbeat_every_ms: 0,
        };
        self.pages.push(page);
        let index = self.pages.len() - 1;
        self.input(index, Input::Start);
        index
    }

    /// Hands page `index` an input as one task: performs its effects, then its end of task.
    /// Returns the ids of the events it produced (none when the page is closed).
    pub fn input(&mut self, index: usize, input: Input) -> Vec<String> {
        self.tracked.clear();
        if !self.apply(index, input) {
            return Vec::new();
        }
        let ids = core::mem::take(&mut self.tracked);
        self.fail_refused();
        let end = self.pages.get_mut(index).is_some_and(|p| core::mem::take(&mut p.end_of_task));
        if end {
            self.apply(index, Input::EndOfTask);
        }
        ids
    }

    /// Hands page `index`'s engine an input and performs the effects (no end of task); false
    /// when the page is closed.
    fn apply(&mut self, index: usize, input: Input) -> bool {
        if !self.pages.get(index).is_some_and(|p| p.open) {
            return false;
        }
        self.feed(index, input);
        self.perform(index);
        true
    }

    /// Hands page `index` several inputs in one task (one end of task after the last).
    pub fn task(&mut self, index: usize, inputs: Vec<Input>) -> Vec<String> {
        let mut ids = Vec::new();
        let mut inputs = inputs.into_iter().peekable();
        while let Some(input) = inputs.next() {
            self.tracked.clear();
            if !self.apply(index, input) {
                return ids;
            }
            ids.append(&mut self.tracked);
            if inputs.peek().is_none() {
                self.fail_refused();
                let end = self.pages.get_mut(index).is_some_and(|p| core::mem::take(&mut p.end_of_task));
                if end {
                    self.apply(index, Input::EndOfTask);
                }
            }
        }
        ids
    }

    /// Hands events a test tracked with a [`Tracker`] of its own (outside any engine) to page
    /// `index`'s delivery, as the engine hands what it tracks, in one task.
    pub fn hand_over(&mut self, index: usize, tracked: Vec<super::tracker::Tracked>) {
        self.env.now = self.now;
        let now = self.now;
        let Some(page) = self.pages.get_mut(index).filter(|p| p.open) else { return };
        for t in tracked {
            page.engine.delivery.track(now, t.event_id, t.wire, t.anonymous);
        }
        self.perform(index);
        let end = self.pages.get_mut(index).is_some_and(|p| core::mem::take(&mut p.end_of_task));
        if end {
            self.apply(index, Input::EndOfTask);
        }
    }

    /// The engine of page `index`, for what a call changes without effects (a setter).
    pub fn engine(&mut self, index: usize) -> Option<&mut Engine<String>> {
        self.pages.get_mut(index).map(|p| &mut p.engine)
    }

    /// Tracks `n` structured events in one task of page `index`; returns the ids of the events
    /// the task produced.
    pub fn track(&mut self, index: usize, n: usize) -> Vec<String> {
        self.track_sized(index, n, 40)
    }

    /// Tracks `n` structured events whose label has `size` bytes in one task of page `index`.
    pub fn track_sized(&mut self, index: usize, n: usize, size: usize) -> Vec<String> {
        self.task(index, events(n, size))
    }

    /// As [`Browser::track_sized`], with server anonymisation (anonymous tracking) when
    /// `anonymous`.
    pub fn track_as(&mut self, index: usize, n: usize, size: usize, anonymous: bool) -> Vec<String> {
        self.env.now = self.now;
        let server = AnonymousTracking { with_session_tracking: false, with_server_anonymisation: true };
        if let Some(page) = self.pages.get_mut(index).filter(|_| anonymous) {
            page.engine.tracker.enable_anonymous(&mut self.env, server);
        }
        let ids = self.track_sized(index, n, size);
        if let Some(page) = self.pages.get_mut(index).filter(|_| anonymous) {
            page.engine.tracker.disable_anonymous(&mut self.env);
        }
        ids
    }

    /// Closes page `index` (the tab goes: it hides, `pagehide`, then requests without
    /// `keepalive` are aborted; keepalive ones still reach the collector, their answers
    /// unheard). Returns the ids of the events the leaving page tracked.
    pub fn close(&mut self, index: usize) -> Vec<String> {
        self.leave(index, 0)
    }

    /// Closes page `index` (as [`Browser::close`]) after it tracked `n` events in the task that
    /// hides it; the ids of every event that task produced.
    pub fn leave(&mut self, index: usize, n: usize) -> Vec<String> {
        if let Some(page) = self.pages.get_mut(index) {
            page.sensors.hidden = true;
        }
        let mut inputs = events(n, 40);
        inputs.extend([Input::Visibility { hidden: true }, Input::PageHide]);
        let ids = self.task(index, inputs);
        self.gone(index);
        ids
    }

    /// Page `index` is gone (after the inputs of its last task): its requests without
    /// `keepalive` are aborted, keepalive ones still reach the collector, their answers unheard.
    pub fn gone(&mut self, index: usize) {
        if let Some(page) = self.pages.get_mut(index) {
            page.open = false;
        }
        self.wire.retain(|p| p.page != index || p.request.keepalive);
    }

    /// Follows a link from page `index` to `url`: the page leaves (as [`Browser::leave`]) and
    /// the next page opens with a tracker of `config`; the new page's index.
    pub fn navigate(&mut self, index: usize, config: Config, url: &str) -> usize {
        self.leave(index, 0);
        self.open_at(config, url)
    }

    /// Reloads page `index`: closes it and opens a new one with a tracker of `config`.
    pub fn reload(&mut self, index: usize, config: Config) -> usize {
        let url = self.pages.get(index).map(|p| p.sensors.facts.url.clone()).unwrap_or_default();
        self.close(index);
        self.open_at(config, &url)
    }

    /// Page `index` goes into the back/forward cache: it hides (`visibilitychange`,
    /// `pagehide`) and freezes, its requests still travelling.
    pub fn freeze(&mut self, index: usize) -> Vec<String> {
        if let Some(page) = self.pages.get_mut(index) {
            page.sensors.hidden = true;
        }
        let ids = self.task(index, vec![Input::Visibility { hidden: true }, Input::PageHide]);
        if let Some(page) = self.pages.get_mut(index) {
            page.frozen = true;
        }
        ids
    }

    /// Page `index` comes back from the back/forward cache: it thaws (answers that came
    /// meanwhile are heard) and shows (`pageshow`).
    pub fn thaw(&mut self, index: usize) -> Vec<String> {
        if let Some(page) = self.pages.get_mut(index) {
            page.frozen = false;
            page.sensors.hidden = false;
        }
        self.run_until(self.now);
        self.input(index, Input::PageShow)
    }

    /// Hides or shows page `index`.
    pub fn set_hidden(&mut self, index: usize, hidden: bool) -> Vec<String> {
        if let Some(page) = self.pages.get_mut(index) {
            page.sensors.hidden = hidden;
        }
        self.input(index, Input::Visibility { hidden })
    }

    /// `flush()` on page `index`; its ticket (`None` when the page is closed).
    pub fn flush(&mut self, index: usize) -> Option<u64> {
        self.next_ticket += 1;
        let ticket = self.next_ticket;
        let open = self.pages.get(index).is_some_and(|p| p.open);
        self.input(index, Input::Flush { ticket });
        open.then_some(ticket)
    }

    /// The counters of page `index`.
    pub fn stats(&self, index: usize) -> DeliveryStats {
        self.pages.get(index).map(|p| p.engine.delivery.stats()).unwrap_or_default()
    }

    /// Queued events persisted in storage (lines under `snowtrack.q.`).
    pub fn persisted(&self) -> usize {
        self.env
            .storage
            .iter()
            .filter(|(k, _)| k.starts_with("snowtrack.q."))
            .map(|(_, v)| chunk_events(v).count())
            .sum()
    }

    /// Advances the clock to `until`, firing timers, answers and heartbeats in time order.
    pub fn run_until(&mut self, until: i64) {
        while let Some(at) = self.next_event().filter(|at| *at <= until) {
            self.now = self.now.max(at);
            self.step();
        }
        self.now = self.now.max(until);
    }

    /// Advances the clock by `ms`.
    pub fn advance(&mut self, ms: i64) {
        self.run_until(self.now + ms);
    }

    /// Runs until every open page's queue is empty and no event is left in storage (or on the
    /// wire), or `limit_ms` passed; returns whether it all emptied.
    pub fn settle(&mut self, limit_ms: i64) -> bool {
        let until = self.now + limit_ms;
        loop {
            let empty = self.pages.iter().filter(|p| p.open).all(|p| p.engine.delivery.is_empty());
            if empty && self.wire.is_empty() && self.persisted() == 0 {
                return true;
            }
            match self.next_event().filter(|at| *at <= until) {
                Some(at) => {
                    self.now = self.now.max(at);
                    self.step();
                }
                None => {
                    self.now = until;
                    return false;
                }
            }
        }
    }

    fn next_event(&self) -> Option<i64> {
        let awake = |page: usize| self.pages.get(page).is_none_or(|p| !p.frozen);
        let answers = self.wire.iter().filter(|p| awake(p.page)).map(|p| p.at_ms);
        let open = self.pages.iter().filter(|p| p.open && !p.frozen);
        let timers = open.clone().flat_map(|p| p.timers.iter().map(|(_, at)| *at));
        let beats = open.filter_map(|p| p.next_beat_ms);
        answers.chain(timers).chain(beats).min()
    }

    /// Performs the first due thing: an answer, a timer, a heartbeat.
    fn step(&mut self) {
        let now = self.now;
        let awake = |page: usize| self.pages.get(page).is_none_or(|p| !p.frozen);
        if let Some(at) = self.wire.iter().position(|p| p.at_ms <= now && awake(p.page)) {
            let p = self.wire.remove(at);
            let event_ids =
                p.request.wires.iter().filter_map(|w| event_id_of(w)).map(str::to_owned).collect();
            let id = p.request.id;
            let status = p.answer.status;
            self.collector.log.push(Received { at_ms: now, status, event_ids, request: p.request });
            self.input(p.page, Input::Answered { id, answer: p.answer });
            return;
        }
        for index in 0..self.pages.len() {
            let Some(page) = self.pages.get_mut(index).filter(|p| p.open && !p.frozen) else { continue };
            if let Some(at) = page.timers.iter().position(|(_, at)| *at <= now) {
                let (timer, _) = page.timers.remove(at);
                self.input(index, Input::TimerFired(timer));
                return;
            }
            if page.next_beat_ms.is_some_and(|at| at <= now) {
                page.next_beat_ms = Some(now + page.heartbeat_every_ms);
                let key = format!("{TAB_PREFIX}{}", page.engine.delivery.tab_id());
                self.env.storage.insert(key, now.to_string());
                return;
            }
        }
    }

    /// Hands page `index`'s engine an input from inside [`Browser::perform`] (its effects join
    /// the ones being performed).
    fn feed(&mut self, index: usize, input: Input) {
        self.env.now = self.now;
        let Some(page) = self.pages.get_mut(index) else { return };
        let mut shell = PageShell {
            env: &mut self.env,
            sensors: &mut page.sensors,
            tracked: &mut self.tracked,
            tracked_bytes: &mut self.tracked_bytes,
        };
        page.engine.handle(&mut shell, &mut NoHooks, input);
    }

    /// Carries out page `index`'s effects, in order, as `src/web/runtime.rs` does.
    fn perform(&mut self, index: usize) {
        loop {
            let now = self.now;
            let Some(page) = self.pages.get_mut(index) else { return };
            let Some(effect) = page.engine.next_effect() else { return };
            let action = match effect {
                Effect::Delivery(action) => action,
                Effect::Arm { timer, after_ms } => {
                    page.timers.retain(|(t, _)| *t != timer);
                    page.timers.push((timer, now + i64::try_from(after_ms).unwrap_or(i64::MAX / 2)));
                    continue;
                }
                Effect::Cancel(timer) => {
                    page.timers.retain(|(t, _)| *t != timer);
                    continue;
                }
                Effect::WatchScroll => {
                    page.sensors.watching_scroll = true;
                    continue;
                }
                Effect::WatchActivity => {
                    page.sensors.watching_activity = true;
                    continue;
                }
                Effect::WatchHistory => {
                    page.sensors.watching_history = true;
                    continue;
                }
                Effect::SessionUpdate(client_session) => {
                    page.session_updates.push(client_session);
                    continue;
                }
                Effect::ActivityCallback { page_view_id, .. } => {
                    page.activity_callbacks.push(page_view_id);
                    continue;
                }
                #[cfg(feature = "full")]
                Effect::Decorate(href) => {
                    page.decorated.push(href);
                    continue;
                }
            };
            match action {
                Action::EndOfTask => page.end_of_task = true,
                Action::Send(request) => self.send(index, request),
                Action::Store { key, wires, chunk } => {
                    if self.storage_refuses {
                        if let Some(chunk) = chunk {
                            self.feed(index, Input::StoreRefused { chunk });
                        }
                    } else {
                        page.stores += 1;
                        let text: String = wires.iter().map(|w| format!("{w}\n")).collect();
                        self.env.storage.insert(key, text);
                    }
                }
                Action::Mark { key, text } => {
                    if !self.storage_refuses {
                        self.env.storage.insert(key, text);
                    }
                }
                Action::Remove { key } => {
                    self.env.storage.remove(&key);
                }
                // The engine hands delivery's timers out as `Effect::Arm`.
                Action::Arm { .. } => {}
                Action::Announce { tab_id, heartbeat_every_ms } => {
                    page.announced = true;
                    if !self.web_locks {
                        page.heartbeat_every_ms = i64::try_from(heartbeat_every_ms).unwrap_or(2000);
                        page.next_beat_ms = Some(now + page.heartbeat_every_ms);
                        self.env.storage.insert(format!("{TAB_PREFIX}{tab_id}"), now.to_string());
                    }
                }
                Action::Retire { tab_id } => {
                    if !self.web_locks {
                        self.env.storage.remove(&format!("{TAB_PREFIX}{tab_id}"));
                        page.next_beat_ms = None;
                    }
                }
                Action::ListKeys { prefix } => {
                    let keys = self.keys(&prefix);
                    self.feed(index, Input::KeysListed { keys });
                }
                Action::FindLiveTabs { prefix, .. } => {
                    let tabs = if self.web_locks {
                        let live = self.pages.iter().filter(|p| p.open && p.announced);
                        LiveTabs::Locks(live.map(|p| p.engine.delivery.tab_id().to_owned()).collect())
                    } else {
                        let beats = self.keys(TAB_PREFIX).into_iter().filter_map(|k| {
                            let at = self.env.storage.get(&k)?.parse().ok()?;
                            Some((k.get(TAB_PREFIX.len()..)?.to_owned(), at))
                        });
                        LiveTabs::Heartbeats(beats.collect())
                    };
                    let keys = self.keys(&prefix);
                    self.feed(index, Input::LiveTabs { tabs, keys });
                }
                Action::ReadChunks { keys, marks } => {
                    let read = |key: String| {
                        let text = self.env.storage.get(&key).cloned();
                        (key, text)
                    };
                    let chunks =
                        keys.into_iter().map(read).map(|(k, t)| (k, t.unwrap_or_default())).collect();
                    let marks = marks.into_iter().map(read).filter_map(|(k, t)| Some((k, t?))).collect();
                    self.feed(index, Input::ChunksRead { chunks, marks });
                }
                Action::Report(report) => page.reports.push(report),
            }
        }
    }

    /// The pages hear that the browser refused their requests (the promise rejects in a
    /// microtask: before a leaving page is gone).
    fn fail_refused(&mut self) {
        while let Some((page, id)) = self.refused.pop() {
            self.apply(page, Input::Answered { id, answer: Answer::default() });
        }
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.env.storage.keys().filter(|k| k.starts_with(prefix)).cloned().collect()
    }

    fn send(&mut self, page: usize, request: Request<String>) {
        if request.keepalive && self.keepalive_refused {
            self.refused.push((page, request.id));
            return;
        }
        let (status, retry_after_ms, hold) = self.collector.answer();
        let answer = Answer { status, retry_after_ms };
        self.wire.push(Pending { page, at_ms: self.now + hold, answer, request });
    }
}

/// `n` structured events whose label has `size` bytes, as inputs.
pub fn events(n: usize, size: usize) -> Vec<Input> {
    let label = "x".repeat(size);
    (0..n)
        .map(|_| Input::Track {
            event: Event::Struct(StructEvent {
                category: "sim".into(),
                action: "event".into(),
                label: Some(label.clone()),
                property: None,
                value: None,
            }),
            options: TrackOptions::default(),
        })
        .collect()
}
