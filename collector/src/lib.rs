//! snowtrack-collector: a local collector compatible with Snowplow Micro.
//!
//! The library half validates tracker-protocol events the way Snowplow Enrich does (required
//! fields, self-describing JSON against Iglu schemas) and maps them to enriched ("atomic") events.
//! The binary adds the HTTP collector endpoints, Micro's `/micro/*` inspection API and a live view.
//!
//! ```
//! use snowtrack_collector::{Registry, validate_post_body};
//! let reg = Registry::embedded();
//! let body = r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
//!   "data":[{"e":"pv","p":"web","tv":"js-4.0.0","eid":"8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01",
//!            "url":"http://127.0.0.1:8080/"}]}"#;
//! let results = validate_post_body(&reg, body);
//! let event = results[0].as_ref().unwrap();
//! assert_eq!(event["event"], "page_view");
//! assert_eq!(event["page_urlport"], 8080);
//! ```

pub mod adapter;
pub mod atomic;
pub mod b64;
pub mod config;
pub mod cors;
pub mod cross_nav;
pub mod enrich;
pub mod faults;
pub mod http;
pub mod iglu;
pub mod ingest;
pub mod model;
pub mod output;
pub mod server;
pub mod static_files;
pub mod store;
pub mod time;
pub mod ui;
pub mod unified;
pub mod violation;

use serde_json::{Map, Value};

use crate::enrich::{CollectorContext, enrich};
pub use crate::iglu::Registry;
use crate::violation::{Violation, to_strings};

/// Converts a JSON map of parameters to raw string parameters; non-string values are violations.
fn params_from_map(params: &Map<String, Value>) -> Result<adapter::RawParams, Vec<Violation>> {
    let mut out = Vec::with_capacity(params.len());
    let mut errors = Vec::new();
    for (k, v) in params {
        match v {
            Value::String(s) => out.push((k.clone(), s.clone())),
            Value::Null => errors.push(Violation::field(k, "value cannot be null")),
            _ => errors.push(Violation::field(k, "value is not a string")),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

/// Validates one raw tracker-protocol event (map of string params, as in payload_data `data[i]` or
/// a GET query), the way Micro/Enrich do: required fields (`e`, `p`, `tv`, `eid`), typed fields,
/// `ue_pr`/`ue_px` (plain or base64url, padded or not) against `unstruct_event` + the inner schema,
/// `co`/`cx` against `contexts` + each entity. `Ok` is the enriched-event JSON object in atomic
/// field naming (Micro's `event` object).
pub fn validate_event(reg: &Registry, params: &Map<String, Value>) -> Result<Value, Vec<String>> {
    let raw = params_from_map(params).map_err(|v| to_strings(&v))?;
    enrich(reg, &raw, &CollectorContext::default()).map(|e| e.event.to_value()).map_err(|v| to_strings(&v))
}

/// Validates a whole tp2 POST body (payload_data envelope; the content type check is separate):
/// one result per event, or a single error for a bad envelope.
pub fn validate_post_body(reg: &Registry, body: &str) -> Vec<Result<Value, Vec<String>>> {
    match adapter::parse_payload_data(reg, body) {
        Err(v) => vec![Err(to_strings(&v))],
        Ok(events) => {
            let ctx = CollectorContext::default();
            events
                .iter()
                .map(|raw| enrich(reg, raw, &ctx).map(|e| e.event.to_value()).map_err(|v| to_strings(&v)))
                .collect()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use serde_json::json;

    const EID: &str = "8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01";

    fn params(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn registry_can_be_shared_across_threads() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<Registry>();
        static REG: std::sync::OnceLock<Registry> = std::sync::OnceLock::new();
        let reg = REG.get_or_init(Registry::embedded);
        let handles: Vec<_> = (0..2)
            .map(|_| {
                std::thread::spawn(move || {
                    validate_event(reg, &params(json!({"e": "pv", "p": "web", "tv": "t", "eid": EID})))
                        .is_ok()
                })
            })
            .collect();
        assert!(handles.into_iter().all(|h| h.join().unwrap()));
    }

    #[test]
    fn validate_event_api() {
        let reg = Registry::embedded();
        let ok = validate_event(
            &reg,
            &params(json!({"e": "se", "p": "mob", "tv": "t", "eid": EID, "se_ca": "c", "se_ac": "a"})),
        )
        .unwrap();
        assert_eq!(ok["event"], "struct");
        assert_eq!(ok["platform"], "mob");
        assert_eq!(ok["event_id"], EID);
        assert_eq!(ok["v_collector"], enrich::VERSION_TAG);
        assert_eq!(ok.as_object().unwrap().len(), 131);
        let errs =
            validate_event(&reg, &params(json!({"e": "pv", "p": "web", "tv": 1, "eid": EID}))).unwrap_err();
        assert_eq!(errs, vec!["tv: value is not a string".to_owned()]);
        let errs = validate_event(&reg, &params(json!({}))).unwrap_err();
        assert_eq!(errs.len(), 4, "{errs:?}");
    }

    #[test]
    fn validate_post_body_api() {
        let reg = Registry::embedded();
        let body = json!({"schema": "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4",
            "data": [{"e": "pv", "p": "web", "tv": "t", "eid": EID}, {"e": "pv", "p": "web", "tv": "t", "eid": "x"}]});
        let results = validate_post_body(&reg, &body.to_string());
        assert_eq!(results.len(), 2);
        assert!(results[0].is_ok());
        assert!(results[1].as_ref().unwrap_err()[0].contains("eid"));
        let results = validate_post_body(&reg, "{\"schema\": 1}");
        assert_eq!(results.len(), 1);
        assert!(results[0].is_err());
    }
}
