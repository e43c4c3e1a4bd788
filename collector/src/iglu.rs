//! Iglu schema registry: schemas keyed by `vendor/name/format/M-R-A`, compiled once as draft-04
//! JSON Schema validators. Nothing is ever fetched over the network.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use serde_json::Value;

use crate::violation::{Violation, ViolationKind};

include!(concat!(env!("OUT_DIR"), "/embedded_schemas.rs"));

/// A parsed Iglu schema key (`iglu:vendor/name/format/model-revision-addition`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SchemaKey {
    /// Vendor, e.g. `com.snowplowanalytics.snowplow`.
    pub vendor: String,
    /// Schema name, e.g. `client_session`.
    pub name: String,
    /// Format, normally `jsonschema`.
    pub format: String,
    /// SchemaVer `(model, revision, addition)`.
    pub version: (u32, u32, u32),
}

fn valid_segment(s: &str, allow_dot: bool) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || (allow_dot && c == '.'))
}

impl SchemaKey {
    /// Parses `iglu:vendor/name/format/M-R-A` (the `iglu:` prefix is optional).
    pub fn parse(uri: &str) -> Option<SchemaKey> {
        let path = uri.strip_prefix("iglu:").unwrap_or(uri);
        let mut parts = path.split('/');
        let (vendor, name, format, version) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some()
            || !valid_segment(vendor, true)
            || !valid_segment(name, false)
            || !valid_segment(format, false)
        {
            return None;
        }
        let mut nums = version.split('-').map(|n| {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) { None } else { n.parse::<u32>().ok() }
        });
        let v = (nums.next()??, nums.next()??, nums.next()??);
        if nums.next().is_some() {
            return None;
        }
        Some(SchemaKey {
            vendor: vendor.to_owned(),
            name: name.to_owned(),
            format: format.to_owned(),
            version: v,
        })
    }

    /// The `vendor/name/format/M-R-A` path (no `iglu:` prefix).
    pub fn path(&self) -> String {
        let (m, r, a) = self.version;
        format!("{}/{}/{}/{m}-{r}-{a}", self.vendor, self.name, self.format)
    }

    /// The `M-R-A` version string.
    pub fn version_string(&self) -> String {
        let (m, r, a) = self.version;
        format!("{m}-{r}-{a}")
    }

    /// True for `iglu:com.snowplowanalytics.snowplow/<name>/jsonschema/<model>-*-*`.
    pub fn is_snowplow(&self, name: &str, model: u32) -> bool {
        self.vendor == "com.snowplowanalytics.snowplow"
            && self.name == name
            && self.format == "jsonschema"
            && self.version.0 == model
    }
}

impl fmt::Display for SchemaKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "iglu:{}", self.path())
    }
}

struct Entry {
    json: Value,
    validator: Result<jsonschema::Validator, String>,
}

/// An Iglu registry: the vendored Snowplow schemas plus any directories added with [`Registry::add_dir`].
pub struct Registry {
    entries: HashMap<String, Entry>,
    sources: Vec<String>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("schemas", &self.entries.len())
            .field("sources", &self.sources)
            .finish()
    }
}

/// True for a UUID in its hyphenated form (`8-4-4-4-12` hex digits, any case), the form JSON
/// Schema's `uuid` format and the tracker protocol's `eid`/`sid` use.
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::try_parse(s).is_ok()
}

fn compile(schema: &Value) -> Result<jsonschema::Validator, String> {
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .with_format("uuid", is_uuid)
        .build(schema)
        .map_err(|e| format!("invalid JSON Schema: {e}"))
}

impl Registry {
    /// An empty registry.
    pub fn empty() -> Registry {
        Registry { entries: HashMap::new(), sources: Vec::new() }
    }

    /// The registry of Iglu schemas vendored into the binary at build time.
    pub fn embedded() -> Registry {
        let mut reg = Registry::empty();
        for (path, text) in EMBEDDED_SCHEMAS {
            // Vendored schemas are checked by the unit tests; a broken one is simply not served.
            if let Ok(json) = serde_json::from_str::<Value>(text) {
                reg.insert(path, json);
            }
        }
        reg.sources.push("Iglu Client Embedded".to_owned());
        reg
    }

    /// Adds (or overrides) a schema under `vendor/name/format/M-R-A`.
    pub fn insert(&mut self, path: &str, json: Value) {
        let validator = compile(&json);
        self.entries.insert(path.to_owned(), Entry { json, validator });
    }

    /// Adds every schema found in `dir` (iglu-central layout: `[schemas/]vendor/name/jsonschema/M-R-A`).
    /// Returns how many were added; schemas added later override earlier ones with the same key.
    pub fn add_dir(&mut self, dir: &Path) -> Result<usize, String> {
        let root = if dir.join("schemas").is_dir() { dir.join("schemas") } else { dir.to_path_buf() };
        if !root.is_dir() {
            return Err(format!("{}: not a directory", dir.display()));
        }
        let mut found = Vec::new();
        walk(&root, 0, &mut Vec::new(), &mut found)?;
        let mut count = 0;
        for (parts, file) in found {
            let uri = format!("iglu:{}", parts.join("/"));
            let Some(key) = SchemaKey::parse(&uri) else {
                continue;
            };
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let json: Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: invalid JSON: {e}", file.display()))?;
            if let Some(me) = json.get("self") {
                let declared = format!(
                    "{}/{}/{}/{}",
                    me.get("vendor").and_then(Value::as_str).unwrap_or_default(),
                    me.get("name").and_then(Value::as_str).unwrap_or_default(),
                    me.get("format").and_then(Value::as_str).unwrap_or_default(),
                    me.get("version").and_then(Value::as_str).unwrap_or_default()
                );
                if declared != key.path() {
                    return Err(format!("{}: `self` says {declared}", file.display()));
                }
            }
            if let Err(e) = compile(&json) {
                return Err(format!("{}: {e}", file.display()));
            }
            self.insert(&key.path(), json);
            count += 1;
        }
        self.sources.push(format!("Local ({})", dir.display()));
        Ok(count)
    }

    /// The schema for `iglu:vendor/name/format/M-R-A`, if known.
    pub fn schema(&self, uri: &str) -> Option<&Value> {
        let key = SchemaKey::parse(uri)?;
        self.entries.get(&key.path()).map(|e| &e.json)
    }

    /// True when the schema `key` is known.
    pub fn contains(&self, key: &SchemaKey) -> bool {
        self.entries.contains_key(&key.path())
    }

    /// Number of schemas known.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when no schema is known.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Names of the schema sources (for Micro-style lookup errors).
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Validates a self-describing JSON (`{"schema": "iglu:…", "data": …}`) against its schema.
    pub fn validate_self_describing(&self, sdj: &Value) -> Result<(), Vec<String>> {
        self.check_self_describing(sdj).map(|_| ()).map_err(|v| crate::violation::to_strings(&v))
    }

    /// Like [`Registry::validate_self_describing`] but returns structured violations and the key.
    pub fn check_self_describing(&self, sdj: &Value) -> Result<SchemaKey, Vec<Violation>> {
        let (key, data) = split_self_describing(sdj)?;
        self.check(&key, data)?;
        Ok(key)
    }

    /// Validates `data` against the schema `key`.
    pub fn check(&self, key: &SchemaKey, data: &Value) -> Result<(), Vec<Violation>> {
        let uri = key.to_string();
        let Some(entry) = self.entries.get(&key.path()) else {
            return Err(vec![
                Violation::new(ViolationKind::ResolutionError, "schema not found in the Iglu registry")
                    .with_schema(&uri),
            ]);
        };
        let validator = match &entry.validator {
            Ok(v) => v,
            Err(e) => {
                return Err(vec![
                    Violation::new(ViolationKind::ResolutionError, e.clone()).with_schema(&uri),
                ]);
            }
        };
        let errors: Vec<Violation> = validator
            .iter_errors(data)
            .map(|e| {
                let pointer = e.instance_path().to_string();
                let keyword = e
                    .schema_path()
                    .to_string()
                    .rsplit('/')
                    .next()
                    .map(str::to_owned)
                    .filter(|k| !k.is_empty());
                Violation {
                    kind: ViolationKind::ValidationError,
                    field: None,
                    schema: Some(uri.clone()),
                    path: Some(json_path(&pointer)),
                    keyword,
                    message: e.to_string(),
                }
            })
            .collect();
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}

/// Splits a self-describing JSON into its schema key and data.
pub fn split_self_describing(sdj: &Value) -> Result<(SchemaKey, &Value), Vec<Violation>> {
    let not_iglu = |m: &str| vec![Violation::new(ViolationKind::NotIglu, m)];
    let Some(obj) = sdj.as_object() else {
        return Err(not_iglu("not a self-describing JSON: not an object"));
    };
    let Some(schema) = obj.get("schema").and_then(Value::as_str) else {
        return Err(not_iglu("not a self-describing JSON: no string `schema` field"));
    };
    let Some(data) = obj.get("data") else {
        return Err(not_iglu("not a self-describing JSON: no `data` field"));
    };
    let Some(key) = SchemaKey::parse(schema) else {
        return Err(not_iglu(&format!("invalid Iglu schema URI {schema:?}")));
    };
    Ok((key, data))
}

/// JSON pointer `/a/0/b` → JSON path `$.a[0].b`.
fn json_path(pointer: &str) -> String {
    let mut out = String::from("$");
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str(&format!("[{seg}]"));
        } else {
            out.push('.');
            out.push_str(&seg);
        }
    }
    out
}

fn walk(
    dir: &Path,
    depth: usize,
    parts: &mut Vec<String>,
    found: &mut Vec<(Vec<String>, std::path::PathBuf)>,
) -> Result<(), String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<_> = rd.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = entry.path();
        parts.push(name);
        if path.is_dir() && depth < 3 {
            walk(&path, depth + 1, parts, found)?;
        } else if path.is_file() && depth == 3 {
            found.push((parts.clone(), path));
        }
        parts.pop();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use serde_json::json;

    #[test]
    fn uuids_in_hyphenated_form_only() {
        assert!(is_uuid("8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01"));
        assert!(is_uuid("8E5B8E37-0F2E-4A6B-9B51-1C6A0F0B8A01"));
        assert!(!is_uuid("8e5b8e370f2e4a6b9b511c6a0f0b8a01"), "simple form");
        assert!(!is_uuid("{8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a01}"), "braced form");
        assert!(!is_uuid("8e5b8e37-0f2e-4a6b-9b51-1c6a0f0b8a0g"));
        assert!(!is_uuid("8e5b8e37+0f2e-4a6b-9b51-1c6a0f0b8a01"));
    }

    #[test]
    fn parses_schema_keys() {
        let k = SchemaKey::parse("iglu:com.acme/my_event/jsonschema/1-0-12").unwrap();
        assert_eq!(k.vendor, "com.acme");
        assert_eq!(k.version, (1, 0, 12));
        assert_eq!(k.to_string(), "iglu:com.acme/my_event/jsonschema/1-0-12");
        for bad in [
            "iglu:com.acme/x/jsonschema/1-0",
            "iglu:a/b/c/1-0-x",
            "iglu:a/b/c/d/1-0-0",
            "",
            "iglu:/b/c/1-0-0",
        ] {
            assert!(SchemaKey::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn every_vendored_schema_is_embedded_and_compiles() {
        let reg = Registry::embedded();
        assert_eq!(reg.len(), EMBEDDED_SCHEMAS.len());
        assert!(reg.len() >= 30);
        for entry in reg.entries.values() {
            assert!(entry.validator.is_ok(), "{:?}", entry.validator.as_ref().err());
        }
        assert!(reg.schema("iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/1-0-4").is_some());
        assert!(reg.schema("iglu:com.snowplowanalytics.snowplow/payload_data/jsonschema/9-0-0").is_none());
    }

    #[test]
    fn validates_self_describing_json() {
        let reg = Registry::embedded();
        let ok = json!({"schema": "iglu:com.snowplowanalytics.snowplow/web_page/jsonschema/1-0-0",
                        "data": {"id": "4c5ff2a8-3b8e-4f5b-9c43-1d2f1c0c0b55"}});
        assert_eq!(reg.validate_self_describing(&ok), Ok(()));
        let bad = json!({"schema": "iglu:com.snowplowanalytics.snowplow/client_session/jsonschema/1-0-2",
                         "data": {"userId": "x", "sessionId": "nope", "sessionIndex": "1", "storageMechanism": "COOKIE_1"}});
        let errs = reg.validate_self_describing(&bad).unwrap_err();
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("$.sessionId") && e.contains("uuid")), "{errs:?}");
        let unknown = json!({"schema": "iglu:com.acme/nope/jsonschema/1-0-0", "data": {}});
        assert!(reg.validate_self_describing(&unknown).unwrap_err()[0].contains("not found"));
        assert!(reg.validate_self_describing(&json!({"data": {}})).is_err());
    }

    #[test]
    fn json_paths() {
        assert_eq!(json_path(""), "$");
        assert_eq!(json_path("/data/0/a~1b"), "$.data[0].a/b");
    }

    #[test]
    fn adds_directories() {
        let dir = std::env::temp_dir().join(format!("snowtrack-iglu-unit-{}", std::process::id()));
        let p = dir.join("com.acme/thing/jsonschema");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(
            p.join("1-0-0"),
            json!({"self": {"vendor": "com.acme", "name": "thing", "format": "jsonschema", "version": "1-0-0"},
                   "type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]})
            .to_string(),
        )
        .unwrap();
        let mut reg = Registry::embedded();
        assert_eq!(reg.add_dir(&dir), Ok(1));
        let uri = "iglu:com.acme/thing/jsonschema/1-0-0";
        assert!(reg.schema(uri).is_some());
        assert!(reg.validate_self_describing(&json!({"schema": uri, "data": {"n": 1}})).is_ok());
        assert!(reg.validate_self_describing(&json!({"schema": uri, "data": {"n": "1"}})).is_err());
        std::fs::write(p.join("1-0-1"), "{not json").unwrap();
        assert!(reg.add_dir(&dir).is_err());
        assert!(reg.add_dir(&dir.join("missing")).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
