//! The collector endpoints, end to end against the real binary: valid events of every type
//! snowtrack produces, every class of invalid input, GET pixel, cookies, CORS, static files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use common::*;
use serde_json::{Value, json};

fn event_of<'a>(good: &'a [Value], eid: &str) -> &'a Value {
    good.iter().find(|g| g["event"]["event_id"] == eid).unwrap_or_else(|| panic!("no good event {eid}"))
}

#[test]
fn every_snowtrack_event_type_is_good_with_atomic_fields() {
    let c = Collector::start(&[]);
    let pv = page_view(1);
    let sv = screen_view("home", 2);
    let sd =
        self_describing(LINK_CLICK, json!({"targetUrl": "https://example.com/x", "elementId": "cta"}), 3);
    let se = structured(4);
    c.send(&[pv.clone(), sv.clone(), sd.clone(), se.clone()]);
    assert_eq!(c.all(), json!({"total": 4, "good": 4, "bad": 0}), "{:?}", c.bad());
    let good = c.good();
    assert_eq!(good.len(), 4);

    let g = event_of(&good, pv["eid"].as_str().unwrap());
    assert_eq!(g["eventType"], "page_view");
    assert_eq!(g["schema"], "iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0");
    assert_eq!(g["contexts"], json!([WEB_PAGE, CLIENT_SESSION]));
    assert_eq!(g["incomplete"], false);
    let ev = &g["event"];
    assert_eq!(ev.as_object().unwrap().len(), 131);
    assert_eq!(ev["app_id"], "demo");
    assert_eq!(ev["platform"], "web");
    assert_eq!(ev["event"], "page_view");
    assert_eq!(ev["name_tracker"], "sp");
    assert_eq!(ev["v_tracker"], "rs-0.1.0");
    assert_eq!(ev["domain_userid"], DUID);
    assert_eq!(ev["domain_sessionid"], SID);
    assert_eq!(ev["domain_sessionidx"], 3);
    assert_eq!(ev["page_url"], "http://127.0.0.1:8080/shop?item=1#top");
    assert_eq!(ev["page_urlhost"], "127.0.0.1");
    assert_eq!(ev["page_urlport"], 8080);
    assert_eq!(ev["page_urlpath"], "/shop");
    assert_eq!(ev["page_urlquery"], "item=1");
    assert_eq!(ev["page_urlfragment"], "top");
    assert_eq!(ev["page_title"], "Shop");
    assert_eq!(ev["page_referrer"], "https://www.example.com/");
    assert_eq!(ev["refr_urlhost"], "www.example.com");
    assert_eq!(ev["refr_urlport"], 443);
    assert_eq!(ev["dvce_created_tstamp"], "2024-05-01T10:00:00Z");
    assert_eq!(ev["dvce_sent_tstamp"], "2024-05-01T10:00:00.100Z");
    assert!(ev["collector_tstamp"].as_str().unwrap().ends_with('Z'));
    assert!(ev["derived_tstamp"].is_string());
    assert_eq!(ev["os_timezone"], "Europe/Berlin");
    assert_eq!(ev["br_lang"], "en-US");
    assert_eq!(ev["br_cookies"], true);
    assert_eq!(ev["br_colordepth"], "24");
    assert_eq!(ev["dvce_screenwidth"], 1920);
    assert_eq!(ev["br_viewheight"], 720);
    assert_eq!(ev["doc_height"], 3000);
    assert_eq!(ev["user_ipaddress"], "127.0.0.1");
    assert!(ev["network_userid"].as_str().unwrap().len() == 36);
    assert_eq!(ev["event_vendor"], "com.snowplowanalytics.snowplow");
    assert_eq!(ev["event_name"], "page_view");
    assert_eq!(ev["unstruct_event"], Value::Null);
    assert_eq!(ev["geo_country"], Value::Null);
    assert_eq!(ev["contexts"]["schema"], CONTEXTS);
    let session =
        ev["contexts"]["data"].as_array().unwrap().iter().find(|e| e["schema"] == CLIENT_SESSION).unwrap();
    assert_eq!(session["data"]["eventIndex"], 1);
    assert_eq!(g["rawEvent"]["api"], json!({"vendor": "com.snowplowanalytics.snowplow", "version": "tp2"}));
    assert_eq!(g["rawEvent"]["parameters"]["e"], "pv");
    assert_eq!(g["rawEvent"]["contentType"], "application/json; charset=utf-8");

    let g = event_of(&good, sv["eid"].as_str().unwrap());
    assert_eq!(g["eventType"], "unstruct");
    assert_eq!(g["schema"], SCREEN_VIEW);
    assert_eq!(g["contexts"], json!([SCREEN, CLIENT_SESSION]));
    assert_eq!(g["event"]["unstruct_event"]["schema"], UNSTRUCT);
    assert_eq!(g["event"]["unstruct_event"]["data"]["schema"], SCREEN_VIEW);
    assert_eq!(g["event"]["unstruct_event"]["data"]["data"]["name"], "home");
    assert_eq!(g["event"]["event_vendor"], "com.snowplowanalytics.mobile");
    assert_eq!(g["event"]["event_name"], "screen_view");
    assert_eq!(g["event"]["event_format"], "jsonschema");
    assert_eq!(g["event"]["event_version"], "1-0-0");

    let g = event_of(&good, sd["eid"].as_str().unwrap());
    assert_eq!(g["schema"], LINK_CLICK);
    assert_eq!(g["event"]["unstruct_event"]["data"]["data"]["elementId"], "cta");

    let g = event_of(&good, se["eid"].as_str().unwrap());
    assert_eq!(g["eventType"], "struct");
    assert_eq!(g["schema"], "iglu:com.google.analytics/event/jsonschema/1-0-0");
    assert_eq!(g["event"]["se_category"], "shop");
    assert_eq!(g["event"]["se_action"], "add-to-basket");
    assert_eq!(g["event"]["se_label"], "sku-1");
    assert_eq!(g["event"]["se_property"], "red");
    assert_eq!(g["event"]["se_value"], 12.5);

    // One summary line per event on stdout.
    let lines = c.wait_lines(4);
    assert!(
        lines.iter().any(|l| l
            .starts_with("good page_view iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0")
            && l.contains(&format!("duid={DUID}"))
            && l.contains(&format!("sid={SID}"))
            && l.contains("sessionIndex=3")
            && l.contains("eventIndex=1")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.starts_with(&format!("good unstruct {SCREEN_VIEW}"))), "{lines:?}");
}

#[test]
fn get_pixel_with_base64_payloads() {
    let c = Collector::start(&[]);
    let sv = screen_view("settings", 7);
    let (status, headers, body) = c.get(&format!("/i?{}", to_query(&sv)));
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "image/gif");
    assert_eq!(headers["cache-control"], "no-cache, no-store, must-revalidate");
    assert_eq!(&body[..6], b"GIF89a");
    assert_eq!(body.len(), 43);
    let good = c.good();
    assert_eq!(good.len(), 1, "{:?}", c.bad());
    assert_eq!(good[0]["rawEvent"]["api"]["version"], "tp1");
    assert_eq!(good[0]["event"]["unstruct_event"]["data"]["data"]["name"], "settings");
    assert_eq!(good[0]["contexts"], json!([SCREEN, CLIENT_SESSION]));
    // GET on the tp2 path works too; an empty query string is a bad event.
    let (status, _, _) = c.get(&format!("{TP2}?{}", to_query(&page_view(1))));
    assert_eq!(status, 200);
    let (status, _, _) = c.get("/i");
    assert_eq!(status, 200);
    assert_eq!(c.all(), json!({"total": 3, "good": 2, "bad": 1}));
}

#[test]
fn network_user_id_cookie_and_anonymous_tracking() {
    let c = Collector::start(&[]);
    let body = envelope(&[page_view(1)]).to_string();
    let (_, headers, _) = c.post(TP2, JSON_UTF8, &body);
    let cookie = headers["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("sp="), "{cookie}");
    assert!(
        cookie.contains("Path=/") && cookie.contains("Max-Age=31536000") && cookie.contains("SameSite=None")
    );
    let nuid = cookie.trim_start_matches("sp=").split(';').next().unwrap().to_owned();
    assert_eq!(c.good()[0]["event"]["network_userid"], nuid.as_str());

    // The cookie comes back: same network user id.
    let mut resp = c
        .agent
        .post(&c.url(TP2))
        .header("Content-Type", JSON_UTF8)
        .header("Cookie", &format!("other=1; sp={nuid}"))
        .send(&body)
        .unwrap();
    assert_eq!(resp.body_mut().read_to_string().unwrap(), "ok");
    assert_eq!(c.good()[0]["event"]["network_userid"], nuid.as_str());

    // SP-Anonymous: no cookie, nil network user id, no IP, no Cookie header kept.
    let resp = c
        .agent
        .post(&c.url(TP2))
        .header("Content-Type", JSON_UTF8)
        .header("SP-Anonymous", "*")
        .header("Cookie", &format!("sp={nuid}"))
        .send(&body)
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers().get("set-cookie").is_none());
    let g = &c.good()[0];
    assert_eq!(g["event"]["network_userid"], "00000000-0000-0000-0000-000000000000");
    assert_eq!(g["event"]["user_ipaddress"], Value::Null);
    assert_eq!(g["rawEvent"]["context"]["ipAddress"], Value::Null);
    assert!(
        !g["rawEvent"]["context"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h.as_str().unwrap().starts_with("Cookie"))
    );
}

#[test]
fn cors_on_collector_and_micro_endpoints() {
    let c = Collector::start(&[]);
    for path in [TP2, "/i", "/micro/good", "/micro/all"] {
        let req = ureq::http::Request::builder()
            .method("OPTIONS")
            .uri(c.url(path))
            .header("Origin", "http://localhost:5173")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,sp-anonymous")
            .body(())
            .unwrap();
        let resp = c.agent.run(req).unwrap();
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], "http://localhost:5173");
        assert_eq!(h["access-control-allow-credentials"], "true");
        let allowed = h["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
        assert!(allowed.contains("content-type") && allowed.contains("sp-anonymous"));
    }
    let resp = c
        .agent
        .post(&c.url(TP2))
        .header("Content-Type", JSON_UTF8)
        .header("Origin", "http://localhost:5173")
        .send(&envelope(&[page_view(1)]).to_string())
        .unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "http://localhost:5173");
    assert_eq!(resp.headers()["access-control-allow-credentials"], "true");
    let resp = c.agent.get(&c.url("/micro/good")).header("Origin", "http://localhost:5173").call().unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "http://localhost:5173");
    // Without an Origin: `*` on the collection endpoints (as Snowplow's collector answers), nothing
    // on the inspection API (whose CORS answers only loopback and --allow-origin origins).
    let resp = c.agent.get(&c.url("/health")).call().unwrap();
    assert_eq!(resp.headers()["access-control-allow-origin"], "*");
    let resp = c.agent.get(&c.url("/micro/all")).call().unwrap();
    assert!(resp.headers().get("access-control-allow-origin").is_none());
}

fn assert_one_bad(c: &Collector, what: &str, needle: &str) -> Value {
    let bad = c.bad();
    assert_eq!(bad.len(), 1, "{what}: {bad:?}");
    assert_eq!(c.all()["good"], 0, "{what}");
    let errors = bad[0]["errors"].as_array().unwrap();
    let all: String = errors.iter().map(|e| e.as_str().unwrap()).collect::<Vec<_>>().join("\n");
    assert!(all.contains(needle), "{what}: expected {needle:?} in {all}");
    // errors[1] is a Snowplow bad row (compact JSON).
    let row: Value = serde_json::from_str(errors[1].as_str().unwrap()).unwrap();
    assert!(
        row["schema"].as_str().unwrap().starts_with("iglu:com.snowplowanalytics.snowplow.badrows/"),
        "{what}"
    );
    c.reset();
    bad[0].clone()
}

#[test]
fn invalid_payloads_are_bad_events() {
    let c = Collector::start(&[]);
    let post = |ct: &str, body: &str| {
        let (status, _, text) = c.post(TP2, ct, body);
        assert_eq!((status, text.as_str()), (200, "ok"), "{body}");
    };

    post(JSON_UTF8, "{not json");
    let b = assert_one_bad(&c, "malformed JSON", "not valid JSON");
    assert_eq!(
        b["errors"][0],
        "Error while extracting event(s) from collector payload and validating it/them."
    );
    assert_eq!(b["rawEvent"], Value::Null);
    assert_eq!(b["collectorPayload"]["body"], "{not json");
    assert_eq!(b["collectorPayload"]["api"]["version"], "tp2");

    post("text/plain", &envelope(&[page_view(1)]).to_string());
    assert_one_bad(&c, "wrong content type", "content type");

    post(JSON_UTF8, &json!({"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", "data": [page_view(1)]}).to_string());
    assert_one_bad(&c, "wrong envelope schema", "payload_data");

    post(JSON_UTF8, &json!({"schema": PAYLOAD_DATA, "data": []}).to_string());
    assert_one_bad(&c, "empty envelope", "empty list of events");

    post(JSON_UTF8, &json!({"schema": PAYLOAD_DATA, "data": [{"e": "pv", "p": "web", "tv": 1}]}).to_string());
    assert_one_bad(&c, "non-string value", "value is not a string");

    // Unknown schema.
    let unknown = self_describing("iglu:com.acme/unknown_event/jsonschema/1-0-0", json!({"a": 1}), 1);
    c.send(&[unknown]);
    let b = assert_one_bad(
        &c,
        "unknown schema",
        "iglu:com.acme/unknown_event/jsonschema/1-0-0: schema not found",
    );
    assert_eq!(b["errors"][0], "Error while validating the event.");
    assert_eq!(b["rawEvent"]["parameters"]["e"], "ue");
    assert!(b["collectorPayload"].is_object());

    // Data violating a schema: screen_view id must be a UUID, and a bad client_session entity.
    let mut sv = screen_view("x", 1);
    let ue = json!({"schema": UNSTRUCT, "data": {"schema": SCREEN_VIEW, "data": {"name": "x", "id": "not-a-uuid"}}});
    sv["ue_pr"] = ue.to_string().into();
    c.send(&[sv]);
    let b = assert_one_bad(&c, "schema violation", "$.id");
    let row: Value = serde_json::from_str(b["errors"][1].as_str().unwrap()).unwrap();
    assert_eq!(
        row["schema"],
        "iglu:com.snowplowanalytics.snowplow.badrows/schema_violations/jsonschema/2-0-0"
    );
    assert_eq!(row["data"]["failure"]["messages"][0]["schemaKey"], SCREEN_VIEW);
    assert_eq!(row["data"]["failure"]["messages"][0]["error"]["error"], "ValidationError");

    let mut pv = page_view(1);
    let mut session = session_entity(1);
    session["data"]["sessionIndex"] = json!("three");
    pv["co"] = contexts(&[session]).to_string().into();
    c.send(&[pv]);
    assert_one_bad(&c, "entity violation", "$.sessionIndex");

    // Bad base64 in cx / ue_px.
    let (status, _, _) = c.get("/i?e=pv&p=web&tv=t&eid=8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01&cx=%25%25%25");
    assert_eq!(status, 200);
    assert_one_bad(&c, "bad base64", "invalid base64");

    // Missing required fields and invalid atomic values.
    c.send(&[json!({"e": "pv", "p": "web", "tv": "t"})]);
    assert_one_bad(&c, "missing eid", "eid: required");
    let mut pv = page_view(1);
    pv["vid"] = "first".into();
    c.send(&[pv]);
    assert_one_bad(&c, "bad vid", "vid");

    // A batch can be partly good.
    let mut bad = page_view(1);
    bad["eid"] = "nope".into();
    c.send(&[page_view(1), bad, structured(2)]);
    assert_eq!(c.all(), json!({"total": 3, "good": 2, "bad": 1}));
}

#[test]
fn oversize_bodies_and_wrong_methods() {
    let c = Collector::start(&[]);
    let big = "x".repeat(1_100_000);
    let (status, _, _) = c.post(TP2, JSON_UTF8, &big);
    assert_eq!(status, 413);
    let (status, _, _) = c.post(TP2, JSON_UTF8, &"y".repeat(5_000_000));
    assert_eq!(status, 413);
    assert_eq!(c.all()["total"], 0);
    // Just under the limit is accepted (and is a bad event since it is not JSON).
    let (status, _, _) = c.post(TP2, JSON_UTF8, &"z".repeat(999_000));
    assert_eq!(status, 200);
    assert_eq!(c.all()["bad"], 1);

    for method in ["PUT", "DELETE", "PATCH"] {
        let req = ureq::http::Request::builder().method(method).uri(c.url(TP2)).body(()).unwrap();
        let resp = c.agent.run(req).unwrap();
        assert_eq!(resp.status().as_u16(), 405, "{method}");
    }
    let (status, _, _) = c.get("/nothing/here/at/all");
    assert_eq!(status, 404);
    let (status, _, body) = c.get("/micro/nope");
    assert_eq!(status, 404);
    assert!(String::from_utf8(body).unwrap().starts_with("Supported endpoints: /micro/all"));
    let (status, _, body) = c.get("/health");
    assert_eq!((status, body.as_slice()), (200, b"ok".as_slice()));
    // POST to an unknown vendor path is accepted at HTTP level, but there is no adapter for it.
    let (status, _, _) = c.post("/com.acme/v1", "application/json", "{}");
    assert_eq!(status, 200);
    let bad = c.bad();
    assert_eq!(bad[0]["collectorPayload"]["api"], json!({"vendor": "com.acme", "version": "v1"}));
}

#[test]
fn custom_post_paths() {
    let c = Collector::start(&["--post-path", "/com.acme/track"]);
    let (status, _, body) = c.post("/com.acme/track", JSON_UTF8, &envelope(&[page_view(1)]).to_string());
    assert_eq!((status, body.as_str()), (200, "ok"));
    let good = c.good();
    assert_eq!(good.len(), 1);
    assert_eq!(good[0]["rawEvent"]["api"]["version"], "tp2");
}

#[test]
fn static_files_are_served() {
    let dir = std::env::temp_dir().join(format!("snowtrack-static-it-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("index.html"), "<!doctype html><title>demo</title>").unwrap();
    std::fs::write(dir.join("pkg/snowtrack.js"), "export default 1;").unwrap();
    std::fs::write(dir.join("pkg/snowtrack_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(dir.join("app.mjs"), "export {};").unwrap();
    std::fs::create_dir_all(dir.join("docs")).unwrap();
    std::fs::write(dir.join("docs/index.html"), "<p>docs").unwrap();
    std::fs::write(dir.join(".env"), "SECRET=1").unwrap();
    std::fs::create_dir_all(dir.join("com.acme")).unwrap();
    std::fs::write(dir.join("com.acme/v1"), "static wins").unwrap();
    let c = Collector::start(&["--static", dir.to_str().unwrap()]);
    let check = |path: &str, ct: &str, body: &[u8]| {
        let (status, headers, got) = c.get(path);
        assert_eq!(status, 200, "{path}");
        assert_eq!(headers["content-type"], ct, "{path}");
        assert_eq!(got, body, "{path}");
    };
    check("/", "text/html; charset=utf-8", b"<!doctype html><title>demo</title>");
    check("/index.html", "text/html; charset=utf-8", b"<!doctype html><title>demo</title>");
    check("/pkg/snowtrack.js", "text/javascript; charset=utf-8", b"export default 1;");
    check("/app.mjs", "text/javascript; charset=utf-8", b"export {};");
    check("/pkg/snowtrack_bg.wasm", "application/wasm", b"\0asm\x01\0\0\0");
    assert_eq!(c.get("/pkg/missing.js").0, 404);
    assert_eq!(c.get("/../../etc/passwd").0, 404);
    assert_eq!(c.get("/pkg/%2e%2e/%2e%2e/etc/passwd").0, 404);
    // A directory serves its index.html without a redirect; hidden files are not served.
    check("/docs", "text/html; charset=utf-8", b"<p>docs");
    check("/docs/", "text/html; charset=utf-8", b"<p>docs");
    assert_eq!(c.get("/.env").0, 404);
    assert_eq!(c.get("/%2eenv").0, 404);
    // A file wins over a GET pixel on a vendor/version path (as before), not over /i.
    let (status, _, body) = c.get("/com.acme/v1");
    assert_eq!((status, body.as_slice()), (200, b"static wins".as_slice()));
    assert_eq!(c.get("/com.acme/v2?e=pv").1["content-type"], "image/gif");
    let resp = c.agent.head(&c.url("/pkg/snowtrack.js")).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-cache");
    // Collector and Micro routes still win.
    assert_eq!(c.get("/micro/all").0, 200);
    assert_eq!(c.get(&format!("/i?{}", to_query(&page_view(1)))).1["content-type"], "image/gif");
    drop(c);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn stops_gracefully_on_sigterm() {
    let c = Collector::start(&[]);
    c.send(&[page_view(1)]);
    let status = c.terminate();
    assert!(status.success(), "{status:?}");
}
