//! Pages that come and go, on the fake browser ([`snowtrack::engine::sim`]) driving the whole
//! engine with its default configuration: the tracker's own lifecycle events
//! (`application_background` in the task that hides a page, `application_foreground` when it
//! shows again) come with the events the tests track. A leaving page's last events go with
//! `keepalive` and arrive, and the page that takes over its storage must neither send them a
//! second time nor lose one (keepalive marks, `engine::delivery::marks`).
//! Navigation by links and reloads, tab close, the back/forward cache, several tabs, a collector
//! down while pages change, a browser refusing keepalive requests, and chunks left by the
//! previous build.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use snowtrack::engine::Input;
use snowtrack::engine::config::Config;
use snowtrack::engine::delivery::ADOPT_EVERY_MS;
use snowtrack::engine::delivery::marks::MARK_TRUST_MS;
use snowtrack::engine::event::Event;
use snowtrack::engine::sim::{Browser, Fault};

const T0: i64 = 1_700_000_000_000;

fn settings() -> Config {
    Config::new("sp", "https://collector.example")
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
    b.env
        .storage
        .keys()
        .filter(|k| k.starts_with("snowtrack.q.") || k.starts_with("snowtrack.k."))
        .cloned()
        .collect()
}

/// A page's life: a page view as it opens, a few events while the visitor reads, then they
/// follow a link: the tracker's `application_background` (and its screen's summary) in the task
/// that hides the page go with keepalive; then the next page opens. Returns the next page.
fn visit(b: &mut Browser, page: usize, step: usize, ids: &mut Vec<String>) -> usize {
    ids.extend(
        b.input(page, Input::Track { event: Event::PageView { title: None }, options: Default::default() }),
    );
    b.advance(40 + (step as i64 * 37) % 400);
    ids.extend(b.track(page, 1 + step % 3));
    b.advance(20 + (step as i64 * 53) % 300);
    let left = b.leave(page, 0);
    assert!(!left.is_empty(), "the leaving page's lifecycle events");
    ids.extend(left);
    b.open_at(settings(), &format!("https://www.example.com/page/{step}"))
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
    ids.extend(b.freeze(first));
    let second = b.open(settings());
    ids.extend(b.track(second, 2));
    b.advance(500);
    // Back: the second page goes, the first is shown again and hears its answer.
    ids.extend(b.close(second));
    let shown = b.thaw(first);
    assert_eq!(shown.len(), 1, "application_foreground");
    ids.extend(shown);
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
    // The events of the task that hides the page go with keepalive.
    b.pages[page].sensors.hidden = true;
    let mut inputs = snowtrack::engine::sim::events(4, 40);
    inputs.push(Input::Visibility { hidden: true });
    let mut ids = b.task(page, inputs);
    assert_eq!(ids.len(), 5, "the four and the tracker's application_background");
    assert!(b.env.storage.keys().any(|k| k.starts_with("snowtrack.k.sp.")), "marked while in flight");
    b.advance(100);
    assert_eq!(leftovers(&b), Vec::<String>::new(), "answered: chunk and mark gone");
    ids.extend(b.set_hidden(page, false));
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
    assert_eq!(ids.len(), 3, "the two and the tracker's application_background");
    b.collector.faults.clear();
    let next = b.open(settings());
    b.advance(MARK_TRUST_MS - 100);
    assert!(b.collector.accepted().is_empty(), "left alone while the window lasts");
    assert_eq!(b.stats(next).queued + b.stats(next).in_flight, 0);
    assert_eq!(b.persisted(), 3, "still in the leaving page's storage");
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
        b.env.storage.insert(key.to_owned(), format!("{{\"e\":\"se\",\"eid\":\"{id}\"}}\n"));
    }
    let page = b.open(settings());
    assert!(b.settle(2_000));
    exactly_once(&b, &old.map(|(_, id)| id.to_owned()));
    let anonymous = b.collector.log.iter().find(|r| r.event_ids.iter().any(|e| e.ends_with("aa02"))).unwrap();
    assert!(anonymous.request.anonymous, "an anonymous chunk stays anonymous");
    assert_eq!(b.stats(page).sent, 2);
    assert_eq!(leftovers(&b), Vec::<String>::new());
}

/// Which lifecycle events of the tracker's own reached the collector, by name, in order.
fn lifecycle_events(b: &Browser) -> Vec<String> {
    b.collector
        .log
        .iter()
        .filter(|r| r.status == Some(200))
        .flat_map(|r| r.request.wires.iter())
        .filter_map(|w| {
            ["application_background", "application_foreground"].into_iter().find(|n| w.contains(n))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_order_of_hide_events_sends_the_leaving_page_s_events_once() {
    // Browsers differ in what a leaving page hears: visibilitychange then pagehide (Chromium,
    // Firefox), pagehide then visibilitychange (WebKit on some navigations), pagehide alone (a
    // page hidden already), or visibilitychange alone (a page discarded while hidden).
    let orders: [&[Input]; 4] = [
        &[Input::Visibility { hidden: true }, Input::PageHide],
        &[Input::PageHide, Input::Visibility { hidden: true }],
        &[Input::PageHide],
        &[Input::Visibility { hidden: true }],
    ];
    for (n, order) in orders.into_iter().enumerate() {
        let mut b = Browser::new(T0);
        b.collector.latency_ms = 70;
        let first = b.open(settings());
        let mut ids = b.track(first, 3);
        b.advance(20);
        b.pages[first].sensors.hidden = true;
        let inputs = order
            .iter()
            .map(|i| match i {
                Input::PageHide => Input::PageHide,
                _ => Input::Visibility { hidden: true },
            })
            .collect();
        let left = b.task(first, inputs);
        assert_eq!(left.len(), 1, "order {n}: one application_background");
        ids.extend(left);
        b.gone(first);
        let next = b.open(settings());
        ids.extend(b.track(next, 1));
        assert!(b.settle(3 * MARK_TRUST_MS), "order {n}");
        exactly_once(&b, &ids);
        assert_eq!(lifecycle_events(&b), ["application_background"], "order {n}");
        assert_eq!(leftovers(&b), Vec::<String>::new(), "order {n}");
    }
}

#[test]
fn a_tab_hidden_and_shown_again_tells_background_and_foreground_once_each() {
    let mut b = Browser::new(T0);
    let tab = b.open(settings());
    let mut ids = b.track(tab, 1);
    for _ in 0..3 {
        ids.extend(b.set_hidden(tab, true));
        b.advance(1_000);
        // A second visibilitychange to the same state (a browser repeating itself) adds nothing.
        assert!(b.set_hidden(tab, true).is_empty());
        ids.extend(b.set_hidden(tab, false));
        b.advance(1_000);
    }
    assert!(b.settle(10_000));
    exactly_once(&b, &ids);
    let expected: Vec<&str> = ["application_background", "application_foreground"].repeat(3);
    assert_eq!(lifecycle_events(&b), expected);
}
