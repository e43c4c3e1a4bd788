//! Host tests of the whole tracker core against the JS tracker's expectations, with every
//! payload validated by the local collector's Iglu validation (the official schemas).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use serde_json::Value;
use snowtrack::engine::config::{Config, Method, StateStorage};
use snowtrack::engine::contexts::NoHooks;
use snowtrack::engine::env::{Env, MemoryEnv};
use snowtrack::engine::event::{
    Event, Extents, ListItemView, ScreenView, ScrollChanged, SelfDescribingJson, StructEvent, Timestamp,
    TrackOptions,
};
use snowtrack::engine::facts::{BrowserInfo, PageFacts};
use snowtrack::engine::payload::post_body;
use snowtrack::engine::tracker::{Sink, Tracker};

mod common;
use common::*;

fn all_events(t: &mut Tracker, env: &mut MemoryEnv) {
    let o = TrackOptions::default;
    track(t, env, Event::PageView { title: None }, o());
    track(
        t,
        env,
        Event::ScreenView(ScreenView {
            name: "home".into(),
            screen_type: Some("feed".into()),
            ..Default::default()
        }),
        o(),
    );
    track(
        t,
        env,
        Event::SelfDescribing(sdj(
            "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1",
            r#"{"targetUrl":"https://a.example/"}"#,
        )),
        o(),
    );
    let se = StructEvent {
        category: "shop".into(),
        action: "add".into(),
        label: Some("sku-1".into()),
        property: Some("red".into()),
        value: Some("2.5".into()),
    };
    track(t, env, Event::Struct(se), o());
}

#[test]
fn first_visit_writes_js_compatible_cookies() {
    let mut env = MemoryEnv::at(T0);
    let t = tracker(&mut env, |_| {});
    assert_eq!(t.storage_keys(), ("_sp_id.8809", "_sp_ses.8809"));
    let id = env.cookie("_sp_id.8809").unwrap();
    let duid = &t.state().domain_user_id;
    let sid = &t.state().session_id;
    assert_eq!(id, format!("{duid}.1700000000.1.1700000000..{sid}....0"));
    assert_eq!(env.cookie("_sp_ses.8809"), Some("*"));
    assert_eq!(
        env.cookie_log[0],
        "_sp_ses.8809=*; Expires=Tue, 14 Nov 2023 22:43:20 GMT; Path=/; Domain=example.com; SameSite=Lax; Secure"
    );
    assert!(env.cookie_log[1].ends_with(
        "; Expires=Thu, 13 Nov 2025 22:13:20 GMT; Path=/; Domain=example.com; SameSite=Lax; Secure"
    ));
}

#[test]
fn every_event_type_is_valid_against_the_iglu_schemas_post_and_get() {
    for (method, base64) in
        [(Method::Post, false), (Method::Post, true), (Method::Get, true), (Method::Get, false)]
    {
        let mut env = MemoryEnv::at(T0);
        let mut t = tracker(&mut env, |c| {
            c.method = method;
            c.encode_base64 = base64;
            c.app_id = "shop".into();
        });
        t.set_user_id(Some("user@example.com".into()));
        all_events(&mut t, &mut env);
        let events = drain(&mut t, &mut env);
        assert_eq!(events.len(), 4, "{method:?}");
        let types: Vec<_> = events.iter().map(|e| e["event"].as_str().unwrap().to_owned()).collect();
        assert_eq!(types, ["page_view", "unstruct", "unstruct", "struct"]);
        for e in &events {
            assert_eq!(e["app_id"], "shop");
            assert_eq!(e["platform"], "web");
            assert_eq!(e["name_tracker"], "sp");
            assert_eq!(e["v_tracker"], format!("snowtrack-{}", env!("CARGO_PKG_VERSION")));
            assert_eq!(e["user_id"], "user@example.com");
            assert_eq!(e["domain_userid"], t.state().domain_user_id.as_str());
            assert_eq!(e["domain_sessionid"], t.state().session_id.as_str());
            assert_eq!(e["domain_sessionidx"], 1);
            assert_eq!(e["page_url"], "https://www.example.com/shop?x=1");
            assert!(entity(e, "web_page").is_some());
        }
        assert_eq!(events[0]["page_title"], "Shop");
        assert_eq!(events[3]["se_category"], "shop");
        assert_eq!(events[3]["se_value"], 2.5);
    }
}

#[test]
fn client_session_counts_events_and_remembers_the_first() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    all_events(&mut t, &mut env);
    let events = drain(&mut t, &mut env);
    let first_id = events[0]["event_id"].as_str().unwrap().to_owned();
    for (i, e) in events.iter().enumerate() {
        let cs = entity(e, "client_session").unwrap();
        assert_eq!(cs["eventIndex"], i as u64 + 1);
        assert_eq!(cs["sessionIndex"], 1);
        assert_eq!(cs["userId"], e["domain_userid"]);
        assert_eq!(cs["sessionId"], e["domain_sessionid"]);
        assert_eq!(cs["previousSessionId"], Value::Null);
        assert_eq!(cs["storageMechanism"], "COOKIE_1");
        assert_eq!(cs["firstEventId"], first_id.as_str());
        assert_eq!(cs["firstEventTimestamp"], "2023-11-14T22:13:20.000Z");
    }
    let cookie = env.cookie("_sp_id.8809").unwrap();
    assert!(cookie.ends_with(&format!(".{first_id}.1700000000000.4")), "{cookie}");
}

#[test]
fn session_times_out_and_rotates() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| {
        c.session_cookie_timeout_s = 1;
        c.foreground_timeout_s = 1;
        c.background_timeout_s = 1;
    });
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    let first_sid = t.state().session_id.clone();
    env.now += 1001;
    let tracked = track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    assert!(tracked.session_update.is_some());
    let events = drain(&mut t, &mut env);
    assert_eq!(events[1]["domain_sessionidx"], 2);
    let cs = entity(&events[1], "client_session").unwrap();
    assert_eq!(cs["previousSessionId"], first_sid.as_str());
    assert_eq!(cs["eventIndex"], 1);
    assert_ne!(cs["sessionId"], first_sid.as_str());
    assert_eq!(events[0]["domain_userid"], events[1]["domain_userid"]);
}

#[test]
fn continues_a_session_started_by_the_js_tracker() {
    let duid = "e8be487a-1b7a-4d6c-9a5e-0c2b1c7f0a11";
    let sid = "65134acc-93aa-4f8b-8a4e-6b0f5d3b2c10";
    let fid = "df52bd6b-2b1c-4c8e-9a57-1f6e3a4b5c6d";
    let mut env = MemoryEnv::at(T0);
    env.cookies.insert(
        "_sp_id.8809".into(),
        (format!("{duid}.1673957921.3.1699999990..{sid}..{fid}.1699999000123.38"), None),
    );
    env.cookies.insert("_sp_ses.8809".into(), ("*".into(), None));
    let mut t = tracker(&mut env, |_| {});
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    let e = &drain(&mut t, &mut env)[0];
    assert_eq!(e["domain_userid"], duid);
    assert_eq!(e["domain_sessionid"], sid);
    assert_eq!(e["domain_sessionidx"], 3);
    let cs = entity(e, "client_session").unwrap();
    assert_eq!(cs["eventIndex"], 39);
    assert_eq!(cs["firstEventId"], fid);
    assert_eq!(
        env.cookie("_sp_id.8809").unwrap(),
        format!("{duid}.1673957921.3.1700000000..{sid}..{fid}.1699999000123.39")
    );
}

#[test]
fn expired_js_session_starts_the_next_index() {
    let duid = "e8be487a-1b7a-4d6c-9a5e-0c2b1c7f0a11";
    let sid = "65134acc-93aa-4f8b-8a4e-6b0f5d3b2c10";
    let mut env = MemoryEnv::at(T0);
    env.cookies.insert("_sp_id.8809".into(), (format!("{duid}.1673957921.7.1690000000..{sid}....12"), None));
    let t = tracker(&mut env, |_| {});
    let s = t.state();
    assert_eq!(
        (s.visit_count, s.previous_session_id.as_str(), s.last_visit_s, s.event_index),
        (8, sid, Some(1_690_000_000), 0)
    );
    assert_eq!(s.domain_user_id, duid);
}

#[test]
fn garbage_cookie_yields_fresh_ids() {
    let mut env = MemoryEnv::at(T0);
    env.cookies.insert("_sp_id.8809".into(), ("<script>.x.y".into(), None));
    let mut t = tracker(&mut env, |_| {});
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    assert_eq!(drain(&mut t, &mut env).len(), 1);
    assert_eq!(t.state().visit_count, 1);
}

#[test]
fn local_storage_strategy_uses_expiring_keys() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| {
        c.state_storage = StateStorage::LocalStorage;
        c.foreground_timeout_s = 2;
        c.background_timeout_s = 2;
    });
    assert!(env.cookies.is_empty());
    assert_eq!(env.storage["_sp_ses.8809"], "*");
    assert_eq!(env.storage["_sp_ses.8809.expires"], (T0 + 2000).to_string());
    assert_eq!(env.storage["_sp_id.8809.expires"], (T0 + 63_072_000_000).to_string());
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    env.now += 2500;
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    let events = drain(&mut t, &mut env);
    let cs = entity(&events[1], "client_session").unwrap();
    assert_eq!(cs["storageMechanism"], "LOCAL_STORAGE");
    assert_eq!(cs["sessionIndex"], 2);
}

#[test]
fn none_strategy_persists_nothing_but_keeps_a_sliding_session() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| {
        c.state_storage = StateStorage::None;
        c.foreground_timeout_s = 5;
    });
    for _ in 0..3 {
        env.now += 4000;
        track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    }
    env.now += 6000;
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    assert!(env.cookies.is_empty() && env.storage.is_empty());
    let events = drain(&mut t, &mut env);
    let idx: Vec<_> =
        events.iter().map(|e| entity(e, "client_session").unwrap()["eventIndex"].as_u64().unwrap()).collect();
    assert_eq!(idx, [1, 2, 3, 1]);
    assert_eq!(events[3]["domain_sessionidx"], 2);
}

#[test]
fn blocked_storage_keeps_tracking_in_memory() {
    for strategy in [StateStorage::CookieAndLocalStorage, StateStorage::LocalStorage] {
        let mut env = MemoryEnv::at(T0);
        env.cookies_blocked = true;
        env.storage_blocked = true;
        let mut t = tracker(&mut env, |c| c.state_storage = strategy);
        all_events(&mut t, &mut env);
        let events = drain(&mut t, &mut env);
        assert_eq!(events.len(), 4);
        assert_eq!(entity(&events[3], "client_session").unwrap()["eventIndex"], 4);
        assert!(events.iter().all(|e| e["domain_sessionid"] == events[0]["domain_sessionid"]));
    }
}

#[test]
fn screen_views_chain_and_attach_the_screen_entity() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.screen_engagement_autotracking = false);
    let sv = |name: &str| {
        Event::ScreenView(ScreenView {
            name: name.into(),
            screen_type: Some("t".into()),
            transition_type: Some("push".into()),
            ..Default::default()
        })
    };
    track(&mut t, &mut env, sv("home"), TrackOptions::default());
    track(&mut t, &mut env, sv("cart"), TrackOptions::default());
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    let events = drain(&mut t, &mut env);
    let home = &events[0]["unstruct_event"]["data"]["data"];
    let cart = &events[1]["unstruct_event"]["data"]["data"];
    assert_eq!(home["name"], "home");
    assert!(home.get("previousName").is_none());
    assert_eq!(cart["previousName"], "home");
    assert_eq!(cart["previousId"], home["id"]);
    assert_eq!(cart["previousType"], "t");
    assert_eq!(cart["transitionType"], "push");
    assert_eq!(entity(&events[2], "mobile/screen").unwrap()["id"], cart["id"]);
    assert_eq!(entity(&events[1], "mobile/screen").unwrap()["name"], "cart");
}

#[test]
fn custom_entities_and_timestamps() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.session_context = false);
    let options = TrackOptions {
        context: vec![sdj(
            "iglu:com.snowplowanalytics.snowplow/application/jsonschema/1-0-0",
            r#"{"version":"1.2.3"}"#,
        )],
        timestamp: Some(Timestamp::True(1_600_000_000_123)),
    };
    track(&mut t, &mut env, Event::PageView { title: Some("Custom".into()) }, options);
    let options =
        TrackOptions { timestamp: Some(Timestamp::Device(1_650_000_000_456)), ..Default::default() };
    track(&mut t, &mut env, Event::PageView { title: None }, options);
    let events = drain(&mut t, &mut env);
    assert_eq!(events[0]["page_title"], "Custom");
    assert_eq!(events[0]["true_tstamp"], "2020-09-13T12:26:40.123Z");
    assert_eq!(entity(&events[0], "application").unwrap()["version"], "1.2.3");
    assert!(entity(&events[0], "client_session").is_none());
    assert_eq!(events[1]["dvce_created_tstamp"], "2022-04-15T05:20:00.456Z");
    assert_ne!(entity(&events[0], "web_page").unwrap()["id"], entity(&events[1], "web_page").unwrap()["id"]);
}

#[test]
fn new_session_is_written_at_once_and_reported_once() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let first = track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    assert!(first.session_update.is_some(), "first event of a session notifies");
    let old = t.state().session_id.clone();
    let update: Value = serde_json::from_str(&t.new_session(&mut env)).unwrap();
    assert_eq!(update["previousSessionId"], old.as_str());
    assert!(env.cookie("_sp_id.8809").unwrap().contains(update["sessionId"].as_str().unwrap()));
    let next = track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    assert!(next.session_update.is_none(), "newSession already notified");
    let later = track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    assert!(later.session_update.is_none());
}

#[test]
fn http_pages_default_to_non_secure_cookies_and_host_only_without_discovery() {
    let mut env = MemoryEnv::at(T0);
    let mut config = Config::new("sp", "127.0.0.1:9090");
    config.discover_root_domain = false;
    let b = BrowserInfo { protocol: "http:".into(), hostname: "localhost".into(), ..browser() };
    let t = Tracker::new(config, b, Some("ignored".into()), false, &mut env).unwrap();
    assert_eq!(t.storage_keys().0, "_sp_id.1fff");
    assert_eq!(t.config().endpoint(), "http://127.0.0.1:9090/com.snowplowanalytics.snowplow/tp2");
    assert!(!env.cookie_log[0].contains("Secure"));
    assert!(!env.cookie_log[0].contains("Domain="));
}

#[test]
fn bad_input_names_the_field_and_tracks_nothing() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let se = StructEvent { category: "".into(), action: "a".into(), ..Default::default() };
    let err = t
        .track(
            &mut env,
            Event::Struct(se),
            TrackOptions::default(),
            &page(),
            &mut Sink { events: &mut Vec::new(), hooks: &mut NoHooks },
        )
        .unwrap_err();
    assert!(err.to_string().contains("category"));
    assert_eq!(t.state().event_index, 0, "nothing tracked");
    let err = Tracker::new(Config::new("sp", "ftp://x"), browser(), None, false, &mut env).unwrap_err();
    assert!(err.to_string().contains("collectorUrl"));
    let bad = post_body(["{\"e\":\"pv\""], T0);
    let registry = snowtrack_collector::Registry::embedded();
    assert!(
        snowtrack_collector::validate_post_body(&registry, &bad)[0].is_err(),
        "the validator rejects incomplete events"
    );
}

/// The `screen_summary` data of an enriched event.
fn summary(e: &Value) -> Value {
    entity(e, "screen_summary").cloned().unwrap_or(Value::Null)
}

fn schema_name(e: &Value) -> String {
    e["unstruct_event"]["data"]["schema"].as_str().unwrap_or(e["event"].as_str().unwrap()).to_owned()
}

fn screen(name: &str) -> Event {
    Event::ScreenView(ScreenView { name: name.into(), ..Default::default() })
}

/// Applies a visibility change and keeps what it tracked.
fn visibility(t: &mut Tracker, env: &mut MemoryEnv, hidden: bool) {
    let mut out = Vec::new();
    t.visibility(env, hidden, &page(), &mut Sink { events: &mut out, hooks: &mut NoHooks });
    keep(out);
}

#[test]
fn screen_a_ten_seconds_visible_five_hidden_then_b_ends_a_with_ten_and_five() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    track(&mut t, &mut env, screen("A"), TrackOptions::default());
    env.now = T0 + 10_000;
    visibility(&mut t, &mut env, true);
    env.now = T0 + 15_000;
    visibility(&mut t, &mut env, false);
    track(&mut t, &mut env, screen("B"), TrackOptions::default());
    let events = drain(&mut t, &mut env);
    let names: Vec<String> = events.iter().map(schema_name).collect();
    assert_eq!(
        names,
        [
            "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0",
            "iglu:com.snowplowanalytics.snowplow/application_background/jsonschema/1-0-0",
            "iglu:com.snowplowanalytics.snowplow/application_foreground/jsonschema/1-0-0",
            "iglu:com.snowplowanalytics.mobile/screen_end/jsonschema/1-0-0",
            "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0",
        ]
    );
    assert_eq!(summary(&events[0]), Value::Null, "a screen view carries no summary");
    assert_eq!(summary(&events[1]), serde_json::json!({"foreground_sec": 10, "background_sec": 0}));
    assert_eq!(summary(&events[2]), serde_json::json!({"foreground_sec": 10, "background_sec": 5}));
    assert_eq!(summary(&events[3]), serde_json::json!({"foreground_sec": 10, "background_sec": 5}));
    assert_eq!(
        entity(&events[3], "mobile/screen").unwrap()["name"],
        "A",
        "screen_end carries the ending screen"
    );
    assert_eq!(entity(&events[4], "mobile/screen").unwrap()["name"], "B");
    assert_eq!(events[1]["unstruct_event"]["data"]["data"], serde_json::json!({"backgroundIndex": 1}));
    assert_eq!(events[2]["unstruct_event"]["data"]["data"], serde_json::json!({"foregroundIndex": 1}));
    let lifecycle: Vec<Value> =
        events.iter().map(|e| entity(e, "application_lifecycle").unwrap().clone()).collect();
    assert_eq!(
        lifecycle,
        [
            serde_json::json!({"isVisible": true, "index": 0}),
            serde_json::json!({"isVisible": false, "index": 1}),
            serde_json::json!({"isVisible": true, "index": 1}),
            serde_json::json!({"isVisible": true, "index": 1}),
            serde_json::json!({"isVisible": true, "index": 1}),
        ],
        "on every event, already in the new state on the transition's own event"
    );
}

#[test]
fn list_items_and_scrolls_fold_into_the_summary_while_engagement_is_on() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let item = |index, count| Event::ListItemView(ListItemView { index, items_count: Some(count) });
    let scroll = |y| {
        Event::ScrollChanged(ScrollChanged {
            y_offset: Some(y),
            view_height: Some(500),
            content_height: Some(3000),
            ..Default::default()
        })
    };
    let mut out = Vec::new();
    t.track(
        &mut env,
        item(1, 10),
        TrackOptions::default(),
        &page(),
        &mut Sink { events: &mut out, hooks: &mut NoHooks },
    )
    .unwrap();
    assert!(out.is_empty(), "before any screen view: folded into nothing, not sent");
    track(&mut t, &mut env, screen("list"), TrackOptions::default());
    for event in [item(3, 10), item(2, 10), scroll(0), scroll(1200)] {
        t.track(
            &mut env,
            event,
            TrackOptions::default(),
            &page(),
            &mut Sink { events: &mut out, hooks: &mut NoHooks },
        )
        .unwrap();
    }
    assert!(out.is_empty(), "not sent as events");
    env.now = T0 + 2500;
    track(&mut t, &mut env, screen("next"), TrackOptions::default());
    let events = drain(&mut t, &mut env);
    assert_eq!(events.len(), 3);
    assert_eq!(
        summary(&events[1]),
        serde_json::json!({"foreground_sec": 2.5, "background_sec": 0, "last_item_index": 3, "items_count": 10,
            "min_y_offset": 0, "max_y_offset": 1700, "content_height": 3000})
    );

    // Engagement off: they are events of their own, valid against their schemas.
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.screen_engagement_autotracking = false);
    track(&mut t, &mut env, screen("list"), TrackOptions::default());
    track(&mut t, &mut env, item(4, 12), TrackOptions::default());
    track(
        &mut t,
        &mut env,
        Event::ScrollChanged(ScrollChanged {
            x_offset: Some(-3),
            y_offset: Some(40),
            view_width: Some(800),
            ..Default::default()
        }),
        TrackOptions::default(),
    );
    track(&mut t, &mut env, screen("next"), TrackOptions::default());
    let events = drain(&mut t, &mut env);
    let names: Vec<String> = events.iter().map(schema_name).collect();
    assert!(
        names[1].contains("list_item_view")
            && names[2].contains("scroll_changed")
            && names[3].contains("screen_view"),
        "{names:?}"
    );
    assert_eq!(
        events[1]["unstruct_event"]["data"]["data"],
        serde_json::json!({"index": 4, "items_count": 12})
    );
    assert_eq!(
        events[2]["unstruct_event"]["data"]["data"],
        serde_json::json!({"x_offset": -3, "y_offset": 40, "view_width": 800})
    );
    assert!(events.iter().all(|e| entity(e, "screen_summary").is_none()), "no screen_end without engagement");
}

#[test]
fn the_background_event_is_checked_against_the_foreground_timeout_and_the_foreground_event_against_the_background_one()
 {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| {
        c.foreground_timeout_s = 100;
        c.background_timeout_s = 2;
    });
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    env.now = T0 + 1000;
    visibility(&mut t, &mut env, true);
    env.now = T0 + 3500;
    visibility(&mut t, &mut env, false);
    let events = drain(&mut t, &mut env);
    let index = |e: &Value| entity(e, "client_session").unwrap()["sessionIndex"].as_u64().unwrap();
    assert_eq!(
        events.iter().map(index).collect::<Vec<_>>(),
        [1, 1, 2],
        "hidden 2.5 s > backgroundTimeout 2 s"
    );
    assert_eq!(
        entity(&events[2], "client_session").unwrap()["previousSessionId"],
        events[0]["domain_sessionid"]
    );
}

#[test]
fn page_hide_ends_the_screen_or_goes_to_the_background() {
    // Lifecycle on: pagehide while visible is the background event, carrying the summary.
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    track(&mut t, &mut env, screen("A"), TrackOptions::default());
    env.now = T0 + 4000;
    let mut out = Vec::new();
    t.page_hide(&mut env, &page(), &mut Sink { events: &mut out, hooks: &mut NoHooks });
    keep(out);
    visibility(&mut t, &mut env, true); // the visibilitychange after pagehide: nothing more
    let events = drain(&mut t, &mut env);
    assert_eq!(events.len(), 2);
    assert!(schema_name(&events[1]).contains("application_background"));
    assert_eq!(summary(&events[1])["foreground_sec"], 4);

    // Lifecycle off: the screen ends, so its time leaves with the page-hide flush.
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.lifecycle_autotracking = false);
    track(&mut t, &mut env, screen("A"), TrackOptions::default());
    env.now = T0 + 4000;
    let mut out = Vec::new();
    t.page_hide(&mut env, &page(), &mut Sink { events: &mut out, hooks: &mut NoHooks });
    keep(out);
    let events = drain(&mut t, &mut env);
    assert!(schema_name(&events[1]).contains("screen_end"));
    assert_eq!(summary(&events[1])["foreground_sec"], 4);
    assert!(events.iter().all(|e| entity(e, "application_lifecycle").is_none()));
}

#[test]
fn a_page_opened_hidden_sends_its_first_foreground_when_shown() {
    let mut env = MemoryEnv::at(T0);
    let mut config = Config::new("sp", "https://collector.example.com");
    config.foreground_timeout_s = 1800;
    let mut t = Tracker::new(config, browser(), Some("example.com".into()), true, &mut env).unwrap();
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    visibility(&mut t, &mut env, false);
    let events = drain(&mut t, &mut env);
    assert_eq!(
        entity(&events[0], "application_lifecycle").unwrap(),
        &serde_json::json!({"isVisible": false, "index": 0})
    );
    assert_eq!(events[1]["unstruct_event"]["data"]["data"], serde_json::json!({"foregroundIndex": 1}));
}

#[test]
fn given_previous_screen_fields_are_kept() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    track(&mut t, &mut env, screen("A"), TrackOptions::default());
    let given =
        ScreenView { name: "B".into(), previous_name: Some("elsewhere".into()), ..Default::default() };
    track(&mut t, &mut env, Event::ScreenView(given), TrackOptions::default());
    let events = drain(&mut t, &mut env);
    let b = &events[2]["unstruct_event"]["data"]["data"];
    assert_eq!(b["previousName"], "elsewhere");
    assert!(b.get("previousId").is_none(), "given fields are kept, none filled");
}

// ---- The web data model: page pings, single-page apps, link clicks, getters (issue 14) -------

fn page_at(url: &str, title: &str) -> PageFacts {
    PageFacts { url: url.into(), title: title.into(), ..page() }
}

fn track_on(t: &mut Tracker, env: &mut MemoryEnv, page: &PageFacts, event: Event) {
    let mut out = Vec::new();
    t.track(env, event, TrackOptions::default(), page, &mut Sink { events: &mut out, hooks: &mut NoHooks })
        .unwrap();
    keep(out);
}

fn ping(min_x: f64, max_x: f64, min_y: f64, max_y: f64) -> Event {
    Event::PagePing(Extents { min_x, max_x, min_y, max_y })
}

#[test]
fn page_pings_carry_url_title_referrer_rounded_extents_and_their_page_view() {
    for method in [Method::Post, Method::Get] {
        let mut env = MemoryEnv::at(T0);
        let mut t = tracker(&mut env, |c| c.method = method);
        track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
        env.now += 10_000;
        track(&mut t, &mut env, ping(0.0, 0.4, 10.5, 1199.6), TrackOptions::default());
        track(&mut t, &mut env, Event::PageView { title: Some("Second".into()) }, TrackOptions::default());
        track(&mut t, &mut env, ping(-2.5, 3.0, 0.0, 0.0), TrackOptions::default());
        let events = drain(&mut t, &mut env);
        let pv1 = entity(&events[0], "web_page").unwrap()["id"].clone();
        let pv2 = entity(&events[2], "web_page").unwrap()["id"].clone();
        assert_ne!(pv1, pv2);
        let (p1, p2) = (&events[1], &events[3]);
        assert_eq!(p1["event"], "page_ping", "{method:?}");
        assert_eq!(entity(p1, "web_page").unwrap()["id"], pv1, "a ping belongs to the page view before it");
        assert_eq!(entity(p2, "web_page").unwrap()["id"], pv2);
        assert_eq!(
            (p1["page_url"].as_str(), p1["page_title"].as_str()),
            (Some("https://www.example.com/shop?x=1"), Some("Shop"))
        );
        assert_eq!(p1["page_referrer"], "https://search.example/");
        assert_eq!(p2["page_title"], "Second", "the page view's own title");
        // Math.round, and a 0 offset left out as the JS tracker adds only truthy ones.
        let offsets = |e: &Value| {
            ["pp_xoffset_min", "pp_xoffset_max", "pp_yoffset_min", "pp_yoffset_max"].map(|k| e[k].as_i64())
        };
        assert_eq!(offsets(p1), [None, None, Some(11), Some(1200)]);
        assert_eq!(offsets(p2), [Some(-2), Some(3), None, None]);
        assert!(entity(p1, "client_session").is_some(), "session rules apply");
    }
}

#[test]
fn a_ping_keeps_its_page_view_title_until_the_document_title_changes() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let doc = page_at("https://www.example.com/a", "Doc");
    track_on(&mut t, &mut env, &doc, Event::PageView { title: Some("Given".into()) });
    track_on(&mut t, &mut env, &doc, ping(0.0, 0.0, 0.0, 0.0));
    track_on(&mut t, &mut env, &page_at("https://www.example.com/a", "Doc 2"), ping(0.0, 0.0, 0.0, 0.0));
    t.page_state().set_document_title(&doc, "Set".into());
    track_on(&mut t, &mut env, &doc, Event::PageView { title: None });
    track_on(&mut t, &mut env, &doc, Event::PageView { title: Some(String::new()) });
    let titles: Vec<_> = drain(&mut t, &mut env).iter().map(|e| e["page_title"].clone()).collect();
    assert_eq!(titles, ["Given", "Given", "Doc 2", "Set", "Set"]);
}

#[test]
fn single_page_app_urls_referrers_and_page_view_ids() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let a = page_at("https://www.example.com/a", "A");
    let b = page_at("https://www.example.com/b", "B");
    let c = page_at("https://www.example.com/c", "C");
    let first_id = t.page_state().page_view_id(|| env.new_uuid()).to_owned();
    track_on(&mut t, &mut env, &a, Event::PageView { title: None });
    track_on(&mut t, &mut env, &b, Event::PageView { title: None });
    track_on(
        &mut t,
        &mut env,
        &b,
        Event::Struct(StructEvent { category: "c".into(), action: "a".into(), ..Default::default() }),
    );
    track_on(&mut t, &mut env, &c, Event::PageView { title: None });
    t.page_state().set_custom_url(&c, "https://www.example.com/custom".into());
    t.page_state().set_referrer_url("https://landing.example/".into());
    t.page_state().preserve_page_view_id();
    track_on(&mut t, &mut env, &page_at("https://www.example.com/d", "D"), Event::PageView { title: None });
    let events = drain(&mut t, &mut env);
    let row = |e: &Value| {
        (e["page_url"].as_str().unwrap().to_owned(), e["page_referrer"].as_str().unwrap_or("").to_owned())
    };
    let rows: Vec<_> = events.iter().map(row).collect();
    let at = |p: &str| format!("https://www.example.com/{p}");
    assert_eq!(rows[0], (at("a"), "https://search.example/".into()), "document.referrer first");
    assert_eq!(rows[1], (at("b"), at("a")), "then the URL before");
    assert_eq!(rows[2], (at("b"), at("a")), "the same URL: the same referrer");
    assert_eq!(rows[3], (at("c"), at("b")));
    assert_eq!(rows[4], (at("custom"), "https://landing.example/".into()), "custom URL and referrer stick");
    let ids: Vec<_> =
        events.iter().map(|e| entity(e, "web_page").unwrap()["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids[0], first_id, "the first page view keeps the id made before it");
    assert_ne!(ids[1], ids[0], "later page views rotate it");
    assert_eq!(ids[2], ids[1], "other events keep it");
    assert_ne!(ids[3], ids[2]);
    assert_eq!(ids[4], ids[3], "preservePageViewId()");
}

#[test]
fn link_clicks_are_valid_link_click_events() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let data = r#"{"targetUrl":"https://www.example.com/abc","elementId":"","elementClasses":["class-1","class-2"],"elementTarget":"_blank"}"#;
    let click = SelfDescribingJson::new("event", snowtrack::engine::event::LINK_CLICK_SCHEMA, data).unwrap();
    track(&mut t, &mut env, Event::SelfDescribing(click), TrackOptions::default());
    let events = drain(&mut t, &mut env);
    assert_eq!(
        events[0]["unstruct_event"]["data"]["data"]["elementClasses"],
        serde_json::json!(["class-1", "class-2"])
    );
}

#[test]
fn domain_user_info_is_the_stored_id_cookie_as_the_js_tracker_parses_it() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    track(&mut t, &mut env, Event::PageView { title: None }, TrackOptions::default());
    let (stored, value) = t.domain_user_info(&mut env);
    assert!(stored);
    assert_eq!(value, env.cookie("_sp_id.8809").unwrap());
    let mut env = MemoryEnv::at(T0);
    let t = tracker(&mut env, |c| c.state_storage = StateStorage::None);
    let (stored, value) = t.domain_user_info(&mut env);
    assert!(!stored, "nothing stored: the tracker's own state");
    assert!(value.starts_with(&t.state().domain_user_id));
}
