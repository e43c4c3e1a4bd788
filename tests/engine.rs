//! The engine's own composition on the fake browser ([`snowtrack::engine::sim`]): what it does
//! with the page's coalesced sensors (the document's scroll, the page's activity) and its timers,
//! decisions that `host.js` used to make or that only a browser could test before.
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use serde_json::Value;
use snowtrack::engine::Input;
use snowtrack::engine::config::Config;
use snowtrack::engine::engagement::{DocumentScroll, ScrollChanged};
use snowtrack::engine::event::{Event, ScreenView, TrackOptions};
use snowtrack::engine::sim::Browser;

const T0: i64 = 1_700_000_000_000;

/// Every event the collector accepted, as JSON objects (`co` parsed into its entities).
fn events(b: &Browser) -> Vec<Value> {
    b.collector
        .log
        .iter()
        .filter(|r| r.status == Some(200))
        .flat_map(|r| r.request.wires.iter())
        .map(|wire| serde_json::from_str::<Value>(&format!("{wire}}}")).unwrap())
        .collect()
}

/// The data of entity `name` of `event`.
fn entity(event: &Value, name: &str) -> Option<Value> {
    let co: Value = serde_json::from_str(event["co"].as_str()?).ok()?;
    co["data"]
        .as_array()?
        .iter()
        .find(|e| e["schema"].as_str().unwrap().contains(name))
        .map(|e| e["data"].clone())
}

fn screen_view(name: &str) -> Input {
    let event = Event::ScreenView(ScreenView { name: name.into(), ..ScreenView::default() });
    Input::Track { event, options: TrackOptions::default() }
}

/// The screen summary of the first screen, after the document scrolled as `scroll` says.
fn summary_after(scroll: DocumentScroll) -> Value {
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    b.input(page, screen_view("first"));
    b.advance(1_000);
    b.pages[page].sensors.scroll = Some(scroll);
    b.input(page, screen_view("second"));
    assert!(b.settle(10_000));
    let ends: Vec<Value> = events(&b).into_iter().filter_map(|e| entity(&e, "screen_summary")).collect();
    assert_eq!(ends.len(), 1, "one screen ended");
    ends[0].clone()
}

#[test]
fn the_document_s_scroll_feeds_the_screen_summary_only_when_the_document_scrolls() {
    let scrolled = DocumentScroll {
        min_x: 0.0,
        max_x: 0.0,
        min_y: 0.0,
        max_y: 1_200.0,
        view_width: 1_200.0,
        view_height: 800.0,
        content_width: 1_200.0,
        content_height: 3_000.0,
    };
    let summary = summary_after(scrolled);
    assert_eq!(summary["max_y_offset"], 2_000, "the bottom of the view at its lowest");
    assert_eq!(summary["content_height"], 3_000);
    // An app drawing into a canvas: the document fits its view, whatever it reports.
    let fits = DocumentScroll { content_height: 800.0, max_y: 0.0, ..scrolled };
    let summary = summary_after(fits);
    assert!(summary.get("max_y_offset").is_none_or(Value::is_null), "{summary}");
    assert!(summary.get("content_height").is_none_or(Value::is_null), "{summary}");
}

#[test]
fn once_a_screen_s_app_reports_its_scroll_the_summary_uses_only_its_reports() {
    let document = DocumentScroll {
        min_x: 0.0,
        max_x: 0.0,
        min_y: 0.0,
        max_y: 2_000.0,
        view_width: 1_200.0,
        view_height: 900.0,
        content_width: 1_200.0,
        content_height: 5_016.0,
    };
    let app = ScrollChanged {
        y_offset: Some(400),
        view_height: Some(700),
        content_height: Some(3_000),
        ..Default::default()
    };
    let track = |event| Input::Track { event, options: TrackOptions::default() };
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    b.input(page, screen_view("first"));
    b.pages[page].sensors.scroll = Some(document);
    b.input(page, track(Event::ScrollChanged(app)));
    b.pages[page].sensors.scroll = Some(DocumentScroll { max_y: 4_000.0, ..document });
    b.input(page, screen_view("second"));
    // The second screen's app reports nothing: the document's scroll is its extent.
    b.pages[page].sensors.scroll = Some(document);
    b.input(page, screen_view("third"));
    assert!(b.settle(10_000));
    let summaries: Vec<Value> = events(&b).into_iter().filter_map(|e| entity(&e, "screen_summary")).collect();
    assert_eq!(summaries.len(), 2, "two screens ended");
    let first = &summaries[0];
    assert_eq!(
        (first["min_y_offset"].as_i64(), first["max_y_offset"].as_i64()),
        (Some(400), Some(1_100)),
        "{first}"
    );
    assert_eq!(first["content_height"], 3_000, "{first}");
    let second = &summaries[1];
    assert_eq!(second["max_y_offset"], 2_900, "{second}");
    assert_eq!(second["content_height"], 5_016, "{second}");
}

#[test]
fn activity_tracking_pings_from_the_engine_s_own_timers() {
    use snowtrack::engine::activity::{ActivityConfig, Coalesced, Which};
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    let config = ActivityConfig { minimum_visit_ms: 5_000, heartbeat_ms: 10_000, metrics: false };
    b.input(page, Input::EnableActivity { which: Which::Ping, config, callback: None });
    b.input(page, Input::Track { event: Event::PageView { title: None }, options: TrackOptions::default() });
    assert!(b.pages[page].sensors.watching_activity, "the engine asked the page to watch its activity");
    // Active at 3 s and 12 s: a ping after the minimum visit and after one heartbeat.
    for at in [3_000, 12_000] {
        b.run_until(T0 + at);
        b.pages[page].sensors.activity = Coalesced { last_activity_ms: b.now, ..Coalesced::default() };
    }
    b.run_until(T0 + 26_000);
    assert!(b.settle(10_000));
    let pings = events(&b).iter().filter(|e| e["e"] == "pp").count();
    assert_eq!(pings, 2);
}

#[test]
fn history_changes_give_a_page_view_only_when_the_url_without_its_fragment_changed() {
    let mut b = Browser::new(T0);
    let mut config = Config::new("sp", "https://collector.example");
    config.page_view_autotracking = true;
    let page = b.open_at(config, "https://www.example.com/?spa=home#top");
    let mut urls = Vec::new();
    for url in [
        "https://www.example.com/?spa=home", // the fragment alone: none
        "https://www.example.com/?spa=about",
        "https://www.example.com/?spa=about#section", // the fragment alone: none
        "https://www.example.com/?spa=about",         // replaceState to the same URL: none
        "https://www.example.com/?spa=home#top",
    ] {
        b.pages[page].sensors.facts.url = url.into();
        if !b.input(page, Input::UrlChanged).is_empty() {
            urls.push(url);
        }
    }
    assert!(b.settle(10_000));
    assert_eq!(urls, ["https://www.example.com/?spa=about", "https://www.example.com/?spa=home#top"]);
    let views: Vec<Value> = events(&b).into_iter().filter(|e| e["e"] == "pv").collect();
    let pages: Vec<&str> = views.iter().map(|e| e["url"].as_str().unwrap()).collect();
    assert_eq!(pages, urls, "the page views, at those URLs");
}

#[test]
fn setters_are_inputs_and_later_events_carry_them() {
    use snowtrack::engine::Setting;
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    b.input(page, Input::Set(Setting::UserId(Some("user-1".into()))));
    b.input(page, Input::Set(Setting::CustomUrl("https://www.example.com/custom".into())));
    b.input(page, Input::Set(Setting::DocumentTitle("Custom title".into())));
    b.input(page, Input::Track { event: Event::PageView { title: None }, options: TrackOptions::default() });
    b.input(page, Input::Set(Setting::UserId(None)));
    b.input(page, Input::Track { event: Event::PageView { title: None }, options: TrackOptions::default() });
    assert!(b.settle(10_000));
    let views: Vec<Value> = events(&b).into_iter().filter(|e| e["e"] == "pv").collect();
    assert_eq!(views.len(), 2);
    assert_eq!(views[0]["uid"], "user-1");
    assert_eq!(views[0]["url"], "https://www.example.com/custom");
    assert_eq!(views[0]["page"], "Custom title");
    assert!(views[1].get("uid").is_none(), "cleared");
    assert_eq!(views[1]["url"], "https://www.example.com/custom", "the custom URL stays");
}

#[test]
fn page_and_identity_settings_of_the_js_tracker() {
    use snowtrack::engine::Setting;
    let page_view =
        || Input::Track { event: Event::PageView { title: None }, options: TrackOptions::default() };
    let mut b = Browser::new(T0);
    let page = b.open_at(
        Config::new("sp", "https://collector.example"),
        "https://www.example.com/p/{x}?uid=from+url#top",
    );
    b.pages[page].sensors.facts.referrer = "https://search.example/?q=1&ref=from%20referrer".into();
    b.input(page, Input::Set(Setting::UserIdFromLocation("uid".into())));
    b.input(page, page_view());
    b.input(page, Input::Set(Setting::DiscardHashTag(true)));
    b.input(page, Input::Set(Setting::DiscardBrace(true)));
    b.input(page, Input::Set(Setting::UserIdFromReferrer("ref".into())));
    b.input(page, page_view());
    // The environment holds cookie values decoded, as `Env::read_cookie` gives them.
    b.env.cookies.insert("login".into(), ("Jörg".into(), None));
    b.input(page, Input::Set(Setting::UserIdFromCookie("login".into())));
    b.input(page, page_view());
    b.input(page, Input::Set(Setting::UserIdFromCookie("missing".into())));
    b.input(page, page_view());
    assert!(b.settle(10_000));
    let views: Vec<Value> = events(&b).into_iter().filter(|e| e["e"] == "pv").collect();
    assert_eq!(views.len(), 4);
    assert_eq!(
        (&views[0]["uid"], &views[0]["url"]),
        (&"from url".into(), &"https://www.example.com/p/{x}?uid=from+url#top".into())
    );
    assert_eq!(views[1]["url"], "https://www.example.com/p/x?uid=from+url", "no fragment, no braces");
    assert_eq!(views[1]["uid"], "from referrer");
    assert_eq!(views[2]["uid"], "Jörg");
    assert!(views[3].get("uid").is_none(), "a missing cookie clears it");
}

#[test]
fn emitter_settings_move_the_queue_to_another_collector_and_batch() {
    use snowtrack::engine::Setting;
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    b.collector.faults.push_back(snowtrack::engine::sim::Fault::Status {
        status: 503,
        retry_after_s: None,
        count: 1,
    });
    b.track(page, 1);
    b.advance(100);
    let url = b.engine(page).unwrap().tracker.collector_url_for("other.example/sp").unwrap();
    assert_eq!(url, "https://other.example/sp", "the page's scheme");
    b.input(page, Input::Set(Setting::CollectorUrl(url)));
    b.input(page, Input::Set(Setting::BufferSize(3)));
    b.track(page, 2);
    b.advance(60_000);
    let urls: Vec<&str> = b.collector.log.iter().map(|r| r.request.url.as_str()).collect();
    assert_eq!(urls.first(), Some(&"https://collector.example/com.snowplowanalytics.snowplow/tp2"));
    let after: Vec<_> = b.collector.log.iter().skip(1).collect();
    assert!(
        !after.is_empty()
            && after
                .iter()
                .all(|r| r.request.url == "https://other.example/sp/com.snowplowanalytics.snowplow/tp2"),
        "{urls:?}"
    );
    assert_eq!(
        after.iter().map(|r| r.request.wires.len()).sum::<usize>(),
        3,
        "the retried event went to the new collector"
    );
    assert_eq!(after.len(), 1, "three events, one request: bufferSize 3 {urls:?}");
}

#[test]
fn cookie_settings_rename_and_reattribute_the_identity_cookies() {
    use snowtrack::engine::Setting;
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    let (id, _) = b.engine(page).unwrap().tracker.storage_keys();
    let id = id.to_owned();
    let duid = b.env.cookie(&id).unwrap().split('.').next().unwrap().to_owned();
    // The JS tracker's names: the first 4 hex digits of SHA-1(domain + path).
    assert_eq!(id, format!("_sp_id.{}", snowtrack::engine::cookie::domain_hash("example.com", "/")));
    b.input(page, Input::Set(Setting::VisitorCookieTimeout(3_600)));
    b.input(page, Input::Set(Setting::CookiePath("/shop".into())));
    let (moved, _) = b.engine(page).unwrap().tracker.storage_keys();
    let moved = moved.to_owned();
    assert_eq!(moved, format!("_sp_id.{}", snowtrack::engine::cookie::domain_hash("example.com", "/shop")));
    let written =
        b.env.cookie_log.iter().rev().find(|c| c.starts_with(&format!("{moved}="))).unwrap().clone();
    assert!(written.contains("; Path=/shop"), "{written}");
    assert!(
        written.contains(&snowtrack::engine::util::time::utc_string(b.env.now + 3_600_000)),
        "setVisitorCookieTimeout: {written}"
    );
    assert!(b.env.cookie(&moved).unwrap().starts_with(&duid), "the identity moved along");
    b.track(page, 1);
    assert!(b.settle(10_000));
    let event = events(&b).pop().unwrap();
    assert_eq!(event["duid"], duid.as_str());
}

#[test]
fn the_cookie_extension_service_goes_before_the_first_request_only() {
    let mut config = Config::new("sp", "https://collector.example");
    config.cookie_extension_service = Some("https://www.example.com/ext".into());
    let mut b = Browser::new(T0);
    let page = b.open(config);
    b.track(page, 1);
    assert!(b.settle(10_000));
    b.track(page, 2);
    assert!(b.settle(10_000));
    let before: Vec<Option<&str>> = b.collector.log.iter().map(|r| r.request.before.as_deref()).collect();
    assert!(before.len() >= 2, "{before:?}");
    assert_eq!(before[0], Some("https://www.example.com/ext"));
    assert!(before[1..].iter().all(Option::is_none), "{before:?}");
}

#[test]
fn activity_metrics_ride_on_pings_as_a_valid_entity_and_restart_after_each() {
    use snowtrack::engine::activity::{ActivityConfig, Coalesced, Metrics, Which};
    let mut b = Browser::new(T0);
    let page = b.open(Config::new("sp", "https://collector.example"));
    let config = ActivityConfig { minimum_visit_ms: 5_000, heartbeat_ms: 10_000, metrics: true };
    b.input(page, Input::EnableActivity { which: Which::Ping, config, callback: None });
    b.input(page, Input::Track { event: Event::PageView { title: None }, options: TrackOptions::default() });
    let moved =
        Metrics { mouse_distance: 10.4, scroll_distance: 300.0, key_presses: 2.0, clicks: 1.0, touches: 0.0 };
    // What the page counted before the first check, then before the second.
    b.run_until(T0 + 2_000);
    b.pages[page].sensors.activity =
        Coalesced { last_activity_ms: b.now, metrics: moved, ..Coalesced::default() };
    b.run_until(T0 + 12_000);
    b.pages[page].sensors.activity = Coalesced {
        last_activity_ms: b.now,
        metrics: Metrics { clicks: 3.0, ..Metrics::default() },
        ..Coalesced::default()
    };
    b.run_until(T0 + 16_000);
    assert!(b.settle(10_000));
    let metrics: Vec<Value> =
        events(&b).iter().filter(|e| e["e"] == "pp").filter_map(|e| entity(e, "activity_metrics")).collect();
    assert_eq!(
        metrics,
        [
            serde_json::json!({"mouseDistance": 10, "scrollDistance": 300, "keyPresses": 2, "clicks": 1, "touches": 0}),
            serde_json::json!({"mouseDistance": 0, "scrollDistance": 0, "keyPresses": 0, "clicks": 3, "touches": 0}),
        ]
    );
    // Valid against the official schema (the collector's registry, as for every payload).
    let registry = snowtrack_collector::Registry::embedded();
    for request in b.collector.log.iter().filter(|r| r.status == Some(200)) {
        let body = request.request.body().unwrap();
        for result in snowtrack_collector::validate_post_body(&registry, &body) {
            assert!(result.is_ok(), "{result:?}");
        }
    }
}

#[test]
fn no_cookie_extension_service_request_while_opted_out() {
    let mut config = Config::new("sp", "https://collector.example");
    config.cookie_extension_service = Some("https://www.example.com/ext".into());
    config.opt_out_cookie = Some("opted-out".into());
    let mut b = Browser::new(T0);
    b.env.cookies.insert("opted-out".into(), ("1".into(), None));
    let page = b.open(config);
    b.track(page, 2);
    assert!(b.settle(10_000));
    assert!(b.collector.log.is_empty(), "nothing tracked, nothing requested");
    // Opted in again: the first request goes after the service.
    b.env.cookies.remove("opted-out");
    b.track(page, 1);
    assert!(b.settle(10_000));
    let before: Vec<Option<&str>> = b.collector.log.iter().map(|r| r.request.before.as_deref()).collect();
    assert_eq!(before, [Some("https://www.example.com/ext")]);
}
