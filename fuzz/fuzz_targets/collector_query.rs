//! Query strings of `GET /i` (and of tp2 POSTs): `adapter::parse_query` must never panic and must
//! decode as `application/x-www-form-urlencoded` does (checked with the `percent-encoding` crate:
//! `&`-separated pairs, empty ones skipped, cut at the first `=`, `+` a space, malformed `%` kept,
//! invalid UTF-8 replaced). `merge_query` of the input's first half (as an event) with its second
//! half (as a query) must keep the event's order, append new keys in order, and let the query win.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snowtrack_collector::adapter::{merge_query, parse_query};

fn decode(part: &str) -> String {
    let spaced = part.replace('+', " ");
    String::from_utf8_lossy(&percent_encoding::percent_decode_str(&spaced).collect::<Vec<u8>>()).into_owned()
}

fn oracle(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let params = parse_query(&query);
    assert_eq!(params, oracle(&query), "{query:?}");

    let cut = (0..=query.len() / 2).rev().find(|&i| query.is_char_boundary(i)).unwrap_or(0);
    let (a, b) = query.split_at(cut);
    let event = parse_query(a);
    let overrides = parse_query(b);
    let merged = merge_query(event.clone(), &overrides);
    // Event keys first, in their order, then the query's new keys in order of first appearance.
    let mut keys: Vec<&String> = event.iter().map(|(k, _)| k).collect();
    for (k, _) in &overrides {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    assert_eq!(merged.iter().map(|(k, _)| k).collect::<Vec<_>>(), keys);
    for (i, (k, v)) in merged.iter().enumerate() {
        let first = merged.iter().position(|(mk, _)| mk == k) == Some(i);
        let winner = overrides.iter().rev().find(|(ok, _)| ok == k).map(|(_, ov)| ov);
        // Only the first slot of a repeated event key takes the query's (last) value.
        let expected = match (winner, event.get(i)) {
            (Some(ov), _) if first => ov,
            (_, Some((_, ev))) => ev,
            (_, None) => panic!("{k:?}: an appended key comes from the query"),
        };
        assert_eq!(v, expected, "{k:?} in {query:?}");
    }
});
