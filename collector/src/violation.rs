//! Validation failures, in a form that can be shown to people and turned into Snowplow bad rows.

use std::fmt;

/// What kind of rule an event broke (mirrors the failure kinds in Snowplow bad rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationKind {
    /// The collector payload itself is unusable (wrong content type, not a payload_data envelope, …).
    Envelope,
    /// A tracker-protocol field is missing or has an invalid value.
    Field,
    /// A field that should hold JSON does not parse (or is not valid base64).
    NotJson,
    /// A JSON value is not self-describing (`{"schema": "iglu:…", "data": …}`) or has the wrong schema.
    NotIglu,
    /// The schema could not be found in the registry.
    ResolutionError,
    /// The data does not validate against its schema.
    ValidationError,
}

impl ViolationKind {
    /// Short name used in messages and bad rows.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Envelope => "Envelope",
            Self::Field => "InvalidField",
            Self::NotJson => "NotJSON",
            Self::NotIglu => "NotIglu",
            Self::ResolutionError => "ResolutionError",
            Self::ValidationError => "ValidationError",
        }
    }
}

/// One reason an event (or a whole payload) is bad.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    /// The kind of failure.
    pub kind: ViolationKind,
    /// The tracker-protocol parameter concerned (`eid`, `ue_pr`, `cx`, …), if any.
    pub field: Option<String>,
    /// The Iglu schema URI concerned, if any.
    pub schema: Option<String>,
    /// JSON path inside the data (`$.sessionId`), for schema validation errors.
    pub path: Option<String>,
    /// Failing JSON Schema keyword (`type`, `format`, `required`, …), for schema validation errors.
    pub keyword: Option<String>,
    /// Human-readable explanation.
    pub message: String,
}

impl Violation {
    /// A violation with only a kind and a message.
    pub fn new(kind: ViolationKind, message: impl Into<String>) -> Self {
        Self { kind, field: None, schema: None, path: None, keyword: None, message: message.into() }
    }

    /// An invalid or missing tracker-protocol parameter.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::new(ViolationKind::Field, message).with_field(field)
    }

    /// Sets the tracker-protocol parameter concerned.
    pub fn with_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }

    /// Sets the schema concerned.
    pub fn with_schema(mut self, schema: &str) -> Self {
        self.schema = Some(schema.to_owned());
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(field) = &self.field {
            write!(f, "{field}: ")?;
        }
        if let Some(schema) = &self.schema {
            write!(f, "{schema}: ")?;
        }
        if let Some(path) = &self.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Renders violations as human-readable strings.
pub fn to_strings(violations: &[Violation]) -> Vec<String> {
    violations.iter().map(ToString::to_string).collect()
}
