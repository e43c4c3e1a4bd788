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
use crate::engine::util::text::{concat, find, int};

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
    let mut out = concat(&[source.domain_user_id, ".", &int(source.timestamp_ms)]);
    let Some(fields) = extended else { return out };
    let encoded =
        |on: bool, text: Option<&str>| if on { base64url(text.unwrap_or("")) } else { String::new() };
    let rest = [
        if fields.session_id { source.session_id } else { "" },
        &encoded(fields.user_id, source.user_id),
        &encoded(fields.source_id, Some(source.app_id)),
        if fields.source_platform { source.platform } else { "" },
        &encoded(fields.reason, source.reason),
    ];
    for field in rest {
        out.push('.');
        out.push_str(field);
    }
    // Byte by byte: no pattern searcher linked in.
    while out.as_bytes().last() == Some(&b'.') {
        out.pop();
    }
    out
}

/// Whether a link the page's function answered `accepted` for, with `href`, is decorated: the
/// page accepted it and it has an `href` that runs no script.
#[cfg(feature = "full")]
pub fn decorates(accepted: bool, href: &str) -> bool {
    accepted && !href.is_empty() && !crate::engine::link_click::is_script_url(href)
}

/// `url` with `name=value` in its query: the first `name=` parameter replaced in place, else
/// put first; the fragment kept (the JS tracker's rule).
pub fn decorate(url: &str, name: &str, value: &str) -> String {
    // `find` and byte slices rather than `split`: no pattern searcher linked in.
    let hash = find(url, "#").unwrap_or(url.len());
    let (before, fragment) = (url.get(..hash).unwrap_or(url), url.get(hash..).unwrap_or(""));
    let param = concat(&[name, "=", value]);
    let Some(q) = find(before, "?") else { return concat(&[before, "?", &param, fragment]) };
    let (base, query) = (before.get(..q).unwrap_or(""), before.get(q + 1..).unwrap_or(""));
    if query.is_empty() {
        return concat(&[base, "?", &param, fragment]);
    }
    let prefix = concat(&[name, "="]);
    let at = if query.as_bytes().starts_with(prefix.as_bytes()) {
        Some(0)
    } else {
        find(query, &concat(&["&", &prefix])).map(|at| at + 1)
    };
    match at.and_then(|at| Some((query.get(..at)?, query.get(at..)?))) {
        Some((head, tail)) => {
            let rest = tail.get(find(tail, "&").unwrap_or(tail.len())..).unwrap_or("");
            concat(&[base, "?", head, &param, rest, fragment])
        }
        None => concat(&[base, "?", &param, "&", query, fragment]),
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
