//! The whole delivery policy as deterministic host tests: each browser delivery scenario of
//! `tests/e2e/delivery.test.mjs` (and more) replayed on the core's state machine, with a fake
//! clock, a fake localStorage shared by the pages of one origin, and a scripted collector
//! ([`snowtrack::engine::sim`], which drives the whole engine; these scenarios track with lifecycle
//! autotracking off, so that the events are exactly the ones each test tracks).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};

use snowtrack::engine::Input;
use snowtrack::engine::config::{Config, Method};
use snowtrack::engine::delivery::{ADOPT_EVERY_MS, DeliveryStats, DropReason, KEEPALIVE_BUDGET, Report};
use snowtrack::engine::event::{Event, StructEvent, TrackOptions};
use snowtrack::engine::sim::{Browser, Fault};

const T0: i64 = 1_700_000_000_000;

/// A tracker configuration for delivery's scenarios: without lifecycle and screen engagement
/// autotracking, so that the events are exactly those a test tracks (`tests/navigation.rs`
/// runs the defaults, lifecycle events included).
fn settings(f: impl FnOnce(&mut Config)) -> Config {
    let mut config = Config::new("sp", "https://collector.example");
    config.lifecycle_autotracking = false;
    config.screen_engagement_autotracking = false;
    f(&mut config);
    config
}

/// How many times each id arrived.
fn counts(ids: &[String]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in ids {
        *counts.entry(id.clone()).or_default() += 1;
    }
    counts
}

/// Asserts the collector accepted exactly `expected`, each once.
fn exactly_once(b: &Browser, expected: &[String]) {
    let accepted = b.collector.accepted();
    let counts = counts(&accepted);
    let want: BTreeSet<_> = expected.iter().cloned().collect();
    let got: BTreeSet<_> = counts.keys().cloned().collect();
    assert_eq!(got, want, "the events accepted");
    assert!(
        counts.values().all(|n| *n == 1),
        "duplicates: {:?}",
        counts.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>()
    );
}

fn failures(b: &Browser, page: usize) -> Vec<(Option<u16>, bool, usize)> {
    b.pages[page]
        .reports
        .iter()
        .filter_map(|r| match r {
            Report::Failed { event_ids, status, will_retry } => Some((*status, *will_retry, event_ids.len())),
            _ => None,
        })
        .collect()
}

#[test]
fn collector_down_for_ten_seconds_then_restarted_every_event_arrives_once() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.retry.max_delay_ms = 2000));
    b.collector.faults.push_back(Fault::Down);
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.extend(b.track(page, 50));
        b.advance(800);
    }
    b.run_until(T0 + 10_000);
    let during = b.stats(page);
    assert_eq!(during.sent, 0);
    assert_eq!(during.queued + during.in_flight, 500);
    assert!(during.retried > 0);
    assert_eq!(b.persisted(), 500, "every undelivered event is persisted");

    b.collector.faults.clear();
    let restarted = b.now;
    assert!(b.settle(15_000), "delivered after the restart");
    assert!(b.now - restarted <= 2_500, "within retryMaxDelay of the restart: {} ms", b.now - restarted);
    exactly_once(&b, &ids);
    let stats = b.stats(page);
    assert_eq!(
        DeliveryStats { retried: 0, ..stats },
        DeliveryStats { queued: 0, in_flight: 0, sent: 500, failed: 0, retried: 0, dropped: 0, filtered: 0 }
    );
    assert!(failures(&b, page).iter().all(|(status, retry, _)| status.is_none() && *retry));
    assert_eq!(b.persisted(), 0, "delivered events leave storage");
}

#[test]
fn a_503_with_retry_after_waits_exactly_that_long() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| {
        c.retry.base_delay_ms = 200;
        c.retry.max_delay_ms = 4000;
    }));
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: Some(2), count: 3 });
    let ids = b.track(page, 100);
    assert!(b.settle(20_000));
    exactly_once(&b, &ids);
    let log = &b.collector.log;
    assert_eq!(b.collector.refused(), 3);
    // Two requests in flight fail together; every later attempt waits Retry-After (2 s, plus at
    // most a tenth of it as jitter), not the 200 ms backoff.
    for pair in log.windows(2) {
        let gap = pair[1].at_ms - pair[0].at_ms;
        assert!(gap == 0 || (2000..=2200).contains(&gap), "attempts {gap} ms apart");
    }
    assert!(log.iter().all(|r| r.request.stm_ms == r.at_ms), "stm is stamped per attempt");
}

#[test]
fn a_503_storm_with_retry_after_one_second_recovers_within_thirty_seconds() {
    // The operator's report: 200 events, 15 x 503 + Retry-After: 1, then 200s. It took 221 s
    // when concurrent failures counted as two backoff steps and the backoff beat Retry-After.
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: Some(1), count: 15 });
    let mut ids = Vec::new();
    for _ in 0..20 {
        ids.extend(b.track(page, 10));
    }
    let first = b.collector.log.first().map(|r| r.at_ms).unwrap_or(b.now);
    assert!(b.settle(60_000));
    exactly_once(&b, &ids);
    let last = b.collector.log.last().unwrap().at_ms;
    assert!(last - first <= 30_000, "all 200 arrived {} ms after the first request", last - first);
    assert_eq!(b.collector.refused(), 15);
}

#[test]
fn concurrent_failures_count_as_one_backoff_step() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.max_post_bytes = 1000));
    b.collector.latency_ms = 50;
    b.collector.faults.push_back(Fault::Status { status: 500, retry_after_s: None, count: 4 });
    b.track(page, 40);
    assert!(b.settle(60_000));
    let refusals: Vec<i64> =
        b.collector.log.iter().filter(|r| r.status == Some(500)).map(|r| r.at_ms - T0).collect();
    assert_eq!(refusals.len(), 4);
    assert_eq!(refusals[0], refusals[1], "two in flight");
    let gap = refusals[2] - refusals[1];
    // One round failed: the first backoff step (0.5–1 s), not the second (1–2 s).
    assert!((500..=1000).contains(&gap), "second round {gap} ms after the first");
    let gap = refusals[3] - refusals[2];
    assert!(gap == 0 || (1000..=2000).contains(&gap), "third round {gap} ms later");
}

#[test]
fn a_page_reloaded_mid_flush_loses_nothing() {
    let mut b = Browser::new(T0);
    let s = settings(|_| {});
    let page = b.open(s.clone());
    // The first two requests (both slots) are held 3 s; the reload aborts them.
    b.collector.faults.push_back(Fault::Delay { ms: 3000, count: 2 });
    let mut ids = b.track(page, 50);
    b.advance(10);
    ids.extend(b.track(page, 50));
    b.advance(10);
    ids.extend(b.track(page, 100));
    let before = b.stats(page);
    assert!(before.in_flight > 0 && before.queued > 0, "{before:?}");
    let again = b.reload(page, s);
    assert!(b.settle(25_000));
    let accepted = b.collector.accepted();
    let counts = counts(&accepted);
    assert_eq!(counts.len(), 200, "no event lost across the reload");
    assert!(counts.values().all(|n| *n <= 2), "none sent more than twice (at least once)");
    assert!(ids.iter().all(|id| counts.contains_key(id)));
    assert_eq!(b.persisted(), 0);
    assert_eq!(b.stats(again).queued, 0);
}

#[test]
fn a_tab_closed_with_events_pending_leaves_them_to_the_next_page() {
    let mut b = Browser::new(T0);
    let s = settings(|c| {
        c.retry.base_delay_ms = 200;
        c.retry.max_delay_ms = 1000;
    });
    let page = b.open(s.clone());
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: None, count: u32::MAX });
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.extend(b.track(page, 40));
    }
    b.advance(1500);
    b.close(page);
    b.advance(1500);
    assert!(b.collector.accepted().is_empty());
    assert_eq!(b.persisted(), 120, "the closed tab left its events in storage");
    b.collector.faults.clear();
    let again = b.open(s);
    assert!(b.settle(20_000));
    exactly_once(&b, &ids);
    assert_eq!(b.stats(again).sent, 120, "the new page adopted and sent them");
    assert_eq!(b.persisted(), 0);
}

#[test]
fn a_tab_still_open_takes_over_a_closed_tabs_events() {
    for web_locks in [true, false] {
        let mut b = Browser::new(T0);
        b.web_locks = web_locks;
        let s = settings(|c| {
            c.retry.base_delay_ms = 200;
            c.retry.max_delay_ms = 1000;
        });
        let page = b.open(s.clone());
        let other = b.open(s);
        b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: None, count: u32::MAX });
        let ids = b.track(page, 60);
        b.advance(500);
        b.close(page);
        b.advance(1500);
        b.collector.faults.clear();
        // The open tab looks every 10 s; without Web Locks the closed tab's heartbeat must be
        // 6 s old first.
        assert!(b.settle(2 * ADOPT_EVERY_MS as i64 + 1000), "web locks {web_locks}");
        exactly_once(&b, &ids);
        assert_eq!(b.stats(other).sent, 60);
        assert_eq!(b.persisted(), 0);
    }
}

#[test]
fn a_live_tab_s_events_are_never_taken_over() {
    for web_locks in [true, false] {
        let mut b = Browser::new(T0);
        b.web_locks = web_locks;
        let s = settings(|_| {});
        let page = b.open(s.clone());
        let other = b.open(s);
        b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: None, count: u32::MAX });
        b.track(page, 10);
        b.advance(3 * ADOPT_EVERY_MS as i64);
        assert_eq!(b.stats(other).queued + b.stats(other).in_flight, 0, "web locks {web_locks}");
        assert_eq!(b.stats(page).queued + b.stats(page).in_flight, 10);
    }
}

#[test]
fn three_tabs_tracking_at_once_deliver_every_event_exactly_once() {
    let mut b = Browser::new(T0);
    b.collector.faults.push_back(Fault::Delay { ms: 150, count: 30 });
    let s = settings(|_| {});
    let pages: Vec<usize> = (0..3).map(|_| b.open(s.clone())).collect();
    let mut ids = Vec::new();
    for round in 0..15 {
        for &page in &pages {
            ids.extend(b.track(page, 20));
            b.advance(7 + round);
        }
    }
    assert!(b.settle(30_000));
    exactly_once(&b, &ids);
    for &page in &pages {
        assert_eq!(b.stats(page), DeliveryStats { sent: 300, ..DeliveryStats::default() });
    }
}

#[test]
fn a_ten_thousand_event_burst_is_delivered_with_bounded_storage_work() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    let ids = b.track_sized(page, 10_000, 400);
    let event_bytes = b.tracked_bytes / ids.len();
    let stores = b.pages[page].stores;
    // One write per 64 KiB chunk, until the 2 MiB persisted cap; the rest waits in memory.
    assert!(stores <= 2 * 1024 * 1024 / (64 * 1024) + 1, "{stores} writes for the burst");
    let persisted_bytes: usize = b.env.storage.values().map(String::len).sum();
    assert!(persisted_bytes <= 2 * 1024 * 1024 + 64 * 1024, "{persisted_bytes} bytes persisted");
    assert!(b.settle(60_000));
    exactly_once(&b, &ids);
    let requests = b.collector.log.len();
    let most = 10_000 * (event_bytes + 1) / 39_000 + 10;
    assert!(requests <= most, "{requests} requests: batches fill maxPostBytes ({event_bytes} B per event)");
    assert_eq!(b.persisted(), 0);
}

#[test]
fn storage_that_refuses_every_write_loses_nothing_in_the_page() {
    let mut b = Browser::new(T0);
    b.storage_refuses = true;
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: None, count: 2 });
    let ids = b.track(page, 30);
    assert!(b.settle(20_000));
    exactly_once(&b, &ids);
    assert!(b.env.storage.is_empty());
}

#[test]
fn a_400_drops_the_batch_and_reports_it_without_retrying() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Status { status: 400, retry_after_s: None, count: 1 });
    let dropped = b.track(page, 5);
    b.advance(10);
    let kept = b.track(page, 5);
    assert!(b.settle(5_000));
    exactly_once(&b, &kept);
    assert_eq!(b.collector.log.len(), 2, "the 400 was not retried");
    assert_eq!(failures(&b, page), [(Some(400), false, 5)]);
    let stats = b.stats(page);
    assert_eq!((stats.failed, stats.sent, stats.retried), (5, 5, 0));
    assert!(dropped.iter().all(|id| !b.collector.accepted().contains(id)));
    assert_eq!(b.persisted(), 0, "dropped events leave storage too");
}

#[test]
fn a_413_halves_the_batch_and_drops_a_single_event() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Status { status: 413, retry_after_s: None, count: 1 });
    let ids = b.track(page, 8);
    assert!(b.settle(5_000));
    exactly_once(&b, &ids);
    let sizes: Vec<usize> = b.collector.log.iter().map(|r| r.event_ids.len()).collect();
    assert_eq!(sizes, [8, 4, 4], "split at once, the cap ends with a success");
    assert_eq!(b.collector.log[1].at_ms, b.collector.log[0].at_ms, "no backoff for a split");

    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Status { status: 413, retry_after_s: None, count: 1 });
    b.track(page, 1);
    assert!(b.settle(5_000));
    assert_eq!(b.stats(page).failed, 1, "a single event too large is dropped");
    assert_eq!(failures(&b, page), [(Some(413), false, 1)]);
}

#[test]
fn hiding_the_page_sends_what_fits_in_the_keepalive_budget_at_once() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.buffer_size = 10_000));
    b.collector.latency_ms = 100;
    let ids = b.track_sized(page, 400, 500); // ~200 KB, held back by bufferSize
    assert!(b.collector.log.is_empty() && b.stats(page).queued == 400);
    b.set_hidden(page, true);
    assert!(b.stats(page).in_flight > 0, "sent at once");
    b.advance(100);
    let bytes: usize = b.collector.log.iter().map(|r| r.request.bytes).sum();
    assert!(b.collector.log.iter().all(|r| r.request.keepalive));
    assert!(bytes <= KEEPALIVE_BUDGET && bytes > KEEPALIVE_BUDGET - 2000, "{bytes} bytes with keepalive");
    // The page stayed: once they are answered, the rest follows without keepalive.
    assert!(b.settle(10_000));
    exactly_once(&b, &ids);
}

#[test]
fn keepalive_requests_unanswered_while_hidden_are_parked_until_visible() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.buffer_size = 100));
    let ids = b.track(page, 20);
    b.collector.faults.push_back(Fault::Down);
    b.set_hidden(page, true);
    b.advance(100);
    let stats = b.stats(page);
    assert_eq!((stats.in_flight, stats.retried), (20, 0), "parked, not resent while hidden");
    assert_eq!(b.collector.log.len(), 1);
    b.advance(30_000);
    assert_eq!(b.collector.log.len(), 1, "nothing resent while hidden");
    b.collector.faults.clear();
    b.set_hidden(page, false);
    assert!(b.settle(5_000));
    exactly_once(&b, &ids);
    assert_eq!(b.stats(page).retried, 20);
}

#[test]
fn flush_settles_true_when_empty_and_false_after_a_failure() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.buffer_size = 100));
    let ticket = b.flush(page).unwrap();
    assert_eq!(b.pages[page].reports.last(), Some(&Report::Flushed { ticket, ok: true }));
    b.track(page, 3);
    assert_eq!(b.collector.log.len(), 0, "bufferSize holds them");
    let ticket = b.flush(page).unwrap();
    assert!(b.settle(1000));
    assert!(b.pages[page].reports.contains(&Report::Flushed { ticket, ok: true }));
    b.collector.faults.push_back(Fault::Down);
    b.track(page, 3);
    let ticket = b.flush(page).unwrap();
    b.advance(1);
    assert!(b.pages[page].reports.contains(&Report::Flushed { ticket, ok: false }));
}

#[test]
fn online_ends_the_backoff() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.retry.base_delay_ms = 30_000));
    b.collector.faults.push_back(Fault::Down);
    let ids = b.track(page, 5);
    b.advance(100);
    b.collector.faults.clear();
    b.advance(1000);
    assert!(b.collector.accepted().is_empty(), "still backing off");
    b.input(page, Input::Online);
    b.advance(1);
    exactly_once(&b, &ids);
}

#[test]
fn a_full_queue_drops_and_reports_events() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| {
        c.queue_limits.max_events = 3;
        c.buffer_size = 100;
    }));
    let ids = b.track(page, 5);
    assert_eq!(b.stats(page).dropped, 2);
    let dropped: Vec<_> = b.pages[page]
        .reports
        .iter()
        .filter_map(|r| match r {
            Report::Dropped { event_id, .. } => Some(event_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(dropped, ids[3..]);
}

#[test]
fn get_sends_one_event_per_request_with_stm_first() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.method = Method::Get));
    let ids = b.track(page, 3);
    assert!(b.settle(1000));
    exactly_once(&b, &ids);
    assert_eq!(b.collector.log.len(), 3);
    let url = b.collector.log[0].request.full_url();
    assert!(url.starts_with(&format!("https://collector.example/i?stm={T0}&")), "{url}");
}

#[test]
fn adoption_stops_when_the_queue_is_full_and_leaves_the_rest_persisted() {
    let mut b = Browser::new(T0);
    let s = settings(|_| {});
    let page = b.open(s.clone());
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: None, count: u32::MAX });
    let ids = b.track(page, 6);
    b.advance(10);
    b.close(page);
    b.collector.faults.clear();
    let small = b.open(settings(|c| {
        c.queue_limits.max_events = 4;
        c.buffer_size = 100;
    }));
    let stats = b.stats(small);
    assert_eq!(stats.queued + stats.in_flight, 4, "took what fits");
    assert_eq!(b.persisted(), 6, "4 re-keyed under the new tab, 2 left under the old key");
    assert!(b.settle(3 * ADOPT_EVERY_MS as i64));
    exactly_once(&b, &ids);
}

/// The queue keys in storage, with their number of events.
fn chunks(b: &Browser) -> Vec<(String, usize)> {
    b.env
        .storage
        .iter()
        .filter(|(k, _)| k.starts_with("snowtrack.q.sp."))
        .map(|(k, v)| (k.clone(), v.lines().count()))
        .collect()
}

#[test]
fn the_events_of_a_task_are_one_chunk_until_all_are_delivered() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.max_post_bytes = 300));
    // Held answers: the first chunk is split over two requests (300-byte bodies).
    b.collector.faults.push_back(Fault::Delay { ms: 100, count: 1 });
    b.collector.faults.push_back(Fault::Delay { ms: 500, count: 1 });
    let first = b.track_sized(page, 3, 80);
    assert_eq!(
        chunks(&b),
        [(format!("snowtrack.q.sp.{}.000000000001", b.pages[page].engine.delivery.tab_id()), 3)]
    );
    b.advance(10);
    b.track(page, 1);
    assert_eq!(chunks(&b).len(), 2, "the next task, the next chunk");
    b.advance(200);
    // One event per request here; the first chunk's second event is held until 500 ms.
    let accepted = b.collector.accepted();
    assert!(accepted.contains(&first[0]) && !accepted.contains(&first[1]) && accepted.contains(&first[2]));
    assert_eq!(chunks(&b).len(), 1, "the second task's chunk is delivered and gone");
    assert_eq!(chunks(&b)[0].1, 3, "the first is kept whole until every one of its events got a 2xx");
    assert!(b.settle(5_000));
    assert!(first.iter().all(|id| b.collector.accepted().contains(id)));
    assert!(chunks(&b).is_empty());
}

#[test]
fn chunks_answered_out_of_order_each_leave_storage_once_done() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Delay { ms: 300, count: 1 });
    b.collector.faults.push_back(Fault::Delay { ms: 100, count: 1 });
    b.track(page, 2);
    b.track(page, 2);
    assert_eq!(chunks(&b).len(), 2);
    b.advance(150);
    let left = chunks(&b);
    assert_eq!(left.len(), 1, "the second chunk left first");
    assert!(left[0].0.ends_with(".000000000001"));
    b.advance(200);
    assert!(chunks(&b).is_empty());
    b.track(page, 1);
    assert!(b.settle(1000), "bookkeeping goes on");
}

#[test]
fn storage_work_per_task_does_not_grow_with_the_queue() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| {
        c.buffer_size = 1_000_000;
        c.queue_limits.max_persisted_bytes = usize::MAX;
    }));
    for _ in 0..5000 {
        b.track(page, 1);
    }
    let before = b.pages[page].stores;
    b.track(page, 1);
    assert_eq!(b.pages[page].stores - before, 1, "one write per task, never a whole-queue rewrite");
    let (before, bytes_before) = (b.pages[page].stores, b.tracked_bytes);
    b.track_sized(page, 500, 1000);
    let writes = b.pages[page].stores - before;
    let burst = b.tracked_bytes - bytes_before;
    assert!(writes as usize <= burst / (60 * 1024) + 1, "{writes} writes for a {burst} B burst in one task");
}

#[test]
fn persisted_bytes_are_capped_and_freed_on_delivery() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| {
        c.queue_limits.max_persisted_bytes = 20_000;
        c.buffer_size = 100;
    }));
    b.track(page, 50);
    assert!((1..50).contains(&b.persisted()), "only what fits in 20,000 bytes: {}", b.persisted());
    assert_eq!(b.stats(page).queued, 50, "the rest waits in memory");
    b.flush(page);
    assert!(b.settle(1000));
    b.track(page, 1);
    assert_eq!(b.persisted(), 1, "delivery frees the room");
}

#[test]
fn a_closed_page_s_leftovers_are_sent_in_tracking_order() {
    let mut b = Browser::new(T0);
    let s = settings(|_| {});
    let page = b.open(s.clone());
    b.collector.faults.push_back(Fault::Down);
    let mut ids = Vec::new();
    for _ in 0..4 {
        ids.extend(b.track(page, 2));
        b.advance(5);
    }
    b.close(page);
    b.collector.faults.clear();
    let again = b.open(s);
    let own = format!("snowtrack.q.sp.{}.", b.pages[again].engine.delivery.tab_id());
    assert!(
        chunks(&b).iter().all(|(k, _)| k.starts_with(&own)),
        "re-keyed under the new tab: {:?}",
        chunks(&b)
    );
    assert!(b.settle(1000));
    assert_eq!(b.collector.accepted(), ids, "every event once, in order");
}

#[test]
fn dropped_events_are_not_persisted() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| {
        c.queue_limits.max_events = 3;
        c.buffer_size = 100;
    }));
    b.track(page, 5);
    assert_eq!(b.persisted(), 3);
}

/// The requests the collector accepted, as (anonymous, event ids).
fn accepted_requests(b: &Browser) -> Vec<(bool, Vec<String>)> {
    b.collector
        .log
        .iter()
        .filter(|r| r.status.is_some_and(|s| (200..300).contains(&s)))
        .map(|r| (r.request.anonymous, r.event_ids.clone()))
        .collect()
}

#[test]
fn anonymous_and_identified_events_never_share_a_request() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    // One task switching modes twice, then a task of each.
    let mut anonymous = BTreeSet::new();
    let mut all = Vec::new();
    for (n, anon) in [(3, false), (4, true), (2, false), (5, true)] {
        let ids = b.track_as(page, n, 40, anon);
        if anon {
            anonymous.extend(ids.iter().cloned());
        }
        all.extend(ids);
    }
    assert!(b.settle(5_000));
    exactly_once(&b, &all);
    for (is_anonymous, ids) in accepted_requests(&b) {
        assert!(ids.iter().all(|id| anonymous.contains(id) == is_anonymous), "{is_anonymous}: {ids:?}");
    }
}

#[test]
fn persisted_anonymous_events_stay_anonymous_when_adopted() {
    let mut b = Browser::new(T0);
    let s = settings(|c| {
        c.retry.base_delay_ms = 200;
        c.retry.max_delay_ms = 1000;
    });
    let page = b.open(s.clone());
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: None, count: u32::MAX });
    let identified = b.track_as(page, 5, 40, false);
    let anonymous = b.track_as(page, 5, 40, true);
    let mixed: Vec<String> = [b.track_as(page, 1, 40, false), b.track_as(page, 1, 40, true)].concat();
    b.advance(1500);
    b.close(page);
    b.collector.faults.clear();
    b.collector.log.clear();
    let again = b.open(s);
    assert!(b.settle(20_000));
    let all: Vec<String> = [identified.clone(), anonymous.clone(), mixed.clone()].concat();
    exactly_once(&b, &all);
    assert_eq!(b.stats(again).sent, 12, "the new page adopted them");
    let anonymous: BTreeSet<&String> = anonymous.iter().chain(mixed.get(1)).collect();
    let requests = accepted_requests(&b);
    assert!(requests.iter().any(|(a, _)| *a) && requests.iter().any(|(a, _)| !*a));
    for (is_anonymous, ids) in requests {
        assert!(ids.iter().all(|id| anonymous.contains(id) == is_anonymous), "{is_anonymous}: {ids:?}");
    }
}

#[test]
fn opting_out_drops_the_waiting_events_and_their_storage() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.retry.base_delay_ms = 1000));
    b.collector.faults.push_back(Fault::Down);
    let ids = b.track(page, 30);
    b.advance(100);
    assert_eq!(b.persisted(), 30);
    b.collector.faults.clear();
    // The user opts out: the opt-out cookie appears, and the next event finds it.
    b.engine(page).unwrap().tracker.set_opt_out_cookie(Some("opted_out".into()));
    b.env.cookies.insert("opted_out".into(), ("1".into(), None));
    assert!(b.track(page, 1).is_empty(), "not tracked");
    assert_eq!(b.persisted(), 0, "their chunks are removed");
    let dropped: Vec<String> = b.pages[page]
        .reports
        .iter()
        .filter_map(|r| match r {
            Report::Dropped { event_id, reason: DropReason::OptedOut } => Some(event_id.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(dropped, ids);
    assert!(b.settle(10_000));
    assert!(b.collector.accepted().is_empty(), "nothing is sent after the opt-out");
    assert_eq!(b.stats(page).dropped, 30);
}

/// Tracks one event in a task of `page`; with `leaving`, as a link click: the page may go at
/// the end of the task ([`snowtrack::engine::delivery::Delivery::expect_unload`]).
fn click(b: &mut Browser, page: usize, leaving: bool) -> String {
    let event =
        Event::Struct(StructEvent { category: "link".into(), action: "click".into(), ..Default::default() });
    let options = TrackOptions::default();
    let input = if leaving { Input::LinkClick { event, options } } else { Input::Track { event, options } };
    b.input(page, input).pop().unwrap()
}

#[test]
fn a_link_click_goes_with_keepalive_and_arrives_although_the_page_navigates_away() {
    // Without the hint the event leaves in a regular request, which the navigation aborts.
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 300;
    let page = b.open(settings(|_| {}));
    click(&mut b, page, false);
    assert!(b.collector.log.is_empty() && b.stats(page).in_flight == 1);
    b.close(page);
    b.advance(1_000);
    assert!(b.collector.accepted().is_empty(), "lost with the page (until another page adopts it)");

    let mut b = Browser::new(T0);
    b.collector.latency_ms = 300;
    let page = b.open(settings(|_| {}));
    let id = click(&mut b, page, true);
    b.close(page);
    b.advance(1_000);
    exactly_once(&b, std::slice::from_ref(&id));
    assert!(b.collector.log.iter().all(|r| r.request.keepalive));
}

#[test]
fn a_link_click_during_a_backoff_waits_for_it_unless_the_page_goes() {
    let mut b = Browser::new(T0);
    let page = b.open(settings(|c| c.retry.base_delay_ms = 30_000));
    b.collector.faults.push_back(Fault::Status { status: 503, retry_after_s: Some(20), count: 1 });
    let mut ids = b.track(page, 20); // one request, refused: 20 s to wait
    b.advance(100);
    assert_eq!(b.collector.refused(), 1);
    let id = click(&mut b, page, true);
    b.advance(1_000);
    assert_eq!(b.collector.log.len(), 1, "Retry-After is respected: nothing sent");
    // The link navigates: the page-hide flush sends what fits, the click among it.
    b.close(page);
    b.advance(100);
    let keepalive: usize =
        b.collector.log.iter().skip(1).filter(|r| r.request.keepalive).map(|r| r.request.bytes).sum();
    assert!(keepalive > 0 && keepalive <= KEEPALIVE_BUDGET, "{keepalive} bytes with keepalive");
    ids.push(id);
    let accepted: BTreeSet<String> = b.collector.accepted().into_iter().collect();
    assert!(ids.iter().all(|id| accepted.contains(id)), "the click and what waited with it arrived");
}

#[test]
fn a_link_click_request_rejected_by_the_navigation_is_parked_not_sent_twice() {
    // The navigation rejects the keepalive fetch's promise (no answer) while the page is still
    // visible; the browser delivers it anyway. Sending again at once would duplicate it.
    let mut b = Browser::new(T0);
    let page = b.open(settings(|_| {}));
    b.collector.faults.push_back(Fault::Down);
    let id = click(&mut b, page, true);
    b.collector.faults.clear();
    b.advance(2_900);
    assert_eq!(b.collector.log.len(), 1, "parked: nothing sent again yet");
    assert_eq!(b.stats(page).in_flight, 1);
    // The page stayed (the navigation did not happen): sent again after PARKED_MS.
    assert!(b.settle(5_000));
    exactly_once(&b, std::slice::from_ref(&id));
}
