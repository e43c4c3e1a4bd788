//! CORS policy, built from tower-http's [`CorsLayer`].
//!
//! Two policies:
//! * **collection** (tp2, `/i`, `--post-path` paths, `/{vendor}/{version}`, `/health`, static
//!   files): the request's `Origin` is reflected with `Access-Control-Allow-Credentials: true`, as
//!   Snowplow's collector does and as trackers on any page need (`*` when there is no `Origin`);
//! * **inspection** (`/micro/*`, `/snowtrack/*`): only loopback origins (`http[s]://127.0.0.1`,
//!   `localhost`, `[::1]`, any port) and the `--allow-origin` ones may read the answers, so a page on
//!   some other site cannot read the recorded events or drive fault injection.
//!
//! Preflights (`OPTIONS`, any path) are answered by the layer itself, with the same split.

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{self, HeaderName, HeaderValue};
use axum::http::{Method, request::Parts};
use tower_http::cors::{AllowCredentials, AllowHeaders, AllowOrigin, CorsLayer};
use url::{Host, Url};

/// Request headers a page may send (preflight `Access-Control-Allow-Headers`).
const ALLOWED_HEADERS: [HeaderName; 2] = [header::CONTENT_TYPE, HeaderName::from_static("sp-anonymous")];
/// Methods a page may use (preflight `Access-Control-Allow-Methods`).
const ALLOWED_METHODS: [Method; 4] = [Method::GET, Method::POST, Method::DELETE, Method::OPTIONS];
/// How long a browser may cache a preflight answer.
const MAX_AGE: Duration = Duration::from_secs(3600);

/// Parses an origin as a browser sends it (`scheme://host[:port]`, nothing else); `None` for
/// anything else (paths, user info, `null`, …).
fn parse(origin: &str) -> Option<Url> {
    let url = Url::parse(origin).ok()?;
    let bare = matches!(url.scheme(), "http" | "https")
        && url.username().is_empty()
        && url.password().is_none()
        && url.host().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none();
    bare.then_some(url)
}

/// True for `http://` or `https://` origins on a loopback host: `localhost`, `127.0.0.0/8`
/// (e.g. `127.0.0.1`) or `[::1]`, with any port or none.
pub fn is_loopback_origin(origin: &str) -> bool {
    parse(origin).is_some_and(|url| match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    })
}

/// Normalizes an `--allow-origin` value to the form browsers send (`https://dev.example`,
/// lower-case, no default port, no trailing slash).
///
/// # Errors
/// When the value is not an `http`/`https` origin without path, query or user info.
pub fn parse_origin(value: &str) -> Result<String, String> {
    let url = parse(value.trim_end_matches('/')).ok_or_else(|| {
        format!("{value:?} is not an origin (expected scheme://host[:port], e.g. https://dev.example:8443)")
    })?;
    Ok(url.origin().ascii_serialization())
}

/// True when an `Origin` header may read the inspection API: loopback, or one of `extra`
/// (normalized with [`parse_origin`]).
pub fn inspection_allows(origin: &HeaderValue, extra: &[String]) -> bool {
    let Ok(origin) = origin.to_str() else { return false };
    is_loopback_origin(origin)
        || (!extra.is_empty()
            && parse(origin).is_some_and(|url| extra.contains(&url.origin().ascii_serialization())))
}

fn common() -> CorsLayer {
    CorsLayer::new().allow_headers(ALLOWED_HEADERS).allow_methods(ALLOWED_METHODS).max_age(MAX_AGE)
}

/// The collection endpoints' policy: any origin is reflected, with credentials, and any request
/// header a tracker asks for in a preflight (trackers' `customHeaders`).
pub fn collection_layer() -> CorsLayer {
    common()
        .allow_origin(AllowOrigin::mirror_request())
        .allow_credentials(true)
        .allow_headers(AllowHeaders::mirror_request())
}

/// The inspection API's policy: loopback origins and `extra` only (see [`inspection_allows`]);
/// other origins get neither `Access-Control-Allow-Origin` nor `-Credentials`.
pub fn inspection_layer(extra: &[String]) -> CorsLayer {
    let extra: Arc<[String]> = extra.into();
    let for_origin = Arc::clone(&extra);
    common()
        .allow_origin(AllowOrigin::predicate(move |origin: &HeaderValue, _: &Parts| {
            inspection_allows(origin, &for_origin)
        }))
        .allow_credentials(AllowCredentials::predicate(move |origin: &HeaderValue, _: &Parts| {
            inspection_allows(origin, &extra)
        }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn loopback_origins() {
        for ok in [
            "http://127.0.0.1:5555",
            "http://127.0.0.1",
            "http://localhost:3000",
            "http://localhost",
            "https://localhost:8443",
            "http://[::1]:8080",
            "http://[::1]",
            "http://127.0.0.2:9",
        ] {
            assert!(is_loopback_origin(ok), "{ok}");
        }
        for bad in [
            "http://evil.example",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://127.0.0.1@evil.example",
            "http://10.0.0.1",
            "null",
            "file://",
            "ws://localhost:1",
            "http://localhost:3000/path",
            "",
        ] {
            assert!(!is_loopback_origin(bad), "{bad}");
        }
    }

    #[test]
    fn configured_origins() {
        assert_eq!(parse_origin("https://Dev.Example/").unwrap(), "https://dev.example");
        assert_eq!(parse_origin("https://dev.example:443").unwrap(), "https://dev.example");
        assert_eq!(parse_origin("http://dev.example:8080").unwrap(), "http://dev.example:8080");
        assert!(parse_origin("dev.example").is_err());
        assert!(parse_origin("https://dev.example/app").is_err());
        let extra = vec![parse_origin("https://dev.example").unwrap()];
        let allows = |o: &'static str| inspection_allows(&HeaderValue::from_static(o), &extra);
        assert!(allows("https://dev.example"));
        assert!(allows("http://localhost:1"));
        assert!(!allows("http://dev.example"));
        assert!(!allows("https://dev.example:8443"));
        assert!(!allows("http://evil.example"));
    }
}
