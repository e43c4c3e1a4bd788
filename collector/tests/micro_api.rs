//! Micro's inspection API against the real binary: shapes, filters, reset, Iglu lookups, custom
//! schemas (`--iglu`), the bounded ring, NDJSON outputs and the live view.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{Value, json};

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn good_and_bad_events_have_micros_shape() {
    let c = Collector::start(&[]);
    let mut bad = page_view(1);
    bad["eid"] = "nope".into();
    c.send(&[page_view(1), bad]);
    let good = c.good();
    let mut k = keys(&good[0]);
    k.sort();
    assert_eq!(k, ["contexts", "event", "eventType", "incomplete", "rawEvent", "schema"]);
    let mut k = keys(&good[0]["rawEvent"]);
    k.sort();
    assert_eq!(k, ["api", "contentType", "context", "parameters", "source"]);
    let mut k = keys(&good[0]["rawEvent"]["context"]);
    k.sort();
    assert_eq!(k, ["headers", "ipAddress", "refererUri", "timestamp", "userId", "useragent"]);
    let mut k = keys(&good[0]["rawEvent"]["source"]);
    k.sort();
    assert_eq!(k, ["encoding", "hostname", "name"]);
    // All 131 atomic fields, null when empty, in enriched-event order.
    let ev = &good[0]["event"];
    assert_eq!(keys(ev).len(), 131);
    for f in [
        "geo_city",
        "mkt_source",
        "tr_orderid",
        "ti_sku",
        "br_name",
        "os_name",
        "event_fingerprint",
        "true_tstamp",
    ] {
        assert_eq!(ev[f], Value::Null, "{f}");
    }
    assert_eq!(ev["derived_contexts"], json!({}));
    let raw = c.get("/micro/good").2;
    let text = String::from_utf8(raw).unwrap();
    assert!(text.starts_with(r#"[{"rawEvent":{"api":"#), "{}", &text[..80]);
    assert!(text.contains(r#""event":{"app_id":"demo","platform":"web","etl_tstamp":"#));

    let bad = c.bad();
    let mut k = keys(&bad[0]);
    k.sort();
    assert_eq!(k, ["collectorPayload", "errors", "rawEvent"]);
    let mut k = keys(&bad[0]["collectorPayload"]);
    k.sort();
    assert_eq!(k, ["api", "body", "contentType", "context", "querystring", "source"]);
    assert_eq!(bad[0]["errors"][0], "Error while validating the event.");
}

#[test]
fn filters_limits_and_newest_first() {
    let c = Collector::start(&[]);
    c.send(&[page_view(1)]);
    c.send(&[screen_view("a", 2), screen_view("b", 3)]);
    c.send(&[structured(4)]);
    let mut bad = page_view(5);
    bad["p"] = "nowhere".into();
    c.send(&[bad]);
    let (status, _, _) = c.get("/i?e=pv&p=web&tv=t");
    assert_eq!(status, 200);
    assert_eq!(c.all(), json!({"total": 6, "good": 4, "bad": 2}));
    assert_eq!(c.post_json("/micro/all", &json!({})), json!({"total": 6, "good": 4, "bad": 2}));

    let good = c.good();
    assert_eq!(good[0]["eventType"], "struct", "newest first");
    assert_eq!(good[3]["eventType"], "page_view");

    let by_type = c.post_json("/micro/good", &json!({"event_type": "unstruct"}));
    assert_eq!(by_type.as_array().unwrap().len(), 2);
    assert_eq!(by_type[0]["event"]["unstruct_event"]["data"]["data"]["name"], "b");
    let limited = c.post_json("/micro/good", &json!({"event_type": "unstruct", "limit": 1}));
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(limited[0]["event"]["unstruct_event"]["data"]["data"]["name"], "b");
    let by_schema = c.post_json(
        "/micro/good",
        &json!({"schema": "iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0"}),
    );
    assert_eq!(by_schema.as_array().unwrap().len(), 1);
    let by_ctx = c.post_json("/micro/good", &json!({"contexts": [SCREEN, CLIENT_SESSION]}));
    assert_eq!(by_ctx.as_array().unwrap().len(), 2);
    let by_ctx = c.post_json("/micro/good", &json!({"contexts": [CLIENT_SESSION]}));
    assert_eq!(by_ctx.as_array().unwrap().len(), 4);
    let none = c.post_json("/micro/good", &json!({"event_type": "page_ping"}));
    assert_eq!(none, json!([]));
    // Raw `e` codes are not event types (as in Micro).
    assert_eq!(c.post_json("/micro/good", &json!({"event_type": "ue"})), json!([]));

    assert_eq!(c.post_json("/micro/bad", &json!({"version": "tp1"})).as_array().unwrap().len(), 1);
    assert_eq!(
        c.post_json("/micro/bad", &json!({"vendor": "com.snowplowanalytics.snowplow", "version": "tp2"}))
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(c.post_json("/micro/bad", &json!({"limit": 1})).as_array().unwrap().len(), 1);
    assert_eq!(c.post_json("/micro/bad", &json!({"vendor": "com.acme"})), json!([]));
    let (status, _, _) = c.post("/micro/good", "application/json", "{nope");
    assert_eq!(status, 400);

    c.reset();
    let (status, _, body) = c.post("/micro/reset", "application/json", "");
    assert_eq!((status, body.as_str()), (200, "Reset completed"));
    assert_eq!(c.all(), json!({"total": 0, "good": 0, "bad": 0}));
    assert_eq!(c.good(), Vec::<Value>::new());
    assert_eq!(c.bad(), Vec::<Value>::new());
}

#[test]
fn iglu_lookups() {
    let c = Collector::start(&[]);
    let schema = c.get_json("/micro/iglu/com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4");
    assert_eq!(schema["self"]["name"], "payload_data");
    let schema = c.get_json("/micro/iglu/com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0");
    assert_eq!(schema["self"]["vendor"], "com.snowplowanalytics.mobile");
    let (status, _, body) = c.get("/micro/iglu/com.acme/nope/jsonschema/1-0-0");
    assert_eq!(status, 404);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(v["value"]["Iglu Client Embedded"]["errors"][0]["error"], "NotFound");
    let (status, _, body) = c.get("/micro/iglu/com.acme/nope/jsonschema/1-0");
    assert_eq!(status, 404);
    assert!(String::from_utf8(body).unwrap().starts_with("Schema lookup should be in format"));
}

#[test]
fn custom_schemas_from_iglu_dirs() {
    let dir = std::env::temp_dir().join(format!("snowtrack-iglu-it-{}", std::process::id()));
    let path = dir.join("schemas/com.acme/checkout/jsonschema");
    std::fs::create_dir_all(&path).unwrap();
    let schema = json!({
        "$schema": "http://iglucentral.com/schemas/com.snowplowanalytics.self-desc/schema/jsonschema/1-0-0#",
        "self": {"vendor": "com.acme", "name": "checkout", "format": "jsonschema", "version": "1-0-0"},
        "type": "object",
        "properties": {"orderId": {"type": "string", "maxLength": 10}, "total": {"type": "number", "minimum": 0}},
        "required": ["orderId", "total"],
        "additionalProperties": false
    });
    std::fs::write(path.join("1-0-0"), schema.to_string()).unwrap();
    let uri = "iglu:com.acme/checkout/jsonschema/1-0-0";
    let c = Collector::start(&["--iglu", dir.to_str().unwrap()]);
    assert_eq!(c.get_json("/micro/iglu/com.acme/checkout/jsonschema/1-0-0")["self"]["name"], "checkout");
    c.send(&[
        self_describing(uri, json!({"orderId": "A-1", "total": 9.5}), 1),
        self_describing(uri, json!({"orderId": "A-2", "total": -1}), 2),
        self_describing(uri, json!({"orderId": "A-3"}), 3),
    ]);
    assert_eq!(c.all(), json!({"total": 3, "good": 1, "bad": 2}));
    assert_eq!(c.post_json("/micro/good", &json!({"schema": uri})).as_array().unwrap().len(), 1);
    let bad = c.bad();
    let text = serde_json::to_string(&bad).unwrap();
    assert!(text.contains("$.total") && text.contains("orderId"), "{text}");
    drop(c);
    // Without --iglu the schema is unknown.
    let c = Collector::start(&[]);
    c.send(&[self_describing(uri, json!({"orderId": "A-1", "total": 9.5}), 1)]);
    assert_eq!(c.all()["bad"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bounded_ring_and_ndjson_outputs() {
    let dir = std::env::temp_dir().join(format!("snowtrack-out-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good_out = dir.join("good.ndjson");
    let bad_out = dir.join("bad.ndjson");
    let c = Collector::start(&[
        "--max-events",
        "5",
        "--good-out",
        good_out.to_str().unwrap(),
        "--bad-out",
        bad_out.to_str().unwrap(),
    ]);
    let events: Vec<Value> = (1..=8).map(page_view).collect();
    c.send(&events);
    c.send(&[json!({"e": "pv"})]);
    assert_eq!(c.all(), json!({"total": 9, "good": 8, "bad": 1}));
    let good = c.good();
    assert_eq!(good.len(), 4, "ring keeps 5 events in total");
    let idx = |g: &Value| {
        g["event"]["contexts"]["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["schema"] == CLIENT_SESSION)
            .unwrap()["data"]["eventIndex"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(good.iter().map(idx).collect::<Vec<_>>(), vec![8, 7, 6, 5]);
    let lines: Vec<Value> = std::fs::read_to_string(&good_out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 8, "nothing lost in the NDJSON output");
    assert_eq!(lines[0]["eventType"], "page_view");
    assert_eq!(idx(&lines[0]), 1);
    let bad_lines = std::fs::read_to_string(&bad_out).unwrap();
    assert_eq!(bad_lines.lines().count(), 1);
    let b: Value = serde_json::from_str(bad_lines.lines().next().unwrap()).unwrap();
    assert_eq!(
        b["errors"][0],
        "Error while extracting event(s) from collector payload and validating it/them."
    );
    drop(c);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn live_view_page_and_rows() {
    let c = Collector::start(&[]);
    let (status, headers, body) = c.get("/micro/ui");
    assert_eq!(status, 200);
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("/micro/ui/rows"));
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing fetched from elsewhere");
    assert!(!html.contains("<script src") && !html.contains("<link"), "self-contained");

    c.send(&[page_view(1), screen_view("home", 2)]);
    let mut bad = structured(3);
    bad["se_va"] = "lots".into();
    c.send(&[bad]);
    let rows = c.get_json("/micro/ui/rows?after=0&gen=0");
    assert_eq!(rows["restart"], true);
    assert_eq!(rows["summary"], json!({"total": 3, "good": 2, "bad": 1}));
    let r = rows["rows"].as_array().unwrap();
    assert_eq!(r.len(), 3);
    assert_eq!(r[0]["type"], "page_view");
    assert_eq!(r[0]["sid"], SID);
    assert_eq!(r[0]["sessionIndex"], 3);
    assert_eq!(r[0]["eventIndex"], 1);
    assert_eq!(r[1]["schema"], SCREEN_VIEW);
    assert_eq!(r[1]["eventIndex"], 2);
    assert_eq!(r[2]["valid"], false);
    assert!(r[2]["errors"][0].as_str().unwrap().contains("se_va"));
    // Incremental polling.
    let generation = rows["generation"].as_u64().unwrap();
    let last = rows["last"].as_u64().unwrap();
    let again = c.get_json(&format!("/micro/ui/rows?after={last}&gen={generation}"));
    assert_eq!(again["restart"], false);
    assert_eq!(again["rows"], json!([]));
    c.send(&[structured(4)]);
    let more = c.get_json(&format!("/micro/ui/rows?after={last}&gen={generation}"));
    assert_eq!(more["rows"].as_array().unwrap().len(), 1);
    c.reset();
    let after_reset = c.get_json(&format!("/micro/ui/rows?after={last}&gen={generation}"));
    assert_eq!(after_reset["restart"], true);
    assert_eq!(after_reset["rows"], json!([]));
}
