//! Unpadded URL-safe base64, the encoding of `cx` and `ue_px` in GET requests.

#[allow(unused_imports)]
use crate::prelude::*;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes `input`'s UTF-8 bytes as base64url without `=` padding, as the JS tracker does.
pub fn base64url(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let symbol = |index: u32| char::from(ALPHABET.get((index & 63) as usize).copied().unwrap_or(b'A'));
    for chunk in bytes.chunks(3) {
        let mut group = [0u8; 3];
        for (slot, byte) in group.iter_mut().zip(chunk) {
            *slot = *byte;
        }
        let n = u32::from(group[0]) << 16 | u32::from(group[1]) << 8 | u32::from(group[2]);
        out.push(symbol(n >> 18));
        out.push(symbol(n >> 12));
        if chunk.len() > 1 {
            out.push(symbol(n >> 6));
        }
        if chunk.len() > 2 {
            out.push(symbol(n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64url;

    #[test]
    fn js_tracker_vectors() {
        assert_eq!(base64url("my_string"), "bXlfc3RyaW5n");
        assert_eq!(base64url("™®字"), "4oSiwq7lrZc");
        assert_eq!(
            base64url(r#"{"string":"this_is_json","number":12,"array":[1,2,3]}"#),
            "eyJzdHJpbmciOiJ0aGlzX2lzX2pzb24iLCJudW1iZXIiOjEyLCJhcnJheSI6WzEsMiwzXX0"
        );
        assert_eq!(base64url(""), "");
        assert_eq!(base64url("\u{ff}\u{fe}"), "w7_Dvg");
    }
}
