//! Where the `_sp_id` / `_sp_ses` state is read from and written to, per `stateStorageStrategy`.

use crate::engine::util::text::{concat, int};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::config::StateStorage;
use crate::engine::cookie::CookieAttributes;
use crate::engine::env::{CookieWrite, Env};
use crate::engine::id_cookie::{IdCookie, parse_int};
use crate::engine::session::StoredState;

/// The identity store of one tracker: cookie names (= localStorage keys) and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateStore {
    /// The strategy.
    pub strategy: StateStorage,
    /// `<cookieName>id.<hash>`.
    pub id_key: String,
    /// `<cookieName>ses.<hash>`.
    pub ses_key: String,
    /// Attributes of the cookies.
    pub cookie_attributes: CookieAttributes,
}

impl StateStore {
    /// Reads the stored state; anything unreadable or unusable reads as absent.
    pub fn read(&self, env: &mut impl Env) -> StoredState {
        let now = env.now_ms();
        let (id, session_alive) = match self.strategy {
            StateStorage::None => (None, false),
            StateStorage::LocalStorage => {
                (read_expiring(env, &self.id_key, now), read_expiring(env, &self.ses_key, now).is_some())
            }
            StateStorage::Cookie | StateStorage::CookieAndLocalStorage => {
                (env.read_cookie(&self.id_key), env.read_cookie(&self.ses_key).is_some())
            }
        };
        let id_cookie = id.and_then(|value| IdCookie::parse(&value, now, || env.new_uuid()));
        StoredState { id_cookie, session_alive }
    }

    /// Writes both values with sliding lifetimes: `lifetime_s` for the id, `timeout_s` for the
    /// session marker. A lifetime of 0 writes browser-session cookies, as in the JS tracker.
    pub fn write(&self, env: &mut impl Env, state: &IdCookie, lifetime_s: i64, timeout_s: i64) {
        self.put(env, &self.ses_key, "*", timeout_s);
        self.put(env, &self.id_key, &state.serialize(), lifetime_s);
    }

    /// Reads the anonymous session kept in the session cookie's value (anonymous tracking with
    /// session tracking: no `_sp_id`); absent, expired or not an anonymous session reads as
    /// absent.
    pub fn read_anonymous(&self, env: &mut impl Env) -> StoredState {
        let now = env.now_ms();
        let value = match self.strategy {
            StateStorage::None => None,
            StateStorage::LocalStorage => read_expiring(env, &self.ses_key, now),
            StateStorage::Cookie | StateStorage::CookieAndLocalStorage => env.read_cookie(&self.ses_key),
        };
        let id_cookie = value.and_then(|value| IdCookie::parse_anonymous(&value, now));
        StoredState { session_alive: id_cookie.is_some(), id_cookie }
    }

    /// Writes an anonymous session (no domain user id) into the session cookie's value, with
    /// the session's sliding lifetime; nothing else is stored. The JS tracker reads only the
    /// presence of `_sp_ses`, so it sees a live session.
    pub fn write_anonymous(&self, env: &mut impl Env, state: &IdCookie, timeout_s: i64) {
        self.put(env, &self.ses_key, &state.serialize(), timeout_s);
    }

    /// Removes both values (`clearUserData`).
    pub fn clear(&self, env: &mut impl Env) {
        for key in [&self.id_key, &self.ses_key] {
            self.put(env, key, "", -1);
            env.storage_remove(key);
            env.storage_remove(&concat(&[key, ".expires"]));
        }
    }

    /// Writes one value for `ttl_s` seconds (0: a browser-session cookie; negative: deleted).
    fn put(&self, env: &mut impl Env, key: &str, value: &str, ttl_s: i64) {
        let now = env.now_ms();
        match self.strategy {
            StateStorage::None => {}
            StateStorage::LocalStorage if ttl_s >= 0 => write_expiring(env, key, value, ttl_s, now),
            StateStorage::LocalStorage => {}
            StateStorage::Cookie | StateStorage::CookieAndLocalStorage => {
                let cookie = CookieWrite {
                    name: key,
                    value,
                    ttl_s: (ttl_s != 0).then_some(ttl_s),
                    now_ms: now,
                    attributes: &self.cookie_attributes,
                };
                env.set_cookie(&cookie);
            }
        }
    }
}

/// Reads a localStorage value, removing it (and its twin) once its `.expires` time has passed.
fn read_expiring(env: &mut impl Env, key: &str, now_ms: i64) -> Option<String> {
    let expires_key = concat(&[key, ".expires"]);
    let expired = env.storage_get(&expires_key).and_then(|e| parse_int(&e)).is_some_and(|e| e <= now_ms);
    if expired {
        env.storage_remove(key);
        env.storage_remove(&expires_key);
        return None;
    }
    env.storage_get(key)
}

/// Writes `key` and its `.expires` twin (epoch ms as a string), the JS tracker's cookie emulation.
fn write_expiring(env: &mut impl Env, key: &str, value: &str, ttl_s: i64, now_ms: i64) {
    if env.storage_set(key, value) {
        let expires = now_ms.saturating_add(ttl_s.saturating_mul(1000));
        env.storage_set(&concat(&[key, ".expires"]), &int(expires));
    }
}
