//! Shared helpers for the integration tests: start the real binary, speak HTTP to it, and build
//! tracker-protocol payloads like the ones snowtrack produces.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

pub const TP2: &str = "/com.snowplowanalytics.snowplow/tp2";
pub const PAYLOAD_DATA: &str = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4";
pub const CONTEXTS: &str = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0";
pub const UNSTRUCT: &str = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0";
pub const CLIENT_SESSION: &str = "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2";
pub const WEB_PAGE: &str = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0";
pub const SCREEN_VIEW: &str = "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0";
pub const SCREEN: &str = "iglu:com.snowplowanalytics.mobile/screen/jsonschema/1-0-0";
pub const LINK_CLICK: &str = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1";
pub const JSON_UTF8: &str = "application/json; charset=UTF-8";

/// A running collector process, killed on drop.
pub struct Collector {
    child: Child,
    pub port: u16,
    pub base: String,
    pub lines: Arc<Mutex<Vec<String>>>,
    pub agent: ureq::Agent,
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

impl Collector {
    pub fn start(args: &[&str]) -> Collector {
        let mut child = Command::new(env!("CARGO_BIN_EXE_snowtrack-collector"))
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn collector");
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        let port: u16 = first
            .trim()
            .strip_prefix("listening on http://127.0.0.1:")
            .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
            .parse()
            .unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&lines);
        std::thread::spawn(move || {
            for line in reader.lines() {
                match line {
                    Ok(l) => sink.lock().unwrap().push(l),
                    Err(_) => break,
                }
            }
        });
        Collector { child, port, base: format!("http://127.0.0.1:{port}"), lines, agent: agent() }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// POSTs a body; returns (status, headers, body).
    pub fn post(&self, path: &str, content_type: &str, body: &str) -> (u16, ureq::http::HeaderMap, String) {
        let mut resp =
            self.agent.post(&self.url(path)).header("Content-Type", content_type).send(body).expect("POST");
        let headers = resp.headers().clone();
        (resp.status().as_u16(), headers, resp.body_mut().read_to_string().unwrap())
    }

    /// POSTs a payload_data envelope with these events to tp2 and asserts `200 ok`.
    pub fn send(&self, events: &[Value]) {
        let (status, _, body) = self.post(TP2, JSON_UTF8, &envelope(events).to_string());
        assert_eq!((status, body.as_str()), (200, "ok"));
    }

    pub fn get(&self, path: &str) -> (u16, ureq::http::HeaderMap, Vec<u8>) {
        let mut resp = self.agent.get(&self.url(path)).call().expect("GET");
        let headers = resp.headers().clone();
        let body = resp.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
        (resp.status().as_u16(), headers, body)
    }

    pub fn get_json(&self, path: &str) -> Value {
        let (status, _, body) = self.get(path);
        assert_eq!(status, 200, "{path}");
        serde_json::from_slice(&body).unwrap()
    }

    pub fn post_json(&self, path: &str, body: &Value) -> Value {
        let (status, _, text) = self.post(path, "application/json", &body.to_string());
        assert_eq!(status, 200, "{path}: {text}");
        serde_json::from_str(&text).unwrap()
    }

    pub fn all(&self) -> Value {
        self.get_json("/micro/all")
    }

    pub fn good(&self) -> Vec<Value> {
        self.get_json("/micro/good").as_array().unwrap().clone()
    }

    pub fn bad(&self) -> Vec<Value> {
        self.get_json("/micro/bad").as_array().unwrap().clone()
    }

    pub fn reset(&self) {
        let (status, _, body) = self.get("/micro/reset");
        assert_eq!((status, String::from_utf8(body).unwrap().as_str()), (200, "Reset completed"));
    }

    /// Waits until stdout has at least `n` lines after the first.
    pub fn wait_lines(&self, n: usize) -> Vec<String> {
        let start = Instant::now();
        loop {
            let lines = self.lines.lock().unwrap().clone();
            if lines.len() >= n || start.elapsed() > Duration::from_secs(5) {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends SIGTERM and returns the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "collector did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn envelope(events: &[Value]) -> Value {
    json!({"schema": PAYLOAD_DATA, "data": events})
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

pub const DUID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";
pub const SID: &str = "4d3b4e9c-5b4f-4a2f-9d7e-2c1b0a9f8e7d";

pub fn session_entity(event_index: i64) -> Value {
    json!({"schema": CLIENT_SESSION, "data": {
        "userId": DUID, "sessionId": SID, "eventIndex": event_index, "sessionIndex": 3,
        "previousSessionId": null, "storageMechanism": "COOKIE_1",
        "firstEventId": "8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01", "firstEventTimestamp": "2024-05-01T10:00:00.000Z"}})
}

pub fn contexts(entities: &[Value]) -> Value {
    json!({"schema": CONTEXTS, "data": entities})
}

/// Fields every snowtrack event carries.
pub fn base_event(e: &str) -> serde_json::Map<String, Value> {
    let v = json!({
        "e": e, "eid": uuid(), "tv": "rs-0.1.0", "tna": "sp", "aid": "demo", "p": "web",
        "dtm": "1714557600000", "stm": "1714557600100", "tz": "Europe/Berlin", "lang": "en-US", "cs": "UTF-8",
        "res": "1920x1080", "cd": "24", "cookie": "1", "vp": "1280x720", "ds": "1280x3000",
        "vid": "3", "sid": SID, "duid": DUID,
        "url": "http://127.0.0.1:8080/shop?item=1#top", "refr": "https://www.example.com/", "page": "Shop",
    });
    v.as_object().unwrap().clone()
}

/// Page view with web_page + client_session entities (plain `co`, as POST sends it).
pub fn page_view(event_index: i64) -> Value {
    let mut e = base_event("pv");
    let web_page = json!({"schema": WEB_PAGE, "data": {"id": uuid()}});
    e.insert("co".into(), contexts(&[web_page, session_entity(event_index)]).to_string().into());
    Value::Object(e)
}

/// Mobile-style screen view with a screen entity.
pub fn screen_view(name: &str, event_index: i64) -> Value {
    let mut e = base_event("ue");
    let id = uuid();
    let ue = json!({"schema": UNSTRUCT, "data": {"schema": SCREEN_VIEW, "data": {"name": name, "id": id}}});
    let screen = json!({"schema": SCREEN, "data": {"name": name, "id": id}});
    e.insert("ue_pr".into(), ue.to_string().into());
    e.insert("co".into(), contexts(&[screen, session_entity(event_index)]).to_string().into());
    Value::Object(e)
}

/// Generic self-describing event (any schema + data), with a session entity.
pub fn self_describing(schema: &str, data: Value, event_index: i64) -> Value {
    let mut e = base_event("ue");
    let ue = json!({"schema": UNSTRUCT, "data": {"schema": schema, "data": data}});
    e.insert("ue_pr".into(), ue.to_string().into());
    e.insert("co".into(), contexts(&[session_entity(event_index)]).to_string().into());
    Value::Object(e)
}

/// Structured event.
pub fn structured(event_index: i64) -> Value {
    let mut e = base_event("se");
    for (k, v) in [
        ("se_ca", "shop"),
        ("se_ac", "add-to-basket"),
        ("se_la", "sku-1"),
        ("se_pr", "red"),
        ("se_va", "12.5"),
    ] {
        e.insert(k.into(), v.into());
    }
    e.insert("co".into(), contexts(&[session_entity(event_index)]).to_string().into());
    Value::Object(e)
}

/// Query string for a GET (`/i`) event, with base64url `cx` / `ue_px` as GET trackers send them.
pub fn to_query(event: &Value) -> String {
    let mut pairs = Vec::new();
    for (k, v) in event.as_object().unwrap() {
        let v = v.as_str().unwrap();
        let (k, v) = match k.as_str() {
            "co" => ("cx".to_owned(), b64(&serde_json::from_str::<Value>(v).unwrap())),
            "ue_pr" => ("ue_px".to_owned(), b64(&serde_json::from_str::<Value>(v).unwrap())),
            _ => (k.clone(), v.to_owned()),
        };
        pairs.push(format!("{k}={}", url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()));
    }
    pairs.join("&")
}
