//! Delivery: everything between "event tracked" and "the collector answered 2xx", as one
//! sans-IO state machine.
//!
//! [`Delivery`] takes plain inputs (an event's wire text, the end of a task, a collector's
//! answer, a timer firing, the page hiding or showing, the browser coming online, the queue keys
//! and live tabs found in the browser) and answers with [`Action`]s for the host to perform
//! (send a request, write or remove a storage key, arm a timer, report to the page). It holds no
//! clock, no randomness and no browser API: `now` comes with every input and the backoff jitter
//! from a seed, so every rule below runs deterministically under `cargo test`.
//!
//! The policy:
//! - **Persisted per task.** The events tracked in one task are written together as one chunk
//!   at the end of the task ([`Action::EndOfTask`], then [`Action::Store`]); a chunk's key is
//!   removed once all its events left the queue ([`chunks`]). An event is always written before
//!   it is sent.
//! - **Batched, two requests in flight.** At the end of a task, sending starts when
//!   `bufferSize` events wait; requests take as many events as fit in `maxPostBytes` (one per
//!   GET), and while [`MAX_IN_FLIGHT`] requests are in flight new events accumulate into the
//!   next batches. An answered request makes room for the next one. Events tracked with server
//!   anonymisation travel only with each other, in requests with the `SP-Anonymous` header,
//!   whatever the order they were tracked, persisted or adopted in.
//! - **Retries.** A network error, timeout, 5xx or 429 puts the events back at the head of the
//!   queue and waits ([`retry`]): one backoff step per failed round however many requests of
//!   the round failed, or exactly the collector's `Retry-After`. `online` and `flush()` end the
//!   wait. 400/401/403/410/422 drop the events (reported); a 413 halves the batch, and drops a
//!   single event.
//! - **Page hide.** When the page is hidden or unloaded, everything that fits in the browser's
//!   [`KEEPALIVE_BUDGET`] goes at once with `keepalive`, whatever the backoff; the same, out of
//!   a backoff, at the end of a task that may be the page's last ([`Delivery::expect_unload`]:
//!   a link was clicked). Such a request left unanswered is *parked*: the page may be unloading and the
//!   browser may still deliver it, so its events are only sent again once the page is visible
//!   (for [`PARKED_MS`] when it never hid).
//! - **Adoption.** Every [`ADOPT_EVERY_MS`] (and at start) a page looks for chunks of pages that
//!   are gone (their tab neither holds its Web Lock nor wrote a heartbeat in the last
//!   [`HEARTBEAT_ALIVE_MS`]) and takes them over: queued, re-keyed under its own tab, sent.

pub mod chunks;
pub mod marks;
pub mod queue;
pub mod retry;

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::payload::{self, Method};
use crate::engine::util::json::{ObjectWriter, string_array};
use crate::engine::util::text::concat;
use alloc::collections::VecDeque;
use chunks::{Chunks, Finished, is_anonymous_key, queue_key_prefix, queue_key_tab};
use marks::{Outcomes, Verdict, mark_key, mark_key_prefix, mark_names, mark_sent_ms, mark_text};
use queue::{InFlight, Queue, QueuedEvent};
pub use queue::{QueueLimits, Wire};
pub use retry::{Backoff, DONT_RETRY_STATUS, Outcome, RetryPolicy, retry_after_ms};

/// Regular requests in flight at most: two keep both the network and the collector busy, and
/// more gained nothing measurable.
pub const MAX_IN_FLIGHT: usize = 2;
/// Browsers refuse `keepalive` requests once their bodies in flight pass 64 KiB.
pub const KEEPALIVE_BUDGET: usize = 64 * 1024;
/// How often a page looks for events left by pages that are gone.
pub const ADOPT_EVERY_MS: u64 = 10_000;
/// How often a page writes its heartbeat where Web Locks are missing.
pub const HEARTBEAT_EVERY_MS: u64 = 2_000;
/// A page whose heartbeat is older than this is gone.
pub const HEARTBEAT_ALIVE_MS: i64 = 6_000;
/// How long a `keepalive` request left unanswered while the page is visible (a navigation
/// starting after a link click rejects its promise, yet the browser still delivers it) stays
/// parked before its events are sent again.
pub const PARKED_MS: u64 = 3_000;
/// The prefix of every storage key snowtrack writes (chunks, marks, heartbeats).
pub const STORAGE_PREFIX: &str = "snowtrack.";

/// `credentials` of the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credentials {
    /// `include` (default): the collector's cookies go along.
    Include,
    /// `same-origin`.
    SameOrigin,
    /// `omit`.
    Omit,
}

impl Credentials {
    /// Parses the option value.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "include" => Some(Credentials::Include),
            "same-origin" => Some(Credentials::SameOrigin),
            "omit" => Some(Credentials::Omit),
            _ => None,
        }
    }

    /// The `fetch` option value.
    pub fn as_str(self) -> &'static str {
        match self {
            Credentials::Include => "include",
            Credentials::SameOrigin => "same-origin",
            Credentials::Omit => "omit",
        }
    }
}

/// The part of the tracker configuration delivery needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSettings {
    /// `eventMethod`.
    pub method: Method,
    /// The URL events are sent to (POST), or the one before the query (GET).
    pub endpoint: String,
    /// `maxPostBytes`: the largest POST body to build.
    pub max_post_bytes: usize,
    /// `bufferSize`: events to collect before sending.
    pub buffer_size: usize,
    /// `credentials`.
    pub credentials: Credentials,
    /// `keepalive` on every request.
    pub keepalive: bool,
    /// `connectionTimeout`, ms.
    pub connection_timeout_ms: u32,
    /// Which answers are retried and the backoff.
    pub retry: RetryPolicy,
    /// Queue limits.
    pub limits: QueueLimits,
    /// Whether queued events are persisted in localStorage.
    pub persist: bool,
    /// `cookieExtensionService` (or `idService`): requested once, before the first request.
    pub cookie_extension_service: Option<String>,
}

/// A request for the host to perform; it reports back with [`Delivery::answered`].
///
/// POST: `url` is the endpoint and the body is [`payload::post_body`] of `wires` stamped with
/// `stm_ms`. GET: the URL is `url` (`endpoint?stm=…&`) followed by the one wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<W> {
    /// Identifies the request in [`Delivery::answered`].
    pub id: u64,
    /// `POST` or `GET`.
    pub method: Method,
    /// The endpoint (POST), or the URL before the event's query (GET).
    pub url: String,
    /// The send time stamped on every event (`stm`).
    pub stm_ms: i64,
    /// The events' wire forms, in order.
    pub wires: Vec<W>,
    /// Size of the body (POST) or URL (GET) in bytes.
    pub bytes: usize,
    /// `fetch`'s `keepalive`, so the request can outlive the page.
    pub keepalive: bool,
    /// `fetch`'s `credentials`.
    pub credentials: Credentials,
    /// Abort after this many ms.
    pub timeout_ms: u32,
    /// Its events were tracked with server anonymisation: the request carries
    /// `SP-Anonymous: *` (and holds no other events).
    pub anonymous: bool,
    /// `cookieExtensionService`: a URL to `GET` before this request (the tracker's first only).
    pub before: Option<String>,
}

impl Request<String> {
    /// The POST body (`None` for GET).
    pub fn body(&self) -> Option<String> {
        (self.method == Method::Post)
            .then(|| payload::post_body(self.wires.iter().map(String::as_str), self.stm_ms))
    }

    /// The full URL (with the event's query for GET).
    pub fn full_url(&self) -> String {
        match self.method {
            Method::Post => self.url.clone(),
            Method::Get => concat(&[&self.url, self.wires.first().map_or("", String::as_str)]),
        }
    }
}

/// What the collector answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Answer {
    /// The HTTP status; `None` for a network error, a timeout or an aborted request.
    pub status: Option<u16>,
    /// `Retry-After`, in milliseconds from now.
    pub retry_after_ms: Option<u64>,
}

/// The timers delivery uses; arming one replaces the armed one of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The backoff after a failure ended.
    Retry,
    /// Time to look for other pages' leftovers.
    Adopt,
}

/// Which pages of the origin live, as the browser tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiveTabs {
    /// The tab ids whose Web Lock is held or requested.
    Locks(Vec<String>),
    /// Without Web Locks: each tab's last heartbeat, epoch ms.
    Heartbeats(Vec<(String, i64)>),
    /// The lock guarding adoption was refused: try again later.
    Unknown,
}

/// Another page's chunk, read for adoption: its key and its events (`eid`, wire).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrphanChunk<W> {
    /// Its storage key.
    pub key: String,
    /// Its events, in order.
    pub events: Vec<(String, W)>,
}

/// Why an event was dropped before it reached the collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    /// The queue was full (`maxQueueSize`, `maxQueueBytes`).
    QueueFull,
    /// The user opted out (the opt-out cookie appeared) while it waited.
    OptedOut,
}

impl DropReason {
    /// The `reason` the page's `onEventDropped` gets.
    pub fn as_str(self) -> &'static str {
        match self {
            DropReason::QueueFull => "queue full",
            DropReason::OptedOut => "opted out",
        }
    }
}

/// Something to tell the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// `onRequestSuccess`: a request was answered 2xx.
    Delivered {
        /// The delivered events.
        event_ids: Vec<String>,
        /// The status.
        status: u16,
    },
    /// `onRequestFailure`: a request failed.
    Failed {
        /// Its events.
        event_ids: Vec<String>,
        /// The status, `None` when there was no answer.
        status: Option<u16>,
        /// Whether the events stay queued (false: they were dropped).
        will_retry: bool,
    },
    /// `onEventDropped`: the queue was full, or the page opted out.
    Dropped {
        /// The event.
        event_id: String,
        /// Why.
        reason: DropReason,
    },
    /// A `flush()` settled: `ok` when the queue is empty, false when a request failed.
    Flushed {
        /// The ticket given to [`Delivery::flush`].
        ticket: u64,
        /// Whether the queue is empty.
        ok: bool,
    },
}

impl Report {
    /// The report as the JSON object the page's callback gets (`None` for [`Report::Flushed`],
    /// which settles a promise with a boolean).
    pub fn to_json(&self) -> Option<String> {
        let mut out = ObjectWriter::new();
        let (ids, status, will_retry) = match self {
            Report::Delivered { event_ids, status } => (event_ids, Some(*status), None),
            Report::Failed { event_ids, status, will_retry } => (event_ids, *status, Some(*will_retry)),
            Report::Dropped { event_id, reason } => {
                out.string("eventId", event_id).string("reason", reason.as_str());
                return Some(out.finish());
            }
            Report::Flushed { .. } => return None,
        };
        out.number("events", ids.len() as u64);
        out.raw("eventIds", &string_array(ids));
        match status {
            Some(status) => out.number("status", status.into()),
            None => out.raw("status", "null"),
        };
        if let Some(will_retry) = will_retry {
            out.raw("willRetry", if will_retry { "true" } else { "false" });
        }
        Some(out.finish())
    }
}

/// What the host performs for delivery, in the order given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<W> {
    /// Call [`Delivery::end_of_task`] at the end of the current task (a microtask), before any
    /// other task can run.
    EndOfTask,
    /// Perform a request; report with [`Delivery::answered`].
    Send(Request<W>),
    /// `localStorage.setItem(key, wires each followed by "\n")`. When storage refuses and
    /// `chunk` is given, report with [`Delivery::store_refused`].
    Store {
        /// The key.
        key: String,
        /// The events' wire forms.
        wires: Vec<W>,
        /// The chunk written, if it is one of this page's.
        chunk: Option<u64>,
    },
    /// `localStorage.setItem(key, text)`: a keepalive request's mark ([`marks`]); a refusal
    /// needs no report (the events are then sent again by the page that adopts them).
    Mark {
        /// The key.
        key: String,
        /// The mark's text.
        text: String,
    },
    /// `localStorage.removeItem(key)`.
    Remove {
        /// The key.
        key: String,
    },
    /// Call [`Delivery::timer_fired`] with `timer` after `after_ms`, replacing any armed one.
    Arm {
        /// Which timer.
        timer: Timer,
        /// Delay, ms.
        after_ms: u64,
    },
    /// Mark this page alive for as long as it lives (a Web Lock on `snowtrack.tab.<tab_id>`, or
    /// a heartbeat key rewritten every `heartbeat_every_ms`).
    Announce {
        /// This page's tab id.
        tab_id: String,
        /// Heartbeat period where Web Locks are missing.
        heartbeat_every_ms: u64,
    },
    /// Stop marking this page alive (the heartbeat key goes; a lock goes with the page).
    Retire {
        /// This page's tab id.
        tab_id: String,
    },
    /// List the storage keys starting with `prefix` ([`STORAGE_PREFIX`]); report with
    /// [`Delivery::keys_listed`].
    ListKeys {
        /// The prefix.
        prefix: String,
    },
    /// Take the origin-wide Web Lock `lock`, and under it find the live tabs and list the keys
    /// starting with `prefix`; report with [`Delivery::live_tabs`] (still under the lock, so a
    /// page starting meanwhile is seen alive).
    FindLiveTabs {
        /// The lock's name.
        lock: String,
        /// The key prefix.
        prefix: String,
    },
    /// Read these keys' chunks and these marks; report with [`Delivery::chunks_read`] (still
    /// under the lock).
    ReadChunks {
        /// The chunks' keys.
        keys: Vec<String>,
        /// The marks' keys.
        marks: Vec<String>,
    },
    /// Tell the page.
    Report(Report),
}

/// Delivery counters (`getDeliveryStats()`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeliveryStats {
    /// Events waiting (not in flight).
    pub queued: usize,
    /// Events in requests not yet answered.
    pub in_flight: usize,
    /// Events delivered (2xx).
    pub sent: u64,
    /// Events rejected by a non-retryable answer.
    pub failed: u64,
    /// Event sends retried after a failure.
    pub retried: u64,
    /// Events dropped before they were delivered: the queue was full, or the user opted out.
    pub dropped: u64,
    /// Events a plugin's `filter` dropped before they were queued (counted by the tracker).
    pub filtered: u64,
}

impl DeliveryStats {
    /// `getDeliveryStats()`'s JSON object.
    pub fn to_json(&self) -> String {
        let mut out = ObjectWriter::new();
        out.number("queued", self.queued as u64)
            .number("inFlight", self.in_flight as u64)
            .number("sent", self.sent)
            .number("failed", self.failed)
            .number("retried", self.retried)
            .number("dropped", self.dropped)
            .number("filtered", self.filtered);
        out.finish()
    }
}

/// The delivery state machine of one tracker in one page. See the module docs.
#[derive(Debug)]
pub struct Delivery<W> {
    settings: SendSettings,
    queue: Queue<W>,
    chunks: Chunks,
    backoff: Backoff,
    /// Most events per request while a collector answers 413 to larger batches.
    batch_cap: Option<usize>,
    next_request_id: u64,
    hidden: bool,
    /// Bytes of page-hide (`keepalive`) requests in flight.
    unload_bytes: usize,
    /// Page-hide requests unanswered while the page was hidden (still in flight).
    parked: Vec<u64>,
    end_of_task_scheduled: bool,
    /// [`Delivery::expect_unload`] was called in this task.
    unload_expected: bool,
    flush_tickets: Vec<u64>,
    stats: DeliveryStats,
    /// xorshift64* state for the backoff jitter.
    jitter_state: u64,
    /// The key prefix of this tracker's keepalive marks, every tab's.
    marks_prefix: String,
    /// This page's keepalive requests in flight with a mark: (request id, mark key).
    marked: Vec<(u64, String)>,
    /// Whether this page's last requests reached the collector (the verdict on marks).
    outcomes: Outcomes,
    /// This page looked for leftovers again once its first request was answered (when the
    /// verdict on other pages' keepalive marks became known).
    looked_after_answer: bool,
    actions: VecDeque<Action<W>>,
}

impl<W: Wire> Delivery<W> {
    /// Delivery for tracker `namespace` in the page `tab_id`, sending as `settings` says;
    /// `seed` seeds the backoff jitter (any value; 0 is replaced).
    pub fn new(settings: SendSettings, namespace: &str, tab_id: String, seed: u64) -> Self {
        let chunks = Chunks::new(queue_key_prefix(namespace), tab_id, settings.limits.max_persisted_bytes);
        Delivery {
            queue: Queue::new(settings.limits),
            settings,
            chunks,
            backoff: Backoff::default(),
            batch_cap: None,
            next_request_id: 0,
            hidden: false,
            unload_bytes: 0,
            parked: Vec::new(),
            end_of_task_scheduled: false,
            unload_expected: false,
            flush_tickets: Vec::new(),
            stats: DeliveryStats::default(),
            jitter_state: seed | 1,
            marks_prefix: mark_key_prefix(namespace),
            marked: Vec::new(),
            outcomes: Outcomes::default(),
            looked_after_answer: false,
            actions: VecDeque::new(),
        }
    }

    /// The next action to perform, in order.
    pub fn next_action(&mut self) -> Option<Action<W>> {
        self.actions.pop_front()
    }

    /// The counters.
    pub fn stats(&self) -> DeliveryStats {
        DeliveryStats { queued: self.queue.pending(), in_flight: self.queue.in_flight_events(), ..self.stats }
    }

    /// Whether no event is held (waiting or in flight).
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// This page's tab id.
    pub fn tab_id(&self) -> &str {
        self.chunks.tab_id()
    }

    /// When sending may resume after a failure (epoch ms; 0 when not backing off).
    pub fn retry_at_ms(&self) -> i64 {
        self.backoff.retry_at_ms()
    }

    /// The page started: announce it, and look for other pages' leftovers now and periodically.
    pub fn start(&mut self, _now_ms: i64) {
        let tab_id = self.chunks.tab_id().to_owned();
        self.actions.push_back(Action::Announce { tab_id, heartbeat_every_ms: HEARTBEAT_EVERY_MS });
        self.look_for_orphans();
    }

    /// An event was tracked (`anonymous`: with server anonymisation): it is queued (and joins
    /// this task's chunk), or dropped and reported when the queue is full. Sending waits for the
    /// end of the task, so the first request carries every event the task tracked. Returns false
    /// when the event was dropped.
    pub fn track(&mut self, _now_ms: i64, event_id: String, wire: W, anonymous: bool) -> bool {
        if !self.queue.has_room(wire.wire_len()) {
            self.stats.dropped += 1;
            let reason = DropReason::QueueFull;
            self.actions.push_back(Action::Report(Report::Dropped { event_id, reason }));
            return false;
        }
        self.enqueue(event_id, wire, anonymous);
        if !core::mem::replace(&mut self.end_of_task_scheduled, true) {
            self.actions.push_back(Action::EndOfTask);
        }
        true
    }

    /// The task that tracked events ended: their chunk is written, and sending starts when
    /// `bufferSize` events wait.
    pub fn end_of_task(&mut self, now_ms: i64) {
        self.end_of_task_scheduled = false;
        self.commit();
        if core::mem::take(&mut self.unload_expected) && !self.backoff.waiting(now_ms) {
            self.send_unload(now_ms);
        }
        self.fill(now_ms, false);
    }

    /// The user opted out: every event waiting is dropped (reported, its chunk removed), so
    /// nothing more leaves the page; requests already in flight cannot be called back.
    pub fn drop_waiting(&mut self) {
        self.commit();
        let events = self.queue.take_waiting();
        self.stats.dropped += events.len() as u64;
        self.queue.release(&events);
        for event in events {
            self.release_chunk(&event);
            let reason = DropReason::OptedOut;
            self.actions.push_back(Action::Report(Report::Dropped { event_id: event.event_id, reason }));
        }
        self.settle_flushes(false);
    }

    /// The page may go away right after this task (a link was clicked, and the browser may
    /// navigate before any answer comes): at the end of the task the events waiting go with
    /// `keepalive`, as far as the keepalive budget allows, so that the request outlives the
    /// page. A backoff is kept (the collector asked to wait): then the page-hide flush sends
    /// them if the page goes, else they wait as usual.
    pub fn expect_unload(&mut self) {
        self.unload_expected = true;
        if !core::mem::replace(&mut self.end_of_task_scheduled, true) {
            self.actions.push_back(Action::EndOfTask);
        }
    }

    /// Storage refused chunk `chunk`: its events live in memory only.
    pub fn store_refused(&mut self, chunk: u64) {
        self.chunks.refused(chunk);
    }

    /// Request `id` was answered (or failed without an answer).
    pub fn answered(&mut self, now_ms: i64, id: u64, answer: Answer) {
        let Some(request) = self.queue.answered(id) else { return };
        if request.keepalive {
            self.unload_bytes = self.unload_bytes.saturating_sub(request.bytes);
            if answer.status.is_none() {
                // The page may be unloading (or navigating away) and the browser may still
                // deliver it: park it until the page is visible (again) for a while. While
                // hidden, a failure is the browser refusing it (over its keepalive budget) or
                // a collector that is down: nothing arrived, so its mark goes and a page that
                // adopts its events sends them again.
                if self.hidden {
                    self.unmark(request.id);
                }
                self.parked.push(request.id);
                self.queue.sent(request);
                if !self.hidden {
                    self.actions.push_back(Action::Arm { timer: Timer::Retry, after_ms: PARKED_MS });
                }
                return;
            }
        }
        let failed = self.complete(now_ms, request, answer);
        self.settle_flushes(failed);
        if !failed {
            self.fill(now_ms, true);
        }
    }

    /// A timer armed with [`Action::Arm`] fired.
    pub fn timer_fired(&mut self, now_ms: i64, timer: Timer) {
        if timer == Timer::Retry && !self.hidden {
            self.unpark(now_ms);
        }
        match timer {
            Timer::Retry if self.backoff.waiting(now_ms) => {
                let after_ms = u64::try_from(self.backoff.retry_at_ms() - now_ms).unwrap_or(0);
                self.actions.push_back(Action::Arm { timer: Timer::Retry, after_ms });
            }
            Timer::Retry => self.fill(now_ms, true),
            Timer::Adopt => self.look_for_orphans(),
        }
    }

    /// The page became hidden (send what fits in the keepalive budget now) or visible (parked
    /// requests failed for good: their events are sent again).
    pub fn visibility_changed(&mut self, now_ms: i64, hidden: bool) {
        self.hidden = hidden;
        if hidden {
            self.flush_unload(now_ms);
            return;
        }
        self.unpark(now_ms);
        self.fill(now_ms, true);
    }

    /// Parked requests failed for good: their events wait for a retry.
    fn unpark(&mut self, now_ms: i64) {
        let parked = core::mem::take(&mut self.parked);
        let mut failed = false;
        for id in parked {
            if let Some(request) = self.queue.answered(id) {
                failed |= self.complete(now_ms, request, Answer::default());
            }
        }
        self.settle_flushes(failed);
    }

    /// `pagehide`: the page is going away (or into the back/forward cache).
    pub fn page_hide(&mut self, now_ms: i64) {
        self.flush_unload(now_ms);
        let tab_id = self.chunks.tab_id().to_owned();
        self.actions.push_back(Action::Retire { tab_id });
    }

    /// The browser came back online: the backoff ends.
    pub fn online(&mut self, now_ms: i64) {
        self.backoff.retry_now();
        self.fill(now_ms, true);
    }

    /// `setCollectorUrl`: every later request goes to `endpoint`, those of the events queued
    /// already included.
    pub fn set_endpoint(&mut self, endpoint: String) {
        self.settings.endpoint = endpoint;
    }

    /// `setBufferSize`: how many events to collect before sending (at least 1), from the end of
    /// this task.
    pub fn set_buffer_size(&mut self, size: usize) {
        self.settings.buffer_size = size.max(1);
    }

    /// `flush()`: sends every queued event now, skipping any retry backoff; reports
    /// [`Report::Flushed`] with `ticket` once the queue is empty or a round failed.
    pub fn flush(&mut self, now_ms: i64, ticket: u64) {
        if self.queue.is_empty() {
            self.actions.push_back(Action::Report(Report::Flushed { ticket, ok: true }));
            return;
        }
        self.flush_tickets.push(ticket);
        self.backoff.retry_now();
        self.fill(now_ms, true);
    }

    /// The storage keys of this tracker's chunks ([`Action::ListKeys`]): when other pages'
    /// are among them, find out which pages live.
    pub fn keys_listed(&mut self, _now_ms: i64, keys: &[String]) {
        if keys.iter().any(|key| self.chunks.is_foreign(key) || self.is_foreign_mark(key)) {
            let lock = concat(&["snowtrack.adopt.", self.chunks.prefix()]);
            self.actions.push_back(Action::FindLiveTabs { lock, prefix: STORAGE_PREFIX.to_owned() });
        }
    }

    /// The live pages and the chunk keys, found under the adoption lock
    /// ([`Action::FindLiveTabs`]): the chunks of pages that are gone are read for adoption.
    pub fn live_tabs(&mut self, now_ms: i64, tabs: &LiveTabs, keys: Vec<String>) {
        let alive = |tab: &str| match tabs {
            LiveTabs::Locks(ids) => ids.iter().any(|id| id == tab),
            LiveTabs::Heartbeats(beats) => {
                beats.iter().any(|(id, at)| id == tab && now_ms.saturating_sub(*at) < HEARTBEAT_ALIVE_MS)
            }
            LiveTabs::Unknown => true,
        };
        let gone = |prefix: &str, key: &str| queue_key_tab(prefix, key).is_some_and(|tab| !alive(tab));
        let (mut orphans, mut marks) = (Vec::new(), Vec::new());
        for key in keys {
            if self.chunks.is_foreign(&key) && gone(self.chunks.prefix(), &key) {
                orphans.push(key);
            } else if self.is_foreign_mark(&key) && gone(&self.marks_prefix, &key) {
                marks.push(key);
            }
        }
        if !orphans.is_empty() || !marks.is_empty() {
            self.actions.push_back(Action::ReadChunks { keys: orphans, marks });
        }
    }

    /// Other pages' chunks and keepalive marks (key, text), read for adoption
    /// ([`Action::ReadChunks`]). A mark whose verdict is known ([`marks`]) goes: its events were
    /// delivered (they are dropped) or are sent again. A chunk holding events of a mark still
    /// awaiting its verdict is left, with the mark, for a later look (after this page's first
    /// answer, or the next round). The other events are queued and re-keyed under this page while
    /// the queue has room (the rest stays under the old key, for a later adoption), then sent.
    /// Returns how many events were taken.
    pub fn chunks_read(
        &mut self,
        now_ms: i64,
        chunks: Vec<OrphanChunk<W>>,
        marks: Vec<(String, String)>,
    ) -> usize {
        // The marks read, with whether their events were delivered (`None`: not known yet).
        let mut judged: Vec<(String, Option<bool>)> = Vec::new();
        for (key, text) in marks {
            let delivered = match mark_sent_ms(&text).map(|sent_ms| self.outcomes.verdict(sent_ms, now_ms)) {
                Some(Verdict::Wait) => None,
                verdict => {
                    self.actions.push_back(Action::Remove { key });
                    Some(verdict == Some(Verdict::Delivered))
                }
            };
            judged.push((text, delivered));
        }
        let verdict = |id: &str| judged.iter().find(|(text, _)| mark_names(text, id)).map(|(_, d)| *d);
        let mut adopted = 0;
        'chunks: for chunk in chunks {
            if chunk.events.iter().any(|(id, _)| verdict(id) == Some(None)) {
                continue; // its verdict comes later
            }
            let anonymous = is_anonymous_key(&chunk.key);
            let mut events = chunk.events.into_iter().filter(|(id, _)| verdict(id) != Some(Some(true)));
            while let Some((event_id, wire)) = events.next() {
                if !self.queue.has_room(wire.wire_len()) {
                    let wires = core::iter::once(wire).chain(events.map(|(_, w)| w)).collect();
                    self.actions.push_back(Action::Store { key: chunk.key, wires, chunk: None });
                    break 'chunks;
                }
                self.enqueue(event_id, wire, anonymous);
                adopted += 1;
            }
            self.actions.push_back(Action::Remove { key: chunk.key });
        }
        self.commit();
        if adopted > 0 {
            self.fill(now_ms, true);
        }
        adopted
    }

    /// Whether a key is another tab's keepalive mark.
    fn is_foreign_mark(&self, key: &str) -> bool {
        queue_key_tab(&self.marks_prefix, key).is_some_and(|tab| tab != self.chunks.tab_id())
    }

    /// Request `id`'s mark goes (it was answered, or certainly not delivered).
    fn unmark(&mut self, id: u64) {
        if let Some(at) = self.marked.iter().position(|(marked, _)| *marked == id) {
            let (_, key) = self.marked.swap_remove(at);
            self.actions.push_back(Action::Remove { key });
        }
    }

    /// Queues an event that fits, in this task's chunk (written first when it is full or holds
    /// the other kind of events).
    fn enqueue(&mut self, event_id: String, wire: W, anonymous: bool) {
        let size = wire.wire_len();
        if self.chunks.pending_is_full(size, anonymous) {
            self.commit();
        }
        let chunk = self.chunks.add(size, self.settings.persist, anonymous);
        self.queue.push(QueuedEvent { event_id, wire, chunk, anonymous });
    }

    /// Writes this task's chunk, when it holds events.
    fn commit(&mut self) {
        let Some(pending) = self.chunks.take_pending() else { return };
        // The chunk's events are among the last `span` waiting ones: nothing is sent before
        // the pending chunk is written, and failed requests go back to the head.
        let mut wires: Vec<W> = self
            .queue
            .waiting()
            .rev()
            .take(pending.span)
            .filter(|e| e.chunk == Some(pending.seq))
            .map(|e| e.wire.clone())
            .collect();
        wires.reverse();
        let key = self.chunks.key(pending.seq);
        self.actions.push_back(Action::Store { key, wires, chunk: Some(pending.seq) });
    }

    /// Sends requests while there is room in flight, nothing to wait for, and events waiting
    /// (`bufferSize` of them unless `force`).
    fn fill(&mut self, now_ms: i64, force: bool) {
        if self.backoff.waiting(now_ms) {
            return;
        }
        while self.queue.regular_in_flight() < MAX_IN_FLIGHT
            && self.queue.pending() > 0
            && (force || self.queue.pending() >= self.settings.buffer_size)
        {
            if !self.send(now_ms, None) {
                break;
            }
        }
    }

    /// The page hides or goes: everything that fits in the keepalive budget goes now.
    fn flush_unload(&mut self, now_ms: i64) {
        self.backoff.retry_now();
        self.send_unload(now_ms);
    }

    /// Sends what fits in the keepalive budget, with `keepalive`.
    fn send_unload(&mut self, now_ms: i64) {
        while self.send(now_ms, Some(KEEPALIVE_BUDGET.saturating_sub(self.unload_bytes))) {}
    }

    /// Takes the next request (within `unload_budget` for a page-hide request) and sends it.
    fn send(&mut self, now_ms: i64, unload_budget: Option<usize>) -> bool {
        self.commit();
        let s = &self.settings;
        let Some(batch) =
            self.queue.take(s.method, &s.endpoint, s.max_post_bytes, self.batch_cap, unload_budget, now_ms)
        else {
            return false;
        };
        // The core build has no `cookieExtensionService`.
        let before =
            if cfg!(feature = "full") { self.settings.cookie_extension_service.take() } else { None };
        let s = &self.settings;
        self.next_request_id += 1;
        let id = self.next_request_id;
        let unload = unload_budget.is_some();
        if unload {
            self.unload_bytes += batch.bytes;
        }
        let request = Request {
            id,
            method: s.method,
            url: batch.url,
            stm_ms: now_ms,
            wires: batch.events.iter().map(|e| e.wire.clone()).collect(),
            bytes: batch.bytes,
            keepalive: unload || s.keepalive,
            credentials: s.credentials,
            timeout_ms: s.connection_timeout_ms,
            anonymous: batch.anonymous,
            before,
        };
        if request.keepalive && s.persist && self.outcomes.last_reached() != Some(false) {
            // It may outlive the page: tell the page that adopts its events ([`marks`]),
            // unless the collector just failed (then it is most likely lost too).
            let key = mark_key(&self.marks_prefix, self.chunks.tab_id(), id);
            let text = mark_text(now_ms, batch.events.iter().map(|e| e.event_id.as_str()));
            self.actions.push_back(Action::Mark { key: key.clone(), text });
            self.marked.push((id, key));
        }
        let round = self.backoff.round();
        let sent_ms = now_ms;
        self.queue.sent(InFlight {
            id,
            events: batch.events,
            keepalive: unload,
            bytes: batch.bytes,
            round,
            sent_ms,
        });
        self.actions.push_back(Action::Send(request));
        true
    }

    /// Applies a request's outcome; returns whether it failed (its events wait for a retry).
    fn complete(&mut self, now_ms: i64, request: InFlight<W>, answer: Answer) -> bool {
        let InFlight { id, events, round, sent_ms, .. } = request;
        let outcome = match self.settings.retry.outcome(answer.status) {
            Outcome::TooLarge if events.len() <= 1 => Outcome::Rejected,
            other => other,
        };
        self.unmark(id);
        self.outcomes.record(sent_ms, !matches!(outcome, Outcome::Failed));
        if !core::mem::replace(&mut self.looked_after_answer, true) {
            // Other pages' keepalive marks can be judged now.
            self.look_for_orphans();
        }
        let ids = || events.iter().map(|e| e.event_id.clone()).collect::<Vec<_>>();
        let report = match outcome {
            Outcome::Delivered => {
                self.stats.sent += events.len() as u64;
                self.backoff.succeeded();
                self.batch_cap = None;
                Report::Delivered { event_ids: ids(), status: answer.status.unwrap_or(200) }
            }
            Outcome::Rejected => {
                self.stats.failed += events.len() as u64;
                Report::Failed { event_ids: ids(), status: answer.status, will_retry: false }
            }
            Outcome::TooLarge | Outcome::Failed => {
                let report = Report::Failed { event_ids: ids(), status: answer.status, will_retry: true };
                if outcome == Outcome::TooLarge {
                    self.batch_cap = Some((events.len() / 2).max(1));
                } else {
                    let jitter = self.jitter();
                    let policy = &self.settings.retry;
                    let at = self.backoff.failed(policy, round, now_ms, jitter, answer.retry_after_ms);
                    let after_ms = u64::try_from(at.saturating_sub(now_ms)).unwrap_or(0);
                    self.actions.push_back(Action::Arm { timer: Timer::Retry, after_ms });
                }
                self.stats.retried += events.len() as u64;
                self.queue.requeue(events);
                self.actions.push_back(Action::Report(report));
                return outcome == Outcome::Failed;
            }
        };
        self.queue.release(&events);
        for event in &events {
            self.release_chunk(event);
        }
        self.actions.push_back(Action::Report(report));
        false
    }

    /// An event left the queue for good: its chunk's key is removed when it was the last.
    fn release_chunk(&mut self, event: &QueuedEvent<W>) {
        let Some(seq) = event.chunk else { return };
        if let Some(Finished::Remove(key)) = self.chunks.release(seq, event.wire.wire_len()) {
            self.actions.push_back(Action::Remove { key });
        }
    }

    /// Settles the pending `flush()`es once the queue is empty, or when a request `failed`.
    fn settle_flushes(&mut self, failed: bool) {
        let ok = self.queue.is_empty();
        if self.flush_tickets.is_empty() || !(ok || failed) {
            return;
        }
        for ticket in core::mem::take(&mut self.flush_tickets) {
            self.actions.push_back(Action::Report(Report::Flushed { ticket, ok }));
        }
    }

    fn look_for_orphans(&mut self) {
        self.actions.push_back(Action::ListKeys { prefix: STORAGE_PREFIX.to_owned() });
        self.actions.push_back(Action::Arm { timer: Timer::Adopt, after_ms: ADOPT_EVERY_MS });
    }

    /// The next jitter in [0, 1) (xorshift64*: deterministic from the seed).
    fn jitter(&mut self) -> f64 {
        let mut x = self.jitter_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.jitter_state = x;
        (x.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}
