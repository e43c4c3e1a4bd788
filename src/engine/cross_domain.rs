//! Cross-domain linking's rules (the JS tracker's `crossDomainLinker` and
//! `useExtendedCrossDomainLinker`): whether a link the page's function selected is decorated,
//! and the `_sp` value it gets, `duid.ms` or the extended `duid.ms.sid.b64u(uid).b64u(aid).
//! platform.b64u(reason)` with the fields the configuration picks and trailing dots trimmed.
//! Snowplow Enrich reads that value from the page URL on the other side (`refr_domain_userid`,
//! `refr_dvce_tstamp`, the `cross_navigation` entity). The browser side only senses: the link's
//! `href`, the page function's answer and, when asked for, the reason text.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::util::base64::base64url;
use crate::engine::util::text::{concat, int};

/// The query parameter the value goes in.
pub const PARAMETER: &str = "_sp";

/// Which fields the extended value carries (`useExtendedCrossDomainLinker`'s object form;
/// `true` is the default: the session id and the app id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedFields {
    /// `userId`: the user id (`setUserId`), base64url; default off.
    pub user_id: bool,
    /// `sessionId`: the session id; default on.
    pub session_id: bool,
    /// `sourceId`: the app id, base64url; default on.
    pub source_id: bool,
    /// `sourcePlatform`: the platform; default off.
    pub source_platform: bool,
    /// `reason`: the link's text, or what the page's reason function answered, base64url;
    /// default off.
    pub reason: bool,
}

impl Default for ExtendedFields {
    fn default() -> Self {
        ExtendedFields {
            user_id: false,
            session_id: true,
            source_id: true,
            source_platform: false,
            reason: false,
        }
    }
}

/// What the tracker knows when a link is decorated.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Source<'a> {
    /// The domain user id (empty while anonymous).
    pub domain_user_id: &'a str,
    /// The time of the click, epoch ms.
    pub timestamp_ms: i64,
    /// The session id.
    pub session_id: &'a str,
    /// The user id (none while anonymous).
    pub user_id: Option<&'a str>,
    /// The app id.
    pub app_id: &'a str,
    /// The platform.
    pub platform: &'a str,
    /// The reason text (asked for only with [`ExtendedFields::reason`]).
    pub reason: Option<&'a str>,
}

/// The `_sp` value: `duid.ms` without `extended`, else the seven fields in Enrich's order
/// (those not picked left empty), with the trailing dots trimmed.
pub fn value(extended: Option<&ExtendedFields>, source: &Source<'_>) -> String {
    let ms = int(source.timestamp_ms);
    let Some(fields) = extended else {
        return concat(&[source.domain_user_id, ".", &ms]);
    };
    let pick = |on: bool, text: String| if on { text } else { String::new() };
    let parts = [
        source.domain_user_id.to_owned(),
        ms,
        pick(fields.session_id, source.session_id.to_owned()),
        pick(fields.user_id, base64url(source.user_id.unwrap_or(""))),
        pick(fields.source_id, base64url(source.app_id)),
        pick(fields.source_platform, source.platform.to_owned()),
        pick(fields.reason, base64url(source.reason.unwrap_or(""))),
    ];
    let mut out = parts.join(".");
    out.truncate(out.trim_end_matches('.').len());
    out
}

/// Whether a link the page's function answered `accepted` for, with `href`, is decorated: the
/// page accepted it and it has an `href` that runs no script.
#[cfg(feature = "full")]
pub fn decorates(accepted: bool, href: &str) -> bool {
    accepted && !href.is_empty() && !crate::engine::link_click::is_script_url(href)
}

/// `url` with `name=value` in its query: an existing `name=` parameter replaced in place, else
/// put first; the fragment kept (the JS tracker's rule).
pub fn decorate(url: &str, name: &str, value: &str) -> String {
    let (before_fragment, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let (base, query) = match before_fragment.split_once('?') {
        Some((b, q)) => (b, q),
        None => (before_fragment, ""),
    };
    let param = concat(&[name, "=", value]);
    let prefix = concat(&[name, "="]);
    let query = if query.is_empty() {
        param
    } else {
        let mut fields: Vec<&str> = query.split('&').collect();
        match fields.iter().position(|f| f.starts_with(&prefix)) {
            Some(at) => {
                if let Some(slot) = fields.get_mut(at) {
                    *slot = &param;
                }
                fields.join("&")
            }
            None => concat(&[&param, "&", query]),
        }
    };
    match fragment {
        Some(fragment) => concat(&[base, "?", &query, "#", fragment]),
        None => concat(&[base, "?", &query]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUID: &str = "c6ef3124-b53a-4b13-a233-0088f79dcbcb";
    const SID: &str = "2e6b4d32-7a7b-4e71-9a3e-6b7a3f2bd001";

    fn source() -> Source<'static> {
        Source {
            domain_user_id: DUID,
            timestamp_ms: 1_675_209_600_000,
            session_id: SID,
            user_id: Some("U1234"),
            app_id: "my-app",
            platform: "web",
            reason: Some("Cross-domain link"),
        }
    }

    #[test]
    fn plain_value_is_duid_dot_ms() {
        assert_eq!(value(None, &source()), concat(&[DUID, ".1675209600000"]));
    }

    #[test]
    fn extended_default_is_duid_ms_sid_empty_user_and_app_id() {
        // The JS tracker's own test: [duid, ts, sid, '', b64u(appId)].
        let v = value(Some(&ExtendedFields::default()), &source());
        assert_eq!(v, concat(&[DUID, ".1675209600000.", SID, "..bXktYXBw"]));
    }

    #[test]
    fn extended_with_every_field() {
        let all = ExtendedFields {
            user_id: true,
            session_id: true,
            source_id: true,
            source_platform: true,
            reason: true,
        };
        let v = value(Some(&all), &source());
        let parts: Vec<&str> = v.split('.').collect();
        assert_eq!(
            parts,
            [DUID, "1675209600000", SID, "VTEyMzQ", "bXktYXBw", "web", "Q3Jvc3MtZG9tYWluIGxpbms"]
        );
    }

    #[test]
    fn extended_trims_trailing_dots_only() {
        let none = ExtendedFields {
            user_id: false,
            session_id: false,
            source_id: false,
            source_platform: false,
            reason: false,
        };
        assert_eq!(value(Some(&none), &source()), concat(&[DUID, ".1675209600000"]));
        let platform = ExtendedFields { source_platform: true, ..none };
        assert_eq!(value(Some(&platform), &source()), concat(&[DUID, ".1675209600000....web"]));
        // A user id asked for but not set is an empty field.
        let user = ExtendedFields { user_id: true, ..ExtendedFields::default() };
        let anonymous = Source { user_id: None, ..source() };
        assert_eq!(value(Some(&user), &anonymous), concat(&[DUID, ".1675209600000.", SID, "..bXktYXBw"]));
    }

    #[test]
    fn anonymous_links_carry_no_duid() {
        let anonymous = Source { domain_user_id: "", user_id: None, ..source() };
        assert_eq!(value(None, &anonymous), ".1675209600000");
        assert_eq!(
            value(Some(&ExtendedFields::default()), &anonymous),
            concat(&[".1675209600000.", SID, "..bXktYXBw"])
        );
    }

    #[test]
    fn decorate_puts_sp_first_and_replaces_an_existing_one() {
        assert_eq!(decorate("https://b.example/p", "_sp", "x.1"), "https://b.example/p?_sp=x.1");
        assert_eq!(decorate("https://b.example/p?a=1", "_sp", "x.1"), "https://b.example/p?_sp=x.1&a=1");
        assert_eq!(
            decorate("https://b.example/p?a=1&_sp=old.0#top", "_sp", "x.1"),
            "https://b.example/p?a=1&_sp=x.1#top"
        );
        assert_eq!(decorate("https://b.example/#f?x", "_sp", "x.1"), "https://b.example/?_sp=x.1#f?x");
        // `_spx=` is another parameter.
        assert_eq!(decorate("https://b.example/?_spx=1", "_sp", "v"), "https://b.example/?_sp=v&_spx=1");
    }

    #[cfg(feature = "full")]
    #[test]
    fn only_accepted_links_with_a_plain_href_are_decorated() {
        assert!(decorates(true, "https://b.example/"));
        assert!(!decorates(false, "https://b.example/"));
        assert!(!decorates(true, ""));
        assert!(!decorates(true, "javascript:void(0)"));
    }
}
