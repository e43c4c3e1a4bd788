//! Property tests of snowtrack's hand-written utilities, each against the crate it replaces and,
//! where the JS tracker is the spec, a plain model of the JavaScript rule it copies:
//!
//! - SHA-1 and the cookie-name hash against `sha1_smol`;
//! - base64url against `base64` (`URL_SAFE_NO_PAD`) and the JS tracker's recipe;
//! - the JSON writer against `serde_json` and `JSON.stringify`'s rules, and the JSON reader of
//!   the facade's texts against `serde_json`;
//! - integer and hex formatting and `find` against `std`;
//! - `toUTCString` / `toISOString` against `chrono`, over the whole JS `Date` range;
//! - the URI codec against `percent-encoding` and `encodeURIComponent` / `decodeURIComponent`;
//! - `document.cookie` reading against the JS tracker's `cookie()` / `getCookiesWithPrefix`;
//! - `parseInt`, domain user ids and the `_sp_id` codec against the JS tracker's
//!   `parseIdCookie`, plus round trips (UUIDs themselves are the `uuid` crate's);
//! - "never panics" for every parser of outside input, on arbitrary and ASCII-biased text.
//!
//! Case counts are fixed per suite (the whole binary runs in a few seconds; `PROPTEST_CASES`
//! overrides them all). Failure persistence is off on purpose: a failure prints its shrunk
//! input, and each one found is pinned as a unit test next to its fix in `src/engine`, not in a
//! regression file here.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic, missing_docs)]

use std::collections::BTreeMap;

use base64::Engine as _;
use chrono::{Datelike, Timelike};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use proptest::prelude::*;
use serde_json::Value;

use snowtrack::engine::cookie::{
    CookieAttributes, SameSite, cookie_names_with_prefix, cookie_string, cookie_value, domain_hash,
    fixup_domain, root_domain_candidates,
};
use snowtrack::engine::id_cookie::{
    IdCookie, StorageMechanism, is_domain_user_id, is_uuid, parse_int, seconds,
};
use snowtrack::engine::util::base64::base64url;
use snowtrack::engine::util::json::{ObjectWriter, RawJson, push_string, self_describing};
use snowtrack::engine::util::json_value::{Json, key_text};
use snowtrack::engine::util::sha1::{sha1, sha1_hex};
use snowtrack::engine::util::text::{concat, find, int, push_hex, push_int, push_uint};
use snowtrack::engine::util::time::{MAX_DATE_MS, iso_string, utc_string};
use snowtrack::engine::util::uri::{decode_uri_component, encode_uri_component};

/// `n` cases, or `PROPTEST_CASES` when set (for a longer hunt: `PROPTEST_CASES=50000 cargo test
/// --test properties`).
fn cases(n: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(n);
    let mut config = ProptestConfig::with_cases(n);
    config.failure_persistence = None;
    config
}

// ---------------------------------------------------------------------------------------------
// Input strategies

/// Characters where the utilities have edge cases (controls, JSON and URI syntax, JS and Rust
/// whitespace that differ, line separators, U+FFFD, non-BMP), mixed with printable ASCII and
/// arbitrary characters.
fn tricky_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => any::<char>(),
        2 => (0u8..0x20).prop_map(char::from),
        4 => (0x20u8..0x7f).prop_map(char::from),
        2 => prop::sample::select(vec![
            '"', '\\', '%', '.', ';', '=', ' ', '+', '-', '*', '\u{7f}', '\u{85}', '\u{a0}', '\u{2028}',
            '\u{2029}', '\u{feff}', '\u{fffd}', '\u{10ffff}', 'é', '™', '字', '😀',
        ]),
    ]
}

fn tricky_string(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(tricky_char(), 0..max).prop_map(String::from_iter)
}

/// Arbitrary text for "never panics": any characters, printable ASCII, or tricky mixes.
fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::collection::vec(any::<char>(), 0..80).prop_map(String::from_iter),
        "[ -~]{0,80}",
        tricky_string(80),
    ]
}

fn lower_uuid() -> impl Strategy<Value = String> {
    any::<[u8; 16]>().prop_map(|b| uuid::Uuid::from_bytes(b).hyphenated().to_string())
}

// ---------------------------------------------------------------------------------------------
// SHA-1

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn sha1_matches_sha1_smol(data in prop::collection::vec(any::<u8>(), 0..300)) {
        prop_assert_eq!(sha1(&data), sha1_smol::Sha1::from(&data).digest().bytes());
    }

    #[test]
    fn sha1_hex_and_domain_hash_match_sha1_smol(domain in tricky_string(40), path in tricky_string(8)) {
        let joined = format!("{domain}{path}");
        let expected = sha1_smol::Sha1::from(&joined).digest().to_string();
        prop_assert_eq!(sha1_hex(&joined), expected.clone());
        prop_assert_eq!(domain_hash(&domain, &path), &expected[..4]);
    }
}

#[test]
fn sha1_at_every_length_around_the_block_boundaries() {
    let data: Vec<u8> = (0..=200u8).map(|i| i.wrapping_mul(31)).collect();
    for len in 0..=data.len() {
        let slice = &data[..len];
        assert_eq!(sha1(slice), sha1_smol::Sha1::from(slice).digest().bytes(), "length {len}");
    }
}

// ---------------------------------------------------------------------------------------------
// base64url

proptest! {
    #![proptest_config(cases(1000))]

    #[test]
    fn base64url_matches_the_base64_crate(text in tricky_string(100)) {
        let ours = base64url(&text);
        prop_assert_eq!(&ours, &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text.as_bytes()));
        // The JS tracker's recipe: standard base64 of the UTF-8 bytes, then strip every `=`,
        // `+` to `-`, `/` to `_`.
        let js = base64::engine::general_purpose::STANDARD
            .encode(text.as_bytes())
            .replace('=', "")
            .replace('+', "-")
            .replace('/', "_");
        prop_assert_eq!(&ours, &js);
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(&ours).unwrap();
        prop_assert_eq!(decoded, text.into_bytes());
    }
}

// ---------------------------------------------------------------------------------------------
// JSON reader

/// Any JSON value as `JSON.stringify` could write it (finite numbers; nested up to 3 levels).
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        (-1e300f64..1e300).prop_map(Value::from),
        tricky_string(12).prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(tricky_string(6), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Whether the reader's `json` is `expected`, read the way the bindings read values.
fn reads_as(json: Json<'_>, expected: &Value) -> bool {
    match expected {
        Value::Null => json.is_null(),
        Value::Bool(b) => json.as_bool() == Some(*b),
        Value::Number(n) => {
            let (got, want) = (json.as_f64(), n.as_f64().unwrap());
            // Whole numbers exactly up to 2^53, others within a few units in the last place.
            got.is_some_and(|got| got == want || (got - want).abs() <= want.abs() * 1e-14)
        }
        Value::String(s) => json.as_str().as_deref() == Some(s.as_str()),
        Value::Array(items) => json.items().is_some_and(|got| {
            let got: Vec<Json<'_>> = got.collect();
            got.len() == items.len() && got.iter().zip(items).all(|(g, e)| reads_as(*g, e))
        }),
        Value::Object(members) => json.members().is_some_and(|got| {
            let got: Vec<(&str, Json<'_>)> = got.collect();
            got.len() == members.len()
                && got
                    .iter()
                    .zip(members)
                    .all(|((k, g), (ek, e))| key_text(k) == ek.as_str() && reads_as(*g, e))
                && members.iter().all(|(k, e)| {
                    // `get` finds a key without escapes by its text.
                    k.chars().any(|c| c < ' ' || c == '"' || c == '\\')
                        || json.get(k).is_some_and(|g| reads_as(g, e))
                })
                && json.to_json() == serde_json::to_string(expected).unwrap()
        }),
    }
}

proptest! {
    #![proptest_config(cases(2000))]

    /// What `serde_json` writes compactly (as `JSON.stringify` does) reads back as the value it
    /// wrote, and a text without markers is its own JSON.
    #[test]
    fn the_reader_reads_what_serde_json_writes(value in any_json()) {
        let text = serde_json::to_string(&value).unwrap();
        prop_assert!(reads_as(Json::new(&text), &value), "{}", text);
        prop_assert_eq!(Json::new(&text).to_json(), text.clone());
    }

    /// Any text reads without a panic (what is not JSON reads as absent).
    #[test]
    fn the_reader_never_panics(text in any_text()) {
        let json = Json::new(&text);
        let _ = (json.as_str(), json.as_f64(), json.page(), json.non_finite(), json.to_json());
        if let Some(items) = json.items() {
            for item in items.take(50) {
                let _ = (item.as_str(), item.get("a"));
            }
        }
        if let Some(members) = json.members() {
            for (key, value) in members.take(50) {
                let _ = (key_text(key), value.as_str());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JSON writer

/// ECMAScript `QuoteJSONString` (what `JSON.stringify` does to a string) for a string without
/// lone surrogates: `"` and `\` escaped, `\b \t \n \f \r` short forms, other code units below
/// U+0020 as `\u` + four lowercase hex digits, everything else as it is.
fn json_stringify(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[derive(Debug, Clone)]
enum Member {
    Str(String),
    OptStr(Option<String>),
    Number(u64),
    Raw(Value),
}

fn json_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        tricky_string(8).prop_map(Value::from),
        prop::collection::vec(any::<i32>(), 0..3).prop_map(Value::from),
        prop::collection::btree_map(tricky_string(4), any::<u8>(), 0..3)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k, Value::from(v))).collect())),
    ]
}

fn member() -> impl Strategy<Value = Member> {
    prop_oneof![
        tricky_string(16).prop_map(Member::Str),
        prop::option::of(tricky_string(8)).prop_map(Member::OptStr),
        any::<u64>().prop_map(Member::Number),
        json_value().prop_map(Member::Raw),
    ]
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn push_string_is_json_stringify(prefix in "[a-z{,]{0,3}", text in tricky_string(64)) {
        let mut out = prefix.clone();
        push_string(&mut out, &text);
        let literal = &out[prefix.len()..];
        prop_assert_eq!(literal, json_stringify(&text));
        prop_assert_eq!(literal, serde_json::to_string(&text).unwrap());
        prop_assert_eq!(serde_json::from_str::<String>(literal).unwrap(), text);
    }
}

proptest! {
    #![proptest_config(cases(500))]

    #[test]
    fn object_writer_objects_parse_back(members in prop::collection::btree_map(tricky_string(12), member(), 0..8)) {
        let mut writer = ObjectWriter::with_capacity(4);
        let mut expected_text = Vec::new();
        let mut expected = serde_json::Map::new();
        for (key, member) in &members {
            let value = match member {
                Member::Str(s) => {
                    writer.string(key, s);
                    Value::from(s.as_str())
                }
                Member::OptStr(s) => {
                    writer.opt_string(key, s.as_deref());
                    s.as_deref().map_or(Value::Null, Value::from)
                }
                Member::Number(n) => {
                    writer.number(key, *n);
                    Value::from(*n)
                }
                Member::Raw(v) => {
                    writer.raw(key, &serde_json::to_string(v).unwrap());
                    v.clone()
                }
            };
            expected_text.push(format!("{}:{}", serde_json::to_string(key).unwrap(), serde_json::to_string(&value).unwrap()));
            expected.insert(key.clone(), value);
        }
        let text = writer.finish();
        prop_assert_eq!(&text, &format!("{{{}}}", expected_text.join(",")));
        prop_assert!(RawJson::is_object(&text));
        let parsed: serde_json::Map<String, Value> = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&parsed, &expected);

        let schema = "iglu:com.acme/x/jsonschema/1-0-0";
        let sd: Value = serde_json::from_str(&self_describing(schema, &text)).unwrap();
        prop_assert_eq!(sd, serde_json::json!({ "schema": schema, "data": Value::Object(expected) }));
    }
}

// ---------------------------------------------------------------------------------------------
// Integers, hex, pieces

fn an_i64() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -1000i64..1000,
        prop::sample::select(vec![i64::MIN, i64::MIN + 1, i64::MAX, 0, -1])
    ]
}

fn a_u64() -> impl Strategy<Value = u64> {
    prop_oneof![
        any::<u64>(),
        0u64..1000,
        prop::sample::select(vec![u64::MAX, 0, 9, 10, 99_999_999_999_999_999])
    ]
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn integers_as_format_writes_them(v in an_i64(), u in a_u64(), width in 0usize..25, byte in any::<u8>(), prefix in "[a-z]{0,2}") {
        prop_assert_eq!(int(v), v.to_string());
        let mut out = prefix.clone();
        push_int(&mut out, v);
        prop_assert_eq!(out, format!("{prefix}{v}"));
        let mut out = prefix.clone();
        push_uint(&mut out, u, width);
        prop_assert_eq!(out, format!("{prefix}{u:0width$}"));
        let mut out = prefix.clone();
        push_hex(&mut out, byte, false);
        push_hex(&mut out, byte, true);
        prop_assert_eq!(out, format!("{prefix}{byte:02x}{byte:02X}"));
    }

    #[test]
    fn find_is_str_find(hay in "[ab; =é]{0,20}", needle in "[ab; =é]{0,3}", pre in "[ab; =é]{0,5}") {
        prop_assert_eq!(find(&hay, &needle), hay.find(needle.as_str()));
        let planted = format!("{pre}{needle}{hay}");
        prop_assert_eq!(find(&planted, &needle), planted.find(needle.as_str()));
    }

    #[test]
    fn concat_is_str_concat(parts in prop::collection::vec(tricky_string(5), 0..5)) {
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        prop_assert_eq!(concat(&refs), parts.concat());
    }
}

// ---------------------------------------------------------------------------------------------
// Time

const DAY_MS: i64 = 86_400_000;
/// 400 Gregorian years: whole days and whole weeks, so a shift by it keeps date and weekday.
const CYCLE_MS: i64 = 146_097 * DAY_MS;
const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// `(toUTCString(), toISOString())` of `ms` as ECMAScript specifies them, from chrono's
/// calendar fields. chrono stops at year ±262143, short of the JS range (-271821 to 275760):
/// past it the time is shifted into range by whole 400-year cycles and the year shifted back.
fn js_date_strings(ms: i64) -> (String, String) {
    let (t, year) = match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => (t, i64::from(t.year())),
        None => {
            let cycles = ms / CYCLE_MS;
            let t = chrono::DateTime::from_timestamp_millis(ms - cycles * CYCLE_MS).unwrap();
            (t, i64::from(t.year()) + 400 * cycles)
        }
    };
    let weekday = WEEKDAYS[t.weekday().num_days_from_sunday() as usize];
    let month = MONTHS[t.month0() as usize];
    let (day, h, m, s, milli) = (t.day(), t.hour(), t.minute(), t.second(), t.timestamp_subsec_millis());
    let sign = if year < 0 { "-" } else { "" };
    let utc = format!("{weekday}, {day:02} {month} {sign}{:04} {h:02}:{m:02}:{s:02} GMT", year.abs());
    let iso_year = match year {
        0..=9999 => format!("{year:04}"),
        _ => format!("{}{:06}", if year < 0 { '-' } else { '+' }, year.abs()),
    };
    let iso = format!("{iso_year}-{:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z", t.month());
    (utc, iso)
}

fn date_ms() -> impl Strategy<Value = i64> {
    prop_oneof![
        -MAX_DATE_MS..=MAX_DATE_MS,
        -100_000_000_000_000i64..100_000_000_000_000,
        -5_000_000_000_000i64..5_000_000_000_000,
        (MAX_DATE_MS - 10 * CYCLE_MS)..=MAX_DATE_MS,
        -MAX_DATE_MS..=(-MAX_DATE_MS + 10 * CYCLE_MS),
        // Days either side of 0000-01-01 and of 10000-01-01.
        (-1000i64..1000).prop_map(|d| -62_167_219_200_000 + d * DAY_MS),
        (-1000i64..1000).prop_map(|d| 253_402_300_800_000 + d * DAY_MS - 1),
    ]
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn dates_match_js_over_the_whole_date_range(ms in date_ms()) {
        let (utc, iso) = js_date_strings(ms);
        prop_assert_eq!(utc_string(ms), utc);
        prop_assert_eq!(iso_string(ms), Some(iso));
    }

    #[test]
    fn outside_the_date_range_js_has_an_invalid_date(ms in prop_oneof![(MAX_DATE_MS + 1)..=i64::MAX, i64::MIN..-MAX_DATE_MS]) {
        prop_assert_eq!(utc_string(ms), "Invalid Date");
        prop_assert_eq!(iso_string(ms), None);
    }

    #[test]
    fn seconds_is_math_round(ms in -1_000_000_000_000_000i64..1_000_000_000_000_000) {
        prop_assert_eq!(seconds(ms) as f64, (ms as f64 / 1000.0 + 0.5).floor());
    }
}

// ---------------------------------------------------------------------------------------------
// URI codec

/// What `encodeURIComponent` leaves alone: `A-Z a-z 0-9 - _ . ! ~ * ' ( )`.
const JS_URI_UNESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `decodeURIComponent`: `Err` where JS throws `URIError`: a `%` without two hex digits after
/// it, or escaped bytes that are not UTF-8 (a literal character never completes an escaped
/// sequence, and in a valid `str` it cannot either, so checking the whole byte string is the
/// same rule).
fn js_decode_uri_component(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    for (i, _) in text.match_indices('%') {
        let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
        if !(hex(i + 1) && hex(i + 2)) {
            return Err(());
        }
    }
    percent_encoding::percent_decode_str(text).decode_utf8().map(|s| s.into_owned()).map_err(|_| ())
}

fn uri_token() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => tricky_char().prop_map(String::from),
        2 => any::<char>().prop_map(|c| encode_uri_component(&c.to_string())),
        2 => (any::<u8>(), any::<bool>()).prop_map(|(b, upper)| if upper { format!("%{b:02X}") } else { format!("%{b:02x}") }),
        1 => prop::sample::select(vec!["%", "%+f", "%-1", "% 1", "%g1", "%1", "%%", "%2", "%E0%A4", "%C0%AF", "%ED%A0%80", "%F4%90%80%80"]).prop_map(String::from),
    ]
}

fn uri_text() -> impl Strategy<Value = String> {
    prop::collection::vec(uri_token(), 0..12).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn encode_uri_component_is_js(text in tricky_string(40)) {
        let ours = encode_uri_component(&text);
        prop_assert_eq!(&ours, &percent_encoding::utf8_percent_encode(&text, JS_URI_UNESCAPED).to_string());
        // The JS rule byte by byte: the unreserved marks and alphanumerics as they are, every
        // other UTF-8 byte as `%` and two uppercase hex digits.
        let mut js = String::new();
        for b in text.bytes() {
            if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
                js.push(char::from(b));
            } else {
                js.push_str(&format!("%{b:02X}"));
            }
        }
        prop_assert_eq!(&ours, &js);
        prop_assert_eq!(decode_uri_component(&ours), text);
    }

    #[test]
    fn decode_uri_component_is_js_or_keeps_the_input(text in uri_text()) {
        let expected = js_decode_uri_component(&text).unwrap_or_else(|()| text.clone());
        prop_assert_eq!(decode_uri_component(&text), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// document.cookie

/// The JS tracker's `cookie(name)` read, `(('; ' + document.cookie).split('; ' + name + '=')[1]
/// || '').split(';')[0]` (then `decodeURIComponent`), with `''` as "no cookie".
fn js_cookie(header: &str, name: &str) -> Option<String> {
    let joined = format!("; {header}");
    let parts: Vec<&str> = joined.split(&format!("; {name}=")).collect();
    let raw = parts.get(1).copied().unwrap_or("").split(';').next().unwrap_or("");
    (!raw.is_empty()).then(|| js_decode_uri_component(raw).unwrap_or_else(|()| raw.to_owned()))
}

/// The JS tracker's `getCookiesWithPrefix`, each item cut at its first `=`.
fn js_cookies_with_prefix<'a>(header: &'a str, prefix: &str) -> Vec<&'a str> {
    header.split("; ").filter(|c| c.starts_with(prefix)).map(|c| c.split('=').next().unwrap_or(c)).collect()
}

const COOKIE_NAMES: [&str; 7] =
    ["a", "_sp_id.1fff", "_sp_ses.1fff", "_sp_id", "_sp_id.1fff.x", "", "_sp_root_domain_test_1"];

fn cookie_header() -> impl Strategy<Value = String> {
    let name = prop_oneof![3 => prop::sample::select(COOKIE_NAMES.to_vec()).prop_map(String::from), 1 => "[a-z_=; ]{0,6}"];
    let value = prop_oneof![uri_text(), "[a-z0-9.*%-]{0,12}"];
    let separator = prop::sample::select(vec!["; ", "; ", "; ", ";", ";  ", " ; "]);
    prop::collection::vec((name, any::<bool>(), value, separator), 0..6).prop_map(|pairs| {
        let mut header = String::new();
        for (i, (name, with_equals, value, separator)) in pairs.into_iter().enumerate() {
            if i > 0 {
                header.push_str(separator);
            }
            header.push_str(&name);
            if with_equals {
                header.push('=');
                header.push_str(&value);
            }
        }
        header
    })
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn cookie_value_is_the_js_trackers_read(header in cookie_header(), name in prop_oneof![3 => prop::sample::select(COOKIE_NAMES.to_vec()).prop_map(String::from), 1 => "[a-z_=; ]{0,4}"]) {
        prop_assert_eq!(cookie_value(&header, &name), js_cookie(&header, &name));
    }

    #[test]
    fn cookie_names_are_the_js_trackers(header in cookie_header(), prefix in prop::sample::select(vec!["", "_sp_", "_sp_id", "a", "_sp_root_domain_test_", " "])) {
        prop_assert_eq!(cookie_names_with_prefix(&header, prefix).collect::<Vec<_>>(), js_cookies_with_prefix(&header, prefix));
    }

    #[test]
    fn a_written_cookie_reads_back(value in tricky_string(30), ttl in prop::option::of(-10i64..100_000_000), now in 0i64..4_000_000_000_000, other in "[a-z]{1,3}=[a-z]{0,3}") {
        let attributes = CookieAttributes { domain: Some("example.com".into()), same_site: SameSite::Lax, secure: true, path: None };
        let written = cookie_string("_sp_id.1fff", &value, ttl, now, &attributes);
        // What the browser keeps of it: the name=value pair before the first `; `.
        let pair = written.split("; ").next().unwrap();
        let header = format!("{other}; {pair}; _sp_id.1fff=later");
        prop_assert_eq!(cookie_value(&header, "_sp_id.1fff"), Some(value.clone()).filter(|v| !v.is_empty()));
        if let Some(ttl) = ttl {
            let (utc, _) = js_date_strings(now + ttl * 1000);
            let expires = format!("; Expires={utc}; Path=/");
            prop_assert!(written.contains(&expires));
        }
    }

    #[test]
    fn root_domains_and_fixup_are_the_js_trackers(host in "[a-z*.]{0,12}") {
        // findRootDomain: `parts.slice(idx).join('.')` for idx = len-2 down to 0.
        let parts: Vec<&str> = host.split('.').collect();
        let expected: Vec<String> = (0..parts.len().saturating_sub(1)).rev().map(|i| parts[i..].join(".")).collect();
        prop_assert_eq!(root_domain_candidates(&host), expected);
        // fixupDomain: drop one trailing `.`, then a leading `*` before a `.`.
        let trimmed = host.strip_suffix('.').unwrap_or(&host);
        let expected = if trimmed.starts_with("*.") { &trimmed[1..] } else { trimmed };
        prop_assert_eq!(fixup_domain(&host), expected);
    }
}

// ---------------------------------------------------------------------------------------------
// parseInt, UUIDs, the _sp_id codec

/// ECMAScript's `StrWhiteSpaceChar`: WhiteSpace (TAB, VT, FF, ZWNBSP and the Unicode `Zs`
/// category) and LineTerminator (LF, CR, LS, PS). Not Rust's `char::is_whitespace`: U+0085 is
/// White_Space but not JS whitespace, and U+FEFF the other way round.
const JS_WHITESPACE: &[char] = &[
    '\t', '\u{b}', '\u{c}', '\u{feff}', // WhiteSpace
    ' ', '\u{a0}', '\u{1680}', '\u{2000}', '\u{2001}', '\u{2002}', '\u{2003}', '\u{2004}', '\u{2005}',
    '\u{2006}', '\u{2007}', '\u{2008}', '\u{2009}', '\u{200a}', '\u{202f}', '\u{205f}',
    '\u{3000}', // Zs
    '\n', '\r', '\u{2028}', '\u{2029}', // LineTerminator
];

fn js_whitespace(c: char) -> bool {
    JS_WHITESPACE.contains(&c)
}

#[test]
fn parse_int_skips_exactly_the_js_whitespace() {
    for c in (0..=0x10_ffff).filter_map(char::from_u32) {
        assert_eq!(parse_int(&format!("{c}{c}-7")) == Some(-7), js_whitespace(c), "{c:?}");
    }
}

/// `parseInt(text)` (no radix), as the JS tracker calls it, for results that fit an `i64`.
fn js_parse_int(text: &str) -> Option<i64> {
    let text = text.trim_start_matches(js_whitespace);
    let (sign, text) = match text.chars().next() {
        Some('-') => ("-", &text[1..]),
        Some('+') => ("", &text[1..]),
        _ => ("", text),
    };
    let (radix, text) =
        if text.starts_with("0x") || text.starts_with("0X") { (16, &text[2..]) } else { (10, text) };
    let digits: String = text.chars().take_while(|c| c.is_digit(radix)).collect();
    if digits.is_empty() {
        return None;
    }
    i64::from_str_radix(&format!("{sign}{digits}"), radix).ok()
}

fn int_text() -> impl Strategy<Value = String> {
    let space = prop::sample::select(vec![
        "", "", " ", "\t", "\n", "\u{b}", "\u{c}", "\r", "\u{a0}", "\u{85}", "\u{feff}", "\u{3000}",
        "\u{180e}", "\u{200b}", "\u{2028}", "\u{1680}",
    ]);
    let sign = prop::sample::select(vec!["", "", "+", "-", "+-", "--", " "]);
    let radix = prop::sample::select(vec!["", "", "0x", "0X", "0", "x"]);
    let digits =
        prop_oneof!["[0-9]{0,20}", "[0-9a-fA-F]{0,17}", an_i64().prop_map(|v| v.unsigned_abs().to_string())];
    let tail = prop_oneof!["", "[.a-z ]{0,3}", tricky_string(3)];
    (space.clone(), space, sign, radix, digits, tail)
        .prop_map(|(a, b, s, r, d, t)| format!("{a}{b}{s}{r}{d}{t}"))
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn parse_int_is_javascripts(text in prop_oneof![3 => int_text(), 1 => any_text()]) {
        prop_assert_eq!(parse_int(&text), js_parse_int(&text));
    }

    #[test]
    fn domain_user_ids_are_lowercase_uuids_or_16_hex_digits(text in prop_oneof![
        lower_uuid(),
        lower_uuid().prop_map(|u| u.to_uppercase()),
        "[0-9a-fA-F-]{36}",
        "[0-9a-f]{16}",
        "[0-9a-fA-F]{32}",
        "[0-9a-gA-G-]{35,37}",
        any_text(),
    ]) {
        let lower_hex = |s: &str| s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let expected = (is_uuid(&text) && lower_hex(&text.replace('-', ""))) || (text.len() == 16 && lower_hex(&text));
        prop_assert_eq!(is_domain_user_id(&text), expected);
    }
}

const NEW_SESSION: &str = "00000000-0000-4000-8000-000000000000";

/// The JS tracker's `parseIdCookie(value)` for a stored (non-empty) value, memorized visit count 1,
/// with snowtrack's three documented departures: a domain user id that the `client_session`
/// schema would refuse rejects the whole value (`None`: start afresh); a session, previous
/// session or first event id that is not a UUID reads as absent; a negative event index reads
/// as 0.
fn js_parse_id_cookie(value: &str, now_ms: i64) -> Option<IdCookie> {
    // Math.round(now / 1000), exactly (ties up).
    let now_s = now_ms.div_euclid(1000) + i64::from(now_ms.rem_euclid(1000) >= 500);
    let fields: Vec<&str> = value.split('.').collect();
    let field = |i: usize| fields.get(i).copied().filter(|f| !f.is_empty());
    let string = |i: usize| field(i).filter(|f| *f != "undefined" && is_uuid(f));
    let duid = field(0)?;
    if !is_domain_user_id(duid) {
        return None;
    }
    Some(IdCookie {
        domain_user_id: duid.to_owned(),
        created_s: field(1).and_then(js_parse_int).unwrap_or(now_s),
        visit_count: field(2).and_then(js_parse_int).unwrap_or(1),
        now_s: field(3).and_then(js_parse_int).unwrap_or(now_s),
        last_visit_s: field(4).and_then(js_parse_int),
        session_id: string(5).unwrap_or(NEW_SESSION).to_owned(),
        previous_session_id: string(6).unwrap_or("").to_owned(),
        first_event_id: string(7).unwrap_or("").to_owned(),
        first_event_ms: field(8).and_then(js_parse_int),
        event_index: field(9).and_then(js_parse_int).unwrap_or(0).max(0),
    })
}

fn id_field() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => lower_uuid(),
        1 => lower_uuid().prop_map(|u| u.to_uppercase()),
        1 => "[0-9a-f]{16}",
        1 => "[0-9a-f]{15}",
        2 => Just(String::new()),
        2 => Just("undefined".to_owned()),
        3 => an_i64().prop_map(|v| v.to_string()),
        1 => "[0-9]{1,25}",
        2 => int_text().prop_map(|t| t.replace('.', "")),
        1 => tricky_string(6).prop_map(|t| t.replace('.', "")),
    ]
}

fn id_cookie_text() -> impl Strategy<Value = String> {
    prop::collection::vec(id_field(), 0..13).prop_map(|f| f.join("."))
}

fn well_formed_id_cookie() -> impl Strategy<Value = IdCookie> {
    let duid = prop_oneof![3 => lower_uuid(), 1 => "[0-9a-f]{16}"];
    let sid = prop_oneof![3 => lower_uuid(), 1 => lower_uuid().prop_map(|u| u.to_uppercase())];
    let opt_id = prop_oneof![Just(String::new()), lower_uuid()];
    (
        (duid, an_i64(), an_i64(), an_i64(), prop::option::of(an_i64())),
        (sid, opt_id.clone(), opt_id, prop::option::of(an_i64()), prop_oneof![0i64..100, 0..=i64::MAX]),
    )
        .prop_map(|((duid, created, visits, now, last), (sid, prev, first, first_ms, index))| IdCookie {
            domain_user_id: duid,
            created_s: created,
            visit_count: visits,
            now_s: now,
            last_visit_s: last,
            session_id: sid,
            previous_session_id: prev,
            first_event_id: first,
            first_event_ms: first_ms,
            event_index: index,
        })
}

proptest! {
    #![proptest_config(cases(2000))]

    #[test]
    fn id_cookie_parse_is_the_js_trackers(value in id_cookie_text(), now_ms in prop_oneof![0i64..4_000_000_000_000, an_i64().prop_map(|v| v / 4)]) {
        let parsed = IdCookie::parse(&value, now_ms, || NEW_SESSION.to_owned());
        prop_assert_eq!(&parsed, &js_parse_id_cookie(&value, now_ms));
        if let Some(c) = parsed {
            // Writing it and reading it back gives the same state.
            prop_assert_eq!(IdCookie::parse(&c.serialize(), now_ms, || panic!("the session id is stored")), Some(c.clone()));
            let entity: Value = serde_json::from_str(&c.client_session_json(StorageMechanism::Cookie)).unwrap();
            prop_assert_eq!(&entity["userId"], &Value::from(c.domain_user_id.as_str()));
        }
    }

    #[test]
    fn well_formed_cookies_round_trip(cookie in well_formed_id_cookie(), now_ms in any::<i64>()) {
        let text = cookie.serialize();
        let fields: Vec<&str> = text.split('.').collect();
        prop_assert_eq!(fields.len(), 10);
        let parsed = IdCookie::parse(&text, now_ms, || panic!("the session id is stored"));
        prop_assert_eq!(parsed.as_ref(), Some(&cookie));
        prop_assert_eq!(parsed.map(|c| c.serialize()), Some(text.clone()));
        // Legacy and partial forms, the first k fields (6 before v3.5): what is there is kept
        // and written back in place, the rest defaults (a missing session id is a new one).
        for k in 1..10 {
            let prefix = fields[..k].join(".");
            let reparsed = IdCookie::parse(&prefix, now_ms, || NEW_SESSION.to_owned()).unwrap();
            prop_assert_eq!(Some(reparsed.clone()), js_parse_id_cookie(&prefix, now_ms));
            let rewritten = reparsed.serialize();
            prop_assert_eq!(&rewritten.split('.').take(k).collect::<Vec<_>>()[..], &fields[..k]);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Never panics

proptest! {
    #![proptest_config(cases(1500))]

    #[test]
    fn parsers_never_panic(text in any_text(), other in any_text(), now_ms in an_i64()) {
        if let Some(c) = IdCookie::parse(&text, now_ms, || NEW_SESSION.to_owned()) {
            let again = IdCookie::parse(&c.serialize(), now_ms, || panic!("the session id is stored"));
            prop_assert_eq!(again.as_ref(), Some(&c));
            let _ = c.client_session_json(StorageMechanism::LocalStorage);
        }
        let _ = cookie_value(&text, &other);
        let _ = cookie_value(&other, &text);
        let _ = cookie_names_with_prefix(&text, &other).count();
        let decoded = decode_uri_component(&text);
        prop_assert_eq!(decoded, js_decode_uri_component(&text).unwrap_or_else(|()| text.clone()));
        prop_assert_eq!(decode_uri_component(&encode_uri_component(&text)), text.clone());
        let _ = parse_int(&text);
        let _ = (is_uuid(&text), is_domain_user_id(&text), RawJson::is_object(&text));
        let _ = (root_domain_candidates(&text), fixup_domain(&text), domain_hash(&text, &other));
        let _ = (base64url(&text), utc_string(now_ms), iso_string(now_ms));
        let _ = find(&text, &other);
    }
}

#[test]
fn a_map_writer_round_trip_sanity_check() {
    // One fixed case through the same path as the property, so a broken oracle shows up plainly.
    let mut w = ObjectWriter::new();
    w.string("a\u{8}", "\u{c}\u{2028}").number("n", u64::MAX).opt_string("z", None);
    let parsed: BTreeMap<String, Value> = serde_json::from_str(&w.finish()).unwrap();
    assert_eq!(parsed["a\u{8}"], "\u{c}\u{2028}");
    assert_eq!(parsed["n"], u64::MAX);
    assert_eq!(parsed["z"], Value::Null);
}
