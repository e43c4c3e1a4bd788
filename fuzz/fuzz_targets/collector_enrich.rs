//! Raw tracker-protocol events: `enrich::enrich` (typed fields, URLs, timestamps, `ue_pr`/`ue_px`,
//! `co`/`cx` against the embedded Iglu registry, the atomic schema) must never panic. An accepted
//! event must serialise with its 131 atomic fields and carry the parameters it was given; a
//! rejected one must give reasons and a `schema_violations` bad row that is JSON.
//!
//! Input: one flag byte, then `key=value` lines (the value may be empty; later keys win, as in
//! the collector). Flag bit 0: start from a valid page view (`e`, `p`, `tv`, `eid`, `url`);
//! bit 1: send `ue_pr` / `co` base64-encoded as `ue_px` / `cx` (so JSON mutations reach the
//! decoder); bit 2: the standard alphabet with padding for that; bit 3: the first line is the
//! `Referer` header too; bits 4–6: the collector time (now, 0, -1, 9999-12-31, extremes).
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use snowtrack_collector::Registry;
use snowtrack_collector::enrich::{CollectorContext, enrich};
use snowtrack_collector::iglu::SchemaKey;
use snowtrack_collector::model::{Api, Context, Params, RawEvent, Source, event_badrow};
use snowtrack_collector::time::MAX_EPOCH_MS;
use snowtrack_collector::violation::to_strings;

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::embedded);

const BASE: [(&str, &str); 5] = [
    ("e", "pv"),
    ("p", "web"),
    ("tv", "js-4.0.0"),
    ("eid", "8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01"),
    ("url", "https://example.com/"),
];

fn collector_tstamp(bits: u8) -> i64 {
    match bits & 7 {
        0 => 1_700_000_000_000,
        1 => 0,
        2 => -1,
        3 => MAX_EPOCH_MS,
        4 => i64::MAX,
        5 => i64::MIN,
        6 => MAX_EPOCH_MS + 1,
        _ => 1_672_531_200_123,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let mut params: Vec<(String, String)> = Vec::new();
    if flags & 1 != 0 {
        params.extend(BASE.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    }
    for line in text.split('\n') {
        let (k, v) = line.split_once('=').unwrap_or((line, ""));
        let (k, v) = match (flags & 2 != 0, k) {
            (true, "ue_pr" | "co") => {
                let encoded = if flags & 4 != 0 { STANDARD.encode(v) } else { URL_SAFE_NO_PAD.encode(v) };
                (if k == "co" { "cx" } else { "ue_px" }, encoded)
            }
            _ => (k, v.to_owned()),
        };
        params.push((k.to_owned(), v));
    }
    let ctx = CollectorContext {
        collector_tstamp: collector_tstamp(flags >> 4),
        network_userid: Some("00000000-0000-4000-8000-000000000000".to_owned()),
        ip_address: Some("127.0.0.1".to_owned()),
        useragent: Some("fuzz".to_owned()),
        referer: (flags & 8 != 0).then(|| text.split('\n').next().unwrap_or_default().to_owned()),
    };
    // What the enricher reads: the last value of each parameter, empty meaning absent.
    let get = |key: &str| params.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let given = |key: &str| get(key).filter(|v| !v.is_empty());

    match enrich(&REGISTRY, &params, &ctx) {
        Ok(e) => {
            let json = serde_json::to_value(&e.event).expect("the event serialises");
            assert_eq!(json.as_object().map(|o| o.len()), Some(131));
            let eid = given("eid").expect("an accepted event has an eid");
            assert_eq!(e.event.str("event_id"), Some(eid.to_ascii_lowercase().as_str()));
            assert_eq!(e.event.str("platform"), given("p"));
            assert_eq!(e.event.str("v_tracker"), given("tv"));
            for (param, field) in
                [("aid", "app_id"), ("tna", "name_tracker"), ("uid", "user_id"), ("page", "page_title")]
            {
                if let Some(v) = given(param) {
                    assert_eq!(e.event.str(field), Some(v), "{param}");
                }
            }
            assert_eq!(e.event_type.as_deref(), e.event.str("event"));
            assert_eq!(e.contexts.len(), e.event.context_entities().len());
            if given("e") == Some("ue") {
                let schema = e.schema.as_deref().expect("an accepted ue event has a schema");
                let sent = json["unstruct_event"]["data"]["schema"].as_str().and_then(SchemaKey::parse);
                assert_eq!(sent, SchemaKey::parse(schema));
            }
            for field in ["collector_tstamp", "derived_tstamp", "etl_tstamp"] {
                assert!(e.event.str(field).is_some(), "{field}");
            }
        }
        Err(violations) => {
            assert!(!violations.is_empty());
            assert!(to_strings(&violations).iter().all(|m| !m.is_empty()));
            let raw = RawEvent {
                api: Api::tp2(),
                parameters: Params(params.clone()),
                content_type: Some("application/json".to_owned()),
                source: Source { name: "fuzz".to_owned(), encoding: "UTF-8".to_owned(), hostname: None },
                context: Context {
                    timestamp: "2023-11-14T22:13:20Z".to_owned(),
                    ip_address: None,
                    useragent: None,
                    referer_uri: None,
                    headers: Vec::new(),
                    user_id: None,
                },
            };
            let row: Value =
                serde_json::from_str(&event_badrow(&violations, "2023-11-14T22:13:20Z", &raw)).expect("JSON");
            assert_eq!(row["data"]["failure"]["messages"].as_array().map(Vec::len), Some(violations.len()));
        }
    }
});
