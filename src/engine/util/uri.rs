//! JavaScript's URI component codec (`encodeURIComponent`, `decodeURIComponent`), for cookie
//! values and GET queries; checked against `percent-encoding` and the JS rules in
//! `tests/properties.rs`.

use crate::engine::util::text::{hex_value, push_hex};
#[allow(unused_imports)]
use crate::prelude::*;

/// JavaScript's `encodeURIComponent`.
pub fn encode_uri_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push('%');
            push_hex(&mut out, byte, true);
        }
    }
    out
}

/// JavaScript's `decodeURIComponent`, except that where it throws `URIError` the input is kept
/// as it is: a `%` not followed by two hex digits (`%+f` and `%-1` included: no sign, no
/// whitespace), or escapes whose bytes are not UTF-8 (a truncated or overlong sequence, an
/// encoded surrogate). As in JS, literal characters never join an escaped UTF-8 sequence.
#[inline(never)] // one copy for its callers
pub fn decode_uri_component(text: &str) -> String {
    let bytes = text.as_bytes();
    if !bytes.contains(&b'%') {
        return text.to_owned();
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    while let Some((&byte, tail)) = rest.split_first() {
        rest = tail;
        if byte != b'%' {
            out.push(byte);
            continue;
        }
        let (Some(high), Some(low)) =
            (tail.first().and_then(|&b| hex_value(b)), tail.get(1).and_then(|&b| hex_value(b)))
        else {
            return text.to_owned();
        };
        out.push(high << 4 | low);
        rest = tail.get(2..).unwrap_or_default();
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// The JS tracker's `fromQuerystring(field, url)`: the value of the last `field=` parameter of
/// `url`'s query (before its fragment), `+` read as a space and decoded; `None` when absent.
pub fn from_querystring(field: &str, url: &str) -> Option<String> {
    let query = url.split('#').next().unwrap_or(url);
    // The last `?field=` or `&field=`: what follows its `=`, up to the next `&`.
    let value = (0..query.len()).rev().find_map(|at| {
        let rest = query.get(at..)?.strip_prefix(['?', '&'])?;
        rest.strip_prefix(field)?.strip_prefix('=')
    })?;
    let value = value.split('&').next().unwrap_or(value);
    Some(decode_uri_component(&value.replace('+', " ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_component_round_trip() {
        let text = "duid.1.2.3..sid-x*™";
        assert_eq!(decode_uri_component(&encode_uri_component(text)), text);
        assert_eq!(encode_uri_component("a.b-c_d*"), "a.b-c_d*");
    }

    #[test]
    fn malformed_escapes_keep_the_whole_input() {
        // Regression: `u8::from_str_radix` took the sign in `%+f` and decoded it to U+000F.
        for bad in
            ["%+f", "%-1", "% f", "%f", "%", "a%zz", "%zz%41", "%41%", "%41%4", "%C3", "%C3%28", "%ED%A0%80"]
        {
            assert_eq!(decode_uri_component(bad), bad, "{bad:?}");
        }
        assert_eq!(decode_uri_component("%41%c3%a9%2B%25"), "Aé+%");
        assert_eq!(decode_uri_component("%C3\u{a9}"), "%C3\u{a9}");
    }

    #[test]
    fn from_querystring_reads_the_last_parameter_before_the_fragment() {
        let url = "https://a.example/p?uid=first&x=1&uid=J%C3%B6rg+B&y#uid=frag";
        assert_eq!(from_querystring("uid", url).as_deref(), Some("Jörg B"));
        assert_eq!(from_querystring("x", url).as_deref(), Some("1"));
        assert_eq!(from_querystring("id", url), None, "a whole name");
        assert_eq!(from_querystring("y", url), None, "no value");
        assert_eq!(from_querystring("uid", "https://a.example/#?uid=1"), None);
        assert_eq!(from_querystring("uid", "https://a.example/?uid=").as_deref(), Some(""));
        assert_eq!(from_querystring("uid", "https://a.example/?uid=%E0%A4%A").as_deref(), Some("%E0%A4%A"));
    }
}
