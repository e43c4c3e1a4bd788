//! Persisted chunks: how queued events are kept in localStorage until delivered.
//!
//! The events tracked in one task form one chunk, written with one `setItem` at the end of the
//! task under `snowtrack.q.<namespace>.<tab>.<seq>` (their wire forms, each followed by `\n`: no
//! wire form holds a raw newline), at most [`CHUNK_MAX_BYTES`] each. Events tracked with server
//! anonymisation go in chunks of their own, whose keys end in [`ANONYMOUS_SUFFIX`], so that a
//! page adopting them still sends them with the `SP-Anonymous` header and apart from the others. A chunk's key is removed once
//! none of its events is left in the queue. This module keeps the bookkeeping: which chunk is
//! still to be written, how many of each chunk's events are left, and how many bytes are
//! persisted in all.

use crate::engine::util::text::{concat, find, push_uint};
#[allow(unused_imports)]
use crate::prelude::*;

/// A chunk grows to this many bytes at most (one event larger than this is a chunk of its own):
/// large enough that one `setItem` carries many events of a burst, small enough that removing it
/// stays cheap.
pub const CHUNK_MAX_BYTES: usize = 64 * 1024;

/// The end of the key of a chunk of events tracked with server anonymisation.
pub const ANONYMOUS_SUFFIX: &str = ".a";

/// Whether a chunk's key is one of events tracked with server anonymisation.
pub fn is_anonymous_key(key: &str) -> bool {
    key.ends_with(ANONYMOUS_SUFFIX)
}

/// Prefix of the keys of queued events: `snowtrack.q.<namespace>.`.
pub fn queue_key_prefix(namespace: &str) -> String {
    concat(&["snowtrack.q.", namespace, "."])
}

/// The tab id in a queue key made with [`queue_key_prefix`].
pub fn queue_key_tab<'a>(prefix: &str, key: &'a str) -> Option<&'a str> {
    key.strip_prefix(prefix)?.split('.').next()
}

/// The events of a chunk's text, in order.
pub fn chunk_events(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').filter(|line| !line.is_empty())
}

/// The `eid` of an event in wire form (POST JSON or GET query), found without parsing it all.
pub fn event_id_of(wire: &str) -> Option<&str> {
    let after = |needle: &str| find(wire, needle).and_then(|at| wire.get(at + needle.len()..));
    let rest = after("\"eid\":\"").or_else(|| after("eid="))?;
    rest.split(['"', '&']).next()
}

/// The chunk of the current task, written at its end.
#[derive(Debug, Clone, Copy)]
pub struct PendingChunk {
    /// Its sequence number.
    pub seq: u64,
    /// Events queued since the chunk began (persisted in it or not): the chunk's events are
    /// among the last `span` waiting ones.
    pub span: usize,
    /// Its events were tracked with server anonymisation.
    pub anonymous: bool,
}

/// A written (or pending) chunk: how many of its events are still queued, and their bytes.
#[derive(Debug, Clone, Copy)]
struct ChunkRefs {
    seq: u64,
    events: usize,
    bytes: usize,
    anonymous: bool,
}

/// What became of a chunk whose last event left the queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// Its key must be removed.
    Remove(String),
    /// It was never written: nothing to remove.
    Unwritten,
}

/// The chunk bookkeeping of one tracker in one page.
#[derive(Debug)]
pub struct Chunks {
    prefix: String,
    tab_id: String,
    max_persisted_bytes: usize,
    next_seq: u64,
    persisted_bytes: usize,
    pending: Option<PendingChunk>,
    /// Chunks in `seq` order from `head`; finished ones (no events left) at the front are
    /// skipped, and dropped once they are half of the list (amortized O(1)).
    refs: Vec<ChunkRefs>,
    head: usize,
}

impl Chunks {
    /// Bookkeeping for the chunks of tab `tab_id` under `prefix`, persisting at most
    /// `max_persisted_bytes` of wire text.
    pub fn new(prefix: String, tab_id: String, max_persisted_bytes: usize) -> Self {
        Chunks {
            prefix,
            tab_id,
            max_persisted_bytes,
            next_seq: 0,
            persisted_bytes: 0,
            pending: None,
            refs: Vec::new(),
            head: 0,
        }
    }

    /// The key prefix of this tracker's chunks, every tab's.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// This page's tab id.
    pub fn tab_id(&self) -> &str {
        &self.tab_id
    }

    /// Wire bytes persisted (or to be written with the pending chunk).
    pub fn persisted_bytes(&self) -> usize {
        self.persisted_bytes
    }

    /// The storage key of this tab's chunk `seq`: `<prefix><tab id>.<seq>`, followed by
    /// [`ANONYMOUS_SUFFIX`] for a chunk of anonymous events.
    pub fn key(&self, seq: u64) -> String {
        let mut key = concat(&[&self.prefix, &self.tab_id, "."]);
        push_uint(&mut key, seq, 12);
        if self.refs_of(seq).is_some_and(|r| r.anonymous) {
            key.push_str(ANONYMOUS_SUFFIX);
        }
        key
    }

    /// Whether a key is another tab's.
    pub fn is_foreign(&self, key: &str) -> bool {
        queue_key_tab(&self.prefix, key).is_some_and(|tab| tab != self.tab_id)
    }

    /// Whether an event of `size` bytes (`anonymous` or not) cannot join the pending chunk (it
    /// would be too large, or it holds the other kind of events), so the pending chunk must be
    /// written first.
    pub fn pending_is_full(&self, size: usize, anonymous: bool) -> bool {
        self.pending.is_some_and(|p| p.anonymous != anonymous)
            || self
                .pending
                .and_then(|p| self.refs_of(p.seq))
                .is_some_and(|r| r.bytes + size >= CHUNK_MAX_BYTES)
    }

    /// Counts a newly queued event of `size` bytes: it joins the pending chunk (begun if
    /// needed, for `anonymous` events or not) when `persist` and there is room left in the
    /// persisted bytes; returns the chunk.
    pub fn add(&mut self, size: usize, persist: bool, anonymous: bool) -> Option<u64> {
        let room = self.persisted_bytes + size <= self.max_persisted_bytes;
        let seq = if persist && room {
            let seq = match self.pending {
                Some(chunk) => chunk.seq,
                None => {
                    self.next_seq += 1;
                    self.refs.push(ChunkRefs { seq: self.next_seq, events: 0, bytes: 0, anonymous });
                    self.pending = Some(PendingChunk { seq: self.next_seq, span: 0, anonymous });
                    self.next_seq
                }
            };
            if let Some(refs) = self.refs.last_mut() {
                refs.events += 1;
                refs.bytes += size;
            }
            self.persisted_bytes += size;
            Some(seq)
        } else {
            None
        };
        if let Some(chunk) = &mut self.pending {
            chunk.span += 1;
        }
        seq
    }

    /// Takes the pending chunk to write it, when it holds events.
    pub fn take_pending(&mut self) -> Option<PendingChunk> {
        let chunk = self.pending.take()?;
        let written = self.refs_of(chunk.seq).is_some_and(|r| r.events > 0);
        self.pop_finished();
        written.then_some(chunk)
    }

    /// Storage refused chunk `seq`: its events live in memory only.
    pub fn refused(&mut self, seq: u64) {
        if let Some(refs) = self.refs_mut(seq) {
            let bytes = refs.bytes;
            *refs = ChunkRefs { seq, events: 0, bytes: 0, anonymous: refs.anonymous };
            self.persisted_bytes = self.persisted_bytes.saturating_sub(bytes);
        }
        self.pop_finished();
    }

    /// An event of chunk `seq` (`size` bytes) left the queue for good; returns what to do when
    /// it was the chunk's last.
    pub fn release(&mut self, seq: u64, size: usize) -> Option<Finished> {
        let refs = self.refs_mut(seq)?;
        if refs.events == 0 {
            return None; // refused by storage: nothing persisted
        }
        refs.events -= 1;
        refs.bytes = refs.bytes.saturating_sub(size);
        let finished = refs.events == 0;
        self.persisted_bytes = self.persisted_bytes.saturating_sub(size);
        if !finished {
            return None;
        }
        let done = if self.pending.is_some_and(|c| c.seq == seq) {
            self.pending = None;
            Finished::Unwritten
        } else {
            Finished::Remove(self.key(seq))
        };
        self.pop_finished();
        Some(done)
    }

    fn refs_of(&self, seq: u64) -> Option<&ChunkRefs> {
        let live = self.refs.get(self.head..)?;
        live.get(live.binary_search_by_key(&seq, |c| c.seq).ok()?)
    }

    fn refs_mut(&mut self, seq: u64) -> Option<&mut ChunkRefs> {
        let live = self.refs.get_mut(self.head..)?;
        let at = live.binary_search_by_key(&seq, |c| c.seq).ok()?;
        live.get_mut(at)
    }

    fn pop_finished(&mut self) {
        let pending = self.pending.map(|p| p.seq);
        while self.refs.get(self.head).is_some_and(|c| c.events == 0 && Some(c.seq) != pending) {
            self.head += 1;
        }
        if self.head > 0 && self.head * 2 >= self.refs.len() {
            self.refs = self.refs.split_off(self.head.min(self.refs.len()));
            self.head = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_event_ids() {
        let c = Chunks::new(queue_key_prefix("sp"), "tab-1".into(), 1000);
        assert_eq!(c.key(7), "snowtrack.q.sp.tab-1.000000000007");
        assert!(c.is_foreign("snowtrack.q.sp.tab-2.000000000001"));
        assert!(!c.is_foreign("snowtrack.q.sp.tab-1.000000000001"));
        assert!(!c.is_foreign("snowtrack.q.other.tab-2.000000000001"));
        assert_eq!(event_id_of(r#"{"e":"pv","eid":"abc","tv":"x""#), Some("abc"));
        assert_eq!(event_id_of("e=pv&eid=abc&tv=x"), Some("abc"));
        assert_eq!(event_id_of("e=pv"), None);
        assert_eq!(chunk_events("a\n\nb\n").collect::<Vec<_>>(), ["a", "b"]);
    }

    #[test]
    fn a_chunk_is_removed_when_its_last_event_leaves() {
        let mut c = Chunks::new(queue_key_prefix("sp"), "t".into(), 1000);
        assert_eq!(c.add(10, true, false), Some(1));
        assert_eq!(c.add(10, true, false), Some(1));
        assert_eq!(c.take_pending().map(|p| (p.seq, p.span)), Some((1, 2)));
        assert_eq!(c.release(1, 10), None);
        assert_eq!(c.release(1, 10), Some(Finished::Remove(c.key(1))));
        assert_eq!(c.persisted_bytes(), 0);
    }

    #[test]
    fn persisted_bytes_are_capped_and_refusals_free_them() {
        let mut c = Chunks::new(queue_key_prefix("sp"), "t".into(), 25);
        assert_eq!(c.add(10, true, false), Some(1));
        assert_eq!(c.add(10, true, false), Some(1));
        assert_eq!(c.add(10, true, false), None, "over the cap: in memory only");
        assert_eq!(c.persisted_bytes(), 20);
        let pending = c.take_pending().unwrap();
        assert_eq!(pending.span, 3);
        c.refused(pending.seq);
        assert_eq!(c.persisted_bytes(), 0);
        assert_eq!(c.release(1, 10), None);
        assert_eq!(c.add(10, false, false), None, "not persisting");
    }

    #[test]
    fn anonymous_events_get_chunks_of_their_own() {
        let mut c = Chunks::new(queue_key_prefix("sp"), "t".into(), 1000);
        assert_eq!(c.add(10, true, false), Some(1));
        assert!(c.pending_is_full(10, true), "an anonymous event does not join");
        assert!(!c.pending_is_full(10, false));
        c.take_pending();
        assert_eq!(c.add(10, true, true), Some(2));
        assert_eq!(c.key(2), "snowtrack.q.sp.t.000000000002.a");
        assert!(is_anonymous_key(&c.key(2)) && !is_anonymous_key(&c.key(1)));
        assert_eq!(queue_key_tab(c.prefix(), &c.key(2)), Some("t"));
        c.take_pending();
        assert_eq!(c.release(2, 10), Some(Finished::Remove("snowtrack.q.sp.t.000000000002.a".into())));
    }

    #[test]
    fn an_unwritten_chunk_delivered_needs_no_removal() {
        let mut c = Chunks::new(queue_key_prefix("sp"), "t".into(), 1000);
        c.add(10, true, false);
        assert_eq!(c.release(1, 10), Some(Finished::Unwritten));
        assert!(c.take_pending().is_none());
    }
}
