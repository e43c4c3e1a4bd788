//! Whole collector requests, as `http::collect` hands them to `ingest::process`: any API (tp2,
//! tp1, a vendor without an adapter, a Snowplow version without one), any query string, content
//! type, `Referer` and body bytes (UTF-8 or not). Processing with the embedded Iglu registry must
//! never panic; every stored event must serialise as Micro serves it (bad rows are JSON), print
//! its summary line, and go through the store, the live view's rows (`/micro/ui/rows` with the
//! request's own query) and the unified model.
//!
//! Input: one flag byte, then `query \n content-type \n referer \n body…` (the body may hold
//! newlines and invalid UTF-8; a missing part is absent).
//! Flag bits 0–1: API; 2–3: content type (none, `application/json`, with `charset=UTF-8`, the
//! input's line); 4: no body (GET); 5–7: receive time (now, 0, -1, 9999-12-31, extremes).
#![no_main]

use std::sync::{Arc, LazyLock};

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use snowtrack_collector::Registry;
use snowtrack_collector::iglu::is_uuid;
use snowtrack_collector::ingest::{Collected, process};
use snowtrack_collector::model::{Api, Context, Source};
use snowtrack_collector::output::summary_line;
use snowtrack_collector::store::{BadFilters, GoodFilters, Store, Stored};
use snowtrack_collector::time::{MAX_EPOCH_MS, iso8601};
use snowtrack_collector::{ui, unified};

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::embedded);

const SNOWPLOW: &str = "com.snowplowanalytics.snowplow";

fn api(bits: u8) -> Api {
    match bits & 3 {
        0 => Api::tp2(),
        1 => Api::tp1(),
        2 => Api { vendor: "com.acme".to_owned(), version: "v1".to_owned() },
        _ => Api { vendor: SNOWPLOW.to_owned(), version: "tp3".to_owned() },
    }
}

fn received_ms(bits: u8) -> i64 {
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

fn text(part: Option<&[u8]>) -> Option<String> {
    part.filter(|p| !p.is_empty()).map(|p| String::from_utf8_lossy(p).into_owned())
}

fn check_stored(stored: &Stored) {
    assert!(!summary_line(stored).is_empty());
    match stored {
        Stored::Good(g) => {
            let json = serde_json::to_value(g.as_ref()).expect("a good event serialises");
            assert_eq!(json["event"].as_object().map(|o| o.len()), Some(131), "{json}");
            let eid = g.event.str("event_id").expect("a good event has an event_id");
            assert!(is_uuid(eid), "{eid:?}");
            assert_eq!(g.event_type.as_deref(), g.event.str("event"));
            for key in ["e", "p", "tv", "eid"] {
                assert!(g.raw_event.parameters.get(key).is_some_and(|v| !v.is_empty()), "{key}");
            }
        }
        Stored::Bad(b) => {
            serde_json::to_value(b.as_ref()).expect("a bad event serialises");
            assert!(b.errors.len() >= 2, "{:?}", b.errors);
            assert!(!b.messages.is_empty());
            for row in b.errors.iter().skip(1) {
                let row: Value = serde_json::from_str(row).expect("a bad row is JSON");
                assert!(row["schema"].as_str().is_some_and(|s| s.starts_with("iglu:")), "{row}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut parts = rest.splitn(4, |&b| b == b'\n');
    let query = text(parts.next()).unwrap_or_default();
    let content_line = text(parts.next());
    let referer = text(parts.next());
    let body = parts.next().map(<[u8]>::to_vec);
    let content_type = match (flags >> 2) & 3 {
        0 => None,
        1 => Some("application/json".to_owned()),
        2 => Some("application/json; charset=utf-8".to_owned()),
        // `http::collect` lower-cases the header.
        _ => content_line.map(|c| c.to_ascii_lowercase()),
    };
    let received = received_ms(flags >> 5);
    let req = Collected {
        api: api(flags),
        query: query.clone(),
        content_type,
        body: if flags & 0x10 != 0 { None } else { body },
        source: Source { name: "fuzz".to_owned(), encoding: "UTF-8".to_owned(), hostname: None },
        context: Context {
            timestamp: iso8601(received),
            ip_address: Some("127.0.0.1".to_owned()),
            useragent: None,
            referer_uri: referer,
            headers: Vec::new(),
            user_id: Some("00000000-0000-4000-8000-000000000000".to_owned()),
        },
        received_ms: received,
    };
    let is_post = req.body.as_ref().is_some_and(|b| !b.is_empty());
    let known_api = req.api.vendor == SNOWPLOW && matches!(req.api.version.as_str(), "tp1" | "tp2");

    let stored = process(&REGISTRY, req);

    assert!(!stored.is_empty());
    if !known_api {
        assert!(matches!(stored.as_slice(), [Stored::Bad(b)] if b.raw_event.is_none()));
    }
    if !is_post && known_api && query.is_empty() {
        assert!(matches!(stored.as_slice(), [Stored::Bad(_)]), "no parameters, no event");
    }
    for s in &stored {
        check_stored(s);
    }
    // A payload-level failure is one bad event; per-event failures carry their raw event.
    if stored.iter().any(|s| matches!(s, Stored::Bad(b) if b.raw_event.is_none())) {
        assert_eq!(stored.len(), 1);
    }

    // Downstream of the store: Micro's lists, the live view's rows and the unified model.
    let mut store = Store::new(4);
    for s in stored {
        store.push(s);
    }
    let good = store.good(&GoodFilters::default());
    serde_json::to_string(&good).expect("/micro/good serialises");
    serde_json::to_string(&store.bad(&BadFilters::default())).expect("/micro/bad serialises");
    serde_json::to_string(&ui::rows(&store, &query)).expect("/micro/ui/rows serialises");
    let oldest_first: Vec<_> = good.iter().rev().map(Arc::clone).collect();
    let tables = unified::compute(&oldest_first, &unified::Settings::default());
    serde_json::to_string(&tables.sessions).expect("sessions serialise");
    serde_json::to_string(&tables.views).expect("views serialise");
    serde_json::to_string(&tables.users).expect("users serialise");
});
