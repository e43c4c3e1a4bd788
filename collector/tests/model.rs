//! The unified data model (`/micro/model/{views,sessions,users}`) against the real binary: a
//! recorded mobile and web event sequence, posted as tracker-protocol requests, gives known rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{Map, Value, json};

/// 2024-05-01T10:00:00Z.
const T0: i64 = 1_714_557_600_000;
const SCREEN_END: &str = "iglu:com.snowplowanalytics.mobile/screen_end/jsonschema/1-0-0";
const SCREEN_SUMMARY: &str = "iglu:com.snowplowanalytics.mobile/screen_summary/jsonschema/1-0-0";
const LIFECYCLE: &str = "iglu:com.snowplowanalytics.mobile/application_lifecycle/jsonschema/1-0-0";
const LIST_ITEM_VIEW: &str = "iglu:com.snowplowanalytics.mobile/list_item_view/jsonschema/1-0-0";
const SCROLL_CHANGED: &str = "iglu:com.snowplowanalytics.mobile/scroll_changed/jsonschema/1-0-0";
const BACKGROUND: &str = "iglu:com.snowplowanalytics.snowplow/application_background/jsonschema/1-0-0";
const FOREGROUND: &str = "iglu:com.snowplowanalytics.snowplow/application_foreground/jsonschema/1-0-0";

const S1: &str = "11111111-1111-4111-8111-111111111111";
const S2: &str = "22222222-2222-4222-8222-222222222222";
const S3: &str = "33333333-3333-4333-8333-333333333333";
const S4: &str = "44444444-4444-4444-8444-444444444444";
const USER: &str = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa";
const WEB_USER: &str = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb";
const SCREEN_A: &str = "a0000000-0000-4000-8000-00000000000a";
const SCREEN_B: &str = "b0000000-0000-4000-8000-00000000000b";
const SCREEN_C: &str = "c0000000-0000-4000-8000-00000000000c";
const PAGE_1: &str = "d0000000-0000-4000-8000-000000000001";
const PAGE_2: &str = "d0000000-0000-4000-8000-000000000002";

fn sdj(schema: &str, data: Value) -> Value {
    json!({"schema": schema, "data": data})
}

/// Fields of an event tracked at `T0 + at_ms` on `platform` (`ttm` makes it the derived time).
fn at(e: &str, platform: &str, at_ms: i64) -> Map<String, Value> {
    let t = (T0 + at_ms).to_string();
    let v = json!({"e": e, "eid": uuid(), "tv": "test-1", "aid": "model", "p": platform,
                   "dtm": t, "stm": t, "ttm": t});
    v.as_object().unwrap().clone()
}

fn client_session(session: &str, index: i64, event_index: i64) -> Value {
    sdj(
        CLIENT_SESSION,
        json!({"userId": USER, "sessionId": session, "sessionIndex": index,
        "eventIndex": event_index, "storageMechanism": "SQLITE", "previousSessionId": null}),
    )
}

fn screen(id: &str, name: &str) -> Value {
    sdj(SCREEN, json!({"id": id, "name": name}))
}

/// A mobile self-describing event with these entities (plus `client_session`).
fn mobile(at_ms: i64, session: (&str, i64, i64), event: Value, mut entities: Vec<Value>) -> Value {
    let mut e = at("ue", "mob", at_ms);
    e.insert("ue_pr".into(), sdj(UNSTRUCT, event).to_string().into());
    entities.push(client_session(session.0, session.1, session.2));
    e.insert("co".into(), contexts(&entities).to_string().into());
    Value::Object(e)
}

fn summary(data: Value) -> Value {
    sdj(SCREEN_SUMMARY, data)
}

fn lifecycle(visible: bool, index: Option<i64>) -> Value {
    match index {
        Some(i) => sdj(LIFECYCLE, json!({"isVisible": visible, "index": i})),
        None => sdj(LIFECYCLE, json!({"isVisible": visible})),
    }
}

/// A web event of session S3 (domain ids only, no client_session) on page `page_id`.
fn web(e: &str, at_ms: i64, page_id: &str, extra: &[(&str, &str)]) -> Value {
    let mut ev = at(e, "web", at_ms);
    for (k, v) in [("duid", WEB_USER), ("sid", S3), ("vid", "1"), ("ds", "1280x3000"), ("vp", "1280x720")] {
        ev.insert(k.into(), v.into());
    }
    for (k, v) in extra {
        ev.insert((*k).into(), (*v).into());
    }
    ev.insert("co".into(), contexts(&[sdj(WEB_PAGE, json!({"id": page_id}))]).to_string().into());
    Value::Object(ev)
}

fn recorded_sequence() -> Vec<Vec<Value>> {
    let s1 = |n| (S1, 1, n);
    let home = || screen(SCREEN_A, "Home");
    let settings = || screen(SCREEN_B, "Settings");
    let background_b = mobile(
        30_000,
        s1(8),
        sdj(BACKGROUND, json!({"backgroundIndex": 2})),
        vec![
            settings(),
            summary(json!({"foreground_sec": 9.5, "background_sec": 0.0})),
            lifecycle(false, Some(2)),
        ],
    );
    let mobile_batch = vec![
        // Screen A viewed; 10 s later the app goes to the background for 5 s.
        mobile(
            0,
            s1(1),
            sdj(SCREEN_VIEW, json!({"name": "Home", "id": SCREEN_A, "type": "feed"})),
            vec![home(), lifecycle(true, None)],
        ),
        mobile(
            10_000,
            s1(2),
            sdj(BACKGROUND, json!({"backgroundIndex": 1})),
            vec![
                home(),
                summary(json!({"foreground_sec": 10.0, "background_sec": 0.0})),
                lifecycle(false, Some(1)),
            ],
        ),
        mobile(
            15_000,
            s1(3),
            sdj(FOREGROUND, json!({"foregroundIndex": 1})),
            vec![
                home(),
                summary(json!({"foreground_sec": 10.0, "background_sec": 5.0})),
                lifecycle(true, Some(1)),
            ],
        ),
        // List and scroll events (sent with screen engagement off; the summary carries them too).
        mobile(17_000, s1(4), sdj(LIST_ITEM_VIEW, json!({"index": 3, "items_count": 10})), vec![home()]),
        mobile(
            18_000,
            s1(5),
            sdj(SCROLL_CHANGED, json!({"y_offset": 700, "view_height": 800, "content_height": 3000})),
            vec![home()],
        ),
        // Screen B replaces A: screen_end of A with its summary, 15 s foreground, 5 s background.
        mobile(
            20_000,
            s1(6),
            sdj(SCREEN_END, json!({})),
            vec![
                home(),
                summary(json!({"foreground_sec": 15.0, "background_sec": 5.0, "last_item_index": 3,
                    "items_count": 10, "min_y_offset": 0, "max_y_offset": 1500, "content_height": 3000})),
            ],
        ),
        mobile(
            20_500,
            s1(7),
            sdj(
                SCREEN_VIEW,
                json!({"name": "Settings", "id": SCREEN_B, "previousId": SCREEN_A, "previousName": "Home"}),
            ),
            vec![settings()],
        ),
        background_b.clone(),
    ];
    // The same user's second session, an hour later.
    let second_session = vec![mobile(
        3_600_000,
        (S2, 2, 1),
        sdj(SCREEN_VIEW, json!({"name": "Home", "id": SCREEN_C})),
        vec![screen(SCREEN_C, "Home")],
    )];
    // A web session: a page view with three page pings, a second page view, a structured event.
    let ping = |ms, may: &str| {
        web("pp", ms, PAGE_1, &[("pp_mix", "0"), ("pp_max", "0"), ("pp_miy", "0"), ("pp_may", may)])
    };
    let web_batch = vec![
        web("pv", 100_000, PAGE_1, &[("page", "Shop"), ("url", "http://127.0.0.1:8080/shop")]),
        ping(105_300, "500"),
        ping(115_200, "1500"),
        ping(125_400, "1200"),
        web("pv", 130_000, PAGE_2, &[("page", "Cart"), ("url", "http://127.0.0.1:8080/cart")]),
        web("se", 131_000, PAGE_2, &[("se_ca", "cart"), ("se_ac", "checkout")]),
    ];
    // Left out of the model: an event without a session, and a session without any view.
    let mut no_session = at("se", "web", 140_000);
    no_session.insert("se_ca".into(), "c".into());
    no_session.insert("se_ac".into(), "a".into());
    let mut no_view = no_session.clone();
    no_view.insert("eid".into(), uuid().into());
    no_view.insert("sid".into(), S4.into());
    vec![
        mobile_batch,
        vec![background_b], // a retried request: the duplicate is ignored
        second_session,
        web_batch,
        vec![Value::Object(no_session), Value::Object(no_view)],
    ]
}

fn rows(c: &Collector, table: &str) -> Vec<Value> {
    c.get_json(&format!("/micro/model/{table}")).as_array().unwrap().clone()
}

#[test]
fn views_sessions_and_users_of_a_recorded_sequence() {
    let c = Collector::start(&[]);
    let batches = recorded_sequence();
    let sent: usize = batches.iter().map(Vec::len).sum();
    // Sent newest batch first: the model orders by derived_tstamp, not by arrival.
    for batch in batches.iter().rev() {
        c.send(batch);
    }
    assert_eq!(c.all(), json!({"total": sent, "good": sent, "bad": 0}), "{:?}", c.bad());

    let views = rows(&c, "views");
    let view = |id: &str| {
        views.iter().find(|v| v["view_id"] == id).unwrap_or_else(|| panic!("no view {id}")).clone()
    };
    assert_eq!(
        views.iter().map(|v| v["view_id"].as_str().unwrap()).collect::<Vec<_>>(),
        [SCREEN_A, SCREEN_B, PAGE_1, PAGE_2, SCREEN_C],
        "by start"
    );
    let mut a = view(SCREEN_A);
    assert!(a["event_id"].as_str().unwrap().len() == 36);
    // A's end_tstamp is its start, although A lasted 20 s: as in the Snowplow unified dbt model
    // (snowplow/dbt-snowplow-unified, read at commit 0562597). There a view's end is its last page
    // ping's time (`snowplow_unified_pv_engaged_time.sql`: `max(derived_tstamp)` over `page_ping`
    // events); the rows it makes from screen summaries carry a null end, and
    // `snowplow_unified_views_this_run.sql` falls back to the view's own `derived_tstamp`
    // (`coalesce(t.end_tstamp, p.derived_tstamp)`). A screen view's length is in
    // `absolute_time_in_s` (foreground_sec + background_sec: 15 + 5) instead.
    a.as_object_mut().unwrap().remove("event_id");
    assert_eq!(
        a,
        json!({
            "view_id": SCREEN_A, "view_type": "screen_view", "name": "Home", "screen_type": "feed",
            "page_url": null, "platform": "mob", "session_identifier": S1, "user_identifier": USER,
            "view_in_session_index": 1, "views_in_session": 2,
            "previous_view_id": null, "previous_view_name": null,
            "start_tstamp": "2024-05-01T10:00:00Z", "end_tstamp": "2024-05-01T10:00:00Z",
            "engaged_time_in_s": 15.0, "absolute_time_in_s": 20.0,
            "foreground_sec": 15.0, "background_sec": 5.0, "screen_summaries": 3,
            "horizontal_pixels_scrolled": null, "vertical_pixels_scrolled": 1500,
            "horizontal_percentage_scrolled": null, "vertical_percentage_scrolled": 50,
            "last_list_item_index": 3, "list_items_count": 10, "list_items_percentage_scrolled": 40,
            "events": 6
        })
    );
    let b = view(SCREEN_B);
    for (k, v) in [
        ("name", json!("Settings")),
        ("view_in_session_index", json!(2)),
        ("previous_view_id", json!(SCREEN_A)),
        ("previous_view_name", json!("Home")),
        ("start_tstamp", json!("2024-05-01T10:00:20.500Z")),
        ("engaged_time_in_s", json!(9.5)),
        ("absolute_time_in_s", json!(9.5)),
        ("foreground_sec", json!(9.5)),
        ("background_sec", json!(0.0)),
        ("screen_summaries", json!(1)),
        ("vertical_percentage_scrolled", json!(null)),
        ("list_items_percentage_scrolled", json!(null)),
        ("events", json!(2)),
    ] {
        assert_eq!(b[k], v, "B.{k}");
    }
    let mut p1 = view(PAGE_1);
    p1.as_object_mut().unwrap().remove("event_id");
    assert_eq!(
        p1,
        json!({
            "view_id": PAGE_1, "view_type": "page_view", "name": "Shop", "screen_type": null,
            "page_url": "http://127.0.0.1:8080/shop", "platform": "web", "session_identifier": S3,
            "user_identifier": WEB_USER, "view_in_session_index": 1, "views_in_session": 2,
            "previous_view_id": null, "previous_view_name": null,
            "start_tstamp": "2024-05-01T10:01:40Z", "end_tstamp": "2024-05-01T10:02:05.400Z",
            // 3 ping buckets of 10 s: 10 × (3 − 1) + 5.
            "engaged_time_in_s": 25.0, "absolute_time_in_s": 25.0,
            "foreground_sec": null, "background_sec": null, "screen_summaries": 0,
            "horizontal_pixels_scrolled": 0, "vertical_pixels_scrolled": 1500,
            "horizontal_percentage_scrolled": 100, "vertical_percentage_scrolled": 74,
            "last_list_item_index": null, "list_items_count": null, "list_items_percentage_scrolled": null,
            "events": 4
        })
    );
    let p2 = view(PAGE_2);
    for (k, v) in [
        ("previous_view_id", json!(PAGE_1)),
        ("previous_view_name", json!("Shop")),
        ("engaged_time_in_s", json!(0.0)),
        ("absolute_time_in_s", json!(0.0)),
        ("end_tstamp", json!("2024-05-01T10:02:10Z")),
        ("vertical_percentage_scrolled", json!(24)),
        ("events", json!(2)),
    ] {
        assert_eq!(p2[k], v, "P2.{k}");
    }
    let sc = view(SCREEN_C);
    assert_eq!((sc["session_identifier"].as_str(), sc["views_in_session"].as_u64()), (Some(S2), Some(1)));
    assert_eq!((&sc["previous_view_id"], &sc["engaged_time_in_s"]), (&json!(null), &json!(0.0)));

    let sessions = rows(&c, "sessions");
    assert_eq!(
        sessions.iter().map(|s| s["session_identifier"].as_str().unwrap()).collect::<Vec<_>>(),
        [S1, S3, S2],
        "by start; S4 has no view"
    );
    let without_timeline = |s: &Value| {
        let mut s = s.clone();
        s.as_object_mut().unwrap().remove("timeline");
        s
    };
    assert_eq!(
        without_timeline(&sessions[0]),
        json!({
            "session_identifier": S1, "session_index": 1, "user_identifier": USER, "user_id": null,
            "platform": "mob", "start_tstamp": "2024-05-01T10:00:00Z", "end_tstamp": "2024-05-01T10:00:30Z",
            "absolute_time_in_s": 30, "engaged_time_in_s": 25, "foreground_sec": 24.5, "background_sec": 5.0,
            "total_events": 8, "views": 2, "page_views": 0, "screen_views": 2, "screen_names_viewed": 2,
            "is_engaged": true,
            "first_view_id": SCREEN_A, "first_view_name": "Home", "last_view_id": SCREEN_B, "last_view_name": "Settings",
            "background_periods": [
                {"start_tstamp": "2024-05-01T10:00:10Z", "end_tstamp": "2024-05-01T10:00:15Z"},
                {"start_tstamp": "2024-05-01T10:00:30Z", "end_tstamp": "2024-05-01T10:00:30Z"}
            ]
        })
    );
    let names: Vec<&str> = sessions[0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["event_name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "screen_view",
            "application_background",
            "application_foreground",
            "list_item_view",
            "scroll_changed",
            "screen_end",
            "screen_view",
            "application_background"
        ]
    );
    assert_eq!(
        sessions[0]["timeline"][5],
        json!({"event_id": sessions[0]["timeline"][5]["event_id"],
        "event_name": "screen_end", "tstamp": "2024-05-01T10:00:20Z", "view_id": SCREEN_A})
    );
    assert_eq!(
        without_timeline(&sessions[1]),
        json!({
            "session_identifier": S3, "session_index": 1, "user_identifier": WEB_USER, "user_id": null,
            "platform": "web", "start_tstamp": "2024-05-01T10:01:40Z", "end_tstamp": "2024-05-01T10:02:11Z",
            "absolute_time_in_s": 31, "engaged_time_in_s": 25, "foreground_sec": null, "background_sec": null,
            "total_events": 6, "views": 2, "page_views": 2, "screen_views": 0, "screen_names_viewed": 0,
            "is_engaged": true,
            "first_view_id": PAGE_1, "first_view_name": "Shop", "last_view_id": PAGE_2, "last_view_name": "Cart",
            "background_periods": []
        })
    );
    let s2 = without_timeline(&sessions[2]);
    for (k, v) in [
        ("session_index", json!(2)),
        ("user_identifier", json!(USER)),
        ("absolute_time_in_s", json!(0)),
        ("engaged_time_in_s", json!(0)),
        ("total_events", json!(1)),
        ("is_engaged", json!(false)),
        ("first_view_name", json!("Home")),
    ] {
        assert_eq!(s2[k], v, "S2.{k}");
    }

    assert_eq!(
        rows(&c, "users"),
        vec![
            json!({
                "user_identifier": USER, "user_id": null,
                "start_tstamp": "2024-05-01T10:00:00Z", "end_tstamp": "2024-05-01T11:00:00Z",
                "sessions": 2, "views": 3, "screen_names_viewed": 3, "engaged_time_in_s": 25,
                "absolute_time_in_s": 30, "active_days": 1,
                "first_session_identifier": S1, "last_session_identifier": S2,
                "first_platform": "mob", "on_web": false, "on_mobile": true
            }),
            json!({
                "user_identifier": WEB_USER, "user_id": null,
                "start_tstamp": "2024-05-01T10:01:40Z", "end_tstamp": "2024-05-01T10:02:11Z",
                "sessions": 1, "views": 2, "screen_names_viewed": 0, "engaged_time_in_s": 25,
                "absolute_time_in_s": 31, "active_days": 1,
                "first_session_identifier": S3, "last_session_identifier": S3,
                "first_platform": "web", "on_web": true, "on_mobile": false
            }),
        ]
    );

    // A reset empties the model.
    c.reset();
    for table in ["sessions", "views", "users"] {
        assert_eq!(rows(&c, table), Vec::<Value>::new(), "{table}");
    }
}

#[test]
fn screens_on_a_web_page_are_views_of_their_own() {
    // The mobile model on the web: screen views with the web_page entity on (snowtrack's
    // defaults). dbt would merge both screens into the page view; here each is a view.
    let c = Collector::start(&[]);
    let web_page = sdj(WEB_PAGE, json!({"id": PAGE_1}));
    let web_mobile = |at_ms, index, event: Value, mut entities: Vec<Value>| {
        entities.push(web_page.clone());
        let mut e = mobile(at_ms, (S4, 1, index), event, entities);
        e["p"] = "web".into();
        e
    };
    let sv = |id: &str, name: &str| {
        sdj("iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0", json!({"id": id, "name": name}))
    };
    c.send(&[
        web_mobile(0, 1, sv(SCREEN_A, "home"), vec![screen(SCREEN_A, "home")]),
        web_mobile(
            4_000,
            2,
            sdj(SCREEN_END, json!({})),
            vec![screen(SCREEN_A, "home"), summary(json!({"foreground_sec": 4, "background_sec": 0}))],
        ),
        web_mobile(4_000, 3, sv(SCREEN_B, "cart"), vec![screen(SCREEN_B, "cart")]),
    ]);
    let views = rows(&c, "views");
    let ids: Vec<&str> = views.iter().map(|v| v["view_id"].as_str().unwrap()).collect();
    assert_eq!(ids, [SCREEN_A, SCREEN_B]);
    assert_eq!(views[0]["foreground_sec"], 4.0);
}

#[test]
fn the_heartbeat_and_minimum_visit_length_are_configurable() {
    let c = Collector::start(&["--model-heartbeat", "5", "--model-min-visit-length", "2"]);
    // A session whose first view-type event is a ping starts a minimum visit length earlier.
    c.send(&[
        web("pp", 5_300, PAGE_1, &[("pp_may", "10")]),
        web("pp", 10_200, PAGE_1, &[("pp_may", "10")]),
        web("pp", 15_400, PAGE_1, &[("pp_may", "10")]),
    ]);
    let sessions = rows(&c, "sessions");
    assert_eq!(sessions.len(), 1);
    // Buckets of 5 s: 1, 2, 3 → 5 × (3 − 1) + 2.
    assert_eq!(sessions[0]["engaged_time_in_s"], 12);
    assert_eq!(sessions[0]["start_tstamp"], "2024-05-01T10:00:03.300Z");
    assert_eq!(sessions[0]["absolute_time_in_s"], 12);
    assert_eq!(sessions[0]["views"], 1);
    assert_eq!(rows(&c, "views"), Vec::<Value>::new(), "pings alone make no view row");
    assert_eq!(c.get("/micro/model/nope").0, 404);
    drop(c);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_snowtrack-collector"))
        .args(["--port", "0", "--model-heartbeat", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}

#[test]
fn the_sessions_page_is_self_contained() {
    let c = Collector::start(&[]);
    let (status, headers, body) = c.get("/micro/ui/sessions");
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("/micro/model/sessions") && html.contains("/micro/model/views"));
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing fetched from elsewhere");
    assert!(!html.contains("<script src") && !html.contains("<link"), "self-contained");
}
