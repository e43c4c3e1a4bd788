//! Tracker configuration: the options of `newTracker`, their defaults and their validation.

use crate::engine::util::text::concat;
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::cookie::SameSite;
use crate::engine::delivery::{Credentials, QueueLimits, RetryPolicy, SendSettings};
pub use crate::engine::page_state::PreserveForUrl;
pub use crate::engine::payload::Method;
use crate::error::{Error, Result};

/// Where the identity and session state live (`stateStorageStrategy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateStorage {
    /// `cookieAndLocalStorage` (default): cookies for identity, localStorage for the event queue.
    CookieAndLocalStorage,
    /// `cookie`: cookies only.
    Cookie,
    /// `localStorage`: localStorage keys with `.expires` twins instead of cookies.
    LocalStorage,
    /// `none`: nothing persisted; an in-memory sliding session.
    None,
}

impl StateStorage {
    /// Parses the config value.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "cookieAndLocalStorage" => StateStorage::CookieAndLocalStorage,
            "cookie" => StateStorage::Cookie,
            "localStorage" => StateStorage::LocalStorage,
            "none" => StateStorage::None,
            _ => return None,
        })
    }

    /// Whether the event queue is persisted in localStorage (as in the JS tracker).
    pub fn persists_queue(self) -> bool {
        matches!(self, StateStorage::CookieAndLocalStorage | StateStorage::LocalStorage)
    }

    /// Whether identity state is kept in cookies.
    pub fn uses_cookies(self) -> bool {
        matches!(self, StateStorage::CookieAndLocalStorage | StateStorage::Cookie)
    }
}

/// A validated tracker configuration. Field docs give the JS option name and its default.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Tracker namespace (`tna`), the first argument of `newTracker`.
    pub namespace: String,
    /// Collector base URL, normalised to `scheme://host[:port][/path]` without a trailing `/`.
    pub collector_url: String,
    /// `appId` (`aid`), default empty (not sent).
    pub app_id: String,
    /// `platform` (`p`), default `web`.
    pub platform: String,
    /// `cookieName`, the cookie name prefix, default `_sp_`.
    pub cookie_name: String,
    /// `cookieDomain`, default none (the discovered root domain).
    pub cookie_domain: Option<String>,
    /// `discoverRootDomain`, default true unless `cookieDomain` is set.
    pub discover_root_domain: bool,
    /// `cookieSameSite`, default `Lax`.
    pub cookie_same_site: SameSite,
    /// `cookieSecure`; default `None` means "when the page is https".
    pub cookie_secure: Option<bool>,
    /// `cookieLifetime` of `_sp_id` in seconds, default 63072000 (2 years).
    pub cookie_lifetime_s: i64,
    /// `sessionCookieTimeout` in seconds, default 1800.
    pub session_cookie_timeout_s: i64,
    /// `foregroundTimeout`: inactivity that ends a session while the page is visible, in
    /// seconds; default `sessionCookieTimeout`.
    pub foreground_timeout_s: i64,
    /// `backgroundTimeout`: inactivity that ends a session while the page is hidden, in
    /// seconds; default `sessionCookieTimeout`.
    pub background_timeout_s: i64,
    /// `stateStorageStrategy`, default `cookieAndLocalStorage`.
    pub state_storage: StateStorage,
    /// `eventMethod`, default `post`.
    pub method: Method,
    /// `postPath`, default `/com.snowplowanalytics.snowplow/tp2`.
    pub post_path: String,
    /// `encodeBase64`: base64url `cx`/`ue_px` instead of JSON `co`/`ue_pr`; default true for GET only.
    pub encode_base64: bool,
    /// `connectionTimeout` in milliseconds, default 5000.
    pub connection_timeout_ms: u32,
    /// `bufferSize`: events to collect before sending, default 1.
    pub buffer_size: usize,
    /// `maxPostBytes`: the largest POST body to build, default 40000.
    pub max_post_bytes: usize,
    /// `credentials` of the fetch request, default `include`.
    pub credentials: Credentials,
    /// `keepalive` on every request, default false (the unload flush always uses it).
    pub keepalive: bool,
    /// Which answers are retried, and the backoff between attempts.
    pub retry: RetryPolicy,
    /// `maxQueueSize` / `maxQueueBytes`: the most events the queue holds before dropping.
    pub queue_limits: QueueLimits,
    /// `contexts.session`: attach `client_session`, default true.
    pub session_context: bool,
    /// `contexts.webPage`: attach `web_page`, default true.
    pub web_page_context: bool,
    /// `lifecycleAutotracking`: `application_background`/`application_foreground` on visibility
    /// changes and the `application_lifecycle` entity on every event, default true.
    pub lifecycle_autotracking: bool,
    /// `screenEngagementAutotracking`: `screen_end` with `screen_summary` before each new screen
    /// view, list items and scrolls folded into the summary, default true.
    pub screen_engagement_autotracking: bool,
    /// `screenEngagementScroll`: the document's own scroll feeds the screen summary, default true.
    pub screen_engagement_scroll: bool,
    /// `resetActivityTrackingOnPageView`: each page view restarts the activity checks, default true.
    pub reset_activity_on_page_view: bool,
    /// `pageViewAutotracking: 'history'`: a page view on each `pushState`, `replaceState` or
    /// `popstate` that changes the URL (its fragment aside), default off.
    pub page_view_autotracking: bool,
    /// `customHeaders`: extra request headers (name, value), default none.
    pub custom_headers: Vec<(String, String)>,
    /// `contexts.geolocation`: accepted for the JS tracker's (and Flutter's) configurations;
    /// snowtrack attaches no geolocation entity (it would need a permission prompt).
    pub geolocation_context: bool,
    /// `anonymousTracking`: no user identifiers in events or storage, default off.
    pub anonymous: Option<AnonymousTracking>,
    /// `respectDoNotTrack`: no tracking at all when the browser sends Do Not Track, default false.
    pub respect_do_not_track: bool,
    /// `respectGlobalPrivacyControl`: anonymous tracking with server anonymisation when the
    /// browser signals Global Privacy Control, default false.
    pub respect_global_privacy_control: bool,
    /// `respectOptOutCookie`: the name of a cookie whose presence stops tracking, default none
    /// (`setOptOutCookie` sets it too).
    pub opt_out_cookie: Option<String>,
    /// `useExtendedCrossDomainLinker`: the fields of the extended `_sp` value (`true`: the
    /// default fields), default off (`duid.ms`).
    pub cross_domain_extended: Option<crate::engine::cross_domain::ExtendedFields>,
    /// `preservePageViewIdForUrl`: events on another URL get a new page view id, default off.
    pub preserve_page_view_id_for_url: PreserveForUrl,
    /// `cookieExtensionService` (alias `idService`): a URL requested (`GET`) once before the
    /// tracker's first request, default none.
    pub cookie_extension_service: Option<String>,
    /// `preserveOriginalReferrer`: the page's first referrer stays `refr` through single-page
    /// navigations, default false.
    pub preserve_original_referrer: bool,
}

/// Anonymous tracking's settings (`anonymousTracking: true` is both off).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnonymousTracking {
    /// `withSessionTracking`: the session goes on (kept in the session cookie and memory; no
    /// `_sp_id`).
    pub with_session_tracking: bool,
    /// `withServerAnonymisation`: requests carry `SP-Anonymous: *`, so the collector keeps no IP
    /// address and sets no network user id cookie.
    pub with_server_anonymisation: bool,
}

/// The default `postPath`.
pub const DEFAULT_POST_PATH: &str = "/com.snowplowanalytics.snowplow/tp2";

impl Config {
    /// The defaults for a tracker `namespace` sending to `collector_url` (validated by [`Config::validate`]).
    pub fn new(namespace: &str, collector_url: &str) -> Self {
        Config {
            namespace: namespace.to_owned(),
            collector_url: collector_url.to_owned(),
            app_id: String::new(),
            platform: "web".into(),
            cookie_name: "_sp_".into(),
            cookie_domain: None,
            discover_root_domain: true,
            cookie_same_site: SameSite::Lax,
            cookie_secure: None,
            cookie_lifetime_s: 63_072_000,
            session_cookie_timeout_s: 1800,
            foreground_timeout_s: 1800,
            background_timeout_s: 1800,
            state_storage: StateStorage::CookieAndLocalStorage,
            method: Method::Post,
            post_path: DEFAULT_POST_PATH.into(),
            encode_base64: false,
            connection_timeout_ms: 5000,
            buffer_size: 1,
            max_post_bytes: 40_000,
            credentials: Credentials::Include,
            keepalive: false,
            retry: RetryPolicy::default(),
            queue_limits: QueueLimits::default(),
            session_context: true,
            web_page_context: true,
            lifecycle_autotracking: true,
            screen_engagement_autotracking: true,
            screen_engagement_scroll: true,
            custom_headers: Vec::new(),
            geolocation_context: false,
            anonymous: None,
            respect_do_not_track: false,
            respect_global_privacy_control: false,
            opt_out_cookie: None,
            cross_domain_extended: None,
            reset_activity_on_page_view: true,
            page_view_autotracking: false,
            preserve_page_view_id_for_url: PreserveForUrl::Off,
            preserve_original_referrer: false,
            cookie_extension_service: None,
        }
    }

    /// Checks every field and normalises the collector URL for a page served over `page_protocol`
    /// (`https:` or `http:`): a URL without a scheme gets the page's, as in the JS tracker.
    ///
    /// # Errors
    /// [`Error::Config`] naming the first bad field.
    pub fn validate(&mut self, page_protocol: &str) -> Result<()> {
        if self.namespace.is_empty() {
            return Err(Error::config("namespace", "must be a non-empty string"));
        }
        self.collector_url = normalize_collector_url(&self.collector_url, page_protocol)?;
        if !self.post_path.starts_with('/') {
            return Err(Error::config("postPath", "must start with '/'"));
        }
        if self.cookie_name.is_empty() || self.cookie_name.bytes().any(|b| b";= ,".contains(&b)) {
            return Err(Error::config("cookieName", "must be a non-empty cookie name"));
        }
        if let Some(domain) = &self.cookie_domain {
            if domain.is_empty() || domain.bytes().any(|b| b"; ,".contains(&b)) {
                return Err(Error::config("cookieDomain", "must be a domain name"));
            }
        }
        for (field, value) in [
            ("cookieLifetime", self.cookie_lifetime_s),
            ("sessionCookieTimeout", self.session_cookie_timeout_s),
            ("foregroundTimeout", self.foreground_timeout_s),
            ("backgroundTimeout", self.background_timeout_s),
        ] {
            if value < 0 {
                return Err(Error::config(field, "must be a non-negative number of seconds"));
            }
        }
        if self.buffer_size == 0 {
            return Err(Error::config("bufferSize", "must be at least 1"));
        }
        if self.max_post_bytes < 200 {
            return Err(Error::config("maxPostBytes", "must be at least 200"));
        }
        if self.retry.base_delay_ms == 0 || self.retry.max_delay_ms < self.retry.base_delay_ms {
            return Err(Error::config(
                "retryMaxDelay",
                "must be at least retryBaseDelay, which must be positive",
            ));
        }
        if self.queue_limits.max_events == 0 {
            return Err(Error::config("maxQueueSize", "must be at least 1"));
        }
        Ok(())
    }

    /// Whether cookies get `Secure` on a page served over `page_protocol`.
    pub fn secure_cookies(&self, page_protocol: &str) -> bool {
        self.cookie_secure.unwrap_or(page_protocol == "https:")
    }

    /// The full URL events are sent to.
    pub fn endpoint(&self) -> String {
        match self.method {
            Method::Post => concat(&[&self.collector_url, &self.post_path]),
            Method::Get => concat(&[&self.collector_url, "/i"]),
        }
    }

    /// What delivery needs of this configuration.
    pub fn send_settings(&self) -> SendSettings {
        SendSettings {
            method: self.method,
            endpoint: self.endpoint(),
            max_post_bytes: self.max_post_bytes,
            buffer_size: self.buffer_size,
            credentials: self.credentials,
            keepalive: self.keepalive,
            connection_timeout_ms: self.connection_timeout_ms,
            retry: self.retry.clone(),
            limits: self.queue_limits,
            persist: self.state_storage.persists_queue(),
            cookie_extension_service: self.cookie_extension_service.clone(),
        }
    }
}

/// Adds the page's scheme to a scheme-less collector URL and checks it looks like `http(s)://host`.
#[inline(never)] // one copy: `newTracker` and `setCollectorUrl` both call it
pub(crate) fn normalize_collector_url(raw: &str, page_protocol: &str) -> Result<String> {
    let raw = raw.trim();
    let bad = |why: &str| Error::config("collectorUrl", concat(&[why, " (got \"", raw, "\")"]));
    if raw.is_empty() {
        return Err(bad("must be a non-empty URL"));
    }
    let url = if raw.starts_with("http://") || raw.starts_with("https://") {
        raw.to_owned()
    } else if raw.as_bytes().windows(3).any(|w| w == b"://") {
        return Err(bad("must use http or https"));
    } else if page_protocol == "https:" {
        concat(&["https://", raw])
    } else {
        concat(&["http://", raw])
    };
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_ok = !host.is_empty()
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]_@".contains(&b))
        && !host.starts_with(':');
    if !host_ok || url.chars().any(char::is_whitespace) || rest.bytes().any(|b| b == b'?' || b == b'#') {
        return Err(bad("must be a URL like https://collector.example.com"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_the_js_trackers() {
        let mut c = Config::new("sp", "collector.example.com");
        c.validate("https:").unwrap();
        assert_eq!(c.collector_url, "https://collector.example.com");
        assert_eq!(c.endpoint(), "https://collector.example.com/com.snowplowanalytics.snowplow/tp2");
        assert_eq!((c.cookie_lifetime_s, c.session_cookie_timeout_s), (63_072_000, 1800));
        assert_eq!((c.buffer_size, c.max_post_bytes, c.connection_timeout_ms), (1, 40_000, 5000));
        assert!(c.secure_cookies("https:"));
        assert!(!c.secure_cookies("http:"));
    }

    #[test]
    fn collector_urls() {
        let norm = |u: &str, p: &str| normalize_collector_url(u, p);
        assert_eq!(norm("127.0.0.1:9090/", "http:").unwrap(), "http://127.0.0.1:9090");
        assert_eq!(norm("https://c.example.com/base", "http:").unwrap(), "https://c.example.com/base");
        for bad in ["", "   ", "ftp://x", "http://", "http://a b", "http://:80", "https://x?y=1", "http:///x"]
        {
            let err = norm(bad, "https:").unwrap_err().to_string();
            assert!(err.contains("collectorUrl"), "{bad}: {err}");
        }
    }

    #[test]
    fn bad_fields_are_named() {
        let check = |f: fn(&mut Config), field: &str| {
            let mut c = Config::new("sp", "http://x");
            f(&mut c);
            let err = c.validate("http:").unwrap_err().to_string();
            assert!(err.contains(field), "{err}");
        };
        check(|c| c.namespace.clear(), "namespace");
        check(|c| c.post_path = "tp2".into(), "postPath");
        check(|c| c.cookie_name = "a;b".into(), "cookieName");
        check(|c| c.session_cookie_timeout_s = -1, "sessionCookieTimeout");
        check(|c| c.buffer_size = 0, "bufferSize");
    }
}
