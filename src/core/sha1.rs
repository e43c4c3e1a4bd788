//! SHA-1 (FIPS 180-4) by the `sha1_smol` crate, only for the 4-hex-digit cookie-name suffix the
//! Snowplow JS tracker uses.

#[allow(unused_imports)]
use crate::prelude::*;

/// Lowercase hex of the SHA-1 of `text`'s UTF-8 bytes (`sha1_smol` without `std`; its own hex
/// is `Display`, which would bring `core::fmt` in).
pub fn sha1_hex(text: &str) -> String {
    let mut out = String::with_capacity(40);
    for b in sha1_smol::Sha1::from(text).digest().bytes() {
        crate::core::text::push_hex(&mut out, b, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::sha1_hex;

    #[test]
    fn fips_vectors() {
        assert_eq!(sha1_hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(
            sha1_hex("The quick brown fox jumps over the lazy dog"),
            "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"
        );
        assert_eq!(
            sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
        );
        assert_eq!(sha1_hex(&"a".repeat(1000)).len(), 40);
    }

    #[test]
    fn snowplow_domain_hashes() {
        assert!(sha1_hex("example.com/").starts_with("880970443b82"));
        assert!(sha1_hex("localhost/").starts_with("1fffd42e"));
        assert_eq!(&sha1_hex("snowplow-js-tracker.local/")[..4], "7f01");
        assert_eq!(&sha1_hex("www.example.com/")[..4], "2a0b");
    }
}
