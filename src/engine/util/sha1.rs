//! SHA-1 (FIPS 180-4), only for the 4-hex-digit cookie-name suffix the Snowplow JS tracker uses.

#[allow(unused_imports)]
use crate::prelude::*;

/// The SHA-1 digest of `data`.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476, 0xC3D2_E1F0];
    let bit_len = (data.len() as u64).wrapping_mul(8);
    let mut message = data.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&bit_len.to_be_bytes());

    for block in message.chunks_exact(64) {
        let mut w = [0u32; 80];
        for (word, bytes) in w.iter_mut().zip(block.chunks_exact(4)) {
            *word = u32::from_be_bytes(bytes.try_into().unwrap_or([0; 4]));
        }
        for t in 16..80 {
            let at = |i: usize| w.get(t - i).copied().unwrap_or(0);
            let next = (at(3) ^ at(8) ^ at(14) ^ at(16)).rotate_left(1);
            if let Some(slot) = w.get_mut(t) {
                *slot = next;
            }
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (t, word) in w.iter().enumerate() {
            let (f, k) = match t {
                0..=19 => ((b & c) | (!b & d), 0x5A82_7999),
                20..=39 => (b ^ c ^ d, 0x6ED9_EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1B_BCDC),
                _ => (b ^ c ^ d, 0xCA62_C1D6),
            };
            let temp = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*word);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (state, add) in h.iter_mut().zip([a, b, c, d, e]) {
            *state = state.wrapping_add(add);
        }
    }

    let mut out = [0u8; 20];
    for (chunk, word) in out.chunks_exact_mut(4).zip(h) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Lowercase hex of the SHA-1 of `text`'s UTF-8 bytes.
pub fn sha1_hex(text: &str) -> String {
    let mut out = String::with_capacity(40);
    for b in sha1(text.as_bytes()) {
        crate::engine::util::text::push_hex(&mut out, b, false);
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
