//! The snowtrack-only test API against the real binary: fault injection (`/snowtrack/faults`)
//! on every kind of collector request, and the event-id listing (`/snowtrack/eids`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};

const FAULTS: &str = "/snowtrack/faults";

fn set_fault(c: &Collector, spec: &Value) -> Value {
    c.post_json(FAULTS, spec)
}

fn faults(c: &Collector) -> Value {
    c.get_json(FAULTS)
}

fn delete_faults(c: &Collector) -> Value {
    let mut resp = c.agent.delete(&c.url(FAULTS)).call().unwrap();
    assert_eq!(resp.status(), 200);
    serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap()
}

fn post_events(c: &Collector, path: &str, events: &[Value]) -> (u16, ureq::http::HeaderMap, String) {
    c.post(path, JSON_UTF8, &envelope(events).to_string())
}

#[test]
fn refuses_the_next_n_requests_with_retry_after_and_records_nothing() {
    let c = Collector::start(&[]);
    let report = set_fault(&c, &json!({"status": 503, "retryAfter": 2, "count": 2}));
    assert_eq!(report["active"]["spec"], json!({"status": 503, "retryAfter": 2, "count": 2}));
    assert_eq!(report["active"]["remaining"], 2);

    for _ in 0..2 {
        let (status, headers, body) = post_events(&c, TP2, &[page_view(1), structured(2)]);
        assert_eq!(status, 503, "{body}");
        assert_eq!(headers["retry-after"], "2");
        assert_eq!(headers["access-control-expose-headers"], "Retry-After");
        assert_eq!(headers["access-control-allow-origin"], "*");
        assert!(body.contains("injected fault"), "{body}");
    }
    assert_eq!(c.all(), json!({"total": 0, "good": 0, "bad": 0}), "refused events are not recorded");

    let (status, _, body) = post_events(&c, TP2, &[page_view(3)]);
    assert_eq!((status, body.as_str()), (200, "ok"), "the fault ended after 2 requests");
    assert_eq!(c.all()["good"], 1);

    let report = faults(&c);
    assert_eq!(report["active"], Value::Null);
    assert_eq!((report["requests"].as_u64(), report["refused"].as_u64()), (Some(3), Some(2)));
    let log = report["log"].as_array().unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], TP2);
    assert_eq!(log[0]["status"], 503);
    assert!(log[0]["atMs"].as_i64().unwrap() <= log[1]["atMs"].as_i64().unwrap());
}

#[test]
fn applies_to_get_pixels_custom_post_paths_and_vendor_paths() {
    let c = Collector::start(&["--post-path", "/com.acme/track"]);
    set_fault(&c, &json!({"status": 429, "retryAfter": "Wed, 21 Oct 2026 07:28:00 GMT"}));
    let query = to_query(&page_view(1));
    for path in [format!("/i?{query}"), format!("/ice.png?{query}"), format!("{TP2}?{query}")] {
        let (status, headers, _) = c.get(&path);
        assert_eq!(status, 429, "{path}");
        assert_eq!(headers["retry-after"], "Wed, 21 Oct 2026 07:28:00 GMT");
    }
    assert_eq!(post_events(&c, "/com.acme/track", &[page_view(1)]).0, 429);
    assert_eq!(post_events(&c, "/com.other/v1", &[page_view(1)]).0, 429);
    // The test API itself, Micro's API and preflights are never refused.
    assert_eq!(c.get("/health").0, 200);
    assert_eq!(c.all(), json!({"total": 0, "good": 0, "bad": 0}));
    let preflight = ureq::http::Request::builder()
        .method("OPTIONS")
        .uri(c.url(FAULTS))
        .header("Origin", "http://page.test")
        .header("Access-Control-Request-Method", "DELETE")
        .body(())
        .unwrap();
    let resp = c.agent.run(preflight).unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["access-control-allow-methods"].to_str().unwrap().contains("DELETE"));

    let report = delete_faults(&c);
    assert_eq!(report["active"], Value::Null);
    assert_eq!(report["refused"], 5);
    assert_eq!(c.get(&format!("/i?{query}")).0, 200);
    assert_eq!(c.all()["good"], 1);
}

#[test]
fn a_duration_limits_the_fault() {
    let c = Collector::start(&[]);
    set_fault(&c, &json!({"status": 500, "durationMs": 400}));
    let (status, headers, _) = post_events(&c, TP2, &[page_view(1)]);
    assert_eq!(status, 500);
    assert!(headers.get("retry-after").is_none());
    let remaining = faults(&c)["active"]["remainingMs"].as_u64().unwrap();
    assert!(remaining <= 400, "{remaining}");
    std::thread::sleep(Duration::from_millis(450));
    assert_eq!(faults(&c)["active"], Value::Null);
    assert_eq!(post_events(&c, TP2, &[page_view(1)]).0, 200);
    assert_eq!(c.all()["good"], 1);
}

#[test]
fn a_delay_holds_requests_then_handles_them() {
    let c = Collector::start(&[]);
    set_fault(&c, &json!({"delayMs": 300, "count": 1}));
    let start = Instant::now();
    let (status, _, _) = post_events(&c, TP2, &[page_view(1)]);
    assert_eq!(status, 200);
    assert!(start.elapsed() >= Duration::from_millis(300), "{:?}", start.elapsed());
    assert_eq!(c.all()["good"], 1, "a delayed request is recorded");
    let start = Instant::now();
    assert_eq!(post_events(&c, TP2, &[page_view(2)]).0, 200);
    assert!(start.elapsed() < Duration::from_millis(300), "count 1: the second is not delayed");
    let report = faults(&c);
    assert_eq!((report["delayed"].as_u64(), report["refused"].as_u64()), (Some(1), Some(0)));

    // A delay and a status: wait, then refuse.
    set_fault(&c, &json!({"delayMs": 200, "status": 503, "count": 1}));
    let start = Instant::now();
    assert_eq!(post_events(&c, TP2, &[page_view(3)]).0, 503);
    assert!(start.elapsed() >= Duration::from_millis(200));
    assert_eq!(c.all()["good"], 2);
}

#[test]
fn invalid_faults_are_refused_and_reset_clears_the_counters() {
    let c = Collector::start(&[]);
    for bad in [
        json!({}),
        json!({"status": 200}),
        json!({"status": 503, "count": 0}),
        json!({"delayMs": 5, "retryAfter": 1}),
        json!({"status": 503, "retyAfter": 1}),
        json!({"status": "503"}),
    ] {
        let (status, _, body) = c.post(FAULTS, "application/json", &bad.to_string());
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.starts_with("invalid fault"), "{body}");
    }
    assert_eq!(faults(&c)["active"], Value::Null);
    let (status, _, _) = c.post(FAULTS, "application/json", "not json");
    assert_eq!(status, 400);
    let resp = c.agent.put(&c.url(FAULTS)).send("{}").unwrap();
    assert_eq!(resp.status(), 405);

    set_fault(&c, &json!({"status": 503}));
    assert_eq!(post_events(&c, TP2, &[page_view(1)]).0, 503);
    c.reset();
    let report = faults(&c);
    assert_eq!((report["requests"].as_u64(), report["refused"].as_u64()), (Some(0), Some(0)));
    assert!(report["log"].as_array().unwrap().is_empty());
    assert_eq!(report["active"]["spec"]["status"], 503, "reset keeps the fault in force");
    delete_faults(&c);
}

#[test]
fn the_test_api_answers_cors_requests() {
    let c = Collector::start(&[]);
    let mut resp = c.agent.get(&c.url(FAULTS)).header("Origin", "http://127.0.0.1:8000").call().unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "http://127.0.0.1:8000");
    assert_eq!(resp.headers()["access-control-allow-credentials"], "true");
    let report: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap()).unwrap();
    assert_eq!(report, json!({"active": null, "requests": 0, "refused": 0, "delayed": 0, "log": []}));
    // Pages on other sites may not read it (see tests/cors.rs for the whole policy).
    let resp = c.agent.get(&c.url(FAULTS)).header("Origin", "http://page.test").call().unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("access-control-allow-origin").is_none());
    assert_eq!(c.get("/snowtrack/nothing").0, 404);
}

#[test]
fn eids_lists_every_stored_event_with_duplicates() {
    let c = Collector::start(&[]);
    let a = page_view(1);
    let b = structured(2);
    let mut bad = page_view(3);
    bad["p"] = "nowhere".into();
    c.send(&[a.clone(), b.clone(), bad.clone()]);
    c.send(std::slice::from_ref(&a));
    let v = c.get_json("/snowtrack/eids");
    assert_eq!(v["count"], 4);
    assert_eq!(v["distinct"], 3);
    assert_eq!(v["eids"], json!([a["eid"], b["eid"], bad["eid"], a["eid"]]));
    c.reset();
    assert_eq!(c.get_json("/snowtrack/eids"), json!({"count": 0, "distinct": 0, "eids": []}));
}
