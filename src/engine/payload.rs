//! The tracker-protocol payload: ordered fields and their two wire forms (POST JSON, GET query).

use crate::engine::util::text::{concat, push_int};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::util::base64::base64url;
use crate::engine::util::json::{self, ObjectWriter};
use crate::engine::util::uri::encode_uri_component;
use alloc::borrow::Cow;

/// Schema of the POST envelope.
pub const PAYLOAD_DATA_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4";
/// Schema wrapping the entities in `co`/`cx`.
pub const CONTEXTS_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0";
/// Schema wrapping a self-describing event in `ue_pr`/`ue_px`.
pub const UNSTRUCT_EVENT_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0";
/// Bytes the JS tracker allows for the envelope around a batch's events.
pub const ENVELOPE_BYTES: usize = 88;

/// How events travel to the collector (`eventMethod`), which decides their wire form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Batched `POST` of a `payload_data` envelope (default): [`Payload::to_post_json`].
    Post,
    /// One `GET /i?...` per event: [`Payload::to_query`].
    Get,
}

/// One event's fields in insertion order (the JS tracker's order), values as strings.
///
/// Empty values are never stored, as `payloadBuilder.add` skips `''`. The entities and the
/// self-describing event body are kept apart and encoded once, at the end.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Payload<'a> {
    /// Values borrowed where they can be (the tracker's constants, page facts).
    fields: Vec<(&'static str, Cow<'a, str>)>,
    /// Fields a plugin added (`beforeTrack`), after the tracker's own.
    extra: Vec<(String, String)>,
    entities: Vec<String>,
    unstruct: Option<String>,
}

impl<'a> Payload<'a> {
    /// An empty payload.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key` (replacing an earlier value in place); an empty value is skipped.
    pub fn add(&mut self, key: &'static str, value: impl Into<Cow<'a, str>>) {
        let value = value.into();
        if value.is_empty() {
            return;
        }
        match self.fields.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.fields.push((key, value)),
        }
    }

    /// Sets `key` when `value` is present and non-empty.
    pub fn add_opt(&mut self, key: &'static str, value: Option<impl Into<Cow<'a, str>>>) {
        if let Some(value) = value {
            self.add(key, value);
        }
    }

    /// Sets a field a plugin added (replacing one of the tracker's with that name); an empty
    /// value is skipped.
    pub fn add_extra(&mut self, key: String, value: String) {
        if value.is_empty() {
            return;
        }
        self.fields.retain(|(k, _)| *k != key);
        match self.extra.iter_mut().find(|(k, _)| *k == key) {
            Some(slot) => slot.1 = value,
            None => self.extra.push((key, value)),
        }
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.iter().find(|(k, _)| *k == key).map(|(_, v)| v.as_ref())
    }

    /// Appends an entity (self-describing JSON text).
    pub fn add_entity(&mut self, entity: String) {
        self.entities.push(entity);
    }

    /// Sets the self-describing event body (`{"schema":..,"data":..}` text).
    pub fn set_unstruct(&mut self, event: String) {
        self.unstruct = Some(event);
    }

    fn contexts_json(&self) -> Option<String> {
        (!self.entities.is_empty())
            .then(|| json::self_describing(CONTEXTS_SCHEMA, &json::array(&self.entities)))
    }

    fn unstruct_json(&self) -> Option<String> {
        self.unstruct.as_deref().map(|event| json::self_describing(UNSTRUCT_EVENT_SCHEMA, event))
    }

    /// The POST form: a JSON object of strings **without its closing brace**, so `stm` can be
    /// appended at send time in O(1) ([`post_body`]). With `base64`, `ue_px`/`cx` replace
    /// `ue_pr`/`co`.
    pub fn to_post_json(&self, base64: bool) -> String {
        let size: usize = self.fields.iter().map(|(k, v)| k.len() + v.len() + 6).sum::<usize>()
            + self.entities.iter().chain(&self.unstruct).map(|e| e.len() * 5 / 4 + 128).sum::<usize>();
        let mut w = ObjectWriter::with_capacity(size);
        for (key, value) in &self.fields {
            w.string(key, value);
        }
        for (key, value) in &self.extra {
            w.string(key, value);
        }
        if let Some(ue) = self.unstruct_json() {
            if base64 {
                w.string("ue_px", &base64url(&ue))
            } else {
                w.string("ue_pr", &ue)
            };
        }
        if let Some(co) = self.contexts_json() {
            if base64 {
                w.string("cx", &base64url(&co))
            } else {
                w.string("co", &co)
            };
        }
        let mut text = w.finish();
        text.pop();
        text
    }

    /// The GET form: `k=v&...` (URI-encoded), contexts last, without `stm` (see [`get_url`]).
    pub fn to_query(&self, base64: bool) -> String {
        let mut pairs: Vec<(&str, Cow<'_, str>)> =
            self.fields.iter().map(|(k, v)| (*k, Cow::Borrowed(v.as_ref()))).collect();
        pairs.extend(self.extra.iter().map(|(k, v)| (k.as_str(), Cow::Borrowed(v.as_str()))));
        if let Some(ue) = self.unstruct_json() {
            pairs.push(if base64 { ("ue_px", base64url(&ue).into()) } else { ("ue_pr", ue.into()) });
        }
        if let Some(co) = self.contexts_json() {
            pairs.push(if base64 { ("cx", base64url(&co).into()) } else { ("co", co.into()) });
        }
        let mut query = String::new();
        for (i, (key, value)) in pairs.iter().enumerate() {
            if i > 0 {
                query.push('&');
            }
            query.push_str(key);
            query.push('=');
            query.push_str(&encode_uri_component(value));
        }
        query
    }
}

/// A `payload_data` 1-0-4 POST body from events in [`Payload::to_post_json`] form, each
/// stamped with the send time `stm`.
pub fn post_body<'a>(events: impl IntoIterator<Item = &'a str>, stm_ms: i64) -> String {
    let parts = PostBody::new(stm_ms);
    let mut body = parts.head.clone();
    for (i, event) in events.into_iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(event);
        body.push_str(&parts.stm);
    }
    body.push_str(PostBody::TAIL);
    body
}

/// The pieces of a POST body around its events: `head`, then each event followed by `stm`,
/// separated by commas, then [`PostBody::TAIL`] (for shells that keep the events' text
/// themselves).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostBody {
    /// `{"schema":"…payload_data…","data":[`.
    pub head: String,
    /// `,"stm":"<ms>"}`: closes each event.
    pub stm: String,
}

impl PostBody {
    /// Closes the body.
    pub const TAIL: &'static str = "]}";

    /// The pieces for a send at `stm_ms`.
    pub fn new(stm_ms: i64) -> Self {
        let mut stm = String::from(",\"stm\":\"");
        push_int(&mut stm, stm_ms);
        stm.push_str("\"}");
        PostBody { head: concat(&["{\"schema\":\"", PAYLOAD_DATA_SCHEMA, "\",\"data\":["]), stm }
    }
}

/// The length of [`post_body`] for events of these lengths.
pub fn post_body_len(event_lens: impl IntoIterator<Item = usize>, stm_ms: i64) -> usize {
    let parts = PostBody::new(stm_ms);
    let (mut total, mut count) = (0, 0);
    for len in event_lens {
        total += len + parts.stm.len();
        count += 1;
    }
    parts.head.len() + total + count.max(1) - 1 + PostBody::TAIL.len()
}

/// The bytes one event adds to a POST body: its JSON, the `stm` member and a separator.
pub fn post_event_len(event_len: usize) -> usize {
    event_len + ",\"stm\":\"1700000000000\"}".len() + 1
}

/// A GET URL for one event in [`Payload::to_query`] form, `stm` first as the JS tracker puts it.
pub fn get_url(endpoint: &str, query: &str, stm_ms: i64) -> String {
    let mut url = concat(&[endpoint, "?stm="]);
    push_int(&mut url, stm_ms);
    url.push('&');
    url.push_str(query);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Payload<'static> {
        let mut p = Payload::new();
        p.add("e", "ue");
        p.add("eid", "x");
        p.add("aid", "");
        p.add_opt("uid", None::<&str>);
        p.add("url", "http://a/?q=1 2");
        p.add("eid", "y");
        p.set_unstruct(r#"{"schema":"iglu:a/b/jsonschema/1-0-0","data":{"k":"™"}}"#.into());
        p.add_entity(r#"{"schema":"iglu:a/c/jsonschema/1-0-0","data":{}}"#.into());
        p
    }

    #[test]
    fn empty_values_are_skipped_and_keys_keep_their_place() {
        let p = sample();
        assert_eq!(p.get("eid"), Some("y"));
        assert_eq!(p.get("aid"), None);
        assert!(p.to_post_json(false).starts_with(r#"{"e":"ue","eid":"y","url":"http://a/?q=1 2","ue_pr":"#));
    }

    #[test]
    fn post_body_is_a_valid_envelope_of_strings() {
        let p = sample();
        let body =
            post_body([p.to_post_json(false).as_str(), p.to_post_json(true).as_str()], 1_700_000_000_123);
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["schema"], PAYLOAD_DATA_SCHEMA);
        let first = &v["data"][0];
        assert_eq!(first["stm"], "1700000000123");
        let ue: serde_json::Value = serde_json::from_str(first["ue_pr"].as_str().unwrap()).unwrap();
        assert_eq!(ue["schema"], UNSTRUCT_EVENT_SCHEMA);
        assert_eq!(ue["data"]["data"]["k"], "™");
        let co: serde_json::Value = serde_json::from_str(first["co"].as_str().unwrap()).unwrap();
        assert_eq!(co["data"][0]["schema"], "iglu:a/c/jsonschema/1-0-0");
        assert!(
            v["data"][1]["cx"]
                .as_str()
                .unwrap()
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert!(
            v["data"].as_array().unwrap().iter().all(|e| e
                .as_object()
                .unwrap()
                .values()
                .all(|v| v.is_string()))
        );
        assert_eq!(post_body([], 1), format!("{{\"schema\":\"{PAYLOAD_DATA_SCHEMA}\",\"data\":[]}}"));
    }

    #[test]
    fn get_query_puts_contexts_last_and_encodes() {
        let q = sample().to_query(true);
        assert!(q.starts_with("e=ue&eid=y&url=http%3A%2F%2Fa%2F%3Fq%3D1%202&ue_px="));
        assert!(q.contains("&cx=eyJzY2hlbWEiOiJpZ2x1OmNvbS5zbm93cGxvd2FuYWx5dGljcy5zbm93cGxvdy9jb250ZXh0cy9qc29uc2NoZW1hLzEtMC0wIiwiZGF0YSI6W3sic2NoZW1hIjoiaWdsdTphL2MvanNvbnNjaGVtYS8xLTAtMCIsImRhdGEiOnt9fV19"));
        assert_eq!(get_url("http://c/i", "e=pv", 5), "http://c/i?stm=5&e=pv");
    }

    #[test]
    fn byte_estimate_matches_the_body() {
        let p = sample().to_post_json(false);
        let one = post_body([p.as_str()], 1_700_000_000_000).len();
        let two = post_body([p.as_str(), p.as_str()], 1_700_000_000_000).len();
        assert_eq!(two - one, post_event_len(p.len()));
        for n in 0..3 {
            let events = vec![p.as_str(); n];
            assert_eq!(
                post_body(events.iter().copied(), 1_700_000_000_000).len(),
                post_body_len(vec![p.len(); n], 1_700_000_000_000)
            );
        }
    }
}
