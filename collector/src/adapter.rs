//! Collector payload → raw events: the tp2 (`payload_data` POST body) and tp1/GET (query string) adapters.

use serde_json::Value;

use crate::iglu::{Registry, split_self_describing};
use crate::violation::{Violation, ViolationKind};

/// One raw event: tracker-protocol parameters in their original order.
pub type RawParams = Vec<(String, String)>;

/// True when a POST body's content type is acceptable for tp2: `application/json`,
/// optionally with `charset=utf-8` (any case), like the Snowplow Tp2 adapter.
pub fn content_type_ok(content_type: Option<&str>) -> bool {
    let Some(ct) = content_type else { return false };
    let mut parts = ct.split(';').map(str::trim);
    let media_ok = parts.next().is_some_and(|m| m.eq_ignore_ascii_case("application/json"));
    media_ok
        && parts.all(|p| {
            p.is_empty()
                || p.split_once('=').is_some_and(|(k, v)| {
                    k.trim().eq_ignore_ascii_case("charset")
                        && v.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
                })
        })
}

/// Violation for an unacceptable tp2 content type.
pub fn content_type_violation(content_type: Option<&str>) -> Violation {
    Violation::new(
        ViolationKind::Envelope,
        format!(
            "content type {} not accepted: expected one of application/json, application/json; charset=utf-8, application/json; charset=UTF-8",
            content_type.map_or_else(|| "(none)".to_owned(), |c| format!("{c:?}"))
        ),
    )
    .with_field("contentType")
}

fn envelope_error(message: impl Into<String>) -> Vec<Violation> {
    vec![Violation::new(ViolationKind::Envelope, message).with_field("body")]
}

/// Parses and validates a tp2 body (`payload_data` self-describing JSON) into raw events.
/// Any problem rejects the whole payload, as the Snowplow Tp2 adapter does.
pub fn parse_payload_data(reg: &Registry, body: &str) -> Result<Vec<RawParams>, Vec<Violation>> {
    if body.trim().is_empty() {
        return Err(envelope_error("empty body"));
    }
    let json: Value =
        serde_json::from_str(body).map_err(|e| envelope_error(format!("body is not valid JSON: {e}")))?;
    let (key, data) = split_self_describing(&json).map_err(|v| {
        v.into_iter()
            .map(|mut x| {
                x.kind = ViolationKind::Envelope;
                x.field = Some("body".to_owned());
                x
            })
            .collect::<Vec<_>>()
    })?;
    if !key.is_snowplow("payload_data", 1) || key.version.1 != 0 {
        return Err(envelope_error(format!(
            "expected iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-*, got {key}"
        )));
    }
    let Some(items) = data.as_array() else {
        return Err(envelope_error("payload_data: data is not an array"));
    };
    if items.is_empty() {
        return Err(envelope_error("payload_data: empty list of events"));
    }
    let mut events = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let Some(obj) = item.as_object() else {
            problems.push(format!("data[{i}] is not an object"));
            continue;
        };
        let mut params = Vec::with_capacity(obj.len());
        for (k, v) in obj {
            match v {
                Value::String(s) => params.push((k.clone(), s.clone())),
                Value::Null => problems.push(format!("data[{i}].{k}: value cannot be null")),
                _ => problems.push(format!("data[{i}].{k}: value is not a string")),
            }
        }
        events.push(params);
    }
    if !problems.is_empty() {
        return Err(problems
            .into_iter()
            .map(|m| Violation::new(ViolationKind::Envelope, m).with_field("body"))
            .collect());
    }
    reg.check(&key, data).map_err(|v| {
        v.into_iter()
            .map(|mut x| {
                if x.kind == ViolationKind::ValidationError {
                    x.kind = ViolationKind::Envelope;
                }
                x.field = Some("body".to_owned());
                x
            })
            .collect::<Vec<_>>()
    })?;
    Ok(events)
}

/// Decodes a URL query string into parameters (`+` is a space; invalid escapes are kept as-is).
pub fn parse_query(query: &str) -> RawParams {
    url::form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Merges query-string parameters into an event; the query string wins.
pub fn merge_query(mut event: RawParams, query: &RawParams) -> RawParams {
    for (k, v) in query {
        if let Some(slot) = event.iter_mut().find(|(ek, _)| ek == k) {
            slot.1.clone_from(v);
        } else {
            event.push((k.clone(), v.clone()));
        }
    }
    event
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn content_types() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "application/json; charset=UTF-8",
            "Application/JSON;charset=utf-8",
        ] {
            assert!(content_type_ok(Some(ok)), "{ok}");
        }
        for bad in ["text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", ""]
        {
            assert!(!content_type_ok(Some(bad)), "{bad}");
        }
        assert!(!content_type_ok(None));
    }

    #[test]
    fn envelopes() {
        let reg = Registry::embedded();
        let ok = r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","p":"web","tv":"t"},{"e":"se","p":"web","tv":"t"}]}"#;
        let events = parse_payload_data(&reg, ok).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[0][0], ("e".to_owned(), "pv".to_owned()));
        for bad in [
            "",
            "{",
            "[]",
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[]}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":{}}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":1}]}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":null}]}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"e":"pv","p":"web","tv":"t","zz":"x"}]}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4","data":[{"p":"web","tv":"t"}]}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0","data":[{"e":"pv"}]}"#,
            r#"{"schema":"iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-9","data":[{"e":"pv","p":"web","tv":"t"}]}"#,
        ] {
            assert!(parse_payload_data(&reg, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn queries() {
        let q = parse_query("e=pv&url=http%3A%2F%2Fa.b%2F%3Fx%3D1&page=A+B");
        assert_eq!(q[1].1, "http://a.b/?x=1");
        assert_eq!(q[2].1, "A B");
        let merged = merge_query(
            vec![("e".into(), "pv".into()), ("aid".into(), "x".into())],
            &parse_query("aid=y&z=1"),
        );
        assert_eq!(
            merged,
            vec![("e".into(), "pv".into()), ("aid".into(), "y".into()), ("z".into(), "1".into())]
        );
    }
}
