//! The enriched ("atomic") event: the 131 fields of the Snowplow analytics SDK `Event`, in order.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

/// Every atomic field, in the enriched-event (TSV / analytics SDK) order.
pub const FIELDS: [&str; 131] = [
    "app_id",
    "platform",
    "etl_tstamp",
    "collector_tstamp",
    "dvce_created_tstamp",
    "event",
    "event_id",
    "txn_id",
    "name_tracker",
    "v_tracker",
    "v_collector",
    "v_etl",
    "user_id",
    "user_ipaddress",
    "user_fingerprint",
    "domain_userid",
    "domain_sessionidx",
    "network_userid",
    "geo_country",
    "geo_region",
    "geo_city",
    "geo_zipcode",
    "geo_latitude",
    "geo_longitude",
    "geo_region_name",
    "ip_isp",
    "ip_organization",
    "ip_domain",
    "ip_netspeed",
    "page_url",
    "page_title",
    "page_referrer",
    "page_urlscheme",
    "page_urlhost",
    "page_urlport",
    "page_urlpath",
    "page_urlquery",
    "page_urlfragment",
    "refr_urlscheme",
    "refr_urlhost",
    "refr_urlport",
    "refr_urlpath",
    "refr_urlquery",
    "refr_urlfragment",
    "refr_medium",
    "refr_source",
    "refr_term",
    "mkt_medium",
    "mkt_source",
    "mkt_term",
    "mkt_content",
    "mkt_campaign",
    "contexts",
    "se_category",
    "se_action",
    "se_label",
    "se_property",
    "se_value",
    "unstruct_event",
    "tr_orderid",
    "tr_affiliation",
    "tr_total",
    "tr_tax",
    "tr_shipping",
    "tr_city",
    "tr_state",
    "tr_country",
    "ti_orderid",
    "ti_sku",
    "ti_name",
    "ti_category",
    "ti_price",
    "ti_quantity",
    "pp_xoffset_min",
    "pp_xoffset_max",
    "pp_yoffset_min",
    "pp_yoffset_max",
    "useragent",
    "br_name",
    "br_family",
    "br_version",
    "br_type",
    "br_renderengine",
    "br_lang",
    "br_features_pdf",
    "br_features_flash",
    "br_features_java",
    "br_features_director",
    "br_features_quicktime",
    "br_features_realplayer",
    "br_features_windowsmedia",
    "br_features_gears",
    "br_features_silverlight",
    "br_cookies",
    "br_colordepth",
    "br_viewwidth",
    "br_viewheight",
    "os_name",
    "os_family",
    "os_manufacturer",
    "os_timezone",
    "dvce_type",
    "dvce_ismobile",
    "dvce_screenwidth",
    "dvce_screenheight",
    "doc_charset",
    "doc_width",
    "doc_height",
    "tr_currency",
    "tr_total_base",
    "tr_tax_base",
    "tr_shipping_base",
    "ti_currency",
    "ti_price_base",
    "base_currency",
    "geo_timezone",
    "mkt_clickid",
    "mkt_network",
    "etl_tags",
    "dvce_sent_tstamp",
    "refr_domain_userid",
    "refr_dvce_tstamp",
    "derived_contexts",
    "domain_sessionid",
    "derived_tstamp",
    "event_vendor",
    "event_name",
    "event_format",
    "event_version",
    "event_fingerprint",
    "true_tstamp",
];

/// Schema URI used when encoding the `contexts` / `derived_contexts` fields.
pub const CONTEXTS_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0";
/// Schema URI used when encoding the `unstruct_event` field.
pub const UNSTRUCT_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/unstruct_event/jsonschema/1-0-0";

fn index(name: &str) -> Option<usize> {
    FIELDS.iter().position(|f| *f == name)
}

/// An enriched event: every atomic field, `null` when empty; serializes as an ordered JSON object.
#[derive(Debug, Clone, PartialEq)]
pub struct AtomicEvent {
    values: Vec<Value>,
}

impl Default for AtomicEvent {
    fn default() -> Self {
        let mut values = vec![Value::Null; FIELDS.len()];
        // The SDK encodes empty context lists as `{}`.
        for name in ["contexts", "derived_contexts"] {
            if let Some(slot) = index(name).and_then(|i| values.get_mut(i)) {
                *slot = Value::Object(Map::new());
            }
        }
        AtomicEvent { values }
    }
}

impl AtomicEvent {
    /// The value of an atomic field (`None` for unknown names).
    pub fn get(&self, name: &str) -> Option<&Value> {
        index(name).and_then(|i| self.values.get(i))
    }

    /// The value of a string field.
    pub fn str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// Sets an atomic field; unknown names are ignored.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        if let Some(slot) = index(name).and_then(|i| self.values.get_mut(i)) {
            *slot = value.into();
        }
    }

    /// Sets a string field when `value` is present.
    pub fn set_opt(&mut self, name: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.set(name, v);
        }
    }

    /// Iterates over `(field, value)` in atomic order.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        FIELDS.iter().copied().zip(self.values.iter())
    }

    /// The entities in `contexts` (each `{"schema", "data"}`).
    pub fn context_entities(&self) -> &[Value] {
        self.get("contexts")
            .and_then(|c| c.get("data"))
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// As a JSON object.
    pub fn to_value(&self) -> Value {
        Value::Object(self.iter().map(|(k, v)| (k.to_owned(), v.clone())).collect())
    }

    /// The scalar fields only (no `contexts`, `unstruct_event`, `derived_contexts`), as validated
    /// against `iglu:com.snowplowanalytics.snowplow/atomic/jsonschema/1-0-0`.
    pub fn scalar_fields(&self) -> Value {
        Value::Object(
            self.iter()
                .filter(|(k, _)| !matches!(*k, "contexts" | "unstruct_event" | "derived_contexts"))
                .map(|(k, v)| (k.to_owned(), v.clone()))
                .collect(),
        )
    }
}

impl Serialize for AtomicEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(FIELDS.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn field_list_matches_the_atomic_schema() {
        let reg = crate::iglu::Registry::embedded();
        let schema = reg.schema("iglu:com.snowplowanalytics.snowplow/atomic/jsonschema/1-0-0").unwrap();
        let props = schema["properties"].as_object().unwrap();
        let mut ours: Vec<&str> = FIELDS
            .iter()
            .copied()
            .filter(|f| !matches!(*f, "contexts" | "unstruct_event" | "derived_contexts"))
            .collect();
        let mut theirs: Vec<&str> = props.keys().map(String::as_str).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn serializes_in_order_with_nulls() {
        let mut e = AtomicEvent::default();
        e.set("event_id", "x");
        let s = serde_json::to_string(&e).unwrap();
        assert!(s.starts_with("{\"app_id\":null,\"platform\":null,"));
        assert!(s.contains("\"contexts\":{}"));
        assert!(s.contains("\"unstruct_event\":null"));
        assert!(s.ends_with("\"true_tstamp\":null}"));
        assert_eq!(e.to_value().as_object().unwrap().len(), 131);
    }
}
