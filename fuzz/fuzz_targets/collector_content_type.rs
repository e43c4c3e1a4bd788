//! `Content-Type` headers of tp2 POSTs: `adapter::content_type_ok` and `content_type_violation`
//! must never panic; the answer must not depend on ASCII case, an accepted type must be
//! `application/json` before its first `;`, and adding an empty parameter or `charset=utf-8` to
//! an accepted type must keep it accepted (what Snowplow's Tp2 adapter takes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use snowtrack_collector::adapter::{content_type_ok, content_type_violation};

fuzz_target!(|data: &[u8]| {
    let ct = String::from_utf8_lossy(data);
    let ok = content_type_ok(Some(&ct));
    assert_eq!(content_type_ok(Some(&ct.to_ascii_uppercase())), ok, "{ct:?}");
    assert_eq!(content_type_ok(Some(&ct.to_ascii_lowercase())), ok, "{ct:?}");
    if ok {
        let media = ct.split(';').next().unwrap_or_default().trim();
        assert!(media.eq_ignore_ascii_case("application/json"), "{ct:?}");
        assert!(content_type_ok(Some(&format!("{ct};"))), "{ct:?}");
        assert!(content_type_ok(Some(&format!("{ct}; charset=utf-8"))), "{ct:?}");
    } else {
        let violation = content_type_violation(Some(&ct));
        assert!(violation.to_string().contains(&format!("{ct:?}")));
    }
    assert!(!content_type_ok(None));
});
