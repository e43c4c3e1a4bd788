//! A minimal JSON writer: snowtrack composes wire JSON from strings it already holds, so the
//! wasm module carries no general-purpose serializer. User-supplied data arrives as JSON text
//! ([`RawJson`]), produced by the browser's own `JSON.stringify` in the web build.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::error::{Error, Result};

/// JSON text of one object, embedded verbatim in payloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(pub(crate) String);

impl RawJson {
    /// Wraps `text`, which must be the JSON text of an object (`{...}`).
    ///
    /// # Errors
    /// [`Error::Event`] naming `field` when the text is not an object.
    pub fn object(field: &str, text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        if Self::is_object(&text) { Ok(RawJson(text)) } else { Err(Error::event(field, "must be an object")) }
    }

    /// Whether `text` looks like the JSON text of an object.
    pub fn is_object(text: &str) -> bool {
        let trimmed = text.trim();
        trimmed.starts_with('{') && trimmed.ends_with('}')
    }

    /// The JSON text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Appends `value` to `out` as a JSON string literal, escaping exactly as `JSON.stringify` does:
/// `"` and `\\`, the short forms `\b \f \n \r \t`, and the other characters below U+0020 as
/// `\u00xx` (lowercase hex); everything else as it is (U+2028/U+2029 and U+007F too). Runs of
/// characters that need no escape are copied whole.
///
/// `JSON.stringify` also escapes lone surrogates (`\udxxx`). A Rust `str` cannot hold one: JS
/// strings reach the module through wasm-bindgen, whose UTF-8 encoding (`TextEncoder`) replaces
/// each lone surrogate with U+FFFD, which is written as it is.
pub fn push_string(out: &mut String, value: &str) {
    out.reserve(value.len() + 2);
    out.push('"');
    push_escaped(out, value);
    out.push('"');
}

/// Writes `value` escaped as the inside of a JSON string (no quotes around it).
pub fn push_escaped(out: &mut String, value: &str) {
    let mut start = 0;
    for (i, byte) in value.bytes().enumerate() {
        if byte >= 0x20 && byte != b'"' && byte != b'\\' {
            continue;
        }
        let escaped = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\x08' => "\\b",
            b'\x0c' => "\\f",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        // `byte` is ASCII, so `i` is a character boundary.
        out.push_str(value.get(start..i).unwrap_or(""));
        if escaped.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0')));
            out.push(char::from(HEX.get(usize::from(byte & 15)).copied().unwrap_or(b'0')));
        } else {
            out.push_str(escaped);
        }
        start = i + 1;
    }
    out.push_str(value.get(start..).unwrap_or(""));
}

/// Builds one JSON object field by field, in insertion order.
#[derive(Debug)]
pub struct ObjectWriter {
    out: String,
    empty: bool,
}

impl Default for ObjectWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl ObjectWriter {
    /// An empty object.
    pub fn new() -> Self {
        Self::with_capacity(128)
    }

    /// An empty object with room for `bytes` of text.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut out = String::with_capacity(bytes);
        out.push('{');
        ObjectWriter { out, empty: true }
    }

    /// Writes `key` and its colon. Keys are the protocol's own names (ASCII letters, digits and
    /// underscores, or the page's own entity field names): escaped all the same.
    fn key(&mut self, key: &str) {
        self.out.push_str(if self.empty { "\"" } else { ",\"" });
        self.empty = false;
        push_escaped(&mut self.out, key);
        self.out.push_str("\":");
    }

    /// Adds a string member.
    pub fn string(&mut self, key: &str, value: &str) -> &mut Self {
        self.key(key);
        push_string(&mut self.out, value);
        self
    }

    /// Adds a string member, or `null` when `value` is `None`.
    pub fn opt_string(&mut self, key: &str, value: Option<&str>) -> &mut Self {
        match value {
            Some(value) => self.string(key, value),
            None => self.raw(key, "null"),
        }
    }

    /// Adds a member whose value is already JSON text (a number, object, array, `null`).
    pub fn raw(&mut self, key: &str, json: &str) -> &mut Self {
        self.key(key);
        self.out.push_str(json);
        self
    }

    /// Adds an integer member.
    pub fn number(&mut self, key: &str, value: u64) -> &mut Self {
        self.key(key);
        crate::engine::util::text::push_uint(&mut self.out, value, 0);
        self
    }

    /// Closes the object and returns its text.
    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

/// A JSON array of the JSON texts `items`.
pub fn array(items: &[String]) -> String {
    let mut out = String::with_capacity(items.iter().map(|i| i.len() + 1).sum::<usize>() + 2);
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(item);
    }
    out.push(']');
    out
}

/// A JSON array of strings.
pub fn string_array(items: &[String]) -> String {
    let mut list = String::from("[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        push_string(&mut list, item);
    }
    list.push(']');
    list
}

/// `{"schema":"<schema>","data":<data>}`, a self-describing JSON.
pub fn self_describing(schema: &str, data: &str) -> String {
    let mut w = ObjectWriter::with_capacity(schema.len() + data.len() + 24);
    w.string("schema", schema).raw("data", data);
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_json_stringify() {
        let mut out = String::new();
        push_string(&mut out, "a\"b\\c\n\u{1}é™\u{1f}\t\rz");
        assert_eq!(out, r#""a\"b\\c\n\u0001é™\u001f\t\rz""#);
        let parsed: String = serde_json::from_str(&out).unwrap();
        assert_eq!(parsed, "a\"b\\c\n\u{1}é™\u{1f}\t\rz");
        let mut plain = String::new();
        push_string(&mut plain, "plain text ✓");
        assert_eq!(plain, "\"plain text ✓\"");
    }

    #[test]
    fn backspace_and_form_feed_use_short_forms() {
        // Regression: they were written `\u0008` and `\u000c`; JSON.stringify writes `\b` and `\f`.
        let mut out = String::new();
        push_string(&mut out, "\u{8}\u{c}\u{b}\u{7f}\u{2028}\u{2029}\u{fffd}");
        assert_eq!(out, "\"\\b\\f\\u000b\u{7f}\u{2028}\u{2029}\u{fffd}\"");
    }

    #[test]
    fn writes_objects_in_order() {
        let mut w = ObjectWriter::new();
        w.string("b", "1").number("a", 2).opt_string("c", None).raw("d", "[1]");
        assert_eq!(w.finish(), r#"{"b":"1","a":2,"c":null,"d":[1]}"#);
        assert_eq!(ObjectWriter::new().finish(), "{}");
    }

    #[test]
    fn raw_json_must_be_an_object() {
        assert!(RawJson::object("data", "{\"a\":1}").is_ok());
        let err = RawJson::object("event.data", "[1]").unwrap_err();
        assert!(err.to_string().contains("event.data"));
    }
}
