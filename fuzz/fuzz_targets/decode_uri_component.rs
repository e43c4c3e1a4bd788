//! Percent-encoded text from cookies: `decode_uri_component` must never panic, must decode as
//! JS `decodeURIComponent` does (checked against the `percent-encoding` crate) and keep the input
//! where JS throws; `encode_uri_component` must follow `encodeURIComponent` and round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use snowtrack::engine::util::uri::{decode_uri_component, encode_uri_component};

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

/// `decodeURIComponent`, `None` where it throws `URIError`.
fn js_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let hex = |at: usize| bytes.get(at).is_some_and(u8::is_ascii_hexdigit);
    if text.match_indices('%').any(|(i, _)| !(hex(i + 1) && hex(i + 2))) {
        return None;
    }
    percent_encoding::percent_decode_str(text).decode_utf8().ok().map(|s| s.into_owned())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let decoded = decode_uri_component(&text);
    assert_eq!(decoded, js_decode(&text).unwrap_or_else(|| text.clone().into_owned()), "{text:?}");
    let encoded = encode_uri_component(&text);
    assert_eq!(encoded, percent_encoding::utf8_percent_encode(&text, JS_URI_UNESCAPED).to_string());
    assert_eq!(decode_uri_component(&encoded), text);
});
