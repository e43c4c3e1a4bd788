//! One collector request → stored events: runs the adapter for the request's API, then validation
//! and enrichment of every event, producing Micro's good and bad events.

use std::sync::Arc;

use crate::adapter::{self, RawParams};
use crate::enrich::{CollectorContext, enrich};
use crate::iglu::Registry;
use crate::model::{
    Api, BadEvent, CollectorPayload, Context, EXTRACT_ERROR, GoodEvent, Params, RawEvent, Source,
    VALIDATE_ERROR, event_badrow, payload_badrow,
};
use crate::store::Stored;
use crate::violation::{Violation, ViolationKind, to_strings};

/// A collected HTTP request, ready to be turned into events.
#[derive(Debug, Clone)]
pub struct Collected {
    /// Which API (adapter) the request path maps to.
    pub api: Api,
    /// Raw query string (without `?`).
    pub query: String,
    /// `Content-Type` header, lower-cased.
    pub content_type: Option<String>,
    /// Request body (POST), if any.
    pub body: Option<Vec<u8>>,
    /// Collector identification.
    pub source: Source,
    /// Request metadata.
    pub context: Context,
    /// Receive time, epoch milliseconds.
    pub received_ms: i64,
}

fn extract(reg: &Registry, req: &Collected, body: Option<&str>) -> Result<Vec<RawParams>, Vec<Violation>> {
    let query = adapter::parse_query(&req.query);
    let is_snowplow = req.api.vendor == "com.snowplowanalytics.snowplow";
    match (is_snowplow, req.api.version.as_str(), body) {
        (true, "tp2", Some(body)) if !body.is_empty() => {
            if !adapter::content_type_ok(req.content_type.as_deref()) {
                return Err(vec![adapter::content_type_violation(req.content_type.as_deref())]);
            }
            let events = adapter::parse_payload_data(reg, body)?;
            Ok(events.into_iter().map(|e| adapter::merge_query(e, &query)).collect())
        }
        (true, "tp1" | "tp2", _) => {
            if query.is_empty() {
                Err(vec![Violation::new(ViolationKind::Envelope, "empty body and empty querystring")])
            } else {
                Ok(vec![query])
            }
        }
        _ => Err(vec![Violation::new(
            ViolationKind::Envelope,
            format!("no adapter for vendor {:?} version {:?}", req.api.vendor, req.api.version),
        )]),
    }
}

/// Turns a collected request into stored good/bad events (one bad event for an unusable payload).
pub fn process(reg: &Registry, req: Collected) -> Vec<Stored> {
    let body_text = req.body.as_deref().map(|b| std::str::from_utf8(b).map(str::to_owned));
    let payload = Arc::new(CollectorPayload {
        api: req.api.clone(),
        querystring: adapter::parse_query(&req.query).into_iter().map(|(k, v)| format!("{k}={v}")).collect(),
        content_type: req.content_type.clone(),
        body: match &body_text {
            Some(Ok(s)) => Some(s.clone()),
            Some(Err(_)) => req.body.as_deref().map(|b| String::from_utf8_lossy(b).into_owned()),
            None => None,
        },
        source: req.source.clone(),
        context: req.context.clone(),
    });
    let extracted = match &body_text {
        Some(Err(_)) => {
            Err(vec![Violation::new(ViolationKind::Envelope, "body is not valid UTF-8").with_field("body")])
        }
        Some(Ok(s)) => extract(reg, &req, Some(s)),
        None => extract(reg, &req, None),
    };
    let events = match extracted {
        Ok(events) => events,
        Err(violations) => {
            let row = payload_badrow(&req.api, &violations, &req.context.timestamp, &payload);
            return vec![Stored::Bad(Arc::new(BadEvent {
                collector_payload: Some(payload),
                raw_event: None,
                errors: vec![EXTRACT_ERROR.to_owned(), row],
                messages: to_strings(&violations),
            }))];
        }
    };
    let ctx = CollectorContext {
        collector_tstamp: req.received_ms,
        network_userid: req.context.user_id.clone(),
        ip_address: req.context.ip_address.clone(),
        useragent: req.context.useragent.clone(),
        referer: req.context.referer_uri.clone(),
    };
    events
        .into_iter()
        .map(|params| {
            let result = enrich(reg, &params, &ctx);
            let raw = RawEvent {
                api: req.api.clone(),
                parameters: Params(params),
                content_type: req.content_type.clone(),
                source: req.source.clone(),
                context: req.context.clone(),
            };
            match result {
                Ok(e) => Stored::Good(Arc::new(GoodEvent {
                    raw_event: raw,
                    event_type: e.event_type,
                    schema: e.schema,
                    contexts: e.contexts,
                    event: e.event,
                    incomplete: false,
                })),
                Err(violations) => {
                    let row = event_badrow(&violations, &req.context.timestamp, &raw);
                    Stored::Bad(Arc::new(BadEvent {
                        collector_payload: Some(Arc::clone(&payload)),
                        raw_event: Some(raw),
                        errors: vec![VALIDATE_ERROR.to_owned(), row],
                        messages: to_strings(&violations),
                    }))
                }
            }
        })
        .collect()
}
