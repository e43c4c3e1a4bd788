//! `ue_px` / `cx` values: `b64::decode_base64` must never panic; it must decode what the
//! `base64` crate encodes in any alphabet, padded or not, with surrounding whitespace; and what it
//! accepts must be canonical base64: re-encoded (URL-safe, no padding) it gives back the input,
//! trimmed, in the URL-safe alphabet, without its padding.
#![no_main]

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use libfuzzer_sys::fuzz_target;
use snowtrack_collector::b64::decode_base64;

fuzz_target!(|data: &[u8]| {
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        let encoded = engine.encode(data);
        assert_eq!(decode_base64(&encoded).as_deref(), Some(data), "{encoded:?}");
        assert_eq!(decode_base64(&format!(" {encoded}\n")).as_deref(), Some(data), "{encoded:?}");
    }

    let text = String::from_utf8_lossy(data);
    if let Some(decoded) = decode_base64(&text) {
        let canonical: String = text
            .trim()
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        assert_eq!(URL_SAFE_NO_PAD.encode(&decoded), canonical, "{text:?}");
    }
});
