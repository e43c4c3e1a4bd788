//! Property tests of the collector's parsers of outside input (the request adapters, enrichment,
//! base64, Iglu URIs), the proptest half of what `make fuzz` does with libFuzzer:
//!
//! - "never panics" for `ingest::process` on arbitrary requests (any API, query, content type,
//!   body bytes, receive time) and for `parse_payload_data`, `parse_query`, `merge_query`,
//!   `content_type_ok`, `decode_base64`, `SchemaKey::parse`, `split_self_describing` and
//!   `enrich`, with every result serialisable as Micro serves it;
//! - `decode_base64` against the `base64` crate (round trips in every alphabet and padding, and
//!   the same answer on arbitrary text);
//! - `/i` query parsing against a percent-decoding oracle (the `percent-encoding` crate), an
//!   encode/parse round trip and the rules of `merge_query`;
//! - a valid tracker payload built from arbitrary field values (tp2 JSON or a tp1 query string,
//!   `ue_pr`/`co` plain or base64) is accepted, and its fields come back in the enriched event
//!   (timestamps checked with `jiff`).
//!
//! Case counts are fixed per suite, for a few seconds in a debug build (`PROPTEST_CASES`
//! overrides them all). Failure persistence is off: a failure prints its shrunk input, and each
//! one found is pinned as a unit test next to its fix in `collector/src`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::sync::LazyLock;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use proptest::prelude::*;
use serde_json::{Value, json};

use snowtrack_collector::Registry;
use snowtrack_collector::adapter::{
    RawParams, content_type_ok, content_type_violation, merge_query, parse_payload_data, parse_query,
};
use snowtrack_collector::b64::decode_base64;
use snowtrack_collector::enrich::{CollectorContext, enrich};
use snowtrack_collector::iglu::{SchemaKey, is_uuid, split_self_describing};
use snowtrack_collector::ingest::{Collected, process};
use snowtrack_collector::model::{Api, Context, Source};
use snowtrack_collector::store::Stored;
use snowtrack_collector::time::{MAX_EPOCH_MS, iso8601};
use snowtrack_collector::violation::to_strings;

static REG: LazyLock<Registry> = LazyLock::new(Registry::embedded);

const SNOWPLOW: &str = "com.snowplowanalytics.snowplow";
const PAYLOAD_DATA: &str = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4";
const CONTEXTS: &str = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0";
const UNSTRUCT: &str = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0";
const LINK_CLICK: &str = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1";
const WEB_PAGE: &str = "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0";
const CONSENT_DOCUMENT: &str = "iglu:com.snowplowanalytics.snowplow/consent_document/jsonschema/1-0-0";
const PLATFORMS: [&str; 8] = ["web", "mob", "pc", "srv", "app", "tv", "cnsl", "iot"];
/// 9999-12-30T00:00:00Z: beyond it `jiff::Timestamp` (the oracle) cannot parse.
const JIFF_MAX_MS: i64 = 253_402_128_000_000;

/// `n` cases, or `PROPTEST_CASES` when set (for a longer hunt: `PROPTEST_CASES=20000 cargo test
/// -p snowtrack-collector --test properties`).
fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    let mut config = ProptestConfig::with_cases(n);
    config.failure_persistence = None;
    config
}

// ---------------------------------------------------------------------------------------------
// Input strategies

/// Characters where the collector's parsers have edge cases (query, JSON, base64 and URI syntax,
/// whitespace, controls, invalid-UTF-8 stand-ins, non-BMP), mixed with printable ASCII and
/// arbitrary characters.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        1 => (0u8..0x20).prop_map(char::from),
        4 => (0x20u8..0x7f).prop_map(char::from),
        3 => prop::sample::select(vec![
            '&', '=', '%', '+', '?', '#', '/', ':', ';', '"', '\\', '{', '}', '[', ']', ',', '-', '_',
            '.', ' ', '\t', '\n', '\u{85}', '\u{a0}', '\u{feff}', '\u{fffd}', '\u{10ffff}', 'é', '字', '😀',
        ]),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(String::from_iter)
}

/// Text for "never panics": any characters, printable ASCII, or tricky mixes.
fn any_text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..max).prop_map(String::from_iter),
        prop::collection::vec((0x20u8..0x7f).prop_map(char::from), 0..max).prop_map(String::from_iter),
        tricky_string(max),
    ]
}

/// Query-string text: pairs of tricky text, well-formed and malformed escapes.
fn query_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => tricky_string(6),
        2 => (any::<u8>()).prop_map(|b| format!("%{b:02X}")),
        1 => (any::<u8>()).prop_map(|b| format!("%{b:02x}")),
        1 => prop::sample::select(vec!["%", "%2", "%G0", "%%", "+", "&&", "==", "%E2%84%A2", "%C3%28", "%ED%A0%80"])
            .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 0..12).prop_map(|p| p.concat())
}

fn uuid_any_case() -> impl Strategy<Value = String> {
    (any::<[u8; 16]>(), any::<bool>()).prop_map(|(b, upper)| {
        let id = uuid::Uuid::from_bytes(b).hyphenated().to_string();
        if upper { id.to_ascii_uppercase() } else { id }
    })
}

/// Tracker-protocol parameter names (every typed one) and a few others.
fn param_name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "e", "p", "tv", "eid", "aid", "tna", "uid", "duid", "sid", "vid", "dtm", "stm", "ttm", "url", "refr",
            "res", "vp", "ds", "cookie", "f_pdf", "se_ca", "se_ac", "se_va", "tr_tt", "tr_cu", "ti_qu", "tid",
            "pp_mix", "ue_pr", "ue_px", "co", "cx", "page", "lang",
        ])
        .prop_map(str::to_owned),
        1 => tricky_string(6),
    ]
}

/// Values shaped like what each kind of parameter takes, or not.
fn param_value() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => tricky_string(20),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => (0..=MAX_EPOCH_MS + 1).prop_map(|n| n.to_string()),
        1 => any::<f64>().prop_map(|n| n.to_string()),
        1 => (any::<i32>(), any::<i32>()).prop_map(|(w, h)| format!("{w}x{h}")),
        1 => uuid_any_case(),
        1 => prop::sample::select(vec!["pv", "ue", "se", "tr", "ti", "pp", "ad", "web", "mob", "1", "0", "true"])
            .prop_map(str::to_owned),
        1 => prop::sample::select(vec!["http://a.b/", "https://[::1]:8443/p?q#f", "http://a:99999/", "mailto:x", "//x"])
            .prop_map(str::to_owned),
        1 => sdj_text().prop_map(|s| URL_SAFE_NO_PAD.encode(s)),
        1 => sdj_text(),
    ]
}

/// Self-describing JSON, valid or not: envelopes around entities or events of known schemas with
/// arbitrary data, and broken shapes.
fn sdj_text() -> impl Strategy<Value = String> {
    let schema = prop::sample::select(vec![
        UNSTRUCT,
        CONTEXTS,
        LINK_CLICK,
        WEB_PAGE,
        CONSENT_DOCUMENT,
        "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2",
        "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0",
        "iglu:com.acme/unknown/jsonschema/1-0-0",
        "iglu:not a uri",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        tricky_string(10).prop_map(Value::from),
        uuid_any_case().prop_map(Value::from),
    ];
    let data = leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec!["id", "targetUrl", "name", "version", "userId", "schema", "data"])
                    .prop_map(str::to_owned),
                inner,
                0..4
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    });
    (schema.clone(), schema, data).prop_map(|(outer, inner, data)| {
        json!({"schema": outer, "data": {"schema": inner, "data": data}}).to_string()
    })
}

fn raw_params() -> impl Strategy<Value = RawParams> {
    prop::collection::vec((param_name(), param_value()), 0..12)
}

/// A tp2 body: payload_data with arbitrary events, or arbitrary text.
fn body_text() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => prop::collection::vec(raw_params(), 0..3).prop_map(|events| {
            let data: Vec<Value> = events
                .into_iter()
                .map(|e| Value::Object(e.into_iter().map(|(k, v)| (k, Value::from(v))).collect()))
                .collect();
            json!({"schema": PAYLOAD_DATA, "data": data}).to_string()
        }),
        1 => sdj_text(),
        1 => any_text(60),
    ]
}

fn api() -> impl Strategy<Value = Api> {
    prop_oneof![
        3 => Just(Api::tp2()),
        2 => Just(Api::tp1()),
        1 => Just(Api { vendor: "com.acme".to_owned(), version: "v1".to_owned() }),
        1 => Just(Api { vendor: SNOWPLOW.to_owned(), version: "tp3".to_owned() }),
    ]
}

fn context(received_ms: i64) -> Context {
    Context {
        timestamp: iso8601(received_ms),
        ip_address: Some("127.0.0.1".to_owned()),
        useragent: Some("proptest".to_owned()),
        referer_uri: None,
        headers: Vec::new(),
        user_id: Some("00000000-0000-4000-8000-000000000000".to_owned()),
    }
}

fn source() -> Source {
    Source { name: "proptest".to_owned(), encoding: "UTF-8".to_owned(), hostname: None }
}

fn collected() -> impl Strategy<Value = Collected> {
    let query = prop_oneof![
        2 => query_text(),
        2 => raw_params().prop_map(|p| encode_query(&p, false)),
    ];
    let content_type = prop::option::of(prop_oneof![
        3 => Just("application/json".to_owned()),
        2 => Just("application/json; charset=utf-8".to_owned()),
        1 => any_text(30),
    ]);
    let body = prop::option::of(prop_oneof![
        4 => body_text().prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..40),
    ]);
    let received = prop_oneof![4 => 0..=MAX_EPOCH_MS, 1 => any::<i64>()];
    (api(), query, content_type, body, received).prop_map(|(api, query, content_type, body, received_ms)| {
        Collected {
            api,
            query,
            content_type,
            body,
            source: source(),
            context: context(received_ms),
            received_ms,
        }
    })
}

/// `k=v&…`, every byte but ASCII letters and digits percent-encoded (spaces as `+` if asked).
fn encode_query(params: &[(String, String)], plus: bool) -> String {
    let enc = |s: &str| {
        let e = utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
        if plus { e.replace("%20", "+") } else { e }
    };
    params.iter().map(|(k, v)| format!("{}={}", enc(k), enc(v))).collect::<Vec<_>>().join("&")
}

/// Every stored event serialises as Micro serves it, and its bad rows are JSON.
fn check_stored(stored: &[Stored]) -> Result<(), TestCaseError> {
    prop_assert!(!stored.is_empty());
    for s in stored {
        match s {
            Stored::Good(g) => {
                let v = serde_json::to_value(g.as_ref()).unwrap();
                prop_assert_eq!(v["event"].as_object().map(serde_json::Map::len), Some(131));
                prop_assert!(is_uuid(g.event.str("event_id").unwrap()));
            }
            Stored::Bad(b) => {
                serde_json::to_value(b.as_ref()).unwrap();
                prop_assert!(b.errors.len() >= 2 && !b.messages.is_empty());
                for row in &b.errors[1..] {
                    let row: Value = serde_json::from_str(row).unwrap();
                    prop_assert!(row["schema"].as_str().unwrap().starts_with("iglu:"));
                }
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Never panics

proptest! {
    #![proptest_config(cases(300))]

    #[test]
    fn process_never_panics(req in collected()) {
        let known = req.api.vendor == SNOWPLOW && matches!(req.api.version.as_str(), "tp1" | "tp2");
        let stored = process(&REG, req);
        check_stored(&stored)?;
        if !known {
            prop_assert!(matches!(stored.as_slice(), [Stored::Bad(b)] if b.raw_event.is_none()));
        }
    }

    #[test]
    fn enrich_never_panics(
        params in raw_params(),
        collector_tstamp in prop_oneof![4 => 0..=MAX_EPOCH_MS, 1 => any::<i64>()],
        referer in prop::option::of(param_value()),
    ) {
        let ctx = CollectorContext { collector_tstamp, referer, ..CollectorContext::default() };
        match enrich(&REG, &params, &ctx) {
            Ok(e) => {
                prop_assert_eq!(e.event.to_value().as_object().map(serde_json::Map::len), Some(131));
                prop_assert_eq!(e.contexts.len(), e.event.context_entities().len());
            }
            Err(v) => prop_assert!(!v.is_empty() && to_strings(&v).iter().all(|m| !m.is_empty())),
        }
    }

    #[test]
    fn payload_data_never_panics(body in body_text()) {
        match parse_payload_data(&REG, &body) {
            Ok(events) => {
                // What it accepts is what the body says (serde_json alone as the oracle).
                let json: Value = serde_json::from_str(&body).unwrap();
                let items = json["data"].as_array().unwrap();
                prop_assert_eq!(events.len(), items.len());
                for (event, item) in events.iter().zip(items) {
                    let expected: RawParams = item
                        .as_object()
                        .unwrap()
                        .iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                        .collect();
                    prop_assert_eq!(event, &expected);
                }
            }
            Err(v) => prop_assert!(!v.is_empty()),
        }
    }
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn small_parsers_never_panic(text in any_text(80)) {
        let _ = parse_query(&text);
        let _ = content_type_ok(Some(&text));
        let _ = content_type_violation(Some(&text)).to_string();
        let _ = decode_base64(&text);
        if let Some(key) = SchemaKey::parse(&text) {
            prop_assert_eq!(SchemaKey::parse(&key.to_string()), Some(key));
        }
        let _ = parse_payload_data(&REG, &text);
    }

    #[test]
    fn self_describing_json_splits_into_its_parts(text in sdj_text()) {
        let json: Value = serde_json::from_str(&text).unwrap();
        match (split_self_describing(&json), SchemaKey::parse(json["schema"].as_str().unwrap())) {
            (Ok((key, data)), Some(parsed)) => {
                prop_assert_eq!(&key, &parsed);
                prop_assert_eq!(data, &json["data"]);
                if REG.check_self_describing(&json).is_ok() {
                    prop_assert!(REG.contains(&key));
                }
            }
            (Err(v), None) => prop_assert!(!v.is_empty() && REG.check_self_describing(&json).is_err()),
            (split, parsed) => return Err(TestCaseError::fail(format!("{split:?} vs {parsed:?}"))),
        }
        // The inner object (an event or a list of entities) too.
        let _ = REG.check_self_describing(&json["data"]);
    }

    #[test]
    fn content_type_ignores_ascii_case(text in any_text(40)) {
        let ok = content_type_ok(Some(&text));
        prop_assert_eq!(content_type_ok(Some(&text.to_ascii_uppercase())), ok);
        prop_assert_eq!(content_type_ok(Some(&text.to_ascii_lowercase())), ok);
        if ok {
            prop_assert!(text.split(';').next().unwrap().trim().eq_ignore_ascii_case("application/json"));
        }
    }
}

#[test]
fn content_types_snowplow_accepts() {
    for ok in
        ["application/json", "APPLICATION/JSON;CHARSET=UTF-8", " application/json ; charset=\"utf-8\" ;"]
    {
        assert!(content_type_ok(Some(ok)), "{ok}");
    }
    for bad in ["application/json; charset=utf-16", "application/jsonx", "application/json; x=y", "json"] {
        assert!(!content_type_ok(Some(bad)), "{bad}");
    }
}

// ---------------------------------------------------------------------------------------------
// base64

/// The `base64` crate's reading of a `ue_px`/`cx` value: surrounding whitespace trimmed, either
/// alphabet, the canonical padding or less of it, canonical trailing bits.
fn base64_oracle(text: &str) -> Option<Vec<u8>> {
    let url_safe = text.trim().replace('+', "-").replace('/', "_");
    let unpadded = url_safe.trim_end_matches('=');
    let padding = url_safe.len() - unpadded.len();
    if padding > (4 - unpadded.len() % 4) % 4 {
        return None;
    }
    URL_SAFE_NO_PAD.decode(unpadded).ok()
}

fn base64_text() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=".chars().collect();
    let c = prop_oneof![8 => prop::sample::select(alphabet), 1 => tricky_char()];
    (prop::collection::vec(c, 0..24), "[ \t\n]{0,2}", "={0,3}")
        .prop_map(|(body, ws, pad)| format!("{ws}{}{pad}{ws}", String::from_iter(body)))
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn base64_decodes_what_the_base64_crate_encodes(
        data in prop::collection::vec(any::<u8>(), 0..64),
        ws in "[ \t\r\n]{0,2}",
    ) {
        for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
            let encoded = engine.encode(&data);
            prop_assert_eq!(decode_base64(&encoded), Some(data.clone()));
            prop_assert_eq!(decode_base64(&format!("{ws}{encoded}{ws}")), Some(data.clone()));
        }
    }

    #[test]
    fn base64_reads_text_as_the_base64_crate_does(text in base64_text()) {
        prop_assert_eq!(decode_base64(&text), base64_oracle(&text), "{:?}", text);
    }
}

// ---------------------------------------------------------------------------------------------
// Query strings (`GET /i`)

/// `application/x-www-form-urlencoded` parsing, with the `percent-encoding` crate: `&`-separated
/// pairs, empty ones skipped, cut at the first `=`, `+` a space, malformed `%` kept as it is,
/// invalid UTF-8 replaced by U+FFFD.
fn query_oracle(query: &str) -> RawParams {
    let decode = |s: &str| {
        let bytes: Vec<u8> = percent_encoding::percent_decode_str(&s.replace('+', " ")).collect();
        String::from_utf8_lossy(&bytes).into_owned()
    };
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn query_parsing_is_percent_decoding(query in query_text()) {
        prop_assert_eq!(parse_query(&query), query_oracle(&query), "{:?}", query);
    }

    #[test]
    fn encoded_parameters_parse_back(
        params in prop::collection::vec((tricky_string(8), tricky_string(12)), 0..8),
        plus in any::<bool>(),
    ) {
        // An empty key with an empty value encodes as `=`, which still reads back as ("", "").
        prop_assert_eq!(parse_query(&encode_query(&params, plus)), params);
    }

    #[test]
    fn the_query_wins_when_merged(event in raw_params(), query in raw_params()) {
        let merged = merge_query(event.clone(), &query);
        // Event keys first, in their order, then the query's new keys in order of first appearance.
        let mut keys: Vec<&String> = event.iter().map(|(k, _)| k).collect();
        for (k, _) in &query {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        prop_assert_eq!(merged.iter().map(|(k, _)| k).collect::<Vec<_>>(), keys);
        for (i, (k, v)) in merged.iter().enumerate() {
            let first = merged.iter().position(|(mk, _)| mk == k) == Some(i);
            let winner = query.iter().rev().find(|(qk, _)| qk == k).map(|(_, qv)| qv);
            // Only the first slot of a repeated event key takes the query's (last) value.
            match (winner, event.get(i)) {
                (Some(qv), _) if first => prop_assert_eq!(v, qv),
                (_, Some((_, ev))) => prop_assert_eq!(v, ev),
                (_, None) => return Err(TestCaseError::fail(format!("{k:?}: appended, so from the query"))),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Valid tracker payloads round-trip into enriched events

#[derive(Debug, Clone)]
struct Page {
    scheme: &'static str,
    host: String,
    port: Option<u16>,
    path: String,
    query: Option<String>,
    fragment: Option<String>,
}

impl Page {
    fn url(&self) -> String {
        let mut url = format!("{}://{}", self.scheme, self.host);
        if let Some(port) = self.port {
            url.push_str(&format!(":{port}"));
        }
        url.push_str(&self.path);
        if let Some(q) = &self.query {
            url.push_str(&format!("?{q}"));
        }
        if let Some(f) = &self.fragment {
            url.push_str(&format!("#{f}"));
        }
        url
    }
}

fn page() -> impl Strategy<Value = Page> {
    (
        prop::sample::select(vec!["http", "https"]),
        "[a-z][a-z0-9-]{0,9}(\\.[a-z]{2,5}){0,2}".prop_filter("no IDNA label", |h| !h.starts_with("xn--")),
        prop::option::of(any::<u16>()),
        prop::collection::vec(
            "[A-Za-z0-9_.~-]{0,8}".prop_filter("no dot segment", |s| s != "." && s != ".."),
            0..4,
        ),
        prop::option::of("[a-z0-9=&]{1,12}"),
        prop::option::of("[a-z0-9]{1,8}"),
    )
        .prop_map(|(scheme, host, port, segments, query, fragment)| Page {
            scheme,
            host,
            port,
            path: format!("/{}", segments.join("/")),
            query,
            fragment,
        })
}

/// Text an enricher takes as it is: 1 to 40 characters (under every atomic `maxLength`).
fn field_text() -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 1..40).prop_map(String::from_iter)
}

#[derive(Debug, Clone)]
struct Tracked {
    e: &'static str,
    p: &'static str,
    eid: String,
    sid: String,
    strings: Vec<(&'static str, &'static str, String)>,
    vid: i32,
    res: (i32, i32),
    cookie: (&'static str, bool),
    dtm: i64,
    stm: i64,
    se_va: f64,
    page: Page,
    link: (String, String),
    page_id: String,
    consent: Option<(String, String)>,
}

fn tracked() -> impl Strategy<Value = Tracked> {
    let strings = (field_text(), field_text(), field_text(), field_text(), field_text(), field_text())
        .prop_map(|(tv, aid, tna, uid, page, lang)| {
            vec![
                ("tv", "v_tracker", tv),
                ("aid", "app_id", aid),
                ("tna", "name_tracker", tna),
                ("uid", "user_id", uid),
                ("page", "page_title", page),
                ("lang", "br_lang", lang),
            ]
        });
    let ids = (
        prop::sample::select(vec!["pv", "se", "ue"]),
        prop::sample::select(PLATFORMS.to_vec()),
        uuid_any_case(),
        uuid_any_case(),
        uuid_any_case(),
    );
    let numbers = (
        any::<i32>(),
        (0..=i32::MAX, 0..=i32::MAX),
        prop::sample::select(vec![("1", true), ("true", true), ("0", false), ("false", false)]),
        0..=JIFF_MAX_MS,
        0..=JIFF_MAX_MS,
        any::<f64>().prop_filter("finite", |f| f.is_finite()),
    );
    let entities =
        (field_text(), tricky_string(20), prop::option::of(("[A-Za-z0-9 ._-]{1,36}", "[0-9.]{1,36}")));
    (ids, strings, numbers, page(), entities).prop_map(
        |(
            (e, p, eid, sid, page_id),
            strings,
            (vid, res, cookie, dtm, stm, se_va),
            page,
            (url, id, consent),
        )| {
            Tracked {
                e,
                p,
                eid,
                sid,
                strings,
                vid,
                res,
                cookie,
                dtm,
                stm,
                se_va,
                page,
                link: (url, id),
                page_id,
                consent,
            }
        },
    )
}

impl Tracked {
    fn link_click(&self) -> Value {
        json!({"targetUrl": self.link.0, "elementId": self.link.1})
    }

    fn entities(&self) -> Vec<Value> {
        let mut entities = vec![json!({"schema": WEB_PAGE, "data": {"id": self.page_id}})];
        if let Some((id, version)) = &self.consent {
            entities.push(json!({"schema": CONSENT_DOCUMENT, "data": {"id": id, "version": version}}));
        }
        entities
    }

    /// The tracker-protocol parameters; `ue_pr`/`co` plain, or base64 as `ue_px`/`cx`.
    fn params(&self, base64: Option<&base64::engine::GeneralPurpose>) -> RawParams {
        let mut p: RawParams = vec![
            ("e".into(), self.e.into()),
            ("p".into(), self.p.into()),
            ("eid".into(), self.eid.clone()),
            ("sid".into(), self.sid.clone()),
            ("vid".into(), self.vid.to_string()),
            ("res".into(), format!("{}x{}", self.res.0, self.res.1)),
            ("cookie".into(), self.cookie.0.into()),
            ("dtm".into(), self.dtm.to_string()),
            ("stm".into(), self.stm.to_string()),
            ("url".into(), self.page.url()),
        ];
        p.extend(self.strings.iter().map(|(k, _, v)| ((*k).to_owned(), v.clone())));
        if self.e == "se" {
            p.extend([
                ("se_ca".into(), "category".into()),
                ("se_ac".into(), "action".into()),
                ("se_va".into(), self.se_va.to_string()),
            ]);
        }
        let mut json_param = |plain: &str, encoded: &str, value: Value| {
            let text = value.to_string();
            p.push(match base64 {
                None => (plain.to_owned(), text),
                Some(engine) => (encoded.to_owned(), engine.encode(text)),
            });
        };
        if self.e == "ue" {
            let event =
                json!({"schema": UNSTRUCT, "data": {"schema": LINK_CLICK, "data": self.link_click()}});
            json_param("ue_pr", "ue_px", event);
        }
        json_param("co", "cx", json!({"schema": CONTEXTS, "data": self.entities()}));
        p
    }
}

fn epoch_ms(iso: Option<&str>) -> Option<i64> {
    iso?.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond())
}

proptest! {
    #![proptest_config(cases(200))]

    #[test]
    fn a_valid_tracker_payload_comes_back_in_the_enriched_event(
        t in tracked(),
        get in any::<bool>(),
        plus in any::<bool>(),
        base64 in prop::option::of(prop::sample::select(vec![&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD])),
    ) {
        let params = t.params(base64);
        let received_ms = 1_700_000_000_000;
        let req = if get {
            Collected {
                api: Api::tp1(),
                query: encode_query(&params, plus),
                content_type: None,
                body: None,
                source: source(),
                context: context(received_ms),
                received_ms,
            }
        } else {
            let event: serde_json::Map<String, Value> =
                params.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
            Collected {
                api: Api::tp2(),
                query: String::new(),
                content_type: Some("application/json; charset=utf-8".to_owned()),
                body: Some(json!({"schema": PAYLOAD_DATA, "data": [event]}).to_string().into_bytes()),
                source: source(),
                context: context(received_ms),
                received_ms,
            }
        };
        let stored = process(&REG, req);
        let good = match stored.as_slice() {
            [Stored::Good(g)] => g,
            [Stored::Bad(b)] => return Err(TestCaseError::fail(format!("{:?}", b.messages))),
            other => return Err(TestCaseError::fail(format!("{} events", other.len()))),
        };
        let ev = &good.event;
        // As sent (a tp2 event is a JSON object: its parameters come back sorted by name).
        let mut raw = good.raw_event.parameters.0.clone();
        let mut sent = params.clone();
        if !get {
            raw.sort();
            sent.sort();
        }
        prop_assert_eq!(raw, sent);
        prop_assert_eq!(ev.str("event_id").map(str::to_owned), Some(t.eid.to_ascii_lowercase()));
        prop_assert_eq!(ev.str("domain_sessionid").map(str::to_owned), Some(t.sid.to_ascii_lowercase()));
        prop_assert_eq!(ev.str("platform"), Some(t.p));
        for (_, field, value) in &t.strings {
            prop_assert_eq!(ev.str(field), Some(value.as_str()), "{}", field);
        }
        prop_assert_eq!(ev.get("domain_sessionidx"), Some(&json!(t.vid)));
        prop_assert_eq!(ev.get("dvce_screenwidth"), Some(&json!(t.res.0)));
        prop_assert_eq!(ev.get("dvce_screenheight"), Some(&json!(t.res.1)));
        prop_assert_eq!(ev.get("br_cookies"), Some(&json!(t.cookie.1)));
        prop_assert_eq!(epoch_ms(ev.str("dvce_created_tstamp")), Some(t.dtm));
        prop_assert_eq!(epoch_ms(ev.str("dvce_sent_tstamp")), Some(t.stm));
        prop_assert_eq!(epoch_ms(ev.str("collector_tstamp")), Some(received_ms));
        let derived = (received_ms - (t.stm - t.dtm)).clamp(0, MAX_EPOCH_MS);
        if derived <= JIFF_MAX_MS {
            prop_assert_eq!(epoch_ms(ev.str("derived_tstamp")), Some(derived));
        } else {
            prop_assert_eq!(ev.str("derived_tstamp").map(str::to_owned), Some(iso8601(derived)));
        }

        let url = t.page.url();
        prop_assert_eq!(ev.str("page_url"), Some(url.as_str()));
        prop_assert_eq!(ev.str("page_urlscheme"), Some(t.page.scheme));
        prop_assert_eq!(ev.str("page_urlhost"), Some(t.page.host.as_str()));
        let default_port = if t.page.scheme == "http" { 80 } else { 443 };
        prop_assert_eq!(ev.get("page_urlport"), Some(&json!(t.page.port.unwrap_or(default_port))));
        prop_assert_eq!(ev.str("page_urlpath"), Some(t.page.path.as_str()));
        prop_assert_eq!(ev.str("page_urlquery"), t.page.query.as_deref());
        prop_assert_eq!(ev.str("page_urlfragment"), t.page.fragment.as_deref());

        match t.e {
            "pv" => prop_assert_eq!(good.event_type.as_deref(), Some("page_view")),
            "se" => {
                prop_assert_eq!(good.event_type.as_deref(), Some("struct"));
                prop_assert_eq!(ev.get("se_value").and_then(Value::as_f64), Some(t.se_va));
            }
            _ => {
                prop_assert_eq!(good.event_type.as_deref(), Some("unstruct"));
                prop_assert_eq!(good.schema.as_deref(), Some(LINK_CLICK));
                let unstruct = ev.get("unstruct_event").unwrap();
                prop_assert_eq!(&unstruct["data"]["data"], &t.link_click());
            }
        }
        let entities = t.entities();
        let schemas: Vec<&str> = entities.iter().map(|e| e["schema"].as_str().unwrap()).collect();
        prop_assert_eq!(&good.contexts, &schemas);
        prop_assert_eq!(ev.context_entities(), entities.as_slice());
    }
}
