//! The `_sp_id` domain cookie: its 10-field wire format and the per-event updates to it.
//!
//! Wire format (dot-separated, empty for "none"):
//! `duid.createTs.visitCount.nowTs.lastVisitTs.sessionId.previousSessionId.firstEventId.firstEventTsMs.eventIndex`,
//! timestamps in seconds except `firstEventTsMs`. Parsing is as lenient as the JS tracker's
//! (partial and legacy 6-field cookies, `parseInt`-style numbers, the literal `undefined`), except
//! that a value whose domain user id is not a UUID (or legacy 16-hex id) is rejected, so the
//! caller starts fresh instead of emitting an entity the `client_session` schema refuses.

use crate::engine::util::text::{concat, hex_value, int, push_int};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::util::json::ObjectWriter;
use crate::engine::util::time;

/// Where identity state is kept; named as the `client_session` entity's `storageMechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageMechanism {
    /// Cookies (or in-memory state): `COOKIE_1`.
    Cookie,
    /// localStorage: `LOCAL_STORAGE`.
    LocalStorage,
}

impl StorageMechanism {
    /// The schema's enum value.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMechanism::Cookie => "COOKIE_1",
            StorageMechanism::LocalStorage => "LOCAL_STORAGE",
        }
    }
}

/// The parsed `_sp_id` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCookie {
    /// Domain user id (`duid`).
    pub domain_user_id: String,
    /// When the cookie was created, epoch seconds.
    pub created_s: i64,
    /// Session index (`vid`), starting at 1.
    pub visit_count: i64,
    /// Time of the latest event, epoch seconds.
    pub now_s: i64,
    /// `now_s` of the previous session, if there was one.
    pub last_visit_s: Option<i64>,
    /// Current session id (`sid`).
    pub session_id: String,
    /// Previous session id, empty when none.
    pub previous_session_id: String,
    /// Id of the session's first event, empty until there is one.
    pub first_event_id: String,
    /// Timestamp of the session's first event, epoch milliseconds.
    pub first_event_ms: Option<i64>,
    /// Events in this session so far.
    pub event_index: i64,
}

/// JavaScript's `parseInt(text)` without a radix, as the JS tracker calls it: leading JS
/// whitespace, an optional sign, then the leading decimal digits, or hex digits after `0x`/`0X`.
/// `None` where JS gives NaN, and also past the `i64` range (where JS keeps a rounded double;
/// it also rounds past 2^53, where this stays exact).
pub fn parse_int(text: &str) -> Option<i64> {
    // StrWhiteSpaceChar: Unicode's White_Space without U+0085, plus U+FEFF.
    let text = text.trim_start_matches(|c: char| c == '\u{feff}' || (c.is_whitespace() && c != '\u{85}'));
    let (negative, unsigned) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        bytes => (false, bytes),
    };
    let (radix, digits) = match unsigned {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        _ => (10, unsigned),
    };
    let mut value = None;
    for digit in digits.iter().map_while(|&b| hex_value(b).filter(|&d| d < radix)) {
        let shifted = value.unwrap_or(0i64).checked_mul(i64::from(radix))?;
        // Accumulated with its sign, so that `i64::MIN` parses.
        value = Some(if negative {
            shifted.checked_sub(digit.into())
        } else {
            shifted.checked_add(digit.into())
        }?);
    }
    value
}

/// True for a UUID in any case (`format: uuid`): the hyphenated form, as `uuid` parses it.
pub fn is_uuid(text: &str) -> bool {
    text.len() == 36 && uuid::Uuid::try_parse(text).is_ok()
}

/// Formats 16 random bytes as a lowercase UUID v4 (version and variant bits set), with the
/// `uuid` crate (no `std`; its formatting writes into a stack buffer, no `core::fmt`).
pub fn uuid_v4_from_bytes(bytes: [u8; 16]) -> String {
    let uuid = uuid::Builder::from_random_bytes(bytes).into_uuid();
    let mut text = uuid::Uuid::encode_buffer();
    uuid.hyphenated().encode_lower(&mut text).to_owned()
}

/// The nil UUID: `client_session.userId` while tracking anonymously.
pub const NIL_UUID: &str = "00000000-0000-0000-0000-000000000000";

/// True for a domain user id the `client_session` schema accepts: a lowercase UUID or 16 hex digits.
pub fn is_domain_user_id(text: &str) -> bool {
    let lower = |b: &u8| b.is_ascii_digit() || (b'a'..=b'f').contains(b);
    (is_uuid(text) && !text.bytes().any(|b| b.is_ascii_uppercase()))
        || (text.len() == 16 && text.as_bytes().iter().all(lower))
}

impl IdCookie {
    /// A first-visit cookie: session index 1, no previous session, no event yet.
    pub fn fresh(domain_user_id: String, session_id: String, now_ms: i64) -> Self {
        let now_s = seconds(now_ms);
        IdCookie {
            domain_user_id,
            created_s: now_s,
            visit_count: 1,
            now_s,
            last_visit_s: None,
            session_id,
            previous_session_id: String::new(),
            first_event_id: String::new(),
            first_event_ms: None,
            event_index: 0,
        }
    }

    /// Parses a stored `_sp_id` value (already URI-decoded).
    ///
    /// Returns `None` when the value is empty or its domain user id is unusable. A missing or
    /// malformed session id is replaced by `new_session_id()`; other missing fields default
    /// as in the JS tracker. Never panics, whatever the input.
    pub fn parse(value: &str, now_ms: i64, new_session_id: impl FnOnce() -> String) -> Option<Self> {
        let (mut cookie, session_id) = Self::parse_fields(value, now_ms)?;
        cookie.session_id = session_id.unwrap_or_else(new_session_id);
        Some(cookie)
    }

    /// [`IdCookie::parse`] but for the session id, returned apart (`None` when missing or
    /// malformed): one copy of the parser in the module, whatever the callers' closures.
    fn parse_fields(value: &str, now_ms: i64) -> Option<(Self, Option<String>)> {
        let mut fields = value.split('.');
        let mut next = || fields.next().filter(|f| !f.is_empty() && *f != "undefined");
        let domain_user_id = next()?;
        if !is_domain_user_id(domain_user_id) {
            return None;
        }
        let now_s = seconds(now_ms);
        let created_s = next().and_then(parse_int).unwrap_or(now_s);
        let visit_count = next().and_then(parse_int).unwrap_or(1);
        let last_event_s = next().and_then(parse_int).unwrap_or(now_s);
        let last_visit_s = next().and_then(parse_int);
        let session_id = next().filter(|s| is_uuid(s)).map(str::to_owned);
        let previous_session_id = next().filter(|s| is_uuid(s)).unwrap_or("").to_owned();
        let first_event_id = next().filter(|s| is_uuid(s)).unwrap_or("").to_owned();
        let first_event_ms = next().and_then(parse_int);
        let event_index = next().and_then(parse_int).unwrap_or(0).max(0);
        let cookie = IdCookie {
            domain_user_id: domain_user_id.to_owned(),
            created_s,
            visit_count,
            now_s: last_event_s,
            last_visit_s,
            session_id: String::new(),
            previous_session_id,
            first_event_id,
            first_event_ms,
            event_index,
        };
        Some((cookie, session_id))
    }

    /// Parses an anonymous session (an id cookie's fields without a domain user id, as
    /// [`crate::engine::state_store::StateStore::write_anonymous`] keeps it); `None` for anything
    /// else, such as the JS tracker's `*`.
    pub fn parse_anonymous(value: &str, now_ms: i64) -> Option<Self> {
        if !value.starts_with('.') {
            return None;
        }
        let mut state = Self::parse(&concat(&[NIL_UUID, value]), now_ms, String::new)?;
        if !is_uuid(&state.session_id) {
            return None;
        }
        state.domain_user_id.clear();
        Some(state)
    }

    /// The `_sp_id` wire value.
    pub fn serialize(&self) -> String {
        let mut out = String::with_capacity(160);
        out.push_str(&self.domain_user_id);
        for field in [Some(self.created_s), Some(self.visit_count), Some(self.now_s), self.last_visit_s] {
            out.push('.');
            if let Some(v) = field {
                push_int(&mut out, v);
            }
        }
        for id in [&self.session_id, &self.previous_session_id, &self.first_event_id] {
            out.push('.');
            out.push_str(id);
        }
        out.push('.');
        if let Some(ms) = self.first_event_ms {
            push_int(&mut out, ms);
        }
        out.push('.');
        push_int(&mut out, self.event_index);
        out
    }

    /// Starts a new session: the current one becomes the previous, the session index grows by
    /// one, and the event index and first-event references reset.
    pub fn start_session(&mut self, session_id: String) {
        self.previous_session_id = core::mem::replace(&mut self.session_id, session_id);
        self.last_visit_s = Some(self.now_s);
        self.visit_count = self.visit_count.saturating_add(1);
        self.event_index = 0;
        self.first_event_id.clear();
        self.first_event_ms = None;
    }

    /// Records an event: updates the activity time, sets the first-event references on the
    /// session's first event, then increments the event index (the first event carries 1).
    pub fn record_event(&mut self, now_ms: i64, event_id: &str, event_ts_ms: i64) {
        self.now_s = seconds(now_ms);
        if self.event_index == 0 {
            self.first_event_id = event_id.to_owned();
            self.first_event_ms = Some(event_ts_ms);
        }
        self.event_index = self.event_index.saturating_add(1);
    }

    /// The `client_session` 1-0-2 entity's data, fields in the JS tracker's order.
    ///
    /// `firstEventTimestamp` is `null` for a first-event time of 0, as in JS (0 is falsy there),
    /// and outside the `Date` range, where JS's `toISOString()` throws.
    ///
    /// An anonymous state (no domain user id) has the nil UUID as `userId` and no previous
    /// session (the mobile trackers' rule for anonymous tracking).
    pub fn client_session_json(&self, storage: StorageMechanism) -> String {
        let non_empty = |s: &str| Some(s.to_owned()).filter(|s| !s.is_empty());
        let anonymous = self.domain_user_id.is_empty();
        let previous = non_empty(&self.previous_session_id).filter(|_| !anonymous);
        let mut w = ObjectWriter::new();
        w.string("userId", if anonymous { NIL_UUID } else { &self.domain_user_id })
            .string("sessionId", &self.session_id)
            .raw("eventIndex", &int(self.event_index))
            .raw("sessionIndex", &int(self.visit_count))
            .opt_string("previousSessionId", previous.as_deref())
            .string("storageMechanism", storage.as_str())
            .opt_string("firstEventId", non_empty(&self.first_event_id).as_deref())
            .opt_string(
                "firstEventTimestamp",
                self.first_event_ms.filter(|&ms| ms != 0).and_then(time::iso_string).as_deref(),
            );
        w.finish()
    }
}

/// `Math.round(ms / 1000)`, as the JS tracker stores seconds (halves round up).
pub fn seconds(ms: i64) -> i64 {
    ms.div_euclid(1000) + i64::from(ms.rem_euclid(1000) >= 500)
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "e8be487a-1b7a-4d6c-9a5e-0c2b1c7f0a11";
    const S: &str = "65134acc-93aa-4f8b-8a4e-6b0f5d3b2c10";
    const S2: &str = "df52bd6b-2b1c-4c8e-9a57-1f6e3a4b5c6d";
    const F: &str = "0e2a4c6b-8d1f-4a3b-9c5e-7f6a5b4c3d2e";

    fn never() -> String {
        panic!("session id should come from the cookie")
    }

    #[test]
    fn full_cookie_round_trips() {
        let value = format!("{D}.1653632272.10.1653632282.1653632262.{S}.{S2}.{F}.1653632252.9");
        let c = IdCookie::parse(&value, 1_700_000_000_000, never).unwrap();
        assert_eq!(c.domain_user_id, D);
        assert_eq!(c.created_s, 1_653_632_272);
        assert_eq!(c.visit_count, 10);
        assert_eq!(c.now_s, 1_653_632_282);
        assert_eq!(c.last_visit_s, Some(1_653_632_262));
        assert_eq!(c.session_id, S);
        assert_eq!(c.previous_session_id, S2);
        assert_eq!(c.first_event_id, F);
        assert_eq!(c.first_event_ms, Some(1_653_632_252));
        assert_eq!(c.event_index, 9);
        assert_eq!(c.serialize(), value);
    }

    #[test]
    fn partial_five_field_cookie_gets_a_new_session_id() {
        let ts = 1_653_632_272;
        let value = format!("{D}.{ts}.10.{}.{}", ts + 10, ts - 10);
        let c = IdCookie::parse(&value, 1_700_000_000_000, || S.to_owned()).unwrap();
        assert_eq!((c.visit_count, c.now_s, c.last_visit_s, c.created_s), (10, ts + 10, Some(ts - 10), ts));
        assert_eq!(c.session_id, S);
        assert_eq!((c.event_index, c.first_event_id.as_str(), c.first_event_ms), (0, "", None));
    }

    #[test]
    fn legacy_six_field_cookie_keeps_its_session() {
        let value = format!("{D}.1653632272.10.1653632282.1653632262.{S}");
        let c = IdCookie::parse(&value, 0, never).unwrap();
        assert_eq!(c.session_id, S);
        assert_eq!(c.serialize(), format!("{D}.1653632272.10.1653632282.1653632262.{S}....0"));
    }

    #[test]
    fn lenient_numbers_and_undefined_literals() {
        let value = format!("{D}.12abc.x.undefined..undefined.undefined.nope.undefined.7z");
        let c = IdCookie::parse(&value, 1_000_000, || S.to_owned()).unwrap();
        assert_eq!(c.created_s, 12);
        assert_eq!(c.visit_count, 1);
        assert_eq!(c.now_s, 1000);
        assert_eq!(c.last_visit_s, None);
        assert_eq!(c.session_id, S);
        assert_eq!(c.previous_session_id, "");
        assert_eq!(c.event_index, 7);
    }

    #[test]
    fn unusable_values_yield_none() {
        for bad in ["", ".1.2.3", "not-a-uuid.1.1.1", "undefined", "ZZZZ", "\u{0}\u{ffff}...", "..........."]
        {
            assert!(IdCookie::parse(bad, 0, || S.to_owned()).is_none(), "{bad:?}");
        }
        assert!(IdCookie::parse("0123456789abcdef.1.1.1", 0, || S.to_owned()).is_some());
    }

    #[test]
    fn fresh_cookie_format() {
        let c = IdCookie::fresh(D.into(), S.into(), 1_700_000_000_000);
        assert_eq!(c.serialize(), format!("{D}.1700000000.1.1700000000..{S}....0"));
    }

    #[test]
    fn new_session_links_previous_and_resets_events() {
        let mut c =
            IdCookie::parse(&format!("{D}.1653632272.10.1653632200..{S}..{F}.1653632252.9"), 0, never)
                .unwrap();
        c.start_session(S2.into());
        assert_eq!(c.visit_count, 11);
        assert_eq!(c.previous_session_id, S);
        assert_eq!(c.session_id, S2);
        assert_eq!(c.last_visit_s, Some(1_653_632_200));
        assert_eq!((c.event_index, c.first_event_id.as_str(), c.first_event_ms), (0, "", None));
    }

    #[test]
    fn events_set_first_event_then_count() {
        let mut c = IdCookie::fresh(D.into(), S.into(), 0);
        c.record_event(1_653_638_673_483, F, 1_653_638_673_483);
        assert_eq!(
            (c.event_index, c.first_event_id.as_str(), c.first_event_ms),
            (1, F, Some(1_653_638_673_483))
        );
        assert_eq!(c.now_s, 1_653_638_673);
        c.record_event(1_653_638_680_000, S, 1_653_638_680_000);
        assert_eq!((c.event_index, c.first_event_id.as_str()), (2, F));
    }

    #[test]
    fn client_session_entity() {
        let mut c = IdCookie::fresh(D.into(), S.into(), 0);
        c.record_event(1_653_638_673_483, F, 1_653_638_673_483);
        assert_eq!(
            c.client_session_json(StorageMechanism::Cookie),
            format!(
                r#"{{"userId":"{D}","sessionId":"{S}","eventIndex":1,"sessionIndex":1,"previousSessionId":null,"storageMechanism":"COOKIE_1","firstEventId":"{F}","firstEventTimestamp":"2022-05-27T08:04:33.483Z"}}"#
            )
        );
        c.start_session(S2.into());
        let json: serde_json::Value =
            serde_json::from_str(&c.client_session_json(StorageMechanism::LocalStorage)).unwrap();
        assert_eq!(json["previousSessionId"], S);
        assert_eq!(json["storageMechanism"], "LOCAL_STORAGE");
        assert_eq!(json["firstEventId"], serde_json::Value::Null);
        assert_eq!(json["sessionIndex"], 2);
    }

    #[test]
    fn first_event_timestamp_is_null_where_js_has_none() {
        // Regression: a stored first-event time of 0 (JS: falsy, so `null`) gave 1970-01-01, and
        // one past the Date range (JS: RangeError) gave a wrong date.
        for (stored, expected) in
            [("0", None), ("8640000000000001", None), ("-1", Some("1969-12-31T23:59:59.999Z"))]
        {
            let c = IdCookie::parse(&format!("{D}.1.1.1..{S}..{F}.{stored}.1"), 0, never).unwrap();
            let json: serde_json::Value =
                serde_json::from_str(&c.client_session_json(StorageMechanism::Cookie)).unwrap();
            assert_eq!(json["firstEventTimestamp"].as_str(), expected, "{stored}");
            assert!(c.serialize().ends_with(&format!(".{stored}.1")));
        }
    }

    #[test]
    fn uuids_from_random_bytes() {
        let id = uuid_v4_from_bytes([0xff; 16]);
        assert_eq!(id, "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert!(is_uuid(&id) && is_domain_user_id(&id));
        assert_eq!(uuid_v4_from_bytes([0; 16]), "00000000-0000-4000-8000-000000000000");
    }

    #[test]
    fn parse_int_is_javascripts() {
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int(" -7x"), Some(-7));
        assert_eq!(parse_int("x"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_int("-"), None);
        assert_eq!(parse_int("99999999999999999999999"), None);
        assert_eq!(parse_int("+5"), Some(5));
        assert_eq!(parse_int("+-5"), None);
        assert_eq!(parse_int("- 5"), None);
        assert_eq!(parse_int("-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn parse_int_skips_js_whitespace_and_reads_hex() {
        // Regressions: `trim_start` skipped U+0085 (JS: NaN) and kept U+FEFF (JS skips it), and
        // `0x10` read as 0 where the JS tracker's radix-less `parseInt` reads 16.
        assert_eq!(parse_int("\u{85}5"), None);
        assert_eq!(parse_int("\u{feff}\u{3000}\u{b}5"), Some(5));
        assert_eq!(parse_int("\u{180e}5"), None);
        assert_eq!(parse_int("0x10"), Some(16));
        assert_eq!(parse_int(" -0XfFz"), Some(-255));
        assert_eq!(parse_int("0x"), None);
        assert_eq!(parse_int("0x-1"), None);
        assert_eq!(parse_int("00x1"), Some(0));
        assert_eq!(parse_int("1e3"), Some(1));
    }

    #[test]
    fn seconds_round_like_math_round() {
        assert_eq!(seconds(1499), 1);
        assert_eq!(seconds(1500), 2);
        assert_eq!(seconds(1_700_000_000_499), 1_700_000_000);
        assert_eq!((seconds(-1500), seconds(-1501), seconds(-500), seconds(-499)), (-1, -2, 0, 0));
        // Regression: `ms + 500` overflowed (a panic in debug builds) near `i64::MAX`.
        assert_eq!(seconds(i64::MAX), i64::MAX / 1000 + 1);
        assert_eq!(seconds(i64::MIN), i64::MIN / 1000 - 1);
    }
}
