//! The out-queue: events waiting for the collector, in tracking order, and the requests in
//! flight. Every per-event operation is O(1) in the queue's length.
//!
//! Events are held in their final wire form (POST JSON without `stm`, or a GET query), so a
//! request is built by concatenation and `stm` is stamped per attempt. The queue only needs a
//! wire's length ([`Wire`]): the text may live outside Rust (a JS string in the browser).

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::payload::{self, ENVELOPE_BYTES, Method};
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
pub struct QueuedEvent<W> {
    /// The event id (`eid`), constant across retries.
    pub event_id: String,
    /// The wire form.
    pub wire: W,
    /// The persisted chunk holding the event (its sequence number), if it is persisted.
    pub chunk: Option<u64>,
    /// Tracked with server anonymisation: sent only with events that also are, with the
    /// `SP-Anonymous` header.
    pub anonymous: bool,
}

/// Limits of the queue (`maxQueueSize`, `maxQueueBytes`, `maxLocalStorageQueueBytes`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueueLimits {
    /// Most events held.
    pub max_events: usize,
    /// Most wire bytes held.
    pub max_bytes: usize,
    /// Most wire bytes persisted in localStorage: the origin's quota (about 5 MiB) is shared
    /// with the site, so the rest of a burst waits in memory.
    pub max_persisted_bytes: usize,
}

impl Default for QueueLimits {
    fn default() -> Self {
        QueueLimits { max_events: 100_000, max_bytes: 64 * 1024 * 1024, max_persisted_bytes: 2 * 1024 * 1024 }
    }
}

/// The events of one request, taken from the head of the queue.
#[derive(Debug)]
pub struct Batch<W> {
    /// The events, in order.
    pub events: Vec<QueuedEvent<W>>,
    /// The URL before the event's query (GET), or the endpoint (POST).
    pub url: String,
    /// Size of the body (POST) or the URL (GET), bytes.
    pub bytes: usize,
    /// Its events were tracked with server anonymisation (all or none of them).
    pub anonymous: bool,
}

/// A request in flight and what the delivery state machine must know when it is answered.
#[derive(Debug)]
pub struct InFlight<W> {
    /// The request id.
    pub id: u64,
    /// Its events.
    pub events: Vec<QueuedEvent<W>>,
    /// Sent with `keepalive` by the page-hide flush (counted against the keepalive budget).
    pub keepalive: bool,
    /// Its size in bytes.
    pub bytes: usize,
    /// The backoff round it was sent in.
    pub round: u64,
    /// When it was sent, epoch ms.
    pub sent_ms: i64,
}

/// The FIFO of events and the requests in flight.
#[derive(Debug)]
pub struct Queue<W> {
    pending: VecDeque<QueuedEvent<W>>,
    in_flight: Vec<InFlight<W>>,
    in_flight_events: usize,
    bytes: usize,
    limits: QueueLimits,
}

impl<W: Wire> Queue<W> {
    /// An empty queue with `limits`.
    pub fn new(limits: QueueLimits) -> Self {
        Queue { pending: VecDeque::new(), in_flight: Vec::new(), in_flight_events: 0, bytes: 0, limits }
    }

    /// The events waiting (not in flight), oldest first.
    pub fn waiting(&self) -> impl DoubleEndedIterator<Item = &QueuedEvent<W>> {
        self.pending.iter()
    }

    /// Whether an event of `wire_bytes` fits.
    pub fn has_room(&self, wire_bytes: usize) -> bool {
        self.len() < self.limits.max_events && self.bytes + wire_bytes <= self.limits.max_bytes
    }

    /// Appends an event that fits ([`Queue::has_room`]).
    pub fn push(&mut self, event: QueuedEvent<W>) {
        self.bytes += event.wire.wire_len();
        self.pending.push_back(event);
    }

    /// Events waiting to be sent (not in flight).
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Events in requests not yet answered.
    pub fn in_flight_events(&self) -> usize {
        self.in_flight_events
    }

    /// Events held, waiting or in flight.
    pub fn len(&self) -> usize {
        self.pending.len() + self.in_flight_events
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Requests in flight that are not `keepalive` ones.
    pub fn regular_in_flight(&self) -> usize {
        self.in_flight.iter().filter(|r| !r.keepalive).count()
    }

    /// The head of the queue for one request: as much as fits in `max_post_bytes` (and
    /// `budget`, when given), at most `cap` events, one event per GET, all tracked with server
    /// anonymisation or all without. An event too large for
    /// any batch goes alone, unless a `budget` is given: then `None` when nothing fits in it.
    pub fn take(
        &mut self,
        method: Method,
        endpoint: &str,
        max_post_bytes: usize,
        cap: Option<usize>,
        budget: Option<usize>,
        stm_ms: i64,
    ) -> Option<Batch<W>> {
        let head = self.pending.front()?;
        let anonymous = head.anonymous;
        let (url, bytes, count) = match method {
            Method::Get => {
                let url = payload::get_url(endpoint, "", stm_ms);
                let bytes = url.len() + head.wire.wire_len();
                (url, bytes, 1)
            }
            Method::Post => {
                let limit = budget.map_or(max_post_bytes, |b| b.min(max_post_bytes));
                let room = limit.saturating_sub(ENVELOPE_BYTES);
                let mut used = 0;
                let fits = self
                    .pending
                    .iter()
                    .take(cap.unwrap_or(usize::MAX))
                    .take_while(|event| {
                        if event.anonymous != anonymous {
                            return false;
                        }
                        used += payload::post_event_len(event.wire.wire_len());
                        used <= room
                    })
                    .count();
                let count = if fits == 0 && budget.is_none() { 1 } else { fits };
                if count == 0 {
                    return None;
                }
                let lens = self.pending.iter().take(count).map(|e| e.wire.wire_len());
                (String::from(endpoint), payload::post_body_len(lens, stm_ms), count)
            }
        };
        if budget.is_some_and(|b| bytes > b) {
            return None;
        }
        // Popped one by one: the same work as `drain(..).collect()` without its code in the module.
        let mut events = Vec::with_capacity(count);
        while events.len() < count {
            let Some(event) = self.pending.pop_front() else { break };
            events.push(event);
        }
        Some(Batch { events, url, bytes, anonymous })
    }

    /// Records a request in flight.
    pub fn sent(&mut self, request: InFlight<W>) {
        self.in_flight_events += request.events.len();
        self.in_flight.push(request);
    }

    /// Takes request `id` out of the in-flight list, when it is there.
    pub fn answered(&mut self, id: u64) -> Option<InFlight<W>> {
        let at = self.in_flight.iter().position(|r| r.id == id)?;
        let request = self.in_flight.swap_remove(at);
        self.in_flight_events = self.in_flight_events.saturating_sub(request.events.len());
        Some(request)
    }

    /// Forgets events that left for good (delivered or dropped).
    pub fn release(&mut self, events: &[QueuedEvent<W>]) {
        let bytes: usize = events.iter().map(|e| e.wire.wire_len()).sum();
        self.bytes = self.bytes.saturating_sub(bytes);
    }

    /// Takes every waiting event out (those in flight stay).
    pub fn take_waiting(&mut self) -> Vec<QueuedEvent<W>> {
        // Popped one by one: neither `Drain` nor `Vec::from` (its rotation) in the module.
        let mut waiting = Vec::with_capacity(self.pending.len());
        while let Some(event) = self.pending.pop_front() {
            waiting.push(event);
        }
        waiting
    }

    /// Puts events back at the head, in their order.
    pub fn requeue(&mut self, events: Vec<QueuedEvent<W>>) {
        for event in events.into_iter().rev() {
            self.pending.push_front(event);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::payload::post_body;

    fn event(i: usize, size: usize) -> QueuedEvent<String> {
        QueuedEvent {
            event_id: format!("e{i}"),
            wire: format!("{{\"eid\":\"e{i}\",\"x\":\"{}\"", "a".repeat(size)),
            chunk: None,
            anonymous: false,
        }
    }

    fn queue(n: usize, size: usize) -> Queue<String> {
        let mut q = Queue::new(QueueLimits::default());
        for i in 0..n {
            q.push(event(i, size));
        }
        q
    }

    #[test]
    fn batches_fit_max_post_bytes() {
        let mut q = queue(10, 100);
        let b = q.take(Method::Post, "http://c/tp2", 600, None, None, 1).unwrap();
        let body = post_body(b.events.iter().map(|e| e.wire.as_str()), 1);
        assert!(body.len() <= 600 && b.bytes == body.len(), "{}", body.len());
        assert!(b.events.len() >= 2);
        assert_eq!(q.pending(), 10 - b.events.len());
    }

    #[test]
    fn an_oversize_event_goes_alone_and_never_blocks() {
        let mut q = Queue::new(QueueLimits::default());
        q.push(event(0, 5000));
        q.push(event(1, 10));
        assert_eq!(q.take(Method::Post, "u", 1000, None, None, 1).unwrap().events.len(), 1);
        assert_eq!(q.take(Method::Post, "u", 1000, None, None, 1).unwrap().events.len(), 1);
    }

    #[test]
    fn a_budget_limits_the_batch_and_a_cap_the_count() {
        let mut q = queue(100, 500);
        let b = q.take(Method::Post, "u", 40_000, None, Some(10_000), 0).unwrap();
        assert!(b.bytes <= 10_000);
        assert!(q.take(Method::Post, "u", 40_000, None, Some(100), 0).is_none(), "nothing fits in 100 bytes");
        assert_eq!(q.take(Method::Post, "u", 40_000, Some(3), None, 0).unwrap().events.len(), 3);
    }

    #[test]
    fn get_takes_one_event_with_stm_first() {
        let mut q = queue(2, 1);
        let b = q.take(Method::Get, "http://c/i", 40_000, None, None, 7).unwrap();
        assert_eq!(b.url, "http://c/i?stm=7&");
        assert_eq!(b.events.len(), 1);
    }

    #[test]
    fn a_batch_never_mixes_anonymous_and_identified_events() {
        let mut q = Queue::new(QueueLimits::default());
        for (i, anonymous) in [false, false, true, true, false].into_iter().enumerate() {
            q.push(QueuedEvent { anonymous, ..event(i, 10) });
        }
        let mut batches = Vec::new();
        while let Some(b) = q.take(Method::Post, "u", 40_000, None, None, 0) {
            assert!(b.events.iter().all(|e| e.anonymous == b.anonymous));
            batches.push((b.anonymous, b.events.len()));
        }
        assert_eq!(batches, [(false, 2), (true, 2), (false, 1)]);
    }

    #[test]
    fn requeued_events_keep_their_order() {
        let mut q = queue(5, 1);
        let a = q.take(Method::Post, "u", 40_000, Some(2), None, 0).unwrap();
        let b = q.take(Method::Post, "u", 40_000, Some(2), None, 0).unwrap();
        q.requeue(b.events);
        q.requeue(a.events);
        let ids: Vec<_> = q.waiting().map(|e| e.event_id.as_str()).collect();
        assert_eq!(ids, ["e0", "e1", "e2", "e3", "e4"]);
    }

    #[test]
    fn limits() {
        let mut q = Queue::new(QueueLimits { max_events: 2, ..QueueLimits::default() });
        q.push(event(0, 1));
        q.push(event(1, 1));
        assert!(!q.has_room(1));
        let q = Queue::<String>::new(QueueLimits { max_events: 10, max_bytes: 50, ..QueueLimits::default() });
        assert!(q.has_room(50) && !q.has_room(51));
    }
}
