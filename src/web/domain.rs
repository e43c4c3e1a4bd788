//! Root-domain discovery, as the JS tracker does it: write a test cookie on each candidate
//! domain, shortest first, and keep the first one the browser accepts.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::cookie::{self, CookieAttributes, SameSite};
use crate::engine::env::CookieWrite;
use crate::web::host;

/// The widest domain this page may set cookies on, or the hostname when none can be set.
/// Reads `document.cookie` itself: the probe must see what the browser really kept.
pub fn find_root_domain(hostname: &str, same_site: SameSite, secure: bool) -> String {
    let now = js_sys::Date::now() as i64;
    let (name, value) = cookie::root_domain_test_cookie(now);
    for candidate in cookie::root_domain_candidates(hostname) {
        let attributes = CookieAttributes { domain: Some(candidate.clone()), same_site, secure, path: None };
        let write = |name: &str, value: &str, ttl_s| {
            let c = CookieWrite { name, value, ttl_s, now_ms: now, attributes: &attributes };
            host::set_cookie(&c.to_cookie_string());
        };
        write(&name, &value, None);
        let header = host::cookies();
        if cookie::cookie_value(&header, &name).as_deref() == Some(value.as_str()) {
            for test_cookie in cookie::cookie_names_with_prefix(&header, "_sp_root_domain_test_") {
                write(test_cookie, "", Some(-1));
            }
            return candidate;
        }
    }
    hostname.to_owned()
}
