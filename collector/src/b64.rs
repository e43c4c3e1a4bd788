//! Base64 as trackers send it (`cx`, `ue_px`, the `_sp` fields): either alphabet, padded or not.

use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

/// Decodes base64 in either alphabet (standard or URL-safe), padded or not.
pub fn decode_base64(s: &str) -> Option<Vec<u8>> {
    const ENGINE: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let normalized: String = s
        .trim()
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    ENGINE.decode(normalized).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_alphabet_padded_or_not() {
        assert_eq!(decode_base64("bXlfc3RyaW5n").unwrap(), b"my_string");
        assert_eq!(String::from_utf8(decode_base64("4oSiwq7lrZc").unwrap()).unwrap(), "™®字");
        assert_eq!(decode_base64("4oSiwq7lrZc=").unwrap(), decode_base64("4oSiwq7lrZc").unwrap());
        assert!(decode_base64("a$b").is_none());
    }
}
