//! Keepalive marks: how a page that may be going tells the page that takes over its events
//! which of them it already sent.
//!
//! A `keepalive` request (the page-hide flush, a link click's request) outlives its page, but
//! the page rarely lives to hear the answer, so the events stay in its chunks and the next page
//! adopts them. Sending them again delivered every leaving page's last events twice. So before
//! such a request leaves, the page writes a *mark* under `snowtrack.k.<namespace>.<tab>.<id>`:
//! the send time, then the events' ids, one per line. The mark goes when the page hears the
//! answer (or, while hidden, a failure: the browser refused the request or the collector is
//! down, so nothing arrived).
//!
//! A page whose last request failed (the collector is down or erring) marks nothing: its
//! keepalive request most likely fails too, and the events are sent again.
//!
//! The page that adopts marked events lets the collector decide: the first request to the same
//! collector sent at or after the mark (within [`MARK_TRUST_MS`]) that reaches it proves the
//! collector was up when the keepalive request left, so the marked events count as delivered; a
//! first request that fails, or none within the window, sends them again. Until the verdict is
//! known the chunks holding marked events stay where they are: a page looks for leftovers again
//! once its first request is answered (and every [`ADOPT_EVERY_MS`](super::ADOPT_EVERY_MS)). The
//! trade-off: a keepalive request lost on the way while the collector was up loses its events; a
//! collector that came back up within the window after refusing the keepalive request loses them
//! too. Both need a failure inside a window of seconds; the alternative duplicated every leaving
//! page's last events.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::id_cookie::parse_int;
use crate::engine::util::text::{concat, push_uint};

/// How long after a keepalive request's mark the first answered request may come and still
/// vouch for it.
pub const MARK_TRUST_MS: i64 = 10_000;

/// Requests whose outcome is remembered (only the first after a mark counts).
const OUTCOMES_KEPT: usize = 8;

/// Prefix of the marks of tracker `namespace`: `snowtrack.k.<namespace>.`.
pub fn mark_key_prefix(namespace: &str) -> String {
    concat(&["snowtrack.k.", namespace, "."])
}

/// The key of the mark of request `id` of tab `tab_id`.
pub fn mark_key(prefix: &str, tab_id: &str, id: u64) -> String {
    let mut key = concat(&[prefix, tab_id, "."]);
    push_uint(&mut key, id, 1);
    key
}

/// A mark's text: the send time, then the event ids, each line ended by `\n`.
pub fn mark_text<'a>(sent_ms: i64, event_ids: impl Iterator<Item = &'a str>) -> String {
    let mut text = String::new();
    push_uint(&mut text, u64::try_from(sent_ms).unwrap_or(0), 1);
    text.push('\n');
    for id in event_ids {
        text.push_str(id);
        text.push('\n');
    }
    text
}

/// When a mark's request left (its first line), epoch ms; `None` when the text is not a mark.
pub fn mark_sent_ms(text: &str) -> Option<i64> {
    parse_int(text.split('\n').next()?)
}

/// Whether a mark's text names the event `event_id` (one of its lines after the first).
pub fn mark_names(text: &str, event_id: &str) -> bool {
    !event_id.is_empty() && text.split('\n').skip(1).any(|line| line == event_id)
}

/// What the requests sent since a mark say about its keepalive request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The first request after it reached the collector in time: it was delivered.
    Delivered,
    /// The first request after it failed, or none came in time: send its events again.
    SendAgain,
    /// No request after it was answered yet, and there is still time.
    Wait,
}

/// The outcomes of this page's last requests: when each was sent and whether it reached the
/// collector (a small ring: only the first after a mark counts).
#[derive(Debug, Default)]
pub struct Outcomes {
    recent: [(i64, bool); OUTCOMES_KEPT],
    count: usize,
}

impl Outcomes {
    /// Records that a request sent at `sent_ms` reached the collector (`reached`) or not.
    pub fn record(&mut self, sent_ms: i64, reached: bool) {
        if let Some(slot) = self.recent.get_mut(self.count % OUTCOMES_KEPT) {
            *slot = (sent_ms, reached);
        }
        self.count += 1;
    }

    /// The outcomes kept.
    fn kept(&self) -> &[(i64, bool)] {
        self.recent.get(..self.count.min(OUTCOMES_KEPT)).unwrap_or_default()
    }

    /// Whether the last request answered reached the collector (`None`: none answered yet).
    pub fn last_reached(&self) -> Option<bool> {
        let last = self.count.checked_sub(1)?;
        self.recent.get(last % OUTCOMES_KEPT).map(|(_, reached)| *reached)
    }

    /// The verdict on a keepalive request marked at `mark_ms`, at `now_ms`.
    pub fn verdict(&self, mark_ms: i64, now_ms: i64) -> Verdict {
        let first = self.kept().iter().filter(|(sent, _)| *sent >= mark_ms).min_by_key(|(sent, _)| *sent);
        match first {
            Some((sent, true)) if *sent <= mark_ms.saturating_add(MARK_TRUST_MS) => Verdict::Delivered,
            Some(_) => Verdict::SendAgain,
            None if now_ms > mark_ms.saturating_add(MARK_TRUST_MS) => Verdict::SendAgain,
            None => Verdict::Wait,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mark_reads_back() {
        let text = mark_text(1_700_000_000_123, ["a", "b"].into_iter());
        assert_eq!(text, "1700000000123\na\nb\n");
        assert_eq!(mark_sent_ms(&text), Some(1_700_000_000_123));
        assert!(mark_names(&text, "a") && mark_names(&text, "b"));
        assert!(!mark_names(&text, "1700000000123") && !mark_names(&text, "c") && !mark_names(&text, ""));
        assert_eq!(mark_sent_ms("not a time\na\n"), None);
        assert_eq!(mark_key(&mark_key_prefix("sp"), "tab1", 7), "snowtrack.k.sp.tab1.7");
    }

    #[test]
    fn only_the_last_outcomes_are_kept() {
        let mut o = Outcomes::default();
        for i in 0..20 {
            o.record(i * 100, i % 2 == 0);
        }
        assert_eq!(o.last_reached(), Some(false));
        assert_eq!(o.kept().len(), OUTCOMES_KEPT);
        assert_eq!(o.verdict(1200, 1300), Verdict::Delivered, "the request sent at 1200 reached it");
        assert_eq!(o.verdict(1250, 1300), Verdict::SendAgain, "the one sent at 1300 did not");
    }

    #[test]
    fn the_first_request_after_the_mark_decides() {
        let mut o = Outcomes::default();
        assert_eq!(o.verdict(1000, 1000), Verdict::Wait);
        assert_eq!(o.verdict(1000, 1000 + MARK_TRUST_MS + 1), Verdict::SendAgain);
        o.record(900, false);
        assert_eq!(o.verdict(1000, 1500), Verdict::Wait, "a request sent before the mark says nothing");
        o.record(1200, true);
        o.record(1300, false);
        assert_eq!(o.verdict(1000, 1500), Verdict::Delivered);
        assert_eq!(o.verdict(1250, 1500), Verdict::SendAgain);
        let mut late = Outcomes::default();
        late.record(1000 + MARK_TRUST_MS + 1, true);
        assert_eq!(late.verdict(1000, 1000 + MARK_TRUST_MS + 2), Verdict::SendAgain, "too late to vouch");
    }
}
