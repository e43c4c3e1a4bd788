//! tp2 POST bodies: `adapter::parse_payload_data` must never panic, and what it accepts must be
//! what the body says: a `payload_data` 1-0-* envelope whose `data` is a non-empty array of
//! objects of strings, returned as the same events with the same parameters in the same order.
//! Each accepted event then goes through `merge_query` with a query string made of its own
//! parameters (the query wins) and through `enrich`, whose answer must serialise.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use snowtrack_collector::Registry;
use snowtrack_collector::adapter::{merge_query, parse_payload_data};
use snowtrack_collector::enrich::{CollectorContext, enrich};
use snowtrack_collector::iglu::SchemaKey;
use snowtrack_collector::violation::to_strings;

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::embedded);

fuzz_target!(|data: &[u8]| {
    let body = String::from_utf8_lossy(data);
    let parsed = parse_payload_data(&REGISTRY, &body);
    let events = match parsed {
        Err(violations) => {
            assert!(!violations.is_empty());
            assert!(to_strings(&violations).iter().all(|m| !m.is_empty()));
            return;
        }
        Ok(events) => events,
    };
    // The oracle: the body read by serde_json alone.
    let json: Value = serde_json::from_str(&body).expect("an accepted body is JSON");
    let schema = json["schema"].as_str().expect("an accepted body has a schema");
    let key = SchemaKey::parse(schema).expect("an accepted body has an Iglu schema");
    assert!(key.is_snowplow("payload_data", 1) && key.version.1 == 0, "{key}");
    let items = json["data"].as_array().expect("data is an array");
    assert!(!items.is_empty());
    assert_eq!(events.len(), items.len());
    for (event, item) in events.iter().zip(items) {
        let object = item.as_object().expect("every event is an object");
        let expected: Vec<(String, String)> = object
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().expect("every value is a string").to_owned()))
            .collect();
        assert_eq!(event, &expected);
    }

    let ctx = CollectorContext { collector_tstamp: 1_700_000_000_000, ..CollectorContext::default() };
    for event in events {
        // The query wins: override every other parameter with its reversed value.
        let query: Vec<(String, String)> =
            event.iter().step_by(2).map(|(k, v)| (k.clone(), v.chars().rev().collect())).collect();
        let merged = merge_query(event.clone(), &query);
        assert_eq!(merged.len(), event.len());
        for (k, v) in &query {
            assert_eq!(merged.iter().find(|(mk, _)| mk == k).map(|(_, mv)| mv), Some(v));
        }
        match enrich(&REGISTRY, &event, &ctx) {
            Ok(e) => {
                serde_json::to_string(&e.event).expect("the event serialises");
            }
            Err(v) => assert!(!v.is_empty()),
        }
    }
});
