//! Cross-domain navigation: what Snowplow Enrich does with an `_sp` parameter in the page URL,
//! the value a tracker's cross-domain linker put on the link that led there (`duid.ms`, or the
//! extended `duid.ms.sid.b64u(uid).b64u(aid).platform.b64u(reason)`).
//!
//! As Enrich (its cross-navigation rule, run on every event): the value is split on `.` into at
//! most seven fields (more: the parameter is ignored); the domain user id (tabs made four spaces,
//! control characters removed) becomes `refr_domain_userid`, the timestamp (epoch ms)
//! `refr_dvce_tstamp`; a timestamp that is not one, or a base64url field that does not decode,
//! fails the event. When both the domain user id and the timestamp are there, the
//! `cross_navigation` entity (1-0-0) is derived from all seven fields, as Enrich attaches it with
//! its cross-navigation enrichment enabled (empty fields are `null`, the base64url ones decoded).

use serde_json::{Value, json};

use crate::b64::decode_base64;
use crate::time::{MAX_EPOCH_MS, iso8601};
use crate::violation::Violation;

/// The derived entity's schema.
pub const CROSS_NAVIGATION_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/cross_navigation/jsonschema/1-0-0";

/// What an `_sp` value gives an event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CrossNavigation {
    /// `refr_domain_userid`.
    pub domain_user_id: Option<String>,
    /// `refr_dvce_tstamp`, epoch ms.
    pub timestamp_ms: Option<i64>,
    /// The `cross_navigation` entity's data, when both of the above are there.
    pub entity: Option<Value>,
}

/// The `_sp` parameter of a page URL (its last occurrence, percent-decoded), if any.
pub fn sp_parameter(page_url: &str) -> Option<String> {
    let url = url::Url::parse(page_url).ok()?;
    url.query_pairs().filter(|(k, _)| k == "_sp").map(|(_, v)| v.into_owned()).last()
}

/// Reads an `_sp` value. `Ok(None)` when it gives nothing (empty, or more than seven fields).
///
/// # Errors
/// A violation of the `url` field when the timestamp is not epoch milliseconds or a base64url
/// field does not decode (Enrich fails the event then).
pub fn parse(sp: &str) -> Result<Option<CrossNavigation>, Box<Violation>> {
    if sp.is_empty() {
        return Ok(None);
    }
    let mut fields: Vec<&str> = sp.split('.').collect();
    if fields.len() > 7 {
        return Ok(None);
    }
    fields.resize(7, "");
    let [duid, tstamp, sid, uid, aid, platform, reason] =
        <[&str; 7]>::try_from(fields).map_err(|_| bad("the _sp parameter", sp))?;
    let domain_user_id = Some(clean(duid)).filter(|d| !d.is_empty());
    let timestamp_ms = match tstamp {
        "" => None,
        t => Some(
            t.parse::<i64>()
                .ok()
                .filter(|ms| (0..=MAX_EPOCH_MS).contains(ms))
                .ok_or_else(|| bad("the _sp timestamp (epoch milliseconds)", t))?,
        ),
    };
    let text = |s: &str| Some(s.to_owned()).filter(|s| !s.trim().is_empty());
    let decoded = |s: &str| -> Result<Option<String>, Box<Violation>> {
        if s.is_empty() {
            return Ok(None);
        }
        let bytes = decode_base64(s).ok_or_else(|| bad("an _sp base64url field", s))?;
        Ok(text(&String::from_utf8_lossy(&bytes)))
    };
    let (user_id, source_id, reason) = (decoded(uid)?, decoded(aid)?, decoded(reason)?);
    let entity = domain_user_id.as_ref().zip(timestamp_ms).map(|(duid, ms)| {
        json!({
            "domain_user_id": duid,
            "timestamp": iso8601(ms),
            "session_id": text(sid),
            "user_id": user_id,
            "source_id": source_id,
            "source_platform": text(platform),
            "reason": reason,
        })
    });
    Ok(Some(CrossNavigation { domain_user_id, timestamp_ms, entity }))
}

/// Enrich's clean-up of a text field: tabs become four spaces, control characters go.
fn clean(s: &str) -> String {
    s.replace('\t', "    ").chars().filter(|c| !c.is_control()).collect()
}

fn bad(what: &str, value: &str) -> Box<Violation> {
    Box::new(Violation::field("url", format!("{value:?} is not {what}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    const DUID: &str = "c6ef3124-b53a-4b13-a233-0088f79dcbcb";
    const SID: &str = "2e6b4d32-7a7b-4e71-9a3e-6b7a3f2bd001";

    #[test]
    fn no_or_empty_sp_gives_nothing() {
        assert_eq!(sp_parameter("https://b.example/?a=1"), None);
        assert_eq!(parse("").unwrap(), None);
        assert_eq!(sp_parameter("https://b.example/?_sp="), Some(String::new()));
    }

    #[test]
    fn the_last_sp_parameter_counts_percent_decoded() {
        assert_eq!(sp_parameter("https://b.example/?_sp=a.1&x=2&_sp=b%2E2#f").as_deref(), Some("b.2"));
    }

    #[test]
    fn plain_value_sets_both_fields_and_the_entity() {
        let nav = parse(&format!("{DUID}.1426245561368")).unwrap().unwrap();
        assert_eq!(nav.domain_user_id.as_deref(), Some(DUID));
        assert_eq!(nav.timestamp_ms, Some(1_426_245_561_368));
        let entity = nav.entity.unwrap();
        assert_eq!(entity["timestamp"], "2015-03-13T11:19:21.368Z");
        assert_eq!(entity["session_id"], Value::Null);
        assert_eq!(entity["reason"], Value::Null);
    }

    #[test]
    fn a_duid_alone_sets_refr_domain_userid_without_an_entity() {
        let nav = parse("abc").unwrap().unwrap();
        assert_eq!(nav.domain_user_id.as_deref(), Some("abc"));
        assert_eq!(nav.timestamp_ms, None);
        assert_eq!(nav.entity, None);
        // An anonymous tracker's link: no duid, so no entity either.
        let nav = parse(".1426245561368").unwrap().unwrap();
        assert_eq!((nav.domain_user_id, nav.timestamp_ms, nav.entity), (None, Some(1_426_245_561_368), None));
    }

    #[test]
    fn extended_value_decodes_each_field() {
        let sp = format!("{DUID}.1426245561368.{SID}.YWxpY2U.c2hvcA.web.UGF5IG5vdyDinJM");
        let entity = parse(&sp).unwrap().unwrap().entity.unwrap();
        assert_eq!(
            entity,
            json!({
                "domain_user_id": DUID, "timestamp": "2015-03-13T11:19:21.368Z", "session_id": SID,
                "user_id": "alice", "source_id": "shop", "source_platform": "web", "reason": "Pay now ✓",
            })
        );
        // The JS tracker's default extended value: no user id, platform nor reason.
        let entity = parse(&format!("{DUID}.1426245561368.{SID}..c2hvcA")).unwrap().unwrap().entity.unwrap();
        assert_eq!((&entity["user_id"], &entity["source_id"]), (&Value::Null, &json!("shop")));
    }

    #[test]
    fn more_than_seven_fields_are_ignored() {
        assert_eq!(parse("a.1.b.c.d.e.f.g").unwrap(), None);
    }

    #[test]
    fn a_bad_timestamp_or_base64_fails_the_event() {
        let err = parse("abc.not-a-timestamp").unwrap_err();
        assert_eq!(err.field.as_deref(), Some("url"));
        assert!(parse("abc.-5").is_err());
        assert!(parse(&format!("abc.1.{SID}.%%%")).is_err());
    }

    #[test]
    fn control_characters_leave_the_duid() {
        assert_eq!(parse("a\tb\u{1}c.1").unwrap().unwrap().domain_user_id.as_deref(), Some("a    bc"));
    }
}
