//! Session rules: when a session starts, continues or times out, with foreground and
//! background inactivity timeouts (the mobile data model's two timeouts, on the web).
//!
//! The tracker keeps an in-memory mirror of the `_sp_id` state. When storage yields a usable
//! id cookie, that cookie wins (so tabs share one session) and the session cookie's presence
//! decides whether the session goes on. When storage yields nothing (strategy `none`, cookies
//! blocked, localStorage throwing) the mirror goes on alone, with an in-memory sliding timeout.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::id_cookie::IdCookie;

/// What storage held when an event (or the tracker's start) read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState {
    /// The parsed `_sp_id`, if there was a usable one.
    pub id_cookie: Option<IdCookie>,
    /// Whether `_sp_ses` was present (not expired).
    pub session_alive: bool,
}

/// The session state machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    state: IdCookie,
    last_activity_ms: i64,
    hidden: bool,
    foreground_timeout_ms: i64,
    background_timeout_ms: i64,
}

impl Session {
    /// Starts the tracker's session state from storage; returns it and whether a new session began.
    /// `new_id` supplies UUIDs (domain user id, session id).
    pub fn start(
        stored: StoredState,
        now_ms: i64,
        timeouts_s: (i64, i64),
        mut new_id: impl FnMut() -> String,
    ) -> (Self, bool) {
        let (state, started) = match stored.id_cookie {
            Some(cookie) if stored.session_alive => (cookie, false),
            Some(mut cookie) => {
                cookie.start_session(new_id());
                (cookie, true)
            }
            None => {
                let duid = new_id();
                (IdCookie::fresh(duid, new_id(), now_ms), true)
            }
        };
        let session = Session {
            state,
            last_activity_ms: now_ms,
            hidden: false,
            foreground_timeout_ms: timeouts_s.0.saturating_mul(1000),
            background_timeout_ms: timeouts_s.1.saturating_mul(1000),
        };
        (session, started)
    }

    /// Applies the session rules before an event; returns whether a new session began.
    pub fn before_event(
        &mut self,
        stored: StoredState,
        now_ms: i64,
        new_id: impl FnOnce() -> String,
    ) -> bool {
        let expired = match stored.id_cookie {
            Some(cookie) => {
                self.state = cookie;
                !stored.session_alive
            }
            None => now_ms.saturating_sub(self.last_activity_ms) > self.timeout_ms(),
        };
        if expired {
            self.state.start_session(new_id());
        }
        expired
    }

    /// Records an event; call after [`Session::before_event`].
    pub fn record_event(&mut self, now_ms: i64, event_id: &str, event_ts_ms: i64) {
        self.state.record_event(now_ms, event_id, event_ts_ms);
        self.last_activity_ms = now_ms;
    }

    /// Forces a new session (`newSession()`), continuing from `stored` when storage had a cookie.
    pub fn force_new(&mut self, stored: StoredState, now_ms: i64, new_id: impl FnOnce() -> String) {
        if let Some(cookie) = stored.id_cookie {
            self.state = cookie;
        }
        self.state.start_session(new_id());
        self.state.now_s = crate::engine::id_cookie::seconds(now_ms);
        self.last_activity_ms = now_ms;
    }

    /// Notes a page visibility change. Returns true when the session cookie should be rewritten
    /// with the new [`Session::timeout_s`] (only when the two timeouts differ, so with equal
    /// timeouts the behaviour is exactly the JS tracker's).
    pub fn set_hidden(&mut self, hidden: bool, now_ms: i64) -> bool {
        if hidden == self.hidden {
            return false;
        }
        let expired = now_ms.saturating_sub(self.last_activity_ms) > self.timeout_ms();
        self.hidden = hidden;
        if self.foreground_timeout_ms == self.background_timeout_ms || expired {
            return false;
        }
        self.last_activity_ms = now_ms;
        true
    }

    /// The inactivity timeout in force: background while hidden, foreground otherwise.
    pub fn timeout_ms(&self) -> i64 {
        if self.hidden { self.background_timeout_ms } else { self.foreground_timeout_ms }
    }

    /// [`Session::timeout_ms`] in seconds, the session cookie's lifetime.
    pub fn timeout_s(&self) -> i64 {
        self.timeout_ms() / 1000
    }

    /// Sets the domain user id: a fresh or stored one when tracking stops being anonymous, the
    /// empty one (no user) when it starts, which also forgets the previous session.
    pub fn set_user(&mut self, domain_user_id: String) {
        if domain_user_id.is_empty() {
            self.state.previous_session_id.clear();
        }
        self.state.domain_user_id = domain_user_id;
    }

    /// Starts over (`clearUserData`): session index 1 with a new session id, unless the session
    /// is kept.
    pub fn reset(&mut self, now_ms: i64, new_session_id: Option<String>) {
        if let Some(session_id) = new_session_id {
            let user = core::mem::take(&mut self.state.domain_user_id);
            self.state = IdCookie::fresh(user, session_id, now_ms);
        }
        self.last_activity_ms = now_ms;
    }

    /// The current identity and session state.
    pub fn state(&self) -> &IdCookie {
        &self.state
    }

    /// Whether the page is hidden.
    pub fn hidden(&self) -> bool {
        self.hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Ids(u32);
    impl Ids {
        fn next(&mut self) -> String {
            self.0 += 1;
            format!("00000000-0000-4000-8000-{:012}", self.0)
        }
    }

    fn alive(cookie: &IdCookie) -> StoredState {
        StoredState { id_cookie: Some(cookie.clone()), session_alive: true }
    }

    fn expired(cookie: &IdCookie) -> StoredState {
        StoredState { id_cookie: Some(cookie.clone()), session_alive: false }
    }

    const NOTHING: StoredState = StoredState { id_cookie: None, session_alive: false };

    #[test]
    fn first_visit_starts_session_one() {
        let mut ids = Ids(0);
        let (s, started) = Session::start(NOTHING, 1_000_000, (1800, 1800), || ids.next());
        assert!(started);
        assert_eq!(s.state().visit_count, 1);
        assert_eq!(s.state().domain_user_id, "00000000-0000-4000-8000-000000000001");
        assert_eq!(s.state().session_id, "00000000-0000-4000-8000-000000000002");
        assert_eq!(s.state().previous_session_id, "");
    }

    #[test]
    fn stored_cookie_without_session_cookie_starts_the_next_session() {
        let mut ids = Ids(0);
        let (first, _) = Session::start(NOTHING, 0, (1800, 1800), || ids.next());
        let (s, started) = Session::start(expired(first.state()), 5000, (1800, 1800), || ids.next());
        assert!(started);
        assert_eq!(s.state().visit_count, 2);
        assert_eq!(s.state().previous_session_id, first.state().session_id);
        assert_eq!(s.state().domain_user_id, first.state().domain_user_id);
        let (same, started) = Session::start(alive(s.state()), 6000, (1800, 1800), || ids.next());
        assert!(!started);
        assert_eq!(same.state(), s.state());
    }

    #[test]
    fn events_count_and_session_cookie_expiry_rotates() {
        let mut ids = Ids(0);
        let (mut s, _) = Session::start(NOTHING, 0, (1, 1), || ids.next());
        assert!(!s.before_event(alive(&s.state().clone()), 10, || ids.next()));
        s.record_event(10, "e1", 10);
        assert!(!s.before_event(alive(&s.state().clone()), 20, || ids.next()));
        s.record_event(20, "e2", 20);
        assert_eq!((s.state().event_index, s.state().first_event_id.as_str()), (2, "e1"));
        let before = s.state().session_id.clone();
        assert!(s.before_event(expired(&s.state().clone()), 1200, || ids.next()));
        s.record_event(1200, "e3", 1200);
        assert_eq!(s.state().visit_count, 2);
        assert_eq!(s.state().previous_session_id, before);
        assert_eq!((s.state().event_index, s.state().first_event_id.as_str()), (1, "e3"));
    }

    #[test]
    fn another_tabs_session_is_adopted() {
        let mut ids = Ids(0);
        let (mut s, _) = Session::start(NOTHING, 0, (1800, 1800), || ids.next());
        let mut other = s.state().clone();
        other.start_session("11111111-1111-4111-8111-111111111111".into());
        other.event_index = 4;
        assert!(!s.before_event(alive(&other), 10, || ids.next()));
        s.record_event(10, "e", 10);
        assert_eq!(s.state().session_id, "11111111-1111-4111-8111-111111111111");
        assert_eq!(s.state().event_index, 5);
    }

    #[test]
    fn in_memory_sliding_timeout_when_storage_is_unavailable() {
        let mut ids = Ids(0);
        let (mut s, _) = Session::start(NOTHING, 0, (2, 2), || ids.next());
        assert!(!s.before_event(NOTHING, 1500, || ids.next()));
        s.record_event(1500, "a", 1500);
        assert!(!s.before_event(NOTHING, 3000, || ids.next()));
        s.record_event(3000, "b", 3000);
        assert_eq!(s.state().event_index, 2);
        assert!(s.before_event(NOTHING, 5001, || ids.next()));
        s.record_event(5001, "c", 5001);
        assert_eq!((s.state().visit_count, s.state().event_index), (2, 1));
    }

    #[test]
    fn background_timeout_governs_while_hidden() {
        let mut ids = Ids(0);
        let (mut s, _) = Session::start(NOTHING, 0, (60, 5), || ids.next());
        assert_eq!(s.timeout_s(), 60);
        assert!(s.set_hidden(true, 1000));
        assert_eq!(s.timeout_s(), 5);
        assert!(!s.before_event(NOTHING, 5900, || ids.next()));
        s.record_event(5900, "a", 5900);
        assert!(s.before_event(NOTHING, 11_000, || ids.next()));
        s.record_event(11_000, "b", 11_000);
        assert!(s.set_hidden(false, 11_500));
        assert_eq!(s.timeout_s(), 60);
    }

    #[test]
    fn equal_timeouts_never_rewrite_on_visibility() {
        let mut ids = Ids(0);
        let (mut s, _) = Session::start(NOTHING, 0, (1800, 1800), || ids.next());
        assert!(!s.set_hidden(true, 10));
        assert!(!s.set_hidden(false, 20));
        assert!(!s.set_hidden(false, 30));
    }

    #[test]
    fn force_new_links_the_previous_session() {
        let mut ids = Ids(0);
        let (mut s, _) = Session::start(NOTHING, 0, (1800, 1800), || ids.next());
        let old = s.state().session_id.clone();
        s.force_new(NOTHING, 100_000, || ids.next());
        assert_eq!(s.state().previous_session_id, old);
        assert_eq!(s.state().visit_count, 2);
        assert_eq!(s.state().now_s, 100);
    }
}
