//! `_sp_id` values as stored by any tracker or tampered with: `IdCookie::parse` (and through it
//! `parse_int`, `is_uuid`, `is_domain_user_id`) must never panic, and whatever it accepts must
//! write back to a 10-field value that reads back the same, with a valid `client_session` JSON.
//! (`_sp_ses` has no parser: only its presence counts; see the `document_cookie` target.)
#![no_main]

use libfuzzer_sys::fuzz_target;
use snowtrack::engine::id_cookie::{IdCookie, StorageMechanism, is_domain_user_id, is_uuid, parse_int};

const NEW_ID: &str = "00000000-0000-4000-8000-000000000000";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for now_ms in [0, 1_700_000_000_000, -1, i64::MAX, i64::MIN] {
        let Some(cookie) = IdCookie::parse(&text, now_ms, || NEW_ID.to_owned()) else { continue };
        assert!(is_domain_user_id(&cookie.domain_user_id), "{cookie:?}");
        assert!(is_uuid(&cookie.session_id), "{cookie:?}");
        assert!(cookie.event_index >= 0, "{cookie:?}");
        let wire = cookie.serialize();
        assert_eq!(wire.split('.').count(), 10, "{wire}");
        let again = IdCookie::parse(&wire, now_ms, || panic!("the session id is stored"));
        assert_eq!(again.as_ref(), Some(&cookie), "{wire}");
        for storage in [StorageMechanism::Cookie, StorageMechanism::LocalStorage] {
            let json = cookie.client_session_json(storage);
            let entity: serde_json::Value = serde_json::from_str(&json).expect("client_session is JSON");
            assert_eq!(entity["userId"], cookie.domain_user_id.as_str(), "{json}");
        }
        // What the tracker does next with a stored cookie never panics either.
        let mut next = cookie.clone();
        next.record_event(now_ms, NEW_ID, now_ms);
        next.start_session(NEW_ID.to_owned());
        next.record_event(now_ms, NEW_ID, now_ms);
        assert_eq!(next.serialize().split('.').count(), 10);
    }
    for field in text.split('.') {
        let _ = parse_int(field);
    }
});
