//! Typed events and entities, validated once at the edge.

use crate::engine::util::text::concat;
#[allow(unused_imports)]
use crate::prelude::*;

pub use crate::engine::activity::Extents;
pub use crate::engine::engagement::{ListItemView, ScrollChanged};
use crate::engine::util::json::{self, RawJson};
use crate::error::{Error, Result};

/// An Iglu schema URI: `iglu:vendor/name/jsonschema/MODEL-REVISION-ADDITION`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRef(String);

impl SchemaRef {
    /// Parses and checks `uri`, naming `field` in the error.
    ///
    /// # Errors
    /// [`Error::Event`] when `uri` is not `iglu:vendor/name/jsonschema/M-R-A`.
    pub fn parse(field: &str, uri: &str) -> Result<Self> {
        if Self::is_valid(uri) { Ok(SchemaRef(uri.to_owned())) } else { Err(Self::error(field, uri)) }
    }

    fn error(field: &str, uri: &str) -> Error {
        Error::event(
            field,
            concat(&["must be an Iglu URI iglu:vendor/name/jsonschema/M-R-A (got \"", uri, "\")"]),
        )
    }

    /// Whether `uri` is `iglu:vendor/name/jsonschema/M-R-A` (SchemaVer, model from 1).
    fn is_valid(uri: &str) -> bool {
        let ident = |s: &str, extra: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(&b) || extra.as_bytes().contains(&b))
        };
        let number = |n: &str| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit());
        let Some(path) = uri.strip_prefix("iglu:") else { return false };
        let mut parts = path.split('/');
        let (Some(vendor), Some(name), Some(format), Some(version), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return false;
        };
        let mut numbers = version.split('-');
        let (Some(model), Some(revision), Some(addition), None) =
            (numbers.next(), numbers.next(), numbers.next(), numbers.next())
        else {
            return false;
        };
        ident(vendor, ".")
            && ident(name, "")
            && format == "jsonschema"
            && number(model)
            && model != "0"
            && number(revision)
            && number(addition)
    }

    /// The URI.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A self-describing JSON: an event body or an entity (context).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelfDescribingJson {
    /// Its schema.
    pub schema: SchemaRef,
    /// Its data, a JSON object.
    pub data: RawJson,
}

impl SelfDescribingJson {
    /// Checks `schema` and `data` (JSON text of an object); `field` prefixes the error's field name.
    ///
    /// # Errors
    /// [`Error::Event`] for a bad schema URI or non-object data.
    pub fn new(field: &str, schema: &str, data: impl Into<String>) -> Result<Self> {
        // Field names are only formatted on error: this runs for every event and entity.
        if !SchemaRef::is_valid(schema) {
            return Err(SchemaRef::error(&concat(&[field, ".schema"]), schema));
        }
        let data = data.into();
        if !RawJson::is_object(&data) {
            return Err(Error::event(concat(&[field, ".data"]), "must be an object"));
        }
        Ok(SelfDescribingJson { schema: SchemaRef(schema.to_owned()), data: RawJson(data) })
    }

    /// `{"schema":...,"data":...}` text.
    pub fn to_json(&self) -> String {
        json::self_describing(self.schema.as_str(), self.data.as_str())
    }
}

/// A screen view, as the mobile trackers send it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScreenView {
    /// Screen name (required).
    pub name: String,
    /// Screen view id; generated when absent.
    pub id: Option<String>,
    /// Screen type, e.g. `feed`.
    pub screen_type: Option<String>,
    /// How the user got here, e.g. `push`.
    pub transition_type: Option<String>,
    /// The previous screen's name; filled from the current screen when neither it nor
    /// [`ScreenView::previous_id`] is given.
    pub previous_name: Option<String>,
    /// The previous screen view's id.
    pub previous_id: Option<String>,
    /// The previous screen's type.
    pub previous_type: Option<String>,
}

/// A structured event (`se`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StructEvent {
    /// `se_ca` (required).
    pub category: String,
    /// `se_ac` (required).
    pub action: String,
    /// `se_la`.
    pub label: Option<String>,
    /// `se_pr`.
    pub property: Option<String>,
    /// `se_va`: a finite number as JavaScript's `String(value)` writes it (the web layer formats
    /// it with the browser, which keeps float formatting code out of the wasm module).
    pub value: Option<String>,
}

/// One event to track.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A page view (`pv`), with an optional title overriding `document.title`.
    PageView {
        /// `page`.
        title: Option<String>,
    },
    /// A mobile-model screen view (self-describing `screen_view` 1-0-0).
    ScreenView(ScreenView),
    /// A self-describing event (`ue`).
    SelfDescribing(SelfDescribingJson),
    /// A structured event (`se`).
    Struct(StructEvent),
    /// A list item seen (`list_item_view`): folded into the screen summary while screen
    /// engagement is on, else sent as its own event.
    ListItemView(ListItemView),
    /// A scroll position (`scroll_changed`): as [`Event::ListItemView`].
    ScrollChanged(ScrollChanged),
    /// A page ping (`pp`) with the scroll extents since the last one (activity tracking).
    PagePing(Extents),
}

/// Schema of the link click event.
pub const LINK_CLICK_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/link_click/jsonschema/1-0-1";

impl Event {
    /// Checks the fields the protocol requires.
    ///
    /// # Errors
    /// [`Error::Event`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        match self {
            Event::ScreenView(sv) => {
                if sv.name.is_empty() {
                    return Err(Error::event("name", "must be a non-empty string"));
                }
                if let Some(id) = &sv.id {
                    if !crate::engine::id_cookie::is_uuid(id) {
                        return Err(Error::event("id", "must be a UUID"));
                    }
                }
            }
            Event::Struct(se) => {
                if se.category.is_empty() {
                    return Err(Error::event("category", "must be a non-empty string"));
                }
                if se.action.is_empty() {
                    return Err(Error::event("action", "must be a non-empty string"));
                }
                if se.value.as_deref().is_some_and(|v| !is_number_text(v)) {
                    return Err(Error::event("value", "must be a finite number"));
                }
            }
            Event::ListItemView(item) => {
                if item.index > 65_535 {
                    return Err(Error::event("index", "must be a whole number from 0 to 65535"));
                }
                if item.items_count.is_some_and(|c| c > 65_535) {
                    return Err(Error::event("itemsCount", "must be a whole number from 0 to 65535"));
                }
            }
            Event::PageView { .. }
            | Event::SelfDescribing(_)
            | Event::ScrollChanged(_)
            | Event::PagePing(_) => {}
        }
        Ok(())
    }
}

/// True for the text of a finite JavaScript number (`12`, `-0.5`, `1e+21`), checked without
/// parsing floats.
fn is_number_text(text: &str) -> bool {
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    digits > 0 && text.bytes().all(|b| b.is_ascii_digit() || b".-+e".contains(&b)) && text.len() < 32
}

/// Schema of the `gdpr` entity.
pub const GDPR_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/gdpr/jsonschema/1-0-0";
/// Schema of the timing event.
pub const TIMING_SCHEMA: &str = "iglu:com.snowplowanalytics.snowplow/timing/jsonschema/1-0-0";
/// Schema of the consent granted event.
pub const CONSENT_GRANTED_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/consent_granted/jsonschema/1-0-0";
/// Schema of the consent withdrawn event.
pub const CONSENT_WITHDRAWN_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/consent_withdrawn/jsonschema/1-0-0";
/// Schema of the consent document entity.
pub const CONSENT_DOCUMENT_SCHEMA: &str =
    "iglu:com.snowplowanalytics.snowplow/consent_document/jsonschema/1-0-0";

/// The GDPR basis for processing (`gdpr` entity, `enableGdprContext`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gdpr {
    /// `basisForProcessing`: one of [`Gdpr::BASES`].
    pub basis: String,
    /// `documentId`.
    pub document_id: Option<String>,
    /// `documentVersion`.
    pub document_version: Option<String>,
    /// `documentDescription`.
    pub document_description: Option<String>,
}

impl Gdpr {
    /// The bases the schema allows.
    pub const BASES: [&str; 6] =
        ["consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"];

    /// Checks the basis.
    ///
    /// # Errors
    /// [`Error::Event`] naming `basisForProcessing`.
    pub fn validate(&self) -> Result<()> {
        if Self::BASES.contains(&self.basis.as_str()) {
            Ok(())
        } else {
            Err(Error::event(
                "basisForProcessing",
                "must be one of 'consent', 'contract', 'legal_obligation', 'vital_interests', 'public_task', 'legitimate_interests'",
            ))
        }
    }

    /// The `gdpr` entity (absent documents as `null`, as the JS tracker sends them).
    pub fn entity(&self) -> String {
        let mut w = json::ObjectWriter::new();
        w.string("basisForProcessing", &self.basis)
            .opt_string("documentId", self.document_id.as_deref())
            .opt_string("documentVersion", self.document_version.as_deref())
            .opt_string("documentDescription", self.document_description.as_deref());
        json::self_describing(GDPR_SCHEMA, &w.finish())
    }
}

/// When an event happened, if not now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timestamp {
    /// Device-created time (`dtm`), epoch ms: what a plain number means in the JS tracker.
    Device(i64),
    /// True time (`ttm`), epoch ms, for events whose real time the caller knows.
    True(i64),
}

/// Per-call options every `track*` method accepts.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrackOptions {
    /// Custom entities (`context`), attached before the tracker's own.
    pub context: Vec<SelfDescribingJson>,
    /// An explicit timestamp.
    pub timestamp: Option<Timestamp>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_uris() {
        for good in [
            "iglu:com.acme/button_click/jsonschema/1-0-0",
            "iglu:com.snowplowanalytics.mobile/screen_view/jsonschema/1-0-0",
            "iglu:com.acme-x/a_b-c/jsonschema/12-3-45",
        ] {
            SchemaRef::parse("event.schema", good).unwrap();
        }
        for bad in [
            "",
            "com.acme/x/jsonschema/1-0-0",
            "iglu:com.acme/x/jsonschema/1-0",
            "iglu:com.acme/x/avro/1-0-0",
            "iglu:com.acme/x/jsonschema/0-0-0",
            "iglu:com.acme//jsonschema/1-0-0",
            "iglu:com.acme/x/jsonschema/1-0-0/extra",
            "iglu:com.a cme/x/jsonschema/1-0-0",
        ] {
            let err = SchemaRef::parse("event.schema", bad).unwrap_err().to_string();
            assert!(err.contains("event.schema"), "{bad}: {err}");
        }
    }

    #[test]
    fn self_describing_requires_object_data() {
        let sdj = SelfDescribingJson::new("event", "iglu:com.acme/x/jsonschema/1-0-0", r#"{"a":1}"#).unwrap();
        assert_eq!(sdj.to_json(), r#"{"schema":"iglu:com.acme/x/jsonschema/1-0-0","data":{"a":1}}"#);
        let err = SelfDescribingJson::new("context[2]", "iglu:com.acme/x/jsonschema/1-0-0", "3").unwrap_err();
        assert!(err.to_string().contains("context[2].data"));
    }

    #[test]
    fn event_field_checks() {
        let se = |category: &str, value| {
            Event::Struct(StructEvent {
                category: category.into(),
                action: "a".into(),
                value,
                ..Default::default()
            })
        };
        assert!(se("c", Some("1.5".into())).validate().is_ok());
        assert!(se("", None).validate().unwrap_err().to_string().contains("category"));
        assert!(se("c", Some("NaN".into())).validate().unwrap_err().to_string().contains("value"));
        assert!(se("c", Some("Infinity".into())).validate().is_err());
        let sv = Event::ScreenView(ScreenView { name: String::new(), ..Default::default() });
        assert!(sv.validate().unwrap_err().to_string().contains("name"));
        let sv = Event::ScreenView(ScreenView {
            name: "home".into(),
            id: Some("nope".into()),
            ..Default::default()
        });
        assert!(sv.validate().unwrap_err().to_string().contains("id"));
    }
}
