//! A minimal JSON reader for the text the JS facade makes with the browser's own
//! `JSON.stringify`: every argument of a call crosses the boundary as one such text and is read
//! here, in place. A [`Json`] is the text of one value; reading a member or an item scans past
//! the values before it without building anything, so what is never read (an event's `data`)
//! is never parsed, and what is embedded as it is (that `data`) is never written again. Numbers
//! stay as `JSON.stringify` wrote them, which is `String(n)`, what payloads carry.
//!
//! Text that is not JSON is never an error here: what cannot be read reads as absent (`null`),
//! and nothing panics.
//!
//! Two markers stand for what JSON cannot hold: `{"\u0000f":i}` is the page's value number `i`
//! of the call (a function, an element or a plugin, kept in a JS array beside the text) and
//! `{"\u0000n":"NaN"}` a number that is not finite.

#[allow(unused_imports)]
use crate::prelude::*;

use super::json::push_string;
use alloc::borrow::Cow;

/// The text of one JSON value (`null` when empty).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Json<'a>(&'a str);

/// How deep [`Json::to_json`] rewrites nested values.
const MAX_DEPTH: u32 = 256;

/// The marker keys, as they appear (escaped) in the text.
const PAGE_KEY: &str = "\\u0000f";
const NON_FINITE_KEY: &str = "\\u0000n";

impl<'a> Json<'a> {
    /// The value `text` holds (whitespace around it aside).
    pub fn new(text: &'a str) -> Self {
        Json(text.trim_ascii())
    }

    /// Its text.
    pub fn raw(&self) -> &'a str {
        self.0
    }

    fn first(&self) -> u8 {
        self.0.as_bytes().first().copied().unwrap_or(b'n')
    }

    /// Whether it is `null` (`undefined` in an array, or text that is no value).
    pub fn is_null(&self) -> bool {
        self.first() == b'n'
    }

    /// The boolean, if it is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        }
    }

    /// The text of a finite number, if it is one.
    pub fn number_text(&self) -> Option<&'a str> {
        matches!(self.first(), b'-' | b'0'..=b'9').then_some(self.0)
    }

    /// The number, if it is a finite one (see [`number`]).
    pub fn as_f64(&self) -> Option<f64> {
        self.number_text().map(number)
    }

    /// The string, if it is one.
    pub fn as_str(&self) -> Option<Cow<'a, str>> {
        let inner = self.0.strip_prefix('"')?.strip_suffix('"')?;
        if inner.as_bytes().contains(&b'\\') {
            unescape(inner).map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(inner))
        }
    }

    /// Whether it is an object (the markers are not).
    pub fn is_object(&self) -> bool {
        self.first() == b'{' && self.page().is_none() && self.non_finite().is_none()
    }

    /// Its items, if it is an array.
    pub fn items(&self) -> Option<Items<'a>> {
        (self.first() == b'[').then_some(Items { text: self.0, pos: 1 })
    }

    /// Its members (each key's raw text, which is the key unless it has escapes, and the
    /// value), if it is an object.
    pub fn members(&self) -> Option<Members<'a>> {
        (self.first() == b'{').then_some(Members(Items { text: self.0, pos: 1 }))
    }

    /// The member `key` (the first one) of an object.
    pub fn get(&self, key: &str) -> Option<Json<'a>> {
        self.members()?.find(|(k, _)| *k == key).map(|(_, value)| value)
    }

    /// The text of the only member of an object written as `JSON.stringify` writes it, when
    /// its key is `marker`.
    fn marker(&self, marker: &str) -> Option<&'a str> {
        self.0.strip_prefix("{\"")?.strip_prefix(marker)?.strip_prefix("\":")?.strip_suffix('}')
    }

    /// The number of the page's value it stands for, if it is that marker.
    pub fn page(&self) -> Option<u32> {
        self.marker(PAGE_KEY)?.parse().ok()
    }

    /// `String(n)` of the number that is not finite it stands for, if it is that marker.
    pub fn non_finite(&self) -> Option<&'a str> {
        self.marker(NON_FINITE_KEY)?.strip_prefix('"')?.strip_suffix('"')
    }

    /// The JSON text `JSON.stringify` would have written without the markers: the page's values
    /// left out of objects and `null` in arrays, as functions are; non-finite numbers `null`.
    /// The text itself wherever it holds no marker.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    /// Writes it at nesting `depth`: past [`MAX_DEPTH`] the text goes as it is, so the
    /// recursion stays bounded whatever the text.
    fn write(&self, out: &mut String, depth: u32) {
        let marked = self.page().is_some() || self.non_finite().is_some();
        if marked {
            out.push_str("null");
        } else if depth > MAX_DEPTH || !has_marker(self.0) {
            out.push_str(self.0);
        } else if let Some(items) = self.items() {
            out.push('[');
            for (i, item) in items.enumerate() {
                if i > 0 {
                    out.push(',');
                }
                item.write(out, depth + 1);
            }
            out.push(']');
        } else if let Some(members) = self.members() {
            out.push('{');
            let mut first = true;
            for (key, value) in members.filter(|(_, v)| v.page().is_none()) {
                if !first {
                    out.push(',');
                }
                first = false;
                push_string(out, &key_text(key));
                out.push(':');
                value.write(out, depth + 1);
            }
            out.push('}');
        } else {
            // A string that starts with U+0000: as it is.
            out.push_str(self.0);
        }
    }
}

/// A member key's value: its raw text unescaped (as it is when an escape is bad).
pub fn key_text(raw: &str) -> Cow<'_, str> {
    if raw.as_bytes().contains(&b'\\') {
        unescape(raw).map_or(Cow::Borrowed(raw), Cow::Owned)
    } else {
        Cow::Borrowed(raw)
    }
}

/// The items of an array.
#[derive(Debug, Clone)]
pub struct Items<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Items<'a> {
    fn skip_space(&mut self) {
        while self.text.as_bytes().get(self.pos).is_some_and(u8::is_ascii_whitespace) {
            self.pos += 1;
        }
    }

    /// The value at the cursor, the cursor moved past it.
    fn value(&mut self) -> Option<Json<'a>> {
        self.skip_space();
        let start = self.pos;
        self.pos = value_end(self.text.as_bytes(), start);
        self.text.get(start..self.pos).filter(|v| !v.is_empty()).map(Json)
    }

    /// Moves past a `,` (or stops at the end: `]`, `}` or no more text).
    fn separator(&mut self) -> bool {
        self.skip_space();
        match self.text.as_bytes().get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                true
            }
            _ => {
                self.pos = self.text.len();
                false
            }
        }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Json<'a>;

    fn next(&mut self) -> Option<Json<'a>> {
        let value = self.value()?;
        self.separator();
        Some(value)
    }
}

/// The members of an object: each key's raw text and the value.
#[derive(Debug, Clone)]
pub struct Members<'a>(Items<'a>);

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, Json<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let items = &mut self.0;
        let key = items.value()?;
        items.skip_space();
        if items.text.as_bytes().get(items.pos) != Some(&b':') {
            items.pos = items.text.len();
            return None;
        }
        items.pos += 1;
        let value = items.value()?;
        items.separator();
        let key = key.0.strip_prefix('"')?.strip_suffix('"')?;
        Some((key, value))
    }
}

/// Where the value starting at `start` ends: past a string's closing quote, past the bracket
/// closing an object or array, or at the first `,`, `]`, `}` or whitespace after anything else.
/// Never past the end of `text`.
fn value_end(text: &[u8], start: usize) -> usize {
    let mut pos = start;
    let mut depth = 0usize;
    let mut in_string = false;
    while let Some(&byte) = text.get(pos) {
        pos += 1;
        if in_string {
            match byte {
                b'\\' => pos += 1,
                b'"' => {
                    in_string = false;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' if depth == 0 => {
                pos -= 1;
                break;
            }
            _ => {}
        }
    }
    pos.min(text.len())
}

/// The value of a JSON number's text: exact for whole numbers up to 2^53 and otherwise within
/// a few units in the last place (enough for the checks and rounding the bindings do; the text
/// itself is what payloads carry).
pub fn number(text: &str) -> f64 {
    let mut mantissa = 0.0f64;
    let (mut scale, mut exponent, mut exponent_sign) = (0i32, 0i32, 1);
    let (mut fraction, mut in_exponent) = (false, false);
    for byte in text.bytes() {
        match byte {
            b'.' => fraction = true,
            b'e' | b'E' => in_exponent = true,
            b'-' if in_exponent => exponent_sign = -1,
            b'0'..=b'9' if in_exponent => exponent = (exponent * 10 + i32::from(byte - b'0')).min(9999),
            b'0'..=b'9' => {
                mantissa = mantissa * 10.0 + f64::from(byte - b'0');
                scale -= i32::from(fraction);
            }
            _ => {}
        }
    }
    scale += exponent_sign * exponent;
    let mut power = 1.0f64;
    for _ in 0..scale.unsigned_abs().min(400) {
        power *= 10.0;
    }
    let value = if scale >= 0 { mantissa * power } else { mantissa / power };
    if text.starts_with('-') { -value } else { value }
}

/// Whether `raw` may hold a marker (a string starting with U+0000, in a marker or not).
fn has_marker(raw: &str) -> bool {
    raw.as_bytes().windows(7).any(|w| matches!(w, [b'"', b'\\', b'u', b'0', b'0', b'0', b'0']))
}

/// The value of a string's raw text with escapes; `None` for a bad escape. A surrogate
/// (which `JSON.stringify` writes as `\udxxx` when it is alone) becomes U+FFFD.
fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let short = match chars.next()? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            // `JSON.stringify` escapes control characters and lone surrogates only: a lone
            // surrogate becomes U+FFFD, as the module's other strings do.
            'u' => {
                let mut unit = 0;
                for _ in 0..4 {
                    unit = unit * 16 + chars.next()?.to_digit(16)?;
                }
                char::from_u32(unit).unwrap_or('\u{fffd}')
            }
            _ => return None,
        };
        out.push(short);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn reads_what_json_stringify_writes() {
        let text = r#"["trackStructEvent",{"category":"c","value":2.5,"x":[1,-0,1e+21,null,true],"s":"a\"\u0000😀\ud800","o":{"k":[{"a":"]}"}]}}]"#;
        let args: Vec<Json<'_>> = Json::new(text).items().unwrap().collect();
        assert_eq!(args.len(), 2);
        assert_eq!(args[0].as_str().unwrap(), "trackStructEvent");
        let event = args[1];
        assert!(event.is_object());
        assert_eq!(event.get("category").unwrap().as_str().unwrap(), "c");
        assert_eq!(event.get("value").unwrap().number_text(), Some("2.5"));
        assert_eq!(event.get("value").unwrap().as_f64(), Some(2.5));
        assert_eq!(event.get("s").unwrap().as_str().unwrap(), "a\"\u{0}\u{1f600}\u{fffd}");
        assert_eq!(event.raw(), &text[20..text.len() - 1]);
        let x: Vec<Json<'_>> = event.get("x").unwrap().items().unwrap().collect();
        assert_eq!(x.len(), 5);
        assert_eq!(x[2].as_f64(), Some(1e21));
        assert!(x[3].is_null());
        assert_eq!(x[4].as_bool(), Some(true));
        assert_eq!(event.get("o").unwrap().raw(), r#"{"k":[{"a":"]}"}]}"#);
        assert_eq!(event.get("missing"), None);
        assert!(Json::new(" [ ] ").items().unwrap().next().is_none());
        assert!(Json::new("{}").members().unwrap().next().is_none());
    }

    #[test]
    fn markers() {
        let value = Json::new(r#"{"f":{"\u0000f":3},"n":{"\u0000n":"-Infinity"},"o":{"\u0000f":1,"x":2}}"#);
        assert_eq!(value.get("f").unwrap().page(), Some(3));
        assert!(!value.get("f").unwrap().is_object());
        assert_eq!(value.get("n").unwrap().non_finite(), Some("-Infinity"));
        assert_eq!(value.get("n").unwrap().as_f64(), None);
        assert!(value.get("o").unwrap().is_object());
    }

    #[test]
    fn json_without_markers() {
        let text =
            r#"{"a":[1,{"\u0000f":0},{"\u0000n":"NaN"}],"f":{"\u0000f":1},"s":"\u0000x","o":{"k":"v"}}"#;
        let value = Json::new(text);
        assert_eq!(value.to_json(), r#"{"a":[1,null,null],"s":"\u0000x","o":{"k":"v"}}"#);
        assert_eq!(value.get("o").unwrap().to_json(), r#"{"k":"v"}"#);
    }

    #[test]
    fn text_that_is_not_json_reads_as_absent() {
        for text in ["", "{", "[1,", "{\"a\":}", "\"a", "{\"a\" 1}", "]]]", "\"\\", "{\"a\":\"\\u12\"}"] {
            let value = Json::new(text);
            let _ = value.as_str();
            let _ = value.get("a").map(|v| v.as_str());
            let _ = value.items().map(Iterator::count);
            let _ = value.to_json();
        }
        assert_eq!(Json::new("{\"a\" 1}").get("a"), None);
        assert!(Json::new("").is_null());
    }

    #[test]
    fn numbers() {
        for (text, n) in
            [("0", 0.0), ("-12", -12.0), ("9007199254740993", 9007199254740992.0), ("1.5e-7", 1.5e-7)]
        {
            let got = number(text);
            assert!((got - n).abs() <= n.abs() * 1e-15, "{text}: {got}");
        }
    }
}
