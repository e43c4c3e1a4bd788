//! Where the `_sp_id` / `_sp_ses` state is read from and written to, per `stateStorageStrategy`.

use crate::core::text::{concat, int};
#[allow(unused_imports)]
use crate::prelude::*;

use crate::core::config::StateStorage;
use crate::core::cookie::CookieAttributes;
use crate::core::env::{CookieWrite, Env};
use crate::core::id_cookie::{IdCookie, parse_int};
use crate::core::session::StoredState;

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
        let now = env.now_ms();
        let id_value = state.serialize();
        match self.strategy {
            StateStorage::None => {}
            StateStorage::LocalStorage => {
                write_expiring(env, &self.id_key, &id_value, lifetime_s, now);
                write_expiring(env, &self.ses_key, "*", timeout_s, now);
            }
            StateStorage::Cookie | StateStorage::CookieAndLocalStorage => {
                let ttl = |s: i64| (s != 0).then_some(s);
                let attributes = &self.cookie_attributes;
                let ses = CookieWrite {
                    name: &self.ses_key,
                    value: "*",
                    ttl_s: ttl(timeout_s),
                    now_ms: now,
                    attributes,
                };
                env.set_cookie(&ses);
                let id = CookieWrite {
                    name: &self.id_key,
                    value: &id_value,
                    ttl_s: ttl(lifetime_s),
                    now_ms: now,
                    attributes,
                };
                env.set_cookie(&id);
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
