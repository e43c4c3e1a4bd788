//! Host tests of the whole tracker core against the JS tracker's expectations, with every
//! payload validated by the local collector's Iglu validation (the official schemas).
#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use serde_json::Value;
use snowtrack::core::config::{Config, Method, StateStorage};
use snowtrack::core::env::{Env, MemoryEnv};
use snowtrack::core::event::{Event, ScreenView, SelfDescribingJson, StructEvent, Timestamp, TrackOptions};
use snowtrack::core::payload::post_body;
use snowtrack::core::queue::Outcome;
use snowtrack::core::tracker::{BrowserInfo, Page, Tracker};

const T0: i64 = 1_700_000_000_000;

fn browser() -> BrowserInfo {
    BrowserInfo {
        protocol: "https:".into(),
        hostname: "www.example.com".into(),
        timezone: "Europe/London".into(),
        language: "en-GB".into(),
        charset: "UTF-8".into(),
        resolution: "1920x1080".into(),
        color_depth: "24".into(),
        cookie_enabled: true,
    }
}

fn page() -> Page {
    Page {
        url: "https://www.example.com/shop?x=1".into(),
        referrer: "https://search.example/".into(),
        title: "Shop".into(),
        viewport: "1200x800".into(),
        document_size: "1200x3000".into(),
    }
}

fn tracker(env: &mut MemoryEnv, f: impl FnOnce(&mut Config)) -> Tracker {
    let mut config = Config::new("sp", "https://collector.example.com");
    f(&mut config);
    Tracker::new(config, browser(), Some("example.com".into()), env).unwrap()
}

fn sdj(schema: &str, data: &str) -> SelfDescribingJson {
    SelfDescribingJson::new("event", schema, data).unwrap()
}

/// Sends everything queued as POST bodies, validates them with the collector's validator,
/// and returns the enriched events.
fn drain(t: &mut Tracker, env: &mut MemoryEnv) -> Vec<Value> {
    let registry = snowtrack_collector::Registry::embedded();
    let mut enriched = Vec::new();
    while let Some(request) = t.next_request(env, T0, None) {
        let results = match request.body() {
            Some(body) => snowtrack_collector::validate_post_body(&registry, &body),
            None => {
                let url = request.full_url();
                let query = url.split_once('?').unwrap().1;
                let params: serde_json::Map<String, Value> = query
                    .split('&')
                    .map(|kv| {
                        let (k, v) = kv.split_once('=').unwrap();
                        (k.to_owned(), Value::String(snowtrack::core::cookie::decode_uri_component(v)))
                    })
                    .collect();
                vec![snowtrack_collector::validate_event(&registry, &params)]
            }
        };
        for result in results {
            enriched.push(result.unwrap_or_else(|errors| panic!("bad event: {errors:?}")));
        }
        let (outcome, _) = t.complete(env, request.id, Some(200), 0.0, None);
        assert_eq!(outcome, Outcome::Delivered);
    }
    enriched
}

fn entity<'a>(event: &'a Value, name: &str) -> Option<&'a Value> {
    event["contexts"]["data"]
        .as_array()?
        .iter()
        .find(|e| e["schema"].as_str().unwrap().contains(name))
        .map(|e| &e["data"])
}

fn all_events(t: &mut Tracker, env: &mut MemoryEnv) {
    let o = TrackOptions::default;
    t.track(env, Event::PageView { title: None }, o(), &page()).unwrap();
    t.track(
        env,
        Event::ScreenView(ScreenView {
            name: "home".into(),
            screen_type: Some("feed".into()),
            ..Default::default()
        }),
        o(),
        &page(),
    )
    .unwrap();
    t.track(
        env,
        Event::SelfDescribing(sdj(
            "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1",
            r#"{"targetUrl":"https://a.example/"}"#,
        )),
        o(),
        &page(),
    )
    .unwrap();
    let se = StructEvent {
        category: "shop".into(),
        action: "add".into(),
        label: Some("sku-1".into()),
        property: Some("red".into()),
        value: Some("2.5".into()),
    };
    t.track(env, Event::Struct(se), o(), &page()).unwrap();
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
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
    let first_sid = t.state().session_id.clone();
    env.now += 1001;
    let tracked =
        t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
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
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
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
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
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
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
    env.now += 2500;
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
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
        t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
    }
    env.now += 6000;
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
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
    let mut t = tracker(&mut env, |_| {});
    let sv = |name: &str| {
        Event::ScreenView(ScreenView {
            name: name.into(),
            screen_type: Some("t".into()),
            transition_type: Some("push".into()),
            id: None,
        })
    };
    t.track(&mut env, sv("home"), TrackOptions::default(), &page()).unwrap();
    t.track(&mut env, sv("cart"), TrackOptions::default(), &page()).unwrap();
    t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
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
    t.track(&mut env, Event::PageView { title: Some("Custom".into()) }, options, &page()).unwrap();
    let options =
        TrackOptions { timestamp: Some(Timestamp::Device(1_650_000_000_456)), ..Default::default() };
    t.track(&mut env, Event::PageView { title: None }, options, &page()).unwrap();
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
    let first = t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
    assert!(first.session_update.is_some(), "first event of a session notifies");
    let old = t.state().session_id.clone();
    let update: Value = serde_json::from_str(&t.new_session(&mut env)).unwrap();
    assert_eq!(update["previousSessionId"], old.as_str());
    assert!(env.cookie("_sp_id.8809").unwrap().contains(update["sessionId"].as_str().unwrap()));
    let next = t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
    assert!(next.session_update.is_none(), "newSession already notified");
    let later = t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap();
    assert!(later.session_update.is_none());
}

#[test]
fn http_pages_default_to_non_secure_cookies_and_host_only_without_discovery() {
    let mut env = MemoryEnv::at(T0);
    let mut config = Config::new("sp", "127.0.0.1:9090");
    config.discover_root_domain = false;
    let b = BrowserInfo { protocol: "http:".into(), hostname: "localhost".into(), ..browser() };
    let t = Tracker::new(config, b, Some("ignored".into()), &mut env).unwrap();
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
    let err = t.track(&mut env, Event::Struct(se), TrackOptions::default(), &page()).unwrap_err();
    assert!(err.to_string().contains("category"));
    assert!(t.queue().is_empty());
    let err = Tracker::new(Config::new("sp", "ftp://x"), browser(), None, &mut env).unwrap_err();
    assert!(err.to_string().contains("collectorUrl"));
    let bad = post_body(["{\"e\":\"pv\""], T0);
    let registry = snowtrack_collector::Registry::embedded();
    assert!(
        snowtrack_collector::validate_post_body(&registry, &bad)[0].is_err(),
        "the validator rejects incomplete events"
    );
}

/// The queue keys `t`'s namespace has in storage under other tabs than its own.
fn other_tabs_keys(env: &MemoryEnv, t: &Tracker) -> Vec<String> {
    let prefix = t.queue_prefix();
    env.storage_keys(prefix)
        .into_iter()
        .filter(|k| snowtrack::core::tracker::queue_key_tab(prefix, k) != Some(t.tab_id()))
        .collect()
}

fn track_pv(t: &mut Tracker, env: &mut MemoryEnv) -> String {
    t.track(env, Event::PageView { title: None }, TrackOptions::default(), &page()).unwrap().event_id
}

/// A page view tracked in a task of its own: tracked, then written at the end of the task.
fn pv(t: &mut Tracker, env: &mut MemoryEnv) -> String {
    let id = track_pv(t, env);
    t.commit_queue(env);
    id
}

#[test]
fn events_of_a_task_are_persisted_as_one_chunk_until_all_are_delivered() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let prefix = t.queue_prefix().to_owned();
    let ids: Vec<String> = (0..3).map(|_| track_pv(&mut t, &mut env)).collect();
    assert!(env.storage_keys(&prefix).is_empty(), "written at the end of the task");
    t.commit_queue(&mut env);
    let keys = env.storage_keys(&prefix);
    assert_eq!(keys.len(), 1, "one chunk for the task");
    assert!(ids.iter().all(|id| env.storage[&keys[0]].contains(id.as_str())));
    let last = pv(&mut t, &mut env);
    assert_eq!(env.storage_keys(&prefix).len(), 2, "the next task, the next chunk");

    // The first request takes part of the first chunk: the chunk stays until all are delivered.
    let r = t.next_request(&mut env, T0, Some(2500)).unwrap();
    assert!((1..3).contains(&r.events()), "{} events", r.events());
    t.complete(&mut env, r.id, Some(200), 0.0, None);
    assert_eq!(env.storage_keys(&prefix).len(), 2, "kept until every event of the chunk got a 2xx");
    let r = t.next_request(&mut env, T0, None).unwrap();
    assert!(r.body().unwrap().contains(&last));
    t.complete(&mut env, r.id, Some(200), 0.0, None);
    assert!(env.storage_keys(&prefix).is_empty());
}

#[test]
fn chunks_delivered_out_of_order_each_leave_storage_once_done() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let prefix = t.queue_prefix().to_owned();
    let ids: Vec<String> = (0..3).map(|_| pv(&mut t, &mut env)).collect();
    let keys = env.storage_keys(&prefix);
    assert_eq!(keys.len(), 3, "three tasks, three chunks");
    // One event per request (a small budget), answered in the order 2, 3, 1.
    let requests: Vec<_> = (0..3).map(|_| t.next_request(&mut env, T0, Some(2000)).unwrap()).collect();
    assert!(requests.iter().all(|r| r.events() == 1));
    for (i, r) in [(1, &requests[1]), (2, &requests[2])] {
        assert!(r.body().unwrap().contains(&ids[i]));
        t.complete(&mut env, r.id, Some(200), 0.0, None);
        assert!(!env.storage.contains_key(&keys[i]), "chunk {i} left once delivered");
    }
    assert!(env.storage.contains_key(&keys[0]), "the undelivered first chunk stays");
    t.complete(&mut env, requests[0].id, Some(200), 0.0, None);
    assert!(env.storage_keys(&prefix).is_empty());
    let id = pv(&mut t, &mut env);
    let r = t.next_request(&mut env, T0, None).unwrap();
    t.complete(&mut env, r.id, Some(200), 0.0, None);
    assert!(r.body().unwrap().contains(&id) && env.storage_keys(&prefix).is_empty(), "bookkeeping goes on");
}

#[test]
fn storage_work_per_task_does_not_grow_with_the_queue() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.queue_limits.max_persisted_bytes = usize::MAX);
    let before = env.storage_writes;
    pv(&mut t, &mut env);
    let first = env.storage_writes - before;
    for _ in 0..5000 {
        pv(&mut t, &mut env);
    }
    let before = env.storage_writes;
    pv(&mut t, &mut env);
    assert_eq!(env.storage_writes - before, first, "one chunk per task, never a whole-queue rewrite");
    assert_eq!(first, 1);

    // A burst in one task: one write per 64 KiB of events, not one per event.
    let before = env.storage_writes;
    let mut bytes = 0;
    for _ in 0..500 {
        track_pv(&mut t, &mut env);
    }
    t.commit_queue(&mut env);
    let writes = (env.storage_writes - before) as usize;
    for key in env.storage_keys(t.queue_prefix()).iter().rev().take(writes) {
        bytes += env.storage[key].len();
    }
    assert!(writes <= bytes / (60 * 1024) + 1, "{writes} writes for {bytes} bytes");
    assert!(writes < 50);
}

#[test]
fn a_full_storage_quota_keeps_events_in_memory() {
    let mut env = MemoryEnv::at(T0);
    env.storage_quota = Some(5);
    let mut t = tracker(&mut env, |_| {});
    for _ in 0..20 {
        pv(&mut t, &mut env);
    }
    assert_eq!(t.queue().len(), 20);
    let events = drain(&mut t, &mut env);
    assert_eq!(events.len(), 20);
}

#[test]
fn a_full_queue_drops_and_reports() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.queue_limits.max_events = 3);
    let dropped: Vec<bool> = (0..5)
        .map(|_| {
            t.track(&mut env, Event::PageView { title: None }, TrackOptions::default(), &page())
                .unwrap()
                .dropped
        })
        .collect();
    assert_eq!(dropped, [false, false, false, true, true]);
    t.commit_queue(&mut env);
    assert_eq!(t.queue().stats().dropped, 2);
    let keys = env.storage_keys(t.queue_prefix());
    assert_eq!(keys.len(), 1, "the task's chunk");
    assert_eq!(env.storage[&keys[0]].lines().count(), 3, "dropped events are not persisted");
}

#[test]
fn leftovers_of_a_closed_page_are_adopted_and_rekeyed() {
    let mut env = MemoryEnv::at(T0);
    let mut old = tracker(&mut env, |_| {});
    let ids: Vec<String> = (0..4).map(|_| pv(&mut old, &mut env)).collect();
    let in_flight = old.next_request(&mut env, T0, Some(2000)).unwrap();
    assert!(in_flight.events() >= 1, "a batch was in flight when the page closed");
    drop(old);

    let mut new = tracker(&mut env, |_| {});
    let prefix = new.queue_prefix().to_owned();
    let orphans = other_tabs_keys(&env, &new);
    assert_eq!(orphans.len(), 4);
    assert_eq!(new.adopt(&mut env, &orphans), 4);
    assert!(env.storage_keys(&prefix).iter().all(|k| k.contains(new.tab_id())));
    let events = drain(&mut new, &mut env);
    let got: Vec<&str> = events.iter().map(|e| e["event_id"].as_str().unwrap()).collect();
    assert_eq!(got, ids.iter().map(String::as_str).collect::<Vec<_>>());
}

#[test]
fn failed_sends_back_off_then_resend_the_same_events() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |_| {});
    let id = pv(&mut t, &mut env);
    let r = t.next_request(&mut env, T0, None).unwrap();
    let (outcome, done) = t.complete(&mut env, r.id, Some(503), 0.0, Some(5000));
    assert_eq!(outcome, Outcome::Failed);
    assert_eq!(done.retry_at_ms, Some(T0 + 5000), "Retry-After honoured");
    assert!(t.next_request(&mut env, T0 + 4999, None).is_none());
    let again = t.next_request(&mut env, T0 + 5000, None).unwrap();
    assert!(again.body().unwrap().contains(&id), "same eid on retry");
    assert_ne!(again.body(), r.body(), "stm differs per attempt");
    let (outcome, _) = t.complete(&mut env, again.id, None, 0.0, None);
    assert_eq!(outcome, Outcome::Failed);
    let third = t.next_request(&mut env, T0 + 7000, None).unwrap();
    t.complete(&mut env, third.id, Some(400), 0.0, None);
    assert!(t.queue().is_empty(), "400 is never retried");
    let stats = t.queue().stats();
    assert_eq!((stats.sent, stats.failed, stats.retried), (0, 1, 2));
}

#[test]
fn adoption_stops_when_the_queue_is_full_and_leaves_the_rest_persisted() {
    let mut env = MemoryEnv::at(T0);
    let mut old = tracker(&mut env, |_| {});
    for _ in 0..6 {
        pv(&mut old, &mut env);
    }
    drop(old);
    let mut new = tracker(&mut env, |c| c.queue_limits.max_events = 4);
    let prefix = new.queue_prefix().to_owned();
    let orphans = env.storage_keys(&prefix);
    assert_eq!(new.adopt(&mut env, &orphans), 4);
    assert_eq!(new.queue().stats().dropped, 0, "nothing dropped: the rest waits in storage");
    let left = other_tabs_keys(&env, &new);
    assert_eq!(left.len(), 2);
    drain(&mut new, &mut env);
    assert_eq!(new.adopt(&mut env, &left), 2);
}

#[test]
fn a_chunk_adopted_in_part_keeps_the_rest_under_its_key() {
    let mut env = MemoryEnv::at(T0);
    let mut old = tracker(&mut env, |_| {});
    let ids: Vec<String> = (0..6).map(|_| track_pv(&mut old, &mut env)).collect();
    old.commit_queue(&mut env);
    drop(old);
    let mut new = tracker(&mut env, |c| c.queue_limits.max_events = 4);
    let prefix = new.queue_prefix().to_owned();
    let orphans = env.storage_keys(&prefix);
    assert_eq!(orphans.len(), 1, "one task, one chunk");
    assert_eq!(new.adopt(&mut env, &orphans), 4);
    assert_eq!(
        env.storage[&orphans[0]].lines().count(),
        2,
        "the two that did not fit stay under the old key"
    );
    assert!(ids[4..].iter().all(|id| env.storage[&orphans[0]].contains(id.as_str())));
    let own: Vec<String> =
        env.storage_keys(&prefix).into_iter().filter(|k| k.contains(new.tab_id())).collect();
    assert_eq!(own.len(), 1, "the adopted four, re-keyed as one chunk");
    let mut got: Vec<String> =
        drain(&mut new, &mut env).iter().map(|e| e["event_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(new.adopt(&mut env, &orphans), 2);
    assert!(!env.storage.contains_key(&orphans[0]), "fully adopted: the old key is gone");
    got.extend(drain(&mut new, &mut env).iter().map(|e| e["event_id"].as_str().unwrap().to_owned()));
    assert_eq!(got, ids, "every event once, in order");
}

#[test]
fn persisted_bytes_are_capped_and_freed_on_delivery() {
    let mut env = MemoryEnv::at(T0);
    let mut t = tracker(&mut env, |c| c.queue_limits.max_persisted_bytes = 4000);
    for _ in 0..20 {
        pv(&mut t, &mut env);
    }
    let prefix = t.queue_prefix().to_owned();
    let persisted = env.storage_keys(&prefix).len();
    assert!((1..20).contains(&persisted), "only what fits in 4000 bytes is persisted: {persisted}");
    assert_eq!(t.queue().len(), 20, "the rest waits in memory");
    drain(&mut t, &mut env);
    assert!(env.storage_keys(&prefix).is_empty());
    pv(&mut t, &mut env);
    assert_eq!(env.storage_keys(&prefix).len(), 1, "delivery frees the room");
}
