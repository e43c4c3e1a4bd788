//! The out-queue: events waiting for the collector, their batching into requests, and the retry
//! policy (which answers are retried, and when).
//!
//! Events are stored in their final wire form (POST JSON without `stm`, or a GET query), so a
//! request is built by concatenation, and `stm` is stamped per attempt. The queue only needs a
//! wire's length ([`Wire`]): the text may live outside Rust, as a JS string in the browser. Several requests may be
//! in flight at once (the page-hide flush sends all it can with `keepalive`); a failed request's
//! events go back to the head of the queue in their original order. Every per-event operation is
//! O(1) in the queue's length.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::config::{Config, Method};
use crate::core::payload::{self, ENVELOPE_BYTES};
use crate::core::text::concat;
use alloc::collections::VecDeque;

/// An event's wire text as the queue holds it. Only its length matters here; whoever performs
/// the requests and the storage writes reads the text. The web layer keeps it as a JS string,
/// so a burst's events sit in the garbage-collected JS heap rather than in the wasm memory,
/// which never shrinks.
pub trait Wire: Clone + core::fmt::Debug {
    /// Length in bytes (UTF-8).
    fn wire_len(&self) -> usize;
}

impl Wire for String {
    fn wire_len(&self) -> usize {
        self.len()
    }
}

/// One event waiting to be delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedEvent<W = String> {
    /// The event id (`eid`), constant across retries.
    pub event_id: String,
    /// The wire form (see the module docs).
    pub wire: W,
    /// The persisted chunk holding the event (its sequence number), if it is persisted.
    pub chunk: Option<u64>,
}

/// A request to make: the shell performs it and reports back with [`OutQueue::complete`].
///
/// POST: `url` is the endpoint and the body is [`payload::post_body`] of `wires` stamped with
/// `stm_ms`. GET: the URL is `url` (`endpoint?stm=…&`) followed by the one wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request<W = String> {
    /// Identifies the request in [`OutQueue::complete`].
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
}

impl<W> Request<W> {
    /// Events in the request.
    pub fn events(&self) -> usize {
        self.wires.len()
    }
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

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer: the events are delivered.
    Delivered,
    /// An answer that must not be retried: the events are dropped and reported.
    Rejected,
    /// A network error, timeout or retryable status: the events go back to the queue.
    Failed,
    /// `413 Payload Too Large`: a batch is split and retried at once; a single event is dropped.
    TooLarge,
}

/// Status codes never retried unless listed in `retryStatusCodes` (the JS tracker's list).
pub const DONT_RETRY_STATUS: [u16; 5] = [400, 401, 403, 410, 422];

/// Which answers are retried and how long to wait between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `retryStatusCodes`: always retried, even if listed as never.
    pub retry_status_codes: Vec<u16>,
    /// `dontRetryStatusCodes`: never retried, in addition to [`DONT_RETRY_STATUS`].
    pub dont_retry_status_codes: Vec<u16>,
    /// First backoff delay, ms (`retryBaseDelay`, default 1000).
    pub base_delay_ms: u64,
    /// Longest backoff delay, ms (`retryMaxDelay`, default 60000).
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retry_status_codes: Vec::new(),
            dont_retry_status_codes: Vec::new(),
            base_delay_ms: 1000,
            max_delay_ms: 60_000,
        }
    }
}

impl RetryPolicy {
    /// Classifies an answer (`None`: no answer at all, i.e. a network error or timeout).
    pub fn outcome(&self, status: Option<u16>) -> Outcome {
        match status {
            Some(200..=299) => Outcome::Delivered,
            Some(code) if self.retry_status_codes.contains(&code) => Outcome::Failed,
            Some(413) => Outcome::TooLarge,
            Some(code)
                if DONT_RETRY_STATUS.contains(&code) || self.dont_retry_status_codes.contains(&code) =>
            {
                Outcome::Rejected
            }
            _ => Outcome::Failed,
        }
    }

    /// The wait before retry number `attempt` (1 = first retry): exponential from the base
    /// delay, capped, with "equal jitter" (between half and all of it); `jitter` is in [0, 1).
    /// A `Retry-After` from the collector (ms) is honoured when longer.
    pub fn delay_ms(&self, attempt: u32, jitter: f64, retry_after_ms: Option<u64>) -> u64 {
        let exponent = attempt.saturating_sub(1).min(30);
        let full = self.base_delay_ms.saturating_mul(1 << exponent).min(self.max_delay_ms);
        let jittered = full / 2 + ((full / 2) as f64 * jitter.clamp(0.0, 1.0)) as u64;
        jittered.max(retry_after_ms.unwrap_or(0))
    }
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
    /// Events dropped because the queue was full.
    pub dropped: u64,
}

/// What [`OutQueue::complete`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion<W = String> {
    /// The request's events that left the queue (delivered or rejected): their persisted keys
    /// must be removed.
    pub removed: Vec<QueuedEvent<W>>,
    /// Ids of the request's events that went back to the queue to be sent again.
    pub requeued: Vec<String>,
    /// When the next attempt may start, epoch ms, after a failure.
    pub retry_at_ms: Option<i64>,
}

impl<W> Default for Completion<W> {
    fn default() -> Self {
        Completion { removed: Vec::new(), requeued: Vec::new(), retry_at_ms: None }
    }
}

/// Limits of the queue (`maxQueueSize`, `maxQueueBytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Most events held.
    pub max_events: usize,
    /// Most wire bytes held.
    pub max_bytes: usize,
    /// Most wire bytes persisted in localStorage (`maxLocalStorageQueueBytes`): the origin's
    /// quota (about 5 MiB) is shared with the site, so the rest of a burst waits in memory.
    pub max_persisted_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits { max_events: 100_000, max_bytes: 64 * 1024 * 1024, max_persisted_bytes: 2 * 1024 * 1024 }
    }
}

/// The FIFO of events and the requests in flight.
#[derive(Debug)]
pub struct OutQueue<W = String> {
    pending: VecDeque<QueuedEvent<W>>,
    /// Requests in flight (a handful at most): id and events.
    in_flight: Vec<(u64, Vec<QueuedEvent<W>>)>,
    in_flight_events: usize,
    bytes: usize,
    next_request_id: u64,
    failures: u32,
    retry_at_ms: i64,
    /// Most events per request while a collector answers 413 to larger batches.
    batch_cap: Option<usize>,
    limits: QueueLimits,
    stats: DeliveryStats,
}

impl<W: Wire> OutQueue<W> {
    /// An empty queue with `limits`.
    pub fn new(limits: QueueLimits) -> Self {
        OutQueue {
            pending: VecDeque::new(),
            in_flight: Vec::new(),
            in_flight_events: 0,
            bytes: 0,
            next_request_id: 0,
            failures: 0,
            retry_at_ms: 0,
            batch_cap: None,
            limits,
            stats: DeliveryStats::default(),
        }
    }

    /// The events waiting (not in flight), oldest first.
    pub fn waiting(&self) -> impl DoubleEndedIterator<Item = &QueuedEvent<W>> {
        self.pending.iter()
    }

    /// Appends an event; returns false (and counts a drop) when the queue is full.
    pub fn push(&mut self, event: QueuedEvent<W>) -> bool {
        if !self.has_room(event.wire.wire_len()) {
            self.stats.dropped += 1;
            return false;
        }
        self.bytes += event.wire.wire_len();
        self.pending.push_back(event);
        true
    }

    /// Events waiting to be sent (not in flight).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Events held, waiting or in flight.
    pub fn len(&self) -> usize {
        self.pending.len() + self.in_flight_events
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The counters.
    pub fn stats(&self) -> DeliveryStats {
        DeliveryStats { queued: self.pending.len(), in_flight: self.in_flight_events, ..self.stats }
    }

    /// When the backoff after a failure ends (epoch ms; 0 when not backing off).
    pub fn retry_at_ms(&self) -> i64 {
        self.retry_at_ms
    }

    /// Ends the backoff now (the browser came back online, or the page is being hidden).
    pub fn retry_now(&mut self) {
        self.retry_at_ms = 0;
    }

    /// The next request: the head of the queue, as much as fits in `max_bytes` (one event per
    /// GET; an event too large for any batch goes alone). `None` when nothing waits, while
    /// backing off after a failure (unless `now_ms` is past it), or when `max_bytes` is
    /// smaller than the head event's request (used for the page-hide `keepalive` budget).
    pub fn next_request(
        &mut self,
        config: &Config,
        now_ms: i64,
        max_bytes: Option<usize>,
    ) -> Option<Request<W>> {
        if now_ms < self.retry_at_ms || self.pending.is_empty() {
            return None;
        }
        let limit = max_bytes.unwrap_or(config.max_post_bytes).min(config.max_post_bytes);
        let (url, size, taken) = match config.method {
            Method::Get => {
                let url = payload::get_url(&config.endpoint(), "", now_ms);
                let size = url.len() + self.pending.front()?.wire.wire_len();
                (url, size, 1)
            }
            Method::Post => {
                let budget = limit.saturating_sub(ENVELOPE_BYTES);
                let mut bytes = 0;
                let fits = self
                    .pending
                    .iter()
                    .take_while(|event| {
                        bytes += payload::post_event_len(event.wire.wire_len());
                        bytes <= budget
                    })
                    .count();
                let fits = fits.min(self.batch_cap.unwrap_or(usize::MAX));
                let count = if fits == 0 && max_bytes.is_none() { 1 } else { fits };
                if count == 0 {
                    return None;
                }
                let size = payload::post_body_len(
                    self.pending.iter().take(count).map(|e| e.wire.wire_len()),
                    now_ms,
                );
                (config.endpoint(), size, count)
            }
        };
        if max_bytes.is_some_and(|max| size > max) {
            return None;
        }
        // Popped one by one: the same work as `drain(..).collect()` without its code in the module.
        let mut events = Vec::with_capacity(taken);
        while events.len() < taken {
            let Some(event) = self.pending.pop_front() else { break };
            events.push(event);
        }
        self.next_request_id += 1;
        let id = self.next_request_id;
        self.in_flight_events += events.len();
        let wires = events.iter().map(|e| e.wire.clone()).collect();
        let request = Request { id, method: config.method, url, stm_ms: now_ms, wires, bytes: size };
        self.in_flight.push((id, events));
        Some(request)
    }

    /// Reports how request `id` ended. Delivered and rejected events leave the queue; failed
    /// ones return to its head and start (or extend) the backoff, whose length `policy`
    /// computes from the number of consecutive failures, `jitter` in [0, 1) and the collector's
    /// `Retry-After` (ms).
    pub fn complete(
        &mut self,
        id: u64,
        outcome: Outcome,
        now_ms: i64,
        policy: &RetryPolicy,
        jitter: f64,
        retry_after_ms: Option<u64>,
    ) -> Completion<W> {
        let Some(events) =
            self.in_flight.iter().position(|(i, _)| *i == id).map(|at| self.in_flight.swap_remove(at).1)
        else {
            return Completion::default();
        };
        self.in_flight_events = self.in_flight_events.saturating_sub(events.len());
        let outcome = match outcome {
            Outcome::TooLarge if events.len() <= 1 => Outcome::Rejected,
            other => other,
        };
        match outcome {
            Outcome::Delivered | Outcome::Rejected => {
                if outcome == Outcome::Delivered {
                    self.stats.sent += events.len() as u64;
                    self.failures = 0;
                    self.retry_at_ms = 0;
                    self.batch_cap = None;
                } else {
                    self.stats.failed += events.len() as u64;
                }
                self.bytes = self.bytes.saturating_sub(events.iter().map(|e| e.wire.wire_len()).sum());
                Completion { removed: events, ..Completion::default() }
            }
            Outcome::TooLarge => {
                self.batch_cap = Some((events.len() / 2).max(1));
                Completion { requeued: self.requeue(events), ..Completion::default() }
            }
            Outcome::Failed => {
                let requeued = self.requeue(events);
                self.failures = self.failures.saturating_add(1);
                let delay = policy.delay_ms(self.failures, jitter, retry_after_ms);
                let at = now_ms.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
                self.retry_at_ms = self.retry_at_ms.max(at);
                Completion { removed: Vec::new(), requeued, retry_at_ms: Some(self.retry_at_ms) }
            }
        }
    }

    /// Puts a request's events back at the head, in order; returns their ids.
    fn requeue(&mut self, events: Vec<QueuedEvent<W>>) -> Vec<String> {
        self.stats.retried += events.len() as u64;
        let ids = events.iter().map(|e| e.event_id.clone()).collect();
        for event in events.into_iter().rev() {
            self.pending.push_front(event);
        }
        ids
    }

    /// Whether another event fits.
    pub fn has_room(&self, wire_bytes: usize) -> bool {
        self.len() < self.limits.max_events && self.bytes + wire_bytes <= self.limits.max_bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(i: usize, size: usize) -> QueuedEvent {
        QueuedEvent {
            event_id: format!("e{i}"),
            wire: format!("{{\"eid\":\"e{i}\",\"x\":\"{}\"", "a".repeat(size)),
            chunk: Some(i as u64),
        }
    }

    fn config(method: Method, max: usize) -> Config {
        let mut c = Config::new("sp", "http://c");
        c.method = method;
        c.max_post_bytes = max;
        c
    }

    fn queue(n: usize, size: usize) -> OutQueue {
        let mut q = OutQueue::new(QueueLimits::default());
        for i in 0..n {
            assert!(q.push(event(i, size)));
        }
        q
    }

    const P: RetryPolicy = RetryPolicy {
        retry_status_codes: Vec::new(),
        dont_retry_status_codes: Vec::new(),
        base_delay_ms: 1000,
        max_delay_ms: 60_000,
    };

    #[test]
    fn batches_fit_max_post_bytes_and_leave_on_success() {
        let mut q = queue(10, 100);
        let c = config(Method::Post, 600);
        let r = q.next_request(&c, 1, None).unwrap();
        let body = r.body().unwrap();
        assert!(body.len() <= 600 && r.bytes == body.len(), "{}", body.len());
        assert!(r.events() >= 2);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"].as_array().unwrap().len(), r.events());
        let second = q.next_request(&c, 1, None).unwrap();
        assert_eq!(q.stats().in_flight, r.events() + second.events());
        let done = q.complete(r.id, Outcome::Delivered, 2, &P, 0.0, None);
        assert_eq!(done.removed.len(), r.events());
        assert_eq!(done.removed[0].chunk, Some(0));
        assert_eq!(q.len(), 10 - r.events());
        assert_eq!(q.stats().sent, r.events() as u64);
    }

    #[test]
    fn oversize_event_goes_alone_and_never_blocks() {
        let mut q = OutQueue::new(QueueLimits::default());
        q.push(event(0, 5000));
        q.push(event(1, 10));
        let c = config(Method::Post, 1000);
        let r = q.next_request(&c, 1, None).unwrap();
        assert_eq!(r.events(), 1);
        assert_eq!(q.next_request(&c, 1, None).unwrap().events(), 1, "the small event is not held up");
    }

    #[test]
    fn failures_requeue_in_order_and_back_off() {
        let mut q = queue(5, 10);
        let c = config(Method::Post, 40_000);
        let a = q.next_request(&c, 0, Some(200)).unwrap();
        let b = q.next_request(&c, 0, None).unwrap();
        let done = q.complete(b.id, Outcome::Failed, 1000, &P, 0.0, None);
        assert_eq!(done.retry_at_ms, Some(1500), "half of the 1 s base with zero jitter");
        q.complete(a.id, Outcome::Failed, 1000, &P, 0.999, Some(3000));
        assert_eq!(q.retry_at_ms(), 4000, "Retry-After wins when longer");
        assert!(q.next_request(&c, 3999, None).is_none());
        let r = q.next_request(&c, 4000, None).unwrap();
        let v: serde_json::Value = serde_json::from_str(&r.body().unwrap()).unwrap();
        let ids: Vec<_> =
            v["data"].as_array().unwrap().iter().map(|e| e["eid"].as_str().unwrap().to_owned()).collect();
        assert_eq!(ids, ["e0", "e1", "e2", "e3", "e4"]);
        assert_eq!(q.stats().retried, 5);
        q.complete(r.id, Outcome::Delivered, 4001, &P, 0.0, None);
        assert_eq!(q.retry_at_ms(), 0);
        assert!(q.is_empty());
    }

    #[test]
    fn too_large_splits_batches_then_drops_a_single_event() {
        let mut q = queue(8, 10);
        let c = config(Method::Post, 40_000);
        let r = q.next_request(&c, 0, None).unwrap();
        assert_eq!(r.events(), 8);
        let done = q.complete(r.id, Outcome::TooLarge, 1, &P, 0.0, None);
        assert_eq!(done.requeued.len(), 8);
        assert_eq!(done.retry_at_ms, None, "a split is retried at once");
        let half = q.next_request(&c, 1, None).unwrap();
        assert_eq!(half.events(), 4);
        q.complete(half.id, Outcome::Delivered, 2, &P, 0.0, None);
        assert_eq!(q.next_request(&c, 2, None).unwrap().events(), 4, "the cap ends with a success");
        let mut single = queue(1, 10);
        let r = single.next_request(&c, 0, None).unwrap();
        let done = single.complete(r.id, Outcome::TooLarge, 1, &P, 0.0, None);
        assert_eq!(done.removed.len(), 1);
        assert!(single.is_empty());
        assert_eq!(single.stats().failed, 1);
    }

    #[test]
    fn rejected_events_are_dropped_and_counted() {
        let mut q = queue(2, 1);
        let c = config(Method::Get, 40_000);
        let r = q.next_request(&c, 7, None).unwrap();
        assert!(r.full_url().starts_with("http://c/i?stm=7&{"));
        assert_eq!(r.events(), 1);
        let done = q.complete(r.id, Outcome::Rejected, 8, &P, 0.0, None);
        assert_eq!(done.removed.len(), 1);
        assert_eq!(q.stats().failed, 1);
        assert_eq!(q.len(), 1);
        assert_eq!(q.complete(99, Outcome::Delivered, 9, &P, 0.0, None), Completion::default());
    }

    #[test]
    fn keepalive_budget_limits_the_batch() {
        let mut q = queue(100, 500);
        let c = config(Method::Post, 40_000);
        let r = q.next_request(&c, 0, Some(10_000)).unwrap();
        assert!(r.bytes <= 10_000);
        assert!(q.next_request(&c, 0, Some(100)).is_none(), "nothing fits in 100 bytes");
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        let mut q = OutQueue::new(QueueLimits { max_events: 2, ..QueueLimits::default() });
        assert!(q.push(event(0, 1)) && q.push(event(1, 1)));
        assert!(!q.push(event(2, 1)));
        assert_eq!(q.stats().dropped, 1);
        let mut q = OutQueue::new(QueueLimits { max_events: 10, max_bytes: 50, ..QueueLimits::default() });
        assert!(q.push(event(0, 10)));
        assert!(!q.push(event(1, 40)));
    }

    #[test]
    fn retry_policy() {
        let mut p = RetryPolicy::default();
        assert_eq!(p.outcome(Some(204)), Outcome::Delivered);
        assert_eq!(p.outcome(Some(422)), Outcome::Rejected);
        assert_eq!(p.outcome(Some(413)), Outcome::TooLarge);
        assert_eq!(p.outcome(Some(500)), Outcome::Failed);
        assert_eq!(p.outcome(Some(429)), Outcome::Failed);
        assert_eq!(p.outcome(None), Outcome::Failed);
        p.retry_status_codes = vec![401];
        p.dont_retry_status_codes = vec![505];
        assert_eq!(p.outcome(Some(401)), Outcome::Failed);
        assert_eq!(p.outcome(Some(505)), Outcome::Rejected);
        let delays: Vec<u64> = (1..=9).map(|a| p.delay_ms(a, 0.999_999, None)).collect();
        assert_eq!(delays, [999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999]);
        assert_eq!(p.delay_ms(1, 0.0, None), 500);
        assert_eq!(p.delay_ms(100, 0.0, None), 30_000);
    }
}
