//! A deterministic browser for [`Delivery`] (test-util only): pages of one origin sharing one
//! localStorage, a fake clock with timers, and a scripted collector. It performs every
//! [`Action`] the way the web layer does, so the whole delivery policy can be exercised as
//! host tests: outages, `Retry-After`, reloads, closed tabs, bursts, refusing storage.

use super::chunks::{chunk_events, event_id_of};
use super::{
    Action, Answer, Delivery, DeliveryStats, LiveTabs, OrphanChunk, Report, Request, SendSettings, Timer,
};
use crate::prelude::*;
use alloc::collections::{BTreeMap, VecDeque};

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
    /// Its delivery state machine.
    pub delivery: Delivery<String>,
    /// Still open.
    pub open: bool,
    /// Announced itself alive (holds its Web Lock, or writes heartbeats).
    pub announced: bool,
    /// Its reports, in order.
    pub reports: Vec<Report>,
    /// Storage writes it performed.
    pub stores: u64,
    /// In the back/forward cache: no timer fires and no answer is heard until it is shown.
    pub frozen: bool,
    end_of_task: bool,
    timers: Vec<(Timer, i64)>,
    next_beat_ms: Option<i64>,
    heartbeat_every_ms: i64,
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
    /// The origin's localStorage.
    pub storage: BTreeMap<String, String>,
    /// When true, every `setItem` is refused.
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
    next_id: u32,
    seed: u64,
}

/// The prefix of heartbeat keys.
const TAB_PREFIX: &str = "snowtrack.tab.";

impl Browser {
    /// A browser at time `now` with Web Locks.
    pub fn new(now: i64) -> Self {
        Browser { now, web_locks: true, ..Browser::default() }
    }

    /// Opens a page with delivery `settings` (tracker namespace `sp`) and starts it.
    pub fn open(&mut self, settings: SendSettings) -> usize {
        self.next_id += 1;
        self.seed += 0x9e37_79b9;
        let tab = format!("tab{}", self.next_id);
        let page = Page {
            delivery: Delivery::new(settings, "sp", tab, self.seed),
            open: true,
            announced: false,
            reports: Vec::new(),
            stores: 0,
            frozen: false,
            end_of_task: false,
            timers: Vec::new(),
            next_beat_ms: None,
            heartbeat_every_ms: 0,
        };
        self.pages.push(page);
        let index = self.pages.len() - 1;
        self.input(index, |d, now| d.start(now));
        index
    }

    /// Applies an input to page `index`, then performs its actions and its end of task.
    pub fn input<T>(&mut self, index: usize, f: impl FnOnce(&mut Delivery<String>, i64) -> T) -> Option<T> {
        let now = self.now;
        let page = self.pages.get_mut(index).filter(|p| p.open)?;
        let value = f(&mut page.delivery, now);
        self.perform(index);
        self.fail_refused();
        let end = self.pages.get_mut(index).is_some_and(|p| core::mem::take(&mut p.end_of_task));
        if end {
            self.pages.get_mut(index)?.delivery.end_of_task(now);
            self.perform(index);
        }
        Some(value)
    }

    /// Tracks `n` events in one task of page `index`; returns their ids.
    pub fn track(&mut self, index: usize, n: usize) -> Vec<String> {
        self.track_sized(index, n, 40)
    }

    /// Tracks `n` events of about `size` bytes in one task of page `index`.
    pub fn track_sized(&mut self, index: usize, n: usize, size: usize) -> Vec<String> {
        self.track_as(index, n, size, false)
    }

    /// Tracks `n` events of about `size` bytes in one task of page `index`, with server
    /// anonymisation when `anonymous`.
    pub fn track_as(&mut self, index: usize, n: usize, size: usize, anonymous: bool) -> Vec<String> {
        let ids = self.new_ids(n);
        let wires = self.wires(&ids, size);
        self.input(index, move |d, now| {
            for (id, wire) in wires {
                d.track(now, id, wire, anonymous);
            }
        });
        ids
    }

    /// Closes page `index` (the tab goes: `pagehide`, then requests without `keepalive` are
    /// aborted; keepalive ones still reach the collector, their answers unheard).
    pub fn close(&mut self, index: usize) {
        self.leave(index, 0);
    }

    /// Closes page `index` (as [`Browser::close`]) after it tracked `n` events in the task that
    /// hides it (as lifecycle tracking does with `application_background`); their ids.
    pub fn leave(&mut self, index: usize, n: usize) -> Vec<String> {
        let ids = self.new_ids(n);
        let wires = self.wires(&ids, 40);
        self.input(index, |d, now| {
            for (id, wire) in wires {
                d.track(now, id, wire, false);
            }
            d.visibility_changed(now, true);
            d.page_hide(now);
        });
        if let Some(page) = self.pages.get_mut(index) {
            page.open = false;
        }
        self.wire.retain(|p| p.page != index || p.request.keepalive);
        ids
    }

    /// `n` new event ids.
    fn new_ids(&mut self, n: usize) -> Vec<String> {
        (0..n)
            .map(|_| {
                self.next_id += 1;
                format!("00000000-0000-4000-8000-{:012x}", self.next_id)
            })
            .collect()
    }

    /// Wire forms of about `size` bytes for `ids`.
    fn wires(&self, ids: &[String], size: usize) -> Vec<(String, String)> {
        let padding = "x".repeat(size.saturating_sub(30));
        ids.iter()
            .map(|id| (id.clone(), format!("{{\"e\":\"se\",\"eid\":\"{id}\",\"p\":\"{padding}\"")))
            .collect()
    }

    /// Reloads page `index`: closes it and opens a new one with the same settings.
    pub fn reload(&mut self, index: usize, settings: SendSettings) -> usize {
        self.close(index);
        self.open(settings)
    }

    /// Page `index` goes into the back/forward cache: it hides (`visibilitychange`,
    /// `pagehide`) and freezes, its requests still travelling.
    pub fn freeze(&mut self, index: usize) {
        self.input(index, |d, now| {
            d.visibility_changed(now, true);
            d.page_hide(now);
        });
        if let Some(page) = self.pages.get_mut(index) {
            page.frozen = true;
        }
    }

    /// Page `index` comes back from the back/forward cache: it thaws (answers that came
    /// meanwhile are heard), announces itself again and is shown.
    pub fn thaw(&mut self, index: usize) {
        if let Some(page) = self.pages.get_mut(index) {
            page.frozen = false;
        }
        self.run_until(self.now);
        self.set_hidden(index, false);
    }

    /// Hides or shows page `index`.
    pub fn set_hidden(&mut self, index: usize, hidden: bool) {
        self.input(index, |d, now| d.visibility_changed(now, hidden));
    }

    /// `flush()` on page `index`; its ticket.
    pub fn flush(&mut self, index: usize) -> Option<u64> {
        self.input(index, |d, now| d.flush(now))
    }

    /// The counters of page `index`.
    pub fn stats(&self, index: usize) -> DeliveryStats {
        self.pages.get(index).map(|p| p.delivery.stats()).unwrap_or_default()
    }

    /// Queued events persisted in storage (lines under `snowtrack.q.`).
    pub fn persisted(&self) -> usize {
        self.storage
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
            let empty = self.pages.iter().filter(|p| p.open).all(|p| p.delivery.is_empty());
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
            self.input(p.page, |d, now| d.answered(now, id, p.answer));
            return;
        }
        for index in 0..self.pages.len() {
            let Some(page) = self.pages.get_mut(index).filter(|p| p.open && !p.frozen) else { continue };
            if let Some(at) = page.timers.iter().position(|(_, at)| *at <= now) {
                let (timer, _) = page.timers.remove(at);
                self.input(index, |d, now| d.timer_fired(now, timer));
                return;
            }
            if page.next_beat_ms.is_some_and(|at| at <= now) {
                page.next_beat_ms = Some(now + page.heartbeat_every_ms);
                let key = format!("{TAB_PREFIX}{}", page.delivery.tab_id());
                self.storage.insert(key, now.to_string());
                return;
            }
        }
    }

    fn perform(&mut self, index: usize) {
        loop {
            let now = self.now;
            let Some(page) = self.pages.get_mut(index) else { return };
            let Some(action) = page.delivery.next_action() else { return };
            match action {
                Action::EndOfTask => page.end_of_task = true,
                Action::Send(request) => self.send(index, request),
                Action::Store { key, wires, chunk } => {
                    if self.storage_refuses {
                        if let Some(chunk) = chunk {
                            page.delivery.store_refused(chunk);
                        }
                    } else {
                        page.stores += 1;
                        let text: String = wires.iter().map(|w| format!("{w}\n")).collect();
                        self.storage.insert(key, text);
                    }
                }
                Action::Mark { key, text } => {
                    if !self.storage_refuses {
                        self.storage.insert(key, text);
                    }
                }
                Action::Remove { key } => {
                    self.storage.remove(&key);
                }
                Action::Arm { timer, after_ms } => {
                    page.timers.retain(|(t, _)| *t != timer);
                    page.timers.push((timer, now + i64::try_from(after_ms).unwrap_or(i64::MAX / 2)));
                }
                Action::Announce { tab_id, heartbeat_every_ms } => {
                    page.announced = true;
                    if !self.web_locks {
                        page.heartbeat_every_ms = i64::try_from(heartbeat_every_ms).unwrap_or(2000);
                        page.next_beat_ms = Some(now + page.heartbeat_every_ms);
                        self.storage.insert(format!("{TAB_PREFIX}{tab_id}"), now.to_string());
                    }
                }
                Action::Retire { tab_id } => {
                    if !self.web_locks {
                        self.storage.remove(&format!("{TAB_PREFIX}{tab_id}"));
                        page.next_beat_ms = None;
                    }
                }
                Action::ListKeys { prefix } => {
                    let keys = self.keys(&prefix);
                    if let Some(page) = self.pages.get_mut(index) {
                        page.delivery.keys_listed(now, &keys);
                    }
                }
                Action::FindLiveTabs { prefix, .. } => {
                    let tabs = if self.web_locks {
                        let live = self.pages.iter().filter(|p| p.open && p.announced);
                        LiveTabs::Locks(live.map(|p| p.delivery.tab_id().to_owned()).collect())
                    } else {
                        let beats = self.keys(TAB_PREFIX).into_iter().filter_map(|k| {
                            let at = self.storage.get(&k)?.parse().ok()?;
                            Some((k.get(TAB_PREFIX.len()..)?.to_owned(), at))
                        });
                        LiveTabs::Heartbeats(beats.collect())
                    };
                    let keys = self.keys(&prefix);
                    if let Some(page) = self.pages.get_mut(index) {
                        page.delivery.live_tabs(now, &tabs, keys);
                    }
                }
                Action::ReadChunks { keys, marks } => {
                    let chunks = keys
                        .into_iter()
                        .map(|key| {
                            let text = self.storage.get(&key).cloned().unwrap_or_default();
                            let events = chunk_events(&text)
                                .map(|w| (event_id_of(w).unwrap_or("").to_owned(), w.to_owned()))
                                .collect();
                            OrphanChunk { key, events }
                        })
                        .collect();
                    let marks = marks
                        .into_iter()
                        .filter_map(|key| Some((key.clone(), self.storage.get(&key)?.clone())))
                        .collect();
                    if let Some(page) = self.pages.get_mut(index) {
                        page.delivery.chunks_read(now, chunks, marks);
                    }
                }
                Action::Report(report) => page.reports.push(report),
            }
        }
    }

    /// The pages hear that the browser refused their requests (the promise rejects in a
    /// microtask: before a leaving page is gone).
    fn fail_refused(&mut self) {
        while let Some((page, id)) = self.refused.pop() {
            let now = self.now;
            let Some(p) = self.pages.get_mut(page).filter(|p| p.open) else { continue };
            p.delivery.answered(now, id, Answer::default());
            self.perform(page);
        }
    }

    fn keys(&self, prefix: &str) -> Vec<String> {
        self.storage.keys().filter(|k| k.starts_with(prefix)).cloned().collect()
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
