//! Cookie names, `document.cookie` parsing and cookie strings, exactly as the JS tracker writes them.

use crate::engine::util::text::{concat, find, int};
use crate::engine::util::uri::{decode_uri_component, encode_uri_component};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::util::sha1::sha1_hex;
use crate::engine::util::time::utc_string;

/// The `SameSite` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax` (the default).
    Lax,
    /// `SameSite=None` (browsers require `Secure` with it).
    None,
}

impl SameSite {
    /// Parses the config value (`Strict`, `Lax`, `None`, any case).
    pub fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "strict" => Some(SameSite::Strict),
            "lax" => Some(SameSite::Lax),
            "none" => Some(SameSite::None),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            SameSite::Strict => "Strict",
            SameSite::Lax => "Lax",
            SameSite::None => "None",
        }
    }
}

/// The attributes every snowtrack cookie is written with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieAttributes {
    /// `Domain=` value, `None` for a host-only cookie.
    pub domain: Option<String>,
    /// `SameSite=` value.
    pub same_site: SameSite,
    /// Whether to add `Secure`.
    pub secure: bool,
    /// `Path=` value (`setCookiePath`), `None` for `/`.
    pub path: Option<String>,
}

/// The 4-hex-digit suffix of the cookie names: SHA-1 of `domain + path`.
#[inline(never)] // one copy: `Tracker::new` and `setCookiePath` both call it
pub fn domain_hash(domain: &str, path: &str) -> String {
    let mut hex = sha1_hex(&concat(&[domain, path]));
    hex.truncate(4);
    hex
}

/// `prefix + base + "." + hash`, e.g. `_sp_id.1fff`.
pub fn cookie_name(prefix: &str, base: &str, hash: &str) -> String {
    concat(&[prefix, base, ".", hash])
}

/// The JS tracker's `fixupDomain`: strips a trailing dot and turns a leading `*.` into `.`.
pub fn fixup_domain(hostname: &str) -> String {
    let mut domain = hostname.strip_suffix('.').unwrap_or(hostname).to_owned();
    if let Some(rest) = domain.strip_prefix("*.") {
        domain = concat(&[".", rest]);
    }
    domain
}

/// Whether `hostname`, as `location.hostname` gives it, is an IP address rather than a domain
/// name: an IPv6 address (with a `:`, bracketed as in URLs or not) or an IPv4 address, which
/// the URL standard recognises by its last label being a number (and writes in decimal); no
/// top-level domain is a number.
pub fn is_ip_address(hostname: &str) -> bool {
    // A loop over the bytes: with `str::contains` and `rsplit` the module was ~400 B (gzip) larger.
    let (mut label_start, mut number) = (true, false);
    for b in hostname.bytes() {
        match b {
            b':' => return true,
            b'.' => (label_start, number) = (true, false),
            _ => (label_start, number) = (false, (label_start || number) && b.is_ascii_digit()),
        }
    }
    number
}

/// Candidate root domains, shortest first, never the bare TLD: `a.b.example.com` gives
/// `example.com`, `b.example.com`, `a.b.example.com`. Empty for single-label hosts such as
/// `localhost` and for IP addresses (`127.0.0.1`, `[::1]`): an address has no parent domain,
/// so the cookie domain is the host itself. (The JS tracker walks an address's labels too, and
/// WebKit accepts a cookie for `Domain=0.1` on `127.0.0.1`.)
pub fn root_domain_candidates(hostname: &str) -> Vec<String> {
    if is_ip_address(hostname) {
        return Vec::new();
    }
    // Byte offsets of each label's start, so every candidate is a suffix slice of `hostname`;
    // the last label (the TLD) is never one.
    let starts: Vec<usize> =
        core::iter::once(0).chain(hostname.match_indices('.').map(|(i, _)| i + 1)).collect();
    let labels = starts.len();
    starts
        .iter()
        .take(labels.saturating_sub(1))
        .rev()
        .filter_map(|&at| hostname.get(at..).map(str::to_owned))
        .collect()
}

/// Name of the throw-away cookie used to probe a candidate root domain.
pub fn root_domain_test_cookie(now_ms: i64) -> (String, String) {
    let now = int(now_ms);
    (concat(&["_sp_root_domain_test_", &now]), concat(&["_test_value_", &now]))
}

/// The value of cookie `name` in a `document.cookie` string, URI-decoded, found as the JS
/// tracker's `cookie(name)` finds it: the text after the first `; name=` in `"; " + header`, up
/// to the next `;`. `None` when there is none, and when it is empty: the JS tracker reads `''`
/// for both and treats `''` as no cookie (an empty `_sp_ses` is no session).
pub fn cookie_value(header: &str, name: &str) -> Option<String> {
    let needle = concat(&["; ", name, "="]);
    let header = concat(&["; ", header]);
    let value = header.get(find(&header, &needle)? + needle.len()..)?.split(';').next()?;
    (!value.is_empty()).then(|| decode_uri_component(value))
}

/// Names of the cookies in a `document.cookie` string that start with `prefix`, as the JS
/// tracker's `getCookiesWithPrefix` finds them: the `"; "`-separated items that start with
/// `prefix`, each up to its first `=`.
pub fn cookie_names_with_prefix<'a>(header: &'a str, prefix: &'a str) -> impl Iterator<Item = &'a str> {
    let mut rest = Some(header);
    core::iter::from_fn(move || {
        let text = rest.take()?;
        let Some(at) = find(text, "; ") else { return Some(text) };
        rest = text.get(at + 2..);
        text.get(..at)
    })
    .filter(move |item| item.starts_with(prefix))
    .map(|item| item.split('=').next().unwrap_or(item))
}

/// A `document.cookie` assignment: `name=value; Expires=...; Path=/; Domain=...; SameSite=...; Secure`.
///
/// `ttl_s` of `None` writes a browser-session cookie (no `Expires`); a negative ttl deletes.
pub fn cookie_string(
    name: &str,
    value: &str,
    ttl_s: Option<i64>,
    now_ms: i64,
    attrs: &CookieAttributes,
) -> String {
    let mut out = concat(&[name, "=", &encode_uri_component(value)]);
    if let Some(ttl) = ttl_s {
        out.push_str("; Expires=");
        out.push_str(&utc_string(now_ms.saturating_add(ttl.saturating_mul(1000))));
    }
    out.push_str("; Path=");
    out.push_str(attrs.path.as_deref().unwrap_or("/"));
    if let Some(domain) = &attrs.domain {
        out.push_str("; Domain=");
        out.push_str(domain);
    }
    out.push_str("; SameSite=");
    out.push_str(attrs.same_site.as_str());
    if attrs.secure {
        out.push_str("; Secure");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_js_tracker() {
        assert_eq!(domain_hash("example.com", "/"), "8809");
        assert_eq!(domain_hash("localhost", "/"), "1fff");
        assert_eq!(cookie_name("_sp_", "id", "1fff"), "_sp_id.1fff");
        assert_eq!(cookie_name("_sp_1", "ses", "8809"), "_sp_1ses.8809");
        assert_ne!(domain_hash(".example.com", "/"), domain_hash("example.com", "/"));
    }

    #[test]
    fn fixes_up_domains() {
        assert_eq!(fixup_domain("example.com."), "example.com");
        assert_eq!(fixup_domain("*.example.com"), ".example.com");
        assert_eq!(fixup_domain("www.example.com"), "www.example.com");
    }

    #[test]
    fn root_domain_candidates_skip_the_tld() {
        assert_eq!(root_domain_candidates("www.example.com"), ["example.com", "www.example.com"]);
        assert_eq!(
            root_domain_candidates("a.sub.example.co.uk"),
            ["co.uk", "example.co.uk", "sub.example.co.uk", "a.sub.example.co.uk"]
        );
        assert!(root_domain_candidates("localhost").is_empty());
    }

    #[test]
    fn an_ip_address_is_its_own_cookie_domain() {
        // As `location.hostname` gives them: the URL parser writes IPv4 in decimal, IPv6 in brackets.
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "192.168.1.20",
            "[::1]",
            "::1",
            "[2001:db8::8a2e:370:7334]",
            "[::ffff:7f00:1]",
        ] {
            assert!(is_ip_address(ip), "{ip}");
            assert!(root_domain_candidates(ip).is_empty(), "{ip}: {:?}", root_domain_candidates(ip));
        }
        for name in [
            "localhost",
            "example.com",
            "www.example.com",
            "1password.com",
            "a1.b2.io",
            "1a.example",
            "2.3.example",
            "",
        ] {
            assert!(!is_ip_address(name), "{name}");
        }
        assert_eq!(root_domain_candidates("10.example.com"), ["example.com", "10.example.com"]);
        assert_eq!(
            root_domain_candidates("127.0.0.1.nip.io"),
            ["nip.io", "1.nip.io", "0.1.nip.io", "0.0.1.nip.io", "127.0.0.1.nip.io"]
        );
    }

    #[test]
    fn reads_the_first_matching_cookie() {
        let header = "a=1; _sp_id.1fff=abc%2Fd; _sp_id.1fff=second; _sp_ses.1fff=*";
        assert_eq!(cookie_value(header, "_sp_id.1fff").as_deref(), Some("abc/d"));
        assert_eq!(cookie_value(header, "_sp_ses.1fff").as_deref(), Some("*"));
        assert_eq!(cookie_value(header, "_sp_id"), None);
        assert_eq!(cookie_value("", "a"), None);
        assert_eq!(cookie_value("x=%E0%A4%A", "x").as_deref(), Some("%E0%A4%A"));
        let names: Vec<_> = cookie_names_with_prefix(header, "_sp_").collect();
        assert_eq!(names, ["_sp_id.1fff", "_sp_id.1fff", "_sp_ses.1fff"]);
    }

    #[test]
    fn reads_cookies_as_the_js_tracker_does() {
        // Regression: an empty value read as `Some("")`, so an empty `_sp_ses` counted as a live
        // session; the JS tracker's `cookie(name)` gives `''` and `!!''` is false.
        assert_eq!(cookie_value("_sp_ses.1fff=; a=1", "_sp_ses.1fff"), None);
        assert_eq!(cookie_value("a=1; _sp_ses.1fff=", "_sp_ses.1fff"), None);
        // Items are `"; "`-separated, as browsers write them; JS finds no `b` in `a=1;b=2`.
        assert_eq!(cookie_value("a=1;b=2", "b"), None);
        assert_eq!(cookie_value("a=1;  b=2", "b"), None);
        assert_eq!(cookie_value("a=1;b=2", "a").as_deref(), Some("1"));
        assert_eq!(cookie_value("a=x=y; b", "a").as_deref(), Some("x=y"));
        let names: Vec<_> = cookie_names_with_prefix("_t_1=a; x;_t_2=b; _t_3; _t_4=c=d", "_t_").collect();
        assert_eq!(names, ["_t_1", "_t_3", "_t_4"]);
        assert_eq!(cookie_names_with_prefix("", "").collect::<Vec<_>>(), [""]);
    }

    #[test]
    fn writes_cookies_like_the_js_tracker() {
        let attrs = CookieAttributes {
            domain: Some("example.com".into()),
            same_site: SameSite::Lax,
            secure: true,
            path: None,
        };
        assert_eq!(
            cookie_string("_sp_ses.8809", "*", Some(1800), 1_700_000_000_000, &attrs),
            "_sp_ses.8809=*; Expires=Tue, 14 Nov 2023 22:43:20 GMT; Path=/; Domain=example.com; SameSite=Lax; Secure"
        );
        let host_only = CookieAttributes {
            domain: None,
            same_site: SameSite::Strict,
            secure: false,
            path: Some("/shop".into()),
        };
        assert_eq!(cookie_string("t", "a b", None, 0, &host_only), "t=a%20b; Path=/shop; SameSite=Strict");
        assert!(
            cookie_string("t", "", Some(-1), 0, &host_only).contains("Expires=Wed, 31 Dec 1969 23:59:59 GMT")
        );
    }
}
