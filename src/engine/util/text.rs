//! Building strings without `core::fmt`: the formatting machinery is most of what `format!`
//! costs in a wasm module, and snowtrack only ever needs pieces, integers and hex digits.

use crate::prelude::*;

/// The pieces, joined.
pub fn concat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Where `needle` first occurs in `haystack`, as `str::find` answers (a plain scan: the strings
/// are short, and `str::find` would link a two-way searcher).
pub fn find(haystack: &str, needle: &str) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    let needle = needle.as_bytes();
    haystack.as_bytes().windows(needle.len().max(1)).position(|w| w == needle)
}

/// Appends `value` in decimal, left-padded with zeros to `width` digits.
pub fn push_uint(out: &mut String, mut value: u64, width: usize) {
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while value > 0 || start == digits.len() {
        start -= 1;
        if let Some(d) = digits.get_mut(start) {
            *d = b'0' + (value % 10) as u8;
        }
        value /= 10;
    }
    for _ in digits.len() - start..width {
        out.push('0');
    }
    for d in digits.iter().skip(start) {
        out.push(char::from(*d));
    }
}

/// Appends `value` in decimal (`-` for negatives), as `Display` writes it.
pub fn push_int(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    push_uint(out, value.unsigned_abs(), 0);
}

/// JavaScript's `Math.round` (halves up), saturating: the JS tracker's rounding of scroll
/// offsets.
pub fn math_round(x: f64) -> i64 {
    let up = x + 0.5;
    let floor = up as i64;
    if (floor as f64) > up { floor - 1 } else { floor }
}

/// `value` in decimal.
pub fn int(value: i64) -> String {
    let mut out = String::new();
    push_int(&mut out, value);
    out
}

/// Appends `byte` as two hex digits.
pub fn push_hex(out: &mut String, byte: u8, upper: bool) {
    let digits: &[u8; 16] = if upper { b"0123456789ABCDEF" } else { b"0123456789abcdef" };
    for nibble in [byte >> 4, byte & 0xf] {
        out.push(char::from(digits.get(usize::from(nibble)).copied().unwrap_or(b'0')));
    }
}

/// The value of an ASCII hex digit (either case), `None` for any other byte: no sign, no
/// whitespace, unlike `u8::from_str_radix`.
pub fn hex_value(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_display_writes_them() {
        for v in [0, 7, -7, 10, 1_700_000_000_000, i64::MAX, i64::MIN] {
            assert_eq!(int(v), std::format!("{v}"));
        }
        let mut s = String::new();
        push_uint(&mut s, 42, 5);
        push_uint(&mut s, 123_456, 3);
        push_uint(&mut s, 0, 2);
        assert_eq!(s, "00042123456".to_owned() + "00");
    }

    #[test]
    fn hex_bytes() {
        let mut s = String::new();
        for b in [0u8, 0x0f, 0xa5, 0xff] {
            push_hex(&mut s, b, false);
            push_hex(&mut s, b, true);
        }
        assert_eq!(s, "00000f0Fa5A5ffFF");
        let values: Vec<_> = "09afAF+g ".bytes().map(hex_value).collect();
        assert_eq!(values, [Some(0), Some(9), Some(10), Some(15), Some(10), Some(15), None, None, None]);
    }

    #[test]
    fn pieces() {
        assert_eq!(concat(&["a", "", "bc"]), "abc");
        assert_eq!(find("a\"eid\":\"x", "\"eid\":\""), Some(1));
        assert_eq!(find("abc", "d"), None);
        // Regression: an empty needle was never found; `str::find` finds it at 0.
        assert_eq!(find("abc", ""), Some(0));
        assert_eq!(find("", ""), Some(0));
    }
}
