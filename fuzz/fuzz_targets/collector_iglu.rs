//! Iglu schema URIs and self-describing JSON from events: `SchemaKey::parse`,
//! `split_self_describing` and the embedded registry's `check_self_describing` (JSON Schema
//! validation of arbitrary data) must never panic. A parsed key must print as `iglu:` + its path
//! and parse back to itself; the input (as JSON) splits into the key its `schema` parses to and
//! its `data`; the registry only accepts data of a schema it knows.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use snowtrack_collector::Registry;
use snowtrack_collector::iglu::{SchemaKey, split_self_describing};

static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::embedded);

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(key) = SchemaKey::parse(&text) {
        let printed = key.to_string();
        assert_eq!(printed, format!("iglu:{}", key.path()));
        assert_eq!(SchemaKey::parse(&printed).as_ref(), Some(&key), "{text:?}");
        assert_eq!(SchemaKey::parse(&key.path()).as_ref(), Some(&key), "{text:?}");
        assert!(printed.ends_with(&key.version_string()));
    }

    let Ok(json) = serde_json::from_str::<Value>(&text) else { return };
    match split_self_describing(&json) {
        Ok((key, inner)) => {
            let schema = json["schema"].as_str().expect("a string schema");
            assert_eq!(SchemaKey::parse(schema).as_ref(), Some(&key));
            assert_eq!(Some(inner), json.get("data"));
            match REGISTRY.check_self_describing(&json) {
                Ok(checked) => {
                    assert_eq!(checked, key);
                    assert!(REGISTRY.contains(&key), "{key}");
                }
                Err(violations) => assert!(!violations.is_empty()),
            }
        }
        Err(violations) => {
            assert!(!violations.is_empty());
            assert!(REGISTRY.check_self_describing(&json).is_err());
        }
    }
});
