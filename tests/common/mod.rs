//! Helpers of the tracker host tests: a browser and a page, a tracker on a [`MemoryEnv`], and
//! delivery of what it tracked by the engine's delivery on the fake browser (`engine::sim`, the
//! one executor of effects in tests), every request validated by the local collector's Iglu
//! validation (the official schemas).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use snowtrack::engine::config::Config;
use snowtrack::engine::contexts::{NoHooks, PageHooks};
use snowtrack::engine::env::{Env, MemoryEnv};
use snowtrack::engine::event::{Event, SelfDescribingJson, TrackOptions};
use snowtrack::engine::facts::{BrowserInfo, PageFacts};
use snowtrack::engine::sim::Browser;
use snowtrack::engine::tracker::{Sink, Tracked, Tracker};

pub const T0: i64 = 1_700_000_000_000;

pub fn browser() -> BrowserInfo {
    snowtrack::engine::sim::browser_info()
}

pub fn page() -> PageFacts {
    PageFacts {
        url: "https://www.example.com/shop?x=1".into(),
        referrer: "https://search.example/".into(),
        title: "Shop".into(),
        viewport: "1200x800".into(),
        document_size: "1200x3000".into(),
    }
}

pub fn tracker(env: &mut MemoryEnv, f: impl FnOnce(&mut Config)) -> Tracker {
    let mut config = Config::new("sp", "https://collector.example.com");
    f(&mut config);
    Tracker::new(config, browser(), Some("example.com".into()), false, env).unwrap()
}

pub fn sdj(schema: &str, data: &str) -> SelfDescribingJson {
    SelfDescribingJson::new("event", schema, data).unwrap()
}

/// Tracks an event and keeps what it produced for [`drain`]; returns the last event.
pub fn track(t: &mut Tracker, env: &mut MemoryEnv, event: Event, options: TrackOptions) -> Tracked {
    track_with(t, env, event, options, &mut NoHooks).expect("an event")
}

/// Tracks an event with the page's code `hooks` taking part; keeps what it produced for
/// [`drain`] and returns the last event (none when nothing was tracked).
pub fn track_with(
    t: &mut Tracker,
    env: &mut MemoryEnv,
    event: Event,
    options: TrackOptions,
    hooks: &mut dyn PageHooks,
) -> Option<Tracked> {
    let mut out = Vec::new();
    t.track(env, event, options, &page(), &mut Sink { events: &mut out, hooks }).unwrap();
    keep(out)
}

/// A page view, kept for [`drain`]; none when nothing was tracked.
pub fn page_view(t: &mut Tracker, env: &mut MemoryEnv) -> Option<Tracked> {
    track_with(t, env, Event::PageView { title: None }, TrackOptions::default(), &mut NoHooks)
}

/// Keeps tracked events for [`drain`]; returns the last one.
pub fn keep(out: Vec<Tracked>) -> Option<Tracked> {
    let last = out.last().cloned();
    TRACKED.with(|w| w.borrow_mut().extend(out));
    last
}

std::thread_local! {
    /// The events tracked by this test, in order.
    static TRACKED: std::cell::RefCell<Vec<Tracked>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Delivers every event tracked so far through the core's delivery (as requests of `t`'s
/// configuration), validates each request with the collector's validator, and returns the
/// enriched events in order.
pub fn drain(t: &mut Tracker, env: &mut MemoryEnv) -> Vec<Value> {
    drain_requests(t, env).into_iter().flat_map(|(_, events)| events).collect()
}

/// [`drain`] by request: whether it carried `SP-Anonymous`, and its enriched events. The
/// events go through the engine's delivery on the fake browser ([`Browser`]), as a page of
/// `t`'s configuration would send them.
pub fn drain_requests(t: &mut Tracker, env: &mut MemoryEnv) -> Vec<(bool, Vec<Value>)> {
    let registry = snowtrack_collector::Registry::embedded();
    let mut browser = Browser::new(env.now_ms());
    let mut config = t.config().clone();
    // The page only delivers: none of its own events.
    config.lifecycle_autotracking = false;
    config.screen_engagement_autotracking = false;
    let page = browser.open(config);
    browser.hand_over(page, TRACKED.with(|w| std::mem::take(&mut *w.borrow_mut())));
    assert!(browser.settle(60_000), "every event delivered");
    browser
        .collector
        .log
        .iter()
        .map(|received| {
            let request = &received.request;
            let results = match request.body() {
                Some(body) => snowtrack_collector::validate_post_body(&registry, &body),
                None => {
                    let url = request.full_url();
                    let query = url.split_once('?').unwrap().1;
                    let params: serde_json::Map<String, Value> = query
                        .split('&')
                        .map(|kv| {
                            let (k, v) = kv.split_once('=').unwrap();
                            (
                                k.to_owned(),
                                Value::String(snowtrack::engine::util::uri::decode_uri_component(v)),
                            )
                        })
                        .collect();
                    vec![snowtrack_collector::validate_event(&registry, &params)]
                }
            };
            let events = results
                .into_iter()
                .map(|r| r.unwrap_or_else(|errors| panic!("bad event: {errors:?}")))
                .collect();
            (request.anonymous, events)
        })
        .collect()
}

pub fn entity<'a>(event: &'a Value, name: &str) -> Option<&'a Value> {
    event["contexts"]["data"]
        .as_array()?
        .iter()
        .find(|e| e["schema"].as_str().unwrap().contains(name))
        .map(|e| &e["data"])
}
