//! Micro's JSON shapes: `GoodEvent`, `BadEvent`, `RawEvent`, `CollectorPayload`, plus bad rows.

use std::sync::Arc;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Value, json};

use crate::adapter::RawParams;
use crate::atomic::AtomicEvent;
use crate::enrich::VERSION_TAG;
use crate::violation::{Violation, ViolationKind};

/// The collector API an event came in through (`{"vendor": …, "version": …}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Api {
    /// e.g. `com.snowplowanalytics.snowplow`.
    pub vendor: String,
    /// e.g. `tp2`.
    pub version: String,
}

impl Api {
    /// The tracker protocol v2 API (POST `/com.snowplowanalytics.snowplow/tp2`).
    pub fn tp2() -> Api {
        Api { vendor: "com.snowplowanalytics.snowplow".into(), version: "tp2".into() }
    }

    /// The tracker protocol v1 API (GET `/i`).
    pub fn tp1() -> Api {
        Api { vendor: "com.snowplowanalytics.snowplow".into(), version: "tp1".into() }
    }
}

/// Where a payload was collected.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    /// Collector name.
    pub name: String,
    /// Always `UTF-8`.
    pub encoding: String,
    /// `Host` header (without port), if any.
    pub hostname: Option<String>,
}

/// Request metadata recorded by the collector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Context {
    /// Receive time, ISO-8601.
    pub timestamp: String,
    /// Client IP (absent for anonymous requests).
    pub ip_address: Option<String>,
    /// `User-Agent` header.
    pub useragent: Option<String>,
    /// `Referer` header.
    pub referer_uri: Option<String>,
    /// Request headers as `Name: value` strings.
    pub headers: Vec<String>,
    /// Network user id.
    pub user_id: Option<String>,
}

/// A whole HTTP request as collected (Micro's `CollectorPayload`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectorPayload {
    /// The API (path) used.
    pub api: Api,
    /// Query string parameters as `k=v` strings.
    pub querystring: Vec<String>,
    /// `Content-Type` header, lower-cased.
    pub content_type: Option<String>,
    /// Request body, if any.
    pub body: Option<String>,
    /// Collector identification.
    pub source: Source,
    /// Request metadata.
    pub context: Context,
}

/// Ordered string parameters serialized as a JSON object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(pub RawParams);

impl Serialize for Params {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl Params {
    /// The value of a parameter.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// One event as extracted from a payload, before enrichment (Micro's `RawEvent`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RawEvent {
    /// The API (path) used.
    pub api: Api,
    /// Tracker-protocol parameters.
    pub parameters: Params,
    /// `Content-Type` header, lower-cased.
    pub content_type: Option<String>,
    /// Collector identification.
    pub source: Source,
    /// Request metadata.
    pub context: Context,
}

/// A valid event (Micro's `GoodEvent`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GoodEvent {
    /// The raw event.
    pub raw_event: RawEvent,
    /// Enriched `event` field: `page_view`, `unstruct`, `struct`, ….
    pub event_type: Option<String>,
    /// `iglu:` URI of the event.
    pub schema: Option<String>,
    /// `iglu:` URIs of the attached entities.
    pub contexts: Vec<String>,
    /// The enriched event.
    pub event: AtomicEvent,
    /// Always false here (Micro flags events that are both good and bad).
    pub incomplete: bool,
}

/// An invalid event or payload (Micro's `BadEvent`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BadEvent {
    /// The whole request, if it was readable.
    pub collector_payload: Option<Arc<CollectorPayload>>,
    /// The raw event, when the failure is about one event of the payload.
    pub raw_event: Option<RawEvent>,
    /// A summary line followed by Snowplow bad rows (compact JSON strings).
    pub errors: Vec<String>,
    /// Human-readable reasons (not part of Micro's shape).
    #[serde(skip)]
    pub messages: Vec<String>,
}

/// First line of `errors` when a payload could not be turned into events.
pub const EXTRACT_ERROR: &str =
    "Error while extracting event(s) from collector payload and validating it/them.";
/// First line of `errors` when an event failed validation.
pub const VALIDATE_ERROR: &str = "Error while validating the event.";

fn processor() -> Value {
    json!({"artifact": "snowtrack-collector", "version": env!("CARGO_PKG_VERSION")})
}

/// A `tracker_protocol_violations` bad row for a payload-level failure.
pub fn payload_badrow(
    api: &Api,
    violations: &[Violation],
    timestamp: &str,
    payload: &CollectorPayload,
) -> String {
    let messages: Vec<Value> = violations
        .iter()
        .map(|v| json!({"field": v.field.as_deref().unwrap_or("body"), "value": null, "expectation": v.to_string()}))
        .collect();
    json!({
        "schema": "iglu:com.snowplowanalytics.snowplow.badrows/tracker_protocol_violations/jsonschema/1-0-0",
        "data": {
            "processor": processor(),
            "failure": {"timestamp": timestamp, "vendor": api.vendor, "version": api.version, "messages": messages},
            "payload": payload,
        }
    })
    .to_string()
}

/// A `schema_violations` bad row for an event that failed validation.
pub fn event_badrow(violations: &[Violation], timestamp: &str, raw: &RawEvent) -> String {
    let messages: Vec<Value> = violations
        .iter()
        .map(|v| match v.kind {
            ViolationKind::ValidationError => json!({
                "schemaKey": v.schema,
                "error": {"error": "ValidationError", "dataReports": [{
                    "message": v.to_string(), "path": v.path, "keyword": v.keyword, "targets": []}]}
            }),
            ViolationKind::ResolutionError => json!({
                "schemaKey": v.schema,
                "error": {"error": "ResolutionError", "lookupHistory": [{"repository": "Iglu Client Embedded",
                    "errors": [{"error": "NotFound"}], "attempts": 1, "lastAttempt": timestamp}]},
                "message": v.to_string(),
            }),
            kind => json!({
                "field": v.field, "value": raw.parameters.get(v.field.as_deref().unwrap_or_default()),
                "error": kind.as_str(), "expectation": v.to_string()
            }),
        })
        .collect();
    json!({
        "schema": "iglu:com.snowplowanalytics.snowplow.badrows/schema_violations/jsonschema/2-0-0",
        "data": {
            "processor": processor(),
            "failure": {"timestamp": timestamp, "messages": messages},
            "payload": {"raw": {"vendor": raw.api.vendor, "version": raw.api.version, "parameters": raw.parameters,
                                 "contentType": raw.content_type, "loaderName": VERSION_TAG,
                                 "encoding": "UTF-8", "timestamp": raw.context.timestamp,
                                 "ipAddress": raw.context.ip_address, "useragent": raw.context.useragent,
                                 "refererUri": raw.context.referer_uri, "headers": raw.context.headers,
                                 "userId": raw.context.user_id}}
        }
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn ctx() -> Context {
        Context {
            timestamp: "2023-01-01T00:00:00Z".into(),
            ip_address: Some("127.0.0.1".into()),
            useragent: None,
            referer_uri: None,
            headers: vec!["Host: localhost".into()],
            user_id: Some("u".into()),
        }
    }

    #[test]
    fn micro_field_names() {
        let raw = RawEvent {
            api: Api::tp2(),
            parameters: Params(vec![("e".into(), "pv".into()), ("aid".into(), "x".into())]),
            content_type: Some("application/json".into()),
            source: Source { name: "c".into(), encoding: "UTF-8".into(), hostname: None },
            context: ctx(),
        };
        let good = GoodEvent {
            raw_event: raw.clone(),
            event_type: Some("page_view".into()),
            schema: None,
            contexts: vec![],
            event: AtomicEvent::default(),
            incomplete: false,
        };
        let v = serde_json::to_value(&good).unwrap();
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 6);
        for k in ["rawEvent", "eventType", "schema", "contexts", "event", "incomplete"] {
            assert!(v.get(k).is_some(), "{k}");
        }
        for k in ["api", "parameters", "contentType", "source", "context"] {
            assert!(v["rawEvent"].get(k).is_some(), "{k}");
        }
        for k in ["timestamp", "ipAddress", "useragent", "refererUri", "headers", "userId"] {
            assert!(v["rawEvent"]["context"].get(k).is_some(), "{k}");
        }
        assert_eq!(v["rawEvent"]["parameters"]["aid"], "x");
        let bad = BadEvent {
            collector_payload: None,
            raw_event: Some(raw.clone()),
            errors: vec![
                VALIDATE_ERROR.into(),
                event_badrow(&[Violation::field("eid", "missing")], "t", &raw),
            ],
            messages: vec!["eid: missing".into()],
        };
        let b = serde_json::to_value(&bad).unwrap();
        assert_eq!(b.as_object().unwrap().len(), 3);
        assert!(b["collectorPayload"].is_null());
        let row: Value = serde_json::from_str(b["errors"][1].as_str().unwrap()).unwrap();
        assert_eq!(row["data"]["failure"]["messages"][0]["field"], "eid");
    }
}
