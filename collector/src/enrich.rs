//! Tracker-protocol validation and enrichment: raw event parameters → an [`AtomicEvent`],
//! following what Snowplow Enrich does with no enrichments configured.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::atomic::{AtomicEvent, CONTEXTS_SCHEMA, UNSTRUCT_SCHEMA};
use crate::b64::decode_base64;
use crate::cross_nav;
use crate::iglu::{Registry, SchemaKey, is_uuid, split_self_describing};
use crate::time::{MAX_EPOCH_MS, iso8601, now_ms};
use crate::violation::{Violation, ViolationKind};

/// Value of `v_collector` and `v_etl`.
pub const VERSION_TAG: &str = concat!("snowtrack-collector-", env!("CARGO_PKG_VERSION"));

/// What the collector knows about the HTTP request that carried an event.
#[derive(Debug, Clone)]
pub struct CollectorContext {
    /// Receive time, epoch milliseconds.
    pub collector_tstamp: i64,
    /// Network user id (the `sp` cookie, or a fresh id), if any.
    pub network_userid: Option<String>,
    /// Client IP address, unless anonymous.
    pub ip_address: Option<String>,
    /// `User-Agent` request header.
    pub useragent: Option<String>,
    /// `Referer` request header (fallback for `page_url`).
    pub referer: Option<String>,
}

impl Default for CollectorContext {
    fn default() -> Self {
        CollectorContext {
            collector_tstamp: now_ms(),
            network_userid: None,
            ip_address: None,
            useragent: None,
            referer: None,
        }
    }
}

/// A successfully validated and enriched event, with Micro's summary fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Enriched {
    /// The atomic event.
    pub event: AtomicEvent,
    /// Micro's `eventType`: the enriched `event` field (`page_view`, `unstruct`, `struct`, …).
    pub event_type: Option<String>,
    /// Micro's `schema`: `iglu:<event_vendor>/<event_name>/<event_format>/<event_version>`.
    pub schema: Option<String>,
    /// Micro's `contexts`: the schema URI of every attached entity.
    pub contexts: Vec<String>,
}

/// Platform codes accepted in `p`.
const PLATFORMS: [&str; 8] = ["web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot"];

/// `e` code → (enriched `event` name, event schema for non-`ue` events).
fn event_type(e: &str) -> Option<(&'static str, Option<&'static str>)> {
    Some(match e {
        "pv" => ("page_view", Some("com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0")),
        "pp" => ("page_ping", Some("com.snowplowanalytics.snowplow/page_ping/jsonschema/1-0-0")),
        "se" | "ev" => ("struct", Some("com.google.analytics/event/jsonschema/1-0-0")),
        "ue" => ("unstruct", None),
        "tr" => ("transaction", Some("com.snowplowanalytics.snowplow/transaction/jsonschema/1-0-0")),
        "ti" => {
            ("transaction_item", Some("com.snowplowanalytics.snowplow/transaction_item/jsonschema/1-0-0"))
        }
        "ad" => ("ad_impression", Some("com.snowplowanalytics.snowplow/ad_impression/jsonschema/1-0-0")),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum Conv {
    Str,
    Int,
    Num,
    Bool,
    Uuid,
    Tstamp,
}

/// Plain parameter → atomic field mappings.
const MAPPINGS: &[(&str, &str, Conv)] = &[
    ("tna", "name_tracker", Conv::Str),
    ("aid", "app_id", Conv::Str),
    ("tv", "v_tracker", Conv::Str),
    ("uid", "user_id", Conv::Str),
    ("ip", "user_ipaddress", Conv::Str),
    ("fp", "user_fingerprint", Conv::Str),
    ("duid", "domain_userid", Conv::Str),
    ("vid", "domain_sessionidx", Conv::Int),
    ("sid", "domain_sessionid", Conv::Uuid),
    ("nuid", "network_userid", Conv::Str),
    ("tnuid", "network_userid", Conv::Str),
    ("ua", "useragent", Conv::Str),
    ("page", "page_title", Conv::Str),
    ("lang", "br_lang", Conv::Str),
    ("cs", "doc_charset", Conv::Str),
    ("tz", "os_timezone", Conv::Str),
    ("cd", "br_colordepth", Conv::Str),
    ("cookie", "br_cookies", Conv::Bool),
    ("f_pdf", "br_features_pdf", Conv::Bool),
    ("f_fla", "br_features_flash", Conv::Bool),
    ("f_java", "br_features_java", Conv::Bool),
    ("f_dir", "br_features_director", Conv::Bool),
    ("f_qt", "br_features_quicktime", Conv::Bool),
    ("f_realp", "br_features_realplayer", Conv::Bool),
    ("f_wma", "br_features_windowsmedia", Conv::Bool),
    ("f_gears", "br_features_gears", Conv::Bool),
    ("f_ag", "br_features_silverlight", Conv::Bool),
    ("dtm", "dvce_created_tstamp", Conv::Tstamp),
    ("stm", "dvce_sent_tstamp", Conv::Tstamp),
    ("ttm", "true_tstamp", Conv::Tstamp),
    ("tid", "txn_id", Conv::Int),
    ("se_ca", "se_category", Conv::Str),
    ("se_ac", "se_action", Conv::Str),
    ("se_la", "se_label", Conv::Str),
    ("se_pr", "se_property", Conv::Str),
    ("se_va", "se_value", Conv::Num),
    ("tr_id", "tr_orderid", Conv::Str),
    ("tr_af", "tr_affiliation", Conv::Str),
    ("tr_tt", "tr_total", Conv::Num),
    ("tr_tx", "tr_tax", Conv::Num),
    ("tr_sh", "tr_shipping", Conv::Num),
    ("tr_ci", "tr_city", Conv::Str),
    ("tr_st", "tr_state", Conv::Str),
    ("tr_co", "tr_country", Conv::Str),
    ("tr_cu", "tr_currency", Conv::Str),
    ("ti_id", "ti_orderid", Conv::Str),
    ("ti_sk", "ti_sku", Conv::Str),
    ("ti_na", "ti_name", Conv::Str),
    ("ti_nm", "ti_name", Conv::Str),
    ("ti_ca", "ti_category", Conv::Str),
    ("ti_pr", "ti_price", Conv::Num),
    ("ti_qu", "ti_quantity", Conv::Int),
    ("ti_cu", "ti_currency", Conv::Str),
    ("pp_mix", "pp_xoffset_min", Conv::Int),
    ("pp_max", "pp_xoffset_max", Conv::Int),
    ("pp_miy", "pp_yoffset_min", Conv::Int),
    ("pp_may", "pp_yoffset_max", Conv::Int),
];

/// `WxH` parameters → (width field, height field).
const DIMENSIONS: &[(&str, &str, &str)] = &[
    ("res", "dvce_screenwidth", "dvce_screenheight"),
    ("vp", "br_viewwidth", "br_viewheight"),
    ("ds", "doc_width", "doc_height"),
];

fn convert(param: &str, raw: &str, conv: Conv) -> Result<Value, Box<Violation>> {
    let bad = |expect: &str| Box::new(Violation::field(param, format!("{raw:?} is not {expect}")));
    match conv {
        Conv::Str => Ok(Value::from(raw)),
        Conv::Int => raw.parse::<i32>().map(Value::from).map_err(|_| bad("a 32-bit integer")),
        Conv::Num => match raw.parse::<f64>() {
            Ok(n) if n.is_finite() && !raw.contains(['i', 'I', 'n', 'N']) => Ok(json!(n)),
            _ => Err(bad("a number")),
        },
        Conv::Bool => match raw {
            "1" | "true" => Ok(Value::Bool(true)),
            "0" | "false" => Ok(Value::Bool(false)),
            _ => Err(bad("a boolean (1 or 0)")),
        },
        Conv::Uuid => {
            if is_uuid(raw) {
                Ok(Value::from(raw.to_ascii_lowercase()))
            } else {
                Err(bad("a UUID"))
            }
        }
        Conv::Tstamp => match raw.parse::<i64>() {
            Ok(ms) if (0..=MAX_EPOCH_MS).contains(&ms) && raw.bytes().all(|b| b.is_ascii_digit()) => {
                Ok(Value::from(iso8601(ms)))
            }
            _ => Err(bad("a timestamp in epoch milliseconds")),
        },
    }
}

fn dimensions(param: &str, raw: &str) -> Result<(i32, i32), Box<Violation>> {
    raw.split_once('x')
        .and_then(|(w, h)| Some((w.parse::<i32>().ok()?, h.parse::<i32>().ok()?)))
        .filter(|(w, h)| *w >= 0 && *h >= 0)
        .ok_or_else(|| {
            Box::new(Violation::field(param, format!("{raw:?} is not dimensions of the form WIDTHxHEIGHT")))
        })
}

/// Sets `<prefix>_url{scheme,host,port,path,query,fragment}` from a URL.
fn set_url_parts(ev: &mut AtomicEvent, prefix: &str, field: &str, raw: &str) -> Result<(), Box<Violation>> {
    let parsed = url::Url::parse(raw)
        .map_err(|e| Box::new(Violation::field(field, format!("{raw:?} is not a valid URL: {e}"))))?;
    ev.set(&format!("{prefix}scheme"), parsed.scheme());
    ev.set_opt(&format!("{prefix}host"), parsed.host_str());
    if let Some(port) = parsed.port_or_known_default() {
        ev.set(&format!("{prefix}port"), port);
    }
    ev.set(&format!("{prefix}path"), parsed.path());
    ev.set_opt(&format!("{prefix}query"), parsed.query());
    ev.set_opt(&format!("{prefix}fragment"), parsed.fragment());
    Ok(())
}

/// Reads a JSON parameter given either plain (`plain`) or base64-encoded (`encoded`).
fn json_param(
    params: &HashMap<&str, &str>,
    plain: &str,
    encoded: &str,
) -> Option<Result<(String, Value), Violation>> {
    let (field, text) = if let Some(v) = params.get(plain).filter(|v| !v.is_empty()) {
        (plain, (*v).to_owned())
    } else {
        let v = params.get(encoded).filter(|v| !v.is_empty())?;
        let decoded = decode_base64(v).and_then(|b| String::from_utf8(b).ok());
        match decoded {
            Some(t) => (encoded, t),
            None => {
                return Some(Err(Violation::new(ViolationKind::NotJson, "invalid base64url (or not UTF-8)")
                    .with_field(encoded)));
            }
        }
    };
    Some(match serde_json::from_str::<Value>(&text) {
        Ok(v) => Ok((field.to_owned(), v)),
        Err(e) => Err(Violation::new(ViolationKind::NotJson, format!("invalid JSON: {e}")).with_field(field)),
    })
}

fn tag(mut v: Vec<Violation>, field: &str) -> Vec<Violation> {
    for x in &mut v {
        if x.field.is_none() {
            x.field = Some(field.to_owned());
        }
    }
    v
}

/// Validates an envelope (`unstruct_event` or `contexts`) and returns its data.
fn envelope<'a>(
    reg: &Registry,
    field: &str,
    value: &'a Value,
    name: &str,
) -> Result<&'a Value, Vec<Violation>> {
    let (key, data) = split_self_describing(value).map_err(|v| tag(v, field))?;
    if !key.is_snowplow(name, 1) {
        return Err(vec![
            Violation::new(
                ViolationKind::NotIglu,
                format!("expected iglu:com.snowplowanalytics.snowplow/{name}/jsonschema/1-*-*, got {key}"),
            )
            .with_field(field),
        ]);
    }
    reg.check(&key, data).map_err(|v| tag(v, field))?;
    Ok(data)
}

/// Validates one raw event and maps it to an enriched event. Collects every violation found.
pub fn enrich(
    reg: &Registry,
    params: &[(String, String)],
    ctx: &CollectorContext,
) -> Result<Enriched, Vec<Violation>> {
    let p: HashMap<&str, &str> = params.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let get = |k: &str| p.get(k).copied().filter(|v| !v.is_empty());
    let mut errors = Vec::new();
    let mut ev = AtomicEvent::default();

    // Collector-side context first; tracker parameters may override it.
    ev.set("collector_tstamp", iso8601(ctx.collector_tstamp));
    ev.set("etl_tstamp", iso8601(now_ms()));
    ev.set("v_collector", VERSION_TAG);
    ev.set("v_etl", VERSION_TAG);
    ev.set_opt("network_userid", ctx.network_userid.as_deref());
    ev.set_opt("user_ipaddress", ctx.ip_address.as_deref());
    ev.set_opt("useragent", ctx.useragent.as_deref());

    for required in ["e", "p", "tv", "eid"] {
        if get(required).is_none() {
            errors.push(Violation::field(required, "required tracker-protocol field is missing"));
        }
    }
    let mut event_schema = None;
    let mut event_name = None;
    if let Some(e) = get("e") {
        match event_type(e) {
            Some((name, schema)) => {
                ev.set("event", name);
                event_name = Some(name);
                event_schema = schema.map(str::to_owned);
            }
            None => errors.push(Violation::field("e", format!("{e:?} is not a known event type"))),
        }
    }
    if let Some(platform) = get("p") {
        if PLATFORMS.contains(&platform) {
            ev.set("platform", platform);
        } else {
            errors.push(Violation::field(
                "p",
                format!("{platform:?} is not a platform ({})", PLATFORMS.join(", ")),
            ));
        }
    }
    if let Some(eid) = get("eid") {
        match convert("eid", eid, Conv::Uuid) {
            Ok(v) => ev.set("event_id", v),
            Err(e) => errors.push(*e),
        }
    }
    for (param, field, conv) in MAPPINGS {
        if let Some(raw) = get(param) {
            match convert(param, raw, *conv) {
                Ok(v) => ev.set(field, v),
                Err(e) => errors.push(*e),
            }
        }
    }
    for (param, wf, hf) in DIMENSIONS {
        if let Some(raw) = get(param) {
            match dimensions(param, raw) {
                Ok((w, h)) => {
                    ev.set(wf, w);
                    ev.set(hf, h);
                }
                Err(e) => errors.push(*e),
            }
        }
    }
    let mut derived = Vec::new();
    if let Some(url) = get("url").or(ctx.referer.as_deref().filter(|r| !r.is_empty())) {
        ev.set("page_url", url);
        if let Err(e) = set_url_parts(&mut ev, "page_url", "url", url) {
            errors.push(*e);
        }
        // Cross-domain navigation (`_sp`), as Enrich reads it from the page URL.
        match cross_nav::sp_parameter(url).map(|sp| cross_nav::parse(&sp)).transpose() {
            Err(e) => errors.push(*e),
            Ok(nav) => {
                if let Some(nav) = nav.flatten() {
                    ev.set_opt("refr_domain_userid", nav.domain_user_id.as_deref());
                    if let Some(ms) = nav.timestamp_ms {
                        ev.set("refr_dvce_tstamp", iso8601(ms));
                    }
                    derived.extend(nav.entity);
                }
            }
        }
    }
    if let Some(refr) = get("refr") {
        ev.set("page_referrer", refr);
        if let Err(e) = set_url_parts(&mut ev, "refr_url", "refr", refr) {
            errors.push(*e);
        }
    }

    // Self-describing event.
    match json_param(&p, "ue_pr", "ue_px") {
        None if get("e") == Some("ue") => {
            errors.push(Violation::field("ue_pr", "a self-describing event (e=ue) needs ue_pr or ue_px"));
        }
        None => {}
        Some(Err(e)) => errors.push(e),
        Some(Ok((field, value))) => match envelope(reg, &field, &value, "unstruct_event") {
            Err(v) => errors.extend(v),
            Ok(inner) => match split_self_describing(inner) {
                Err(v) => errors.extend(tag(v, &field)),
                Ok((key, data)) => {
                    if let Err(v) = reg.check(&key, data) {
                        errors.extend(tag(v, &field));
                    }
                    ev.set("unstruct_event", json!({"schema": UNSTRUCT_SCHEMA, "data": inner}));
                    if event_name == Some("unstruct") {
                        event_schema = Some(key.path());
                    }
                }
            },
        },
    }

    // Entities.
    let mut contexts = Vec::new();
    match json_param(&p, "co", "cx") {
        None => {}
        Some(Err(e)) => errors.push(e),
        Some(Ok((field, value))) => match envelope(reg, &field, &value, "contexts") {
            Err(v) => errors.extend(v),
            Ok(data) => {
                let entities = data.as_array().cloned().unwrap_or_default();
                for (i, entity) in entities.iter().enumerate() {
                    match split_self_describing(entity) {
                        Err(v) => errors.extend(tag(v, &format!("{field}[{i}]"))),
                        Ok((key, data)) => {
                            if let Err(v) = reg.check(&key, data) {
                                errors.extend(tag(v, &format!("{field}[{i}]")));
                            }
                            contexts.push(key.to_string());
                        }
                    }
                }
                if !entities.is_empty() {
                    ev.set("contexts", json!({"schema": CONTEXTS_SCHEMA, "data": entities}));
                }
            }
        },
    }

    // Derived entities (Enrich's): checked against their schemas as Enrich does.
    if !derived.is_empty() {
        let entities: Vec<Value> = derived
            .into_iter()
            .map(|data| json!({"schema": cross_nav::CROSS_NAVIGATION_SCHEMA, "data": data}))
            .collect();
        for entity in &entities {
            if let Ok((key, data)) = split_self_describing(entity) {
                if let Err(v) = reg.check(&key, data) {
                    errors.extend(tag(v, "derived_contexts"));
                }
                contexts.push(key.to_string());
            }
        }
        ev.set("derived_contexts", json!({"schema": CONTEXTS_SCHEMA, "data": entities}));
    }

    if let Some(key) = event_schema.as_deref().and_then(SchemaKey::parse) {
        ev.set("event_vendor", key.vendor.as_str());
        ev.set("event_name", key.name.as_str());
        ev.set("event_format", key.format.as_str());
        ev.set("event_version", key.version_string());
    }
    set_derived_tstamp(&mut ev, params, ctx.collector_tstamp);

    // Atomic field types and lengths, as Enrich checks them (once the mapping itself succeeded).
    if !errors.is_empty() {
        return Err(errors);
    }
    let atomic = SchemaKey {
        vendor: "com.snowplowanalytics.snowplow".to_owned(),
        name: "atomic".to_owned(),
        format: "jsonschema".to_owned(),
        version: (1, 0, 0),
    };
    if reg.contains(&atomic) {
        reg.check(&atomic, &ev.scalar_fields())?;
    }
    let schema = ev
        .str("event_vendor")
        .zip(ev.str("event_name"))
        .zip(ev.str("event_format").zip(ev.str("event_version")))
        .map(|((v, n), (f, ver))| format!("iglu:{v}/{n}/{f}/{ver}"));
    Ok(Enriched { event_type: ev.str("event").map(str::to_owned), schema, contexts, event: ev })
}

/// `derived_tstamp`: `true_tstamp` if sent, else the collector time corrected by the device clock skew
/// (`collector - (sent - created)`), else the collector time.
fn set_derived_tstamp(ev: &mut AtomicEvent, params: &[(String, String)], collector: i64) {
    let ms = |k: &str| {
        params
            .iter()
            .rev()
            .find(|(key, _)| key == k)
            .and_then(|(_, v)| v.parse::<i64>().ok())
            .filter(|v| (0..=MAX_EPOCH_MS).contains(v))
    };
    let derived = match (ms("ttm"), ms("stm"), ms("dtm")) {
        (Some(t), _, _) => t,
        // `sent - created` cannot overflow (both are in range); the collector time, a parameter of
        // the library API, can be any `i64`.
        (None, Some(sent), Some(created)) => collector.saturating_sub(sent - created).clamp(0, MAX_EPOCH_MS),
        _ => collector,
    };
    ev.set("derived_tstamp", iso8601(derived));
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    const EID: &str = "8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01";
    const SID: &str = "4d3b4e9c-5b4f-4a2f-9d7e-2c1b0a9f8e7d";
    const DUID: &str = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn session() -> Value {
        json!({"schema": "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2",
               "data": {"userId": DUID, "sessionId": SID, "eventIndex": 3, "sessionIndex": 2,
                        "previousSessionId": null, "storageMechanism": "COOKIE_1",
                        "firstEventId": EID, "firstEventTimestamp": "2023-01-01T00:00:00.000Z"}})
    }

    fn contexts(entities: &[Value]) -> String {
        json!({"schema": "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0", "data": entities})
            .to_string()
    }

    fn base(e: &str) -> Vec<(String, String)> {
        [
            ("e", e),
            ("eid", EID),
            ("tv", "rs-0.1.0"),
            ("tna", "sp"),
            ("aid", "demo"),
            ("p", "web"),
            ("dtm", "1672531200000"),
            ("stm", "1672531200500"),
            ("duid", DUID),
            ("sid", SID),
            ("vid", "2"),
            ("res", "1920x1080"),
            ("vp", "800x600"),
            ("ds", "800x2000"),
            ("cookie", "1"),
            ("lang", "en-US"),
            ("url", "https://example.com:8443/a/b?x=1#frag"),
            ("refr", "http://ref.example/"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    }

    fn with(mut p: Vec<(String, String)>, k: &str, v: &str) -> Vec<(String, String)> {
        p.retain(|(key, _)| key != k);
        p.push((k.to_owned(), v.to_owned()));
        p
    }

    fn run(p: &[(String, String)]) -> Result<Enriched, Vec<Violation>> {
        let ctx = CollectorContext {
            collector_tstamp: 1_672_531_201_000,
            network_userid: Some("nuid-1".into()),
            ..CollectorContext::default()
        };
        enrich(&Registry::embedded(), p, &ctx)
    }

    #[test]
    fn sp_in_the_page_url_gives_the_referring_user_and_the_cross_navigation_entity() {
        let sp = format!("{DUID}.1672531100000.{SID}..ZGVtbw");
        let url = format!("https://shop.example/?x=1&_sp={sp}#f");
        let out = run(&with(base("pv"), "url", &url)).unwrap();
        let ev = &out.event;
        assert_eq!(ev.str("refr_domain_userid"), Some(DUID));
        assert_eq!(ev.str("refr_dvce_tstamp"), Some("2022-12-31T23:58:20Z"));
        let derived = &ev.get("derived_contexts").unwrap()["data"][0];
        assert_eq!(derived["schema"], cross_nav::CROSS_NAVIGATION_SCHEMA);
        assert_eq!(derived["data"]["session_id"], SID);
        assert_eq!(derived["data"]["source_id"], "demo");
        assert_eq!(derived["data"]["user_id"], Value::Null);
        assert!(out.contexts.iter().any(|c| c == cross_nav::CROSS_NAVIGATION_SCHEMA));
        // The tracker's own entities are untouched.
        assert_eq!(ev.get("contexts"), Some(&json!({})));

        // The plain value: the two fields, and the entity with the others null.
        let out = run(&with(base("pv"), "url", &format!("https://shop.example/?_sp={DUID}.1672531100000")))
            .unwrap();
        assert_eq!(out.event.str("refr_domain_userid"), Some(DUID));
        let derived = &out.event.get("derived_contexts").unwrap()["data"][0]["data"];
        assert_eq!(derived["session_id"], Value::Null);

        // No _sp: nothing.
        let out = run(&base("pv")).unwrap();
        assert_eq!(out.event.get("refr_domain_userid"), Some(&Value::Null));
        assert_eq!(out.event.get("derived_contexts"), Some(&json!({})));
    }

    #[test]
    fn a_bad_sp_fails_the_event_and_a_bad_derived_entity_too() {
        let errors = run(&with(base("pv"), "url", "https://shop.example/?_sp=abc.soon")).unwrap_err();
        assert!(errors.iter().any(|v| v.field.as_deref() == Some("url")), "{errors:?}");
        // A session id that is no UUID: the derived entity does not validate, as in Enrich.
        let errors = run(&with(base("pv"), "url", "https://shop.example/?_sp=abc.1.not-a-uuid")).unwrap_err();
        assert!(errors.iter().any(|v| v.field.as_deref() == Some("derived_contexts")), "{errors:?}");
    }

    #[test]
    fn page_view_with_entities() {
        let web_page = json!({"schema": "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0", "data": {"id": EID}});
        let p = with(with(base("pv"), "page", "Home"), "co", &contexts(&[web_page, session()]));
        let out = run(&p).unwrap();
        let ev = &out.event;
        assert_eq!(out.event_type.as_deref(), Some("page_view"));
        assert_eq!(
            out.schema.as_deref(),
            Some("iglu:com.snowplowanalytics.snowplow/page_view/jsonschema/1-0-0")
        );
        assert_eq!(
            out.contexts,
            vec![
                "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0",
                "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2"
            ]
        );
        assert_eq!(ev.str("event_id"), Some(EID));
        assert_eq!(ev.str("domain_sessionid"), Some(SID));
        assert_eq!(ev.get("domain_sessionidx"), Some(&json!(2)));
        assert_eq!(ev.str("domain_userid"), Some(DUID));
        assert_eq!(ev.str("network_userid"), Some("nuid-1"));
        assert_eq!(ev.str("app_id"), Some("demo"));
        assert_eq!(ev.str("page_title"), Some("Home"));
        assert_eq!(ev.str("page_urlhost"), Some("example.com"));
        assert_eq!(ev.get("page_urlport"), Some(&json!(8443)));
        assert_eq!(ev.str("page_urlpath"), Some("/a/b"));
        assert_eq!(ev.str("page_urlquery"), Some("x=1"));
        assert_eq!(ev.str("page_urlfragment"), Some("frag"));
        assert_eq!(ev.get("refr_urlport"), Some(&json!(80)));
        assert_eq!(ev.str("dvce_created_tstamp"), Some("2023-01-01T00:00:00Z"));
        assert_eq!(ev.str("dvce_sent_tstamp"), Some("2023-01-01T00:00:00.500Z"));
        assert_eq!(ev.str("collector_tstamp"), Some("2023-01-01T00:00:01Z"));
        assert_eq!(ev.str("derived_tstamp"), Some("2023-01-01T00:00:00.500Z"));
        assert_eq!(ev.get("dvce_screenwidth"), Some(&json!(1920)));
        assert_eq!(ev.get("br_viewheight"), Some(&json!(600)));
        assert_eq!(ev.get("doc_height"), Some(&json!(2000)));
        assert_eq!(ev.get("br_cookies"), Some(&json!(true)));
        assert_eq!(ev.get("unstruct_event"), Some(&Value::Null));
        assert_eq!(ev.context_entities().len(), 2);
        assert_eq!(ev.get("contexts").unwrap()["schema"], CONTEXTS_SCHEMA);
    }

    #[test]
    fn screen_view_base64_with_screen_entity() {
        let sv = json!({"schema": UNSTRUCT_SCHEMA, "data": {
            "schema": "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0",
            "data": {"name": "home", "id": EID}}});
        let screen = json!({"schema": "iglu:com.snowplowanalytics.mobile/screen/jsonschema/1-0-0",
                            "data": {"name": "home", "id": EID}});
        let p = with(
            with(base("ue"), "ue_px", &URL_SAFE_NO_PAD.encode(sv.to_string())),
            "cx",
            &URL_SAFE_NO_PAD.encode(contexts(&[screen, session()])),
        );
        let out = run(&p).unwrap();
        assert_eq!(out.event_type.as_deref(), Some("unstruct"));
        assert_eq!(
            out.schema.as_deref(),
            Some("iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0")
        );
        assert_eq!(out.event.get("unstruct_event").unwrap()["data"]["data"]["name"], "home");
        assert_eq!(out.event.str("event_vendor"), Some("com.snowplowanalytics.mobile"));
        assert_eq!(out.event.str("event_version"), Some("1-0-0"));
        // Padded standard base64 is accepted too.
        let padded = base64::engine::general_purpose::STANDARD.encode(sv.to_string());
        assert!(run(&with(base("ue"), "ue_px", &padded)).is_ok());
    }

    #[test]
    fn structured_event() {
        let p = [("se_ca", "shop"), ("se_ac", "add"), ("se_la", "sku"), ("se_pr", "p"), ("se_va", "2.5")]
            .iter()
            .fold(base("se"), |p, (k, v)| with(p, k, v));
        let out = run(&p).unwrap();
        assert_eq!(out.event_type.as_deref(), Some("struct"));
        assert_eq!(out.schema.as_deref(), Some("iglu:com.google.analytics/event/jsonschema/1-0-0"));
        assert_eq!(out.event.str("se_category"), Some("shop"));
        assert_eq!(out.event.get("se_value"), Some(&json!(2.5)));
    }

    fn errors(p: &[(String, String)]) -> String {
        crate::violation::to_strings(&run(p).unwrap_err()).join("\n")
    }

    #[test]
    fn invalid_events() {
        let mut missing = base("pv");
        missing.retain(|(k, _)| k != "eid" && k != "tv");
        let e = errors(&missing);
        assert!(e.contains("eid: required") && e.contains("tv: required"), "{e}");
        assert!(errors(&base("zz")).contains("e: \"zz\" is not a known event type"));
        assert!(errors(&with(base("pv"), "p", "desktop")).contains("p: "));
        assert!(errors(&with(base("pv"), "eid", "123")).contains("eid: \"123\" is not a UUID"));
        assert!(errors(&with(base("pv"), "sid", "abc")).contains("sid: "));
        assert!(errors(&with(base("pv"), "vid", "x")).contains("vid: "));
        assert!(errors(&with(base("pv"), "dtm", "yesterday")).contains("dtm: "));
        assert!(errors(&with(base("pv"), "res", "big")).contains("res: "));
        assert!(errors(&with(base("pv"), "url", "not a url")).contains("url: "));
        assert!(errors(&with(base("pv"), "cookie", "yes")).contains("cookie: "));
        assert!(errors(&base("ue")).contains("needs ue_pr or ue_px"));
        assert!(errors(&with(base("ue"), "ue_px", "%%%")).contains("ue_px: invalid base64"));
        assert!(errors(&with(base("ue"), "ue_pr", "{nope")).contains("ue_pr: invalid JSON"));
        assert!(
            errors(&with(base("ue"), "ue_pr", r#"{"data":{}}"#))
                .contains("ue_pr: not a self-describing JSON")
        );
        let unknown = json!({"schema": UNSTRUCT_SCHEMA, "data": {"schema": "iglu:com.acme/x/jsonschema/1-0-0", "data": {}}});
        let e = errors(&with(base("ue"), "ue_pr", &unknown.to_string()));
        assert!(e.contains("ue_pr: iglu:com.acme/x/jsonschema/1-0-0: schema not found"), "{e}");
        let invalid = json!({"schema": UNSTRUCT_SCHEMA, "data": {
            "schema": "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0", "data": {"name": "x", "id": "nope"}}});
        let e = errors(&with(base("ue"), "ue_pr", &invalid.to_string()));
        assert!(e.contains("$.id") && e.contains("uuid"), "{e}");
        let wrong_envelope = json!({"schema": CONTEXTS_SCHEMA, "data": []});
        assert!(errors(&with(base("ue"), "ue_pr", &wrong_envelope.to_string())).contains("expected iglu:"));
        let mut bad_session = session();
        bad_session["data"]["sessionIndex"] = json!("2");
        let e = errors(&with(base("pv"), "co", &contexts(&[bad_session])));
        assert!(
            e.contains(
                "co[0]: iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2: $.sessionIndex"
            ),
            "{e}"
        );
        // Atomic field lengths (atomic schema): tr_currency is at most 3 characters.
        assert!(errors(&with(base("tr"), "tr_cu", "EURO")).contains("$.tr_currency"));
    }

    /// Found by the `collector_request` fuzz target: the clock-skew correction overflowed (a panic
    /// with overflow checks) for a collector time near `i64::MIN` or `i64::MAX`.
    #[test]
    fn derived_tstamp_with_extreme_collector_times() {
        let derived = |dtm: i64, stm: i64, collector: i64| {
            let p = with(with(base("pv"), "dtm", &dtm.to_string()), "stm", &stm.to_string());
            let mut ev = AtomicEvent::default();
            set_derived_tstamp(&mut ev, &p, collector);
            // The whole enrichment does not panic either.
            let ctx = CollectorContext { collector_tstamp: collector, ..CollectorContext::default() };
            let _ = enrich(&Registry::embedded(), &p, &ctx);
            ev.str("derived_tstamp").map(str::to_owned)
        };
        assert_eq!(derived(0, MAX_EPOCH_MS, i64::MIN).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(derived(MAX_EPOCH_MS, 0, i64::MAX).as_deref(), Some("9999-12-31T23:59:59.999Z"));
        // In range, the correction is unchanged: collector − (sent − created).
        assert_eq!(
            derived(1_672_531_200_000, 1_672_531_200_500, 1_672_531_201_000).as_deref(),
            Some("2023-01-01T00:00:00.500Z")
        );
    }
}
