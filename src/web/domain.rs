//! Root-domain discovery, as the JS tracker does it: write a test cookie on each candidate
//! domain, shortest first, and keep the first one the browser accepts.

use crate::core::cookie::{self, CookieAttributes, SameSite};
use crate::core::env::{CookieWrite, Env};

/// The widest domain this page may set cookies on, or the hostname when none can be set.
pub fn find_root_domain(env: &mut impl Env, hostname: &str, same_site: SameSite, secure: bool) -> String {
    let now = env.now_ms();
    let (name, value) = cookie::root_domain_test_cookie(now);
    for candidate in cookie::root_domain_candidates(hostname) {
        let attributes = CookieAttributes { domain: Some(candidate.clone()), same_site, secure };
        env.set_cookie(&CookieWrite {
            name: &name,
            value: &value,
            ttl_s: None,
            now_ms: now,
            attributes: &attributes,
        });
        let header = env.cookie_header().unwrap_or_default();
        if cookie::cookie_value(&header, &name).as_deref() == Some(value.as_str()) {
            let stale: Vec<String> = cookie::cookie_names_with_prefix(&header, "_sp_root_domain_test_")
                .map(str::to_owned)
                .collect();
            for test_cookie in stale {
                env.set_cookie(&CookieWrite {
                    name: &test_cookie,
                    value: "",
                    ttl_s: Some(-1),
                    now_ms: now,
                    attributes: &attributes,
                });
            }
            return candidate;
        }
    }
    hostname.to_owned()
}
