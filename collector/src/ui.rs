//! The live views: the event table at `/micro/ui` (a self-contained page polling
//! `/micro/ui/rows`) and the session lanes at `/micro/ui/sessions` (polling `/micro/model/*`).

use serde_json::{Value, json};

use crate::output::session_event_index;
use crate::store::{Store, Stored};

/// The page (inline CSS and JS; it only talks to its own origin).
pub const PAGE: &str = include_str!("ui.html");

/// The sessions page: one lane per session, its views as segments, background time shaded,
/// events as ticks (inline CSS and JS; it only talks to its own origin).
pub const SESSIONS_PAGE: &str = include_str!("sessions.html");

/// Most rows returned by one poll.
const MAX_ROWS: usize = 500;

fn param(query: &str, name: &str) -> Option<u64> {
    crate::adapter::parse_query(query).into_iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok())
}

/// One table row for an event.
fn row(seq: u64, item: &Stored) -> Value {
    match item {
        Stored::Good(g) => {
            let ev = &g.event;
            json!({
                "seq": seq, "valid": true,
                "time": ev.str("collector_tstamp"),
                "type": g.event_type, "schema": g.schema,
                "appId": ev.str("app_id"), "eventId": ev.str("event_id"),
                "duid": ev.str("domain_userid"), "sid": ev.str("domain_sessionid"),
                "sessionIndex": ev.get("domain_sessionidx"),
                "eventIndex": session_event_index(ev),
                "contexts": g.contexts, "errors": [],
                "refrDuid": ev.str("refr_domain_userid"),
            })
        }
        Stored::Bad(b) => {
            let params = b.raw_event.as_ref().map(|r| &r.parameters);
            let get = |k: &str| params.and_then(|p| p.get(k));
            let time = b
                .raw_event
                .as_ref()
                .map(|r| r.context.timestamp.as_str())
                .or(b.collector_payload.as_ref().map(|p| p.context.timestamp.as_str()));
            json!({
                "seq": seq, "valid": false, "time": time,
                "type": get("e"), "schema": null, "appId": get("aid"), "eventId": get("eid"),
                "duid": get("duid"), "sid": get("sid"),
                "sessionIndex": get("vid").and_then(|v| v.parse::<i64>().ok()),
                "eventIndex": null, "contexts": [], "errors": b.messages,
            })
        }
    }
}

/// Answer to `GET /micro/ui/rows?after=SEQ&gen=GEN`: rows newer than `after` (all rows again after
/// a reset, detected by a changed generation), oldest first, plus the current counts.
pub fn rows(store: &Store, query: &str) -> Value {
    let generation = store.generation();
    let restart = param(query, "gen") != Some(generation);
    let after = if restart { 0 } else { param(query, "after").unwrap_or(0) };
    let items = store.since(after, MAX_ROWS);
    let last = items.last().map_or(after, |(seq, _)| *seq);
    let rows: Vec<Value> = items.iter().map(|(seq, item)| row(*seq, item)).collect();
    json!({"generation": generation, "restart": restart, "last": last, "summary": store.summary(), "rows": rows})
}
