//! `document.cookie` strings, which any script or server on the site can shape: `cookie_value`
//! and `cookie_names_with_prefix` must never panic and must agree with the JS tracker's
//! `cookie(name)` and `getCookiesWithPrefix(prefix)`; the value read for `_sp_id` goes on
//! through `IdCookie::parse`, as in the tracker.
#![no_main]

use libfuzzer_sys::fuzz_target;
use snowtrack::engine::cookie::{cookie_names_with_prefix, cookie_value};
use snowtrack::engine::util::uri::decode_uri_component;
use snowtrack::engine::id_cookie::IdCookie;

/// `decodeURIComponent((('; ' + document.cookie).split('; ' + name + '=')[1] || '').split(';')[0])`,
/// `''` read as no cookie, and malformed escapes kept as they are (where JS throws).
fn js_cookie(header: &str, name: &str) -> Option<String> {
    let joined = format!("; {header}");
    let raw = joined.split(&format!("; {name}=")).nth(1).unwrap_or("").split(';').next().unwrap_or("");
    (!raw.is_empty()).then(|| decode_uri_component(raw))
}

/// `document.cookie.split('; ')`, the items that start with `prefix`, each cut at its first `=`.
fn js_cookies_with_prefix<'a>(header: &'a str, prefix: &str) -> Vec<&'a str> {
    header.split("; ").filter(|c| c.starts_with(prefix)).map(|c| c.split('=').next().unwrap_or(c)).collect()
}

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    // Names that the input itself holds, so that lookups hit, and the tracker's own.
    let own: Vec<&str> = header.split("; ").take(4).map(|c| c.split('=').next().unwrap_or(c)).collect();
    let names = ["_sp_id.1fff", "_sp_ses.1fff", "_sp_root_domain_test_1", "", "a"];
    for name in names.iter().copied().chain(own.iter().copied()) {
        assert_eq!(cookie_value(&header, name), js_cookie(&header, name), "{name:?}");
    }
    let prefixes = ["", "_sp_", "_sp_root_domain_test_", own.first().map_or("", |n| n.get(..2).unwrap_or(n))];
    for prefix in prefixes {
        let names: Vec<&str> = cookie_names_with_prefix(&header, prefix).collect();
        assert_eq!(names, js_cookies_with_prefix(&header, prefix), "{prefix:?}");
    }
    if let Some(id) = cookie_value(&header, "_sp_id.1fff") {
        let _ = IdCookie::parse(&id, 1_700_000_000_000, || "00000000-0000-4000-8000-000000000000".to_owned());
    }
});
