//! Bounded in-memory event storage (newest first) with Micro's filters and running counts.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::Deserialize;

use crate::model::{BadEvent, GoodEvent};

/// A stored event.
#[derive(Debug, Clone)]
pub enum Stored {
    /// A valid event.
    Good(Arc<GoodEvent>),
    /// An invalid event or payload.
    Bad(Arc<BadEvent>),
}

/// Micro's `/micro/all` answer (`ValidationSummary`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Summary {
    /// Events received since the last reset.
    pub total: u64,
    /// Good events received since the last reset.
    pub good: u64,
    /// Bad events received since the last reset.
    pub bad: u64,
}

/// `POST /micro/good` filters (Micro's `FiltersGood`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct GoodFilters {
    /// Enriched event type (`page_view`, `unstruct`, …).
    pub event_type: Option<String>,
    /// Event schema URI (`iglu:…`).
    pub schema: Option<String>,
    /// Entity schema URIs that must all be attached.
    pub contexts: Option<Vec<String>>,
    /// Keep only the most recent N.
    pub limit: Option<usize>,
}

/// `POST /micro/bad` filters (Micro's `FiltersBad`).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BadFilters {
    /// Collector API vendor.
    pub vendor: Option<String>,
    /// Collector API version.
    pub version: Option<String>,
    /// Keep only the most recent N.
    pub limit: Option<usize>,
}

impl GoodFilters {
    fn keep(&self, e: &GoodEvent) -> bool {
        self.event_type.as_ref().is_none_or(|t| e.event_type.as_ref() == Some(t))
            && self.schema.as_ref().is_none_or(|s| e.schema.as_ref() == Some(s))
            && self.contexts.as_ref().is_none_or(|cs| cs.iter().all(|c| e.contexts.contains(c)))
    }
}

impl BadFilters {
    fn keep(&self, e: &BadEvent) -> bool {
        let Some(payload) = &e.collector_payload else { return true };
        self.vendor.as_ref().is_none_or(|v| &payload.api.vendor == v)
            && self.version.as_ref().is_none_or(|v| &payload.api.version == v)
    }
}

/// The ring of the most recent events plus counts since the last reset.
#[derive(Debug)]
pub struct Store {
    ring: VecDeque<(u64, Stored)>,
    capacity: usize,
    summary: Summary,
    next_seq: u64,
    generation: u64,
}

impl Store {
    /// A store keeping at most `capacity` events (at least 1).
    pub fn new(capacity: usize) -> Store {
        let capacity = capacity.max(1);
        Store {
            ring: VecDeque::with_capacity(capacity.min(1 << 16)),
            capacity,
            summary: Summary::default(),
            next_seq: 1,
            generation: 1,
        }
    }

    /// Adds an event, evicting the oldest when full; returns its sequence number.
    pub fn push(&mut self, item: Stored) -> u64 {
        self.summary.total += 1;
        match &item {
            Stored::Good(_) => self.summary.good += 1,
            Stored::Bad(_) => self.summary.bad += 1,
        }
        if self.ring.len() >= self.capacity {
            self.ring.pop_front();
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.ring.push_back((seq, item));
        seq
    }

    /// Counts since the last reset (they include events evicted from the ring).
    pub fn summary(&self) -> Summary {
        self.summary
    }

    /// Good events, newest first, filtered.
    pub fn good(&self, f: &GoodFilters) -> Vec<Arc<GoodEvent>> {
        let it = self.ring.iter().rev().filter_map(|(_, s)| match s {
            Stored::Good(g) if f.keep(g) => Some(Arc::clone(g)),
            _ => None,
        });
        it.take(f.limit.unwrap_or(usize::MAX)).collect()
    }

    /// Bad events, newest first, filtered.
    pub fn bad(&self, f: &BadFilters) -> Vec<Arc<BadEvent>> {
        let it = self.ring.iter().rev().filter_map(|(_, s)| match s {
            Stored::Bad(b) if f.keep(b) => Some(Arc::clone(b)),
            _ => None,
        });
        it.take(f.limit.unwrap_or(usize::MAX)).collect()
    }

    /// Events with a sequence number above `after`, oldest first, at most `max`.
    pub fn since(&self, after: u64, max: usize) -> Vec<(u64, Stored)> {
        let start = self.ring.partition_point(|(seq, _)| *seq <= after);
        let skip = (self.ring.len() - start).saturating_sub(max);
        self.ring.iter().skip(start + skip).cloned().collect()
    }

    /// The `eid` parameter of every event in the ring, oldest first (`None` when a bad event has
    /// none, e.g. an unreadable payload).
    pub fn event_ids(&self) -> Vec<Option<&str>> {
        self.ring
            .iter()
            .map(|(_, s)| match s {
                Stored::Good(g) => g.raw_event.parameters.get("eid"),
                Stored::Bad(b) => b.raw_event.as_ref().and_then(|r| r.parameters.get("eid")),
            })
            .collect()
    }

    /// Changes on every reset, so pollers know to start over.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Forgets everything.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.summary = Summary::default();
        self.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::atomic::AtomicEvent;
    use crate::model::{Api, CollectorPayload, Context, Params, RawEvent, Source};

    fn ctx() -> Context {
        Context {
            timestamp: "t".into(),
            ip_address: None,
            useragent: None,
            referer_uri: None,
            headers: vec![],
            user_id: None,
        }
    }

    fn good(t: &str, schema: &str, contexts: &[&str]) -> Stored {
        Stored::Good(Arc::new(GoodEvent {
            raw_event: RawEvent {
                api: Api::tp2(),
                parameters: Params::default(),
                content_type: None,
                source: Source { name: "c".into(), encoding: "UTF-8".into(), hostname: None },
                context: ctx(),
            },
            event_type: Some(t.into()),
            schema: Some(schema.into()),
            contexts: contexts.iter().map(|s| (*s).to_owned()).collect(),
            event: AtomicEvent::default(),
            incomplete: false,
        }))
    }

    fn bad(version: &str) -> Stored {
        Stored::Bad(Arc::new(BadEvent {
            collector_payload: Some(Arc::new(CollectorPayload {
                api: Api { vendor: "com.snowplowanalytics.snowplow".into(), version: version.into() },
                querystring: vec![],
                content_type: None,
                body: None,
                source: Source { name: "c".into(), encoding: "UTF-8".into(), hostname: None },
                context: ctx(),
            })),
            raw_event: None,
            errors: vec![],
            messages: vec![],
        }))
    }

    #[test]
    fn filters_and_order() {
        let mut s = Store::new(100);
        s.push(good("page_view", "iglu:a/pv/jsonschema/1-0-0", &["iglu:a/c1/jsonschema/1-0-0"]));
        s.push(good(
            "unstruct",
            "iglu:a/sv/jsonschema/1-0-0",
            &["iglu:a/c1/jsonschema/1-0-0", "iglu:a/c2/jsonschema/1-0-0"],
        ));
        s.push(good("unstruct", "iglu:a/x/jsonschema/1-0-0", &[]));
        s.push(bad("tp2"));
        s.push(bad("tp1"));
        assert_eq!(s.summary(), Summary { total: 5, good: 3, bad: 2 });
        let all = s.good(&GoodFilters::default());
        assert_eq!(all[0].schema.as_deref(), Some("iglu:a/x/jsonschema/1-0-0"), "newest first");
        let f = |t: Option<&str>, sc: Option<&str>, cs: Option<Vec<&str>>, l: Option<usize>| GoodFilters {
            event_type: t.map(Into::into),
            schema: sc.map(Into::into),
            contexts: cs.map(|c| c.into_iter().map(Into::into).collect()),
            limit: l,
        };
        assert_eq!(s.good(&f(Some("unstruct"), None, None, None)).len(), 2);
        assert_eq!(
            s.good(&f(Some("unstruct"), None, None, Some(1)))[0].schema.as_deref(),
            Some("iglu:a/x/jsonschema/1-0-0")
        );
        assert_eq!(s.good(&f(None, Some("iglu:a/pv/jsonschema/1-0-0"), None, None)).len(), 1);
        assert_eq!(s.good(&f(None, None, Some(vec!["iglu:a/c1/jsonschema/1-0-0"]), None)).len(), 2);
        assert_eq!(
            s.good(&f(
                None,
                None,
                Some(vec!["iglu:a/c1/jsonschema/1-0-0", "iglu:a/c2/jsonschema/1-0-0"]),
                None
            ))
            .len(),
            1
        );
        let bf = |v: Option<&str>| BadFilters { vendor: None, version: v.map(Into::into), limit: None };
        assert_eq!(s.bad(&bf(Some("tp1"))).len(), 1);
        assert_eq!(s.bad(&bf(None)).len(), 2);
        assert_eq!(s.since(3, 10).len(), 2);
        assert_eq!(s.since(0, 2).len(), 2);
        s.reset();
        assert_eq!(s.summary(), Summary::default());
        assert!(s.good(&GoodFilters::default()).is_empty());
        assert_eq!(s.generation(), 2);
    }

    #[test]
    fn ring_is_bounded() {
        let mut s = Store::new(3);
        for _ in 0..10 {
            s.push(bad("tp2"));
        }
        assert_eq!(s.bad(&BadFilters::default()).len(), 3);
        assert_eq!(s.summary().total, 10);
        assert_eq!(s.since(0, 100).first().map(|(seq, _)| *seq), Some(8));
    }
}
