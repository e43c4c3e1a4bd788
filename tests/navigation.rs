//! Pages that come and go, on the fake browser ([`snowtrack::engine::delivery::sim`]): a leaving
//! page's last events go with `keepalive` and arrive, and the page that takes over its storage
//! must neither send them a second time nor lose one (keepalive marks, `core::delivery::marks`).
//! Navigation by links and reloads, tab close, the back/forward cache, several tabs, a collector
//! down while pages change, a browser refusing keepalive requests, and chunks left by the
//! previous build.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use snowtrack::engine::config::Config;
use snowtrack::engine::delivery::marks::MARK_TRUST_MS;
use snowtrack::engine::delivery::sim::{Browser, Fault};
use snowtrack::engine::delivery::{ADOPT_EVERY_MS, SendSettings};

const T0: i64 = 1_700_000_000_000;

fn settings() -> SendSettings {
    Config::new("sp", "https://collector.example").send_settings()
}

/// How many times the collector accepted each event.
fn counts(b: &Browser) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for id in b.collector.accepted() {
        *counts.entry(id).or_default() += 1;
    }
    counts
}

/// Every id of `ids` accepted exactly once, nothing else accepted.
fn exactly_once(b: &Browser, ids: &[String]) {
    let counts = counts(b);
    let missing: Vec<_> = ids.iter().filter(|id| !counts.contains_key(*id)).collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "delivered more than once: {twice:?}");
    assert_eq!(counts.len(), ids.len(), "only these events");
}

/// Storage keys left of snowtrack's queue and marks.
fn leftovers(b: &Browser) -> Vec<String> {
    b.storage
        .keys()
        .filter(|k| k.starts_with("snowtrack.q.") || k.starts_with("snowtrack.k."))
        .cloned()
        .collect()
}

/// A page's life: a page view as it opens, a few events while the visitor reads, one as they
/// leave (`application_background`, in the task that hides the page: it goes with keepalive);
/// then the next page opens. Returns the next page.
fn visit(b: &mut Browser, page: usize, step: usize, ids: &mut Vec<String>) -> usize {
    ids.extend(b.track(page, 1));
    b.advance(40 + (step as i64 * 37) % 400);
    ids.extend(b.track(page, 1 + step % 3));
    b.advance(20 + (step as i64 * 53) % 300);
    ids.extend(b.leave(page, 1));
    b.open(settings())
}

#[test]
fn twenty_navigations_deliver_every_event_exactly_once() {
    for web_locks in [true, false] {
        let mut b = Browser::new(T0);
        b.web_locks = web_locks;
        // Answers take longer than the next page takes to start: the leaving page never hears.
        b.collector.latency_ms = 120;
        let mut ids = Vec::new();
        let mut page = b.open(settings());
        for step in 0..20 {
            page = visit(&mut b, page, step, &mut ids);
        }
        ids.extend(b.track(page, 1));
        assert!(b.settle(3 * MARK_TRUST_MS), "web locks {web_locks}: everything delivered");
        exactly_once(&b, &ids);
        assert_eq!(leftovers(&b), Vec::<String>::new(), "no chunk or mark left behind");
    }
}

#[test]
fn a_closed_tab_s_last_events_are_not_sent_again_by_the_next_tab() {
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 80;
    let first = b.open(settings());
    let mut ids = b.track(first, 5);
    b.advance(200);
    ids.extend(b.leave(first, 2));
    let next = b.open(settings());
    ids.extend(b.track(next, 1));
    assert!(b.settle(2 * MARK_TRUST_MS));
    exactly_once(&b, &ids);
    assert_eq!(b.stats(next).sent, 1, "the next tab sent only its own event");
}

#[test]
fn with_the_collector_down_while_pages_change_everything_arrives_and_duplicates_stay_rare() {
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 30;
    b.collector.faults.push_back(Fault::Down);
    let mut ids = Vec::new();
    let mut page = b.open(settings());
    for step in 0..20 {
        page = visit(&mut b, page, step, &mut ids);
    }
    ids.extend(b.track(page, 1));
    b.advance(2_000);
    assert!(b.collector.accepted().is_empty());
    b.collector.faults.clear();
    assert!(b.settle(120_000), "everything delivered once the collector is back");
    let counts = counts(&b);
    assert!(ids.iter().all(|id| counts.contains_key(id)), "nothing lost");
    let deliveries: usize = counts.values().sum();
    let duplicates = deliveries - counts.len();
    assert!(duplicates * 100 <= deliveries * 5, "{duplicates} duplicates in {deliveries} deliveries");
    assert_eq!(leftovers(&b), Vec::<String>::new());
}

#[test]
fn keepalive_requests_refused_by_the_browser_lose_nothing() {
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 50;
    // Other code of the page used the browser's keepalive budget up: every request snowtrack
    // sends with keepalive is refused at once, while the collector is up.
    b.keepalive_refused = true;
    let mut ids = Vec::new();
    let mut page = b.open(settings());
    for step in 0..20 {
        page = visit(&mut b, page, step, &mut ids);
    }
    ids.extend(b.track(page, 1));
    assert!(b.settle(3 * MARK_TRUST_MS));
    exactly_once(&b, &ids);
}

#[test]
fn a_page_back_from_the_back_forward_cache_sends_nothing_twice() {
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 60;
    let first = b.open(settings());
    let mut ids = b.track(first, 3);
    b.advance(10);
    // Navigate away: the first page goes into the cache with its keepalive request travelling.
    b.freeze(first);
    let second = b.open(settings());
    ids.extend(b.track(second, 2));
    b.advance(500);
    // Back: the second page goes, the first is shown again and hears its answer.
    b.close(second);
    b.thaw(first);
    ids.extend(b.track(first, 1));
    assert!(b.settle(2 * MARK_TRUST_MS));
    exactly_once(&b, &ids);
    assert_eq!(leftovers(&b), Vec::<String>::new());
}

#[test]
fn two_tabs_navigating_in_turn_deliver_every_event_exactly_once() {
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 90;
    let mut ids = Vec::new();
    let mut tabs = [b.open(settings()), b.open(settings())];
    for step in 0..20 {
        let tab = step % 2;
        tabs[tab] = visit(&mut b, tabs[tab], step, &mut ids);
        b.advance(150);
    }
    for tab in tabs {
        ids.extend(b.track(tab, 1));
    }
    assert!(b.settle(3 * MARK_TRUST_MS));
    exactly_once(&b, &ids);
}

#[test]
fn a_hidden_page_s_answered_keepalive_request_leaves_no_mark() {
    let mut b = Browser::new(T0);
    b.collector.latency_ms = 40;
    let page = b.open(settings());
    let mut ids = Vec::new();
    // The events of the task that hides the page go with keepalive.
    b.input(page, |d, now| {
        for n in 0..4 {
            let id = format!("00000000-0000-4000-8000-0000000000b{n}");
            d.track(now, id.clone(), format!("{{\"e\":\"se\",\"eid\":\"{id}\"}}"), false);
            ids.push(id);
        }
        d.visibility_changed(now, true);
    });
    assert!(b.storage.keys().any(|k| k.starts_with("snowtrack.k.sp.")), "marked while in flight");
    b.advance(100);
    assert_eq!(leftovers(&b), Vec::<String>::new(), "answered: chunk and mark gone");
    b.set_hidden(page, false);
    ids.extend(b.track(page, 1));
    assert!(b.settle(1_000));
    exactly_once(&b, &ids);
}

#[test]
fn with_no_request_of_its_own_to_vouch_a_page_sends_marked_events_again_after_the_window() {
    // The trade-off: a page that tracks nothing cannot tell whether the leaving page's
    // keepalive request arrived; once MARK_TRUST_MS passed it sends the events again (at least
    // once). Until then they stay in the leaving page's storage.
    let mut b = Browser::new(T0);
    b.collector.faults.push_back(Fault::Down);
    let first = b.open(settings());
    let ids = b.leave(first, 2);
    b.collector.faults.clear();
    let next = b.open(settings());
    b.advance(MARK_TRUST_MS - 100);
    assert!(b.collector.accepted().is_empty(), "left alone while the window lasts");
    assert_eq!(b.stats(next).queued + b.stats(next).in_flight, 0);
    assert_eq!(b.persisted(), 2, "still in the leaving page's storage");
    assert!(b.settle(2 * ADOPT_EVERY_MS as i64));
    exactly_once(&b, &ids);
}

#[test]
fn chunks_of_the_previous_build_are_adopted_and_sent_once() {
    // The previous build wrote the same chunk keys and lines, and no marks.
    let mut b = Browser::new(T0);
    let old = [
        ("snowtrack.q.sp.oldtab.000000000001", "00000000-0000-4000-8000-00000000aa01"),
        ("snowtrack.q.sp.oldtab.000000000002.a", "00000000-0000-4000-8000-00000000aa02"),
    ];
    for (key, id) in old {
        b.storage.insert(key.to_owned(), format!("{{\"e\":\"se\",\"eid\":\"{id}\"}}\n"));
    }
    let page = b.open(settings());
    assert!(b.settle(2_000));
    exactly_once(&b, &old.map(|(_, id)| id.to_owned()));
    let anonymous = b.collector.log.iter().find(|r| r.event_ids.iter().any(|e| e.ends_with("aa02"))).unwrap();
    assert!(anonymous.request.anonymous, "an anonymous chunk stays anonymous");
    assert_eq!(b.stats(page).sent, 2);
    assert_eq!(leftovers(&b), Vec::<String>::new());
}
