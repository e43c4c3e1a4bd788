//! Fault injection, a test aid for snowtrack's delivery tests (not part of Snowplow Micro).
//!
//! `POST /snowtrack/faults` with `{"status":503,"retryAfter":2,"count":N,"durationMs":M,"delayMs":D}`
//! makes the collector answer its collector requests (tp2 POST, `GET /i`, custom post paths, …)
//! with `status` (plus `Retry-After` when given) without recording their events, and/or wait
//! `delayMs` before handling them, for the next `count` requests or for `durationMs` ms (whichever
//! ends first; neither means until `DELETE /snowtrack/faults`). `GET /snowtrack/faults` shows the
//! active fault and counters of refused and delayed requests with a log of the refusals.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::time::now_ms;

/// Refusals kept in the log (the oldest are forgotten first).
pub const LOG_CAPACITY: usize = 10_000;
/// Longest accepted `delayMs` (10 minutes).
pub const MAX_DELAY_MS: u64 = 600_000;

/// A `Retry-After` value: delay-seconds (a JSON number) or any header text, e.g. an HTTP date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RetryAfter {
    /// Seconds (`Retry-After: 2`).
    Seconds(u64),
    /// Sent verbatim (`Retry-After: Wed, 21 Oct 2026 07:28:00 GMT`).
    Text(String),
}

impl RetryAfter {
    /// The header value.
    pub fn header_value(&self) -> String {
        match self {
            RetryAfter::Seconds(s) => s.to_string(),
            RetryAfter::Text(t) => t.clone(),
        }
    }
}

/// The body of `POST /snowtrack/faults`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultSpec {
    /// Answer with this status (400–599) instead of handling the request; its events are not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// `Retry-After` header sent with `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfter>,
    /// Applies to this many collector requests, then ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// Applies for this many milliseconds from now, then ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    /// Waits this long before handling (or refusing) each request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
}

impl FaultSpec {
    /// Checks the spec makes sense: something to do, a status in 400–599, a valid header.
    ///
    /// # Errors
    /// A message naming the offending field.
    pub fn validate(&self) -> Result<(), String> {
        if self.status.is_none() && self.delay_ms.is_none() {
            return Err("a fault needs `status` and/or `delayMs`".to_owned());
        }
        if let Some(status) = self.status {
            if !(400..=599).contains(&status) {
                return Err(format!("status: {status} is not in 400-599"));
            }
        }
        if let Some(retry_after) = &self.retry_after {
            if self.status.is_none() {
                return Err("retryAfter: needs a status".to_owned());
            }
            let value = retry_after.header_value();
            if value.is_empty() || !value.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
                return Err(format!("retryAfter: {value:?} is not a valid header value"));
            }
        }
        if self.count == Some(0) {
            return Err("count: must be at least 1".to_owned());
        }
        if self.delay_ms.is_some_and(|d| d > MAX_DELAY_MS) {
            return Err(format!("delayMs: at most {MAX_DELAY_MS}"));
        }
        Ok(())
    }
}

/// What to do with one collector request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Action {
    /// Wait this long first.
    pub delay: Option<Duration>,
    /// Then answer with this status and `Retry-After` value, recording nothing.
    pub refuse: Option<(u16, Option<String>)>,
}

/// One refused request, as `GET /snowtrack/faults` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    /// When the request arrived (epoch ms).
    pub at_ms: i64,
    /// `GET` or `POST`.
    pub method: String,
    /// The request path.
    pub path: String,
    /// The status it was answered with.
    pub status: u16,
}

/// The answer of `GET /snowtrack/faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FaultReport {
    /// The fault in force, or `null`.
    pub active: Option<ActiveReport>,
    /// Collector requests seen (faulty or not).
    pub requests: u64,
    /// Collector requests answered with a fault status.
    pub refused: u64,
    /// Collector requests delayed.
    pub delayed: u64,
    /// The most recent refusals (at most [`LOG_CAPACITY`]), oldest first.
    pub log: Vec<Refusal>,
}

/// The active fault, with what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActiveReport {
    /// As posted.
    pub spec: FaultSpec,
    /// Requests left, when limited by `count`.
    pub remaining: Option<u64>,
    /// Milliseconds left, when limited by `durationMs`.
    pub remaining_ms: Option<u64>,
}

#[derive(Debug)]
struct Active {
    spec: FaultSpec,
    remaining: Option<u64>,
    until: Option<Instant>,
}

#[derive(Debug, Default)]
struct State {
    active: Option<Active>,
    requests: u64,
    refused: u64,
    delayed: u64,
    log: VecDeque<Refusal>,
}

/// The collector's fault-injection state.
#[derive(Debug, Default)]
pub struct Faults {
    state: Mutex<State>,
}

impl Faults {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Puts `spec` in force (replacing any fault), from `now`.
    ///
    /// # Errors
    /// When the spec is invalid (see [`FaultSpec::validate`]).
    pub fn set(&self, spec: FaultSpec, now: Instant) -> Result<(), String> {
        spec.validate()?;
        let until = spec.duration_ms.map(|ms| now + Duration::from_millis(ms));
        self.state().active = Some(Active { remaining: spec.count, until, spec });
        Ok(())
    }

    /// Ends the fault in force, if any.
    pub fn clear(&self) {
        self.state().active = None;
    }

    /// Forgets the counters and the log (the fault in force stays).
    pub fn reset_counters(&self) {
        let mut s = self.state();
        s.requests = 0;
        s.refused = 0;
        s.delayed = 0;
        s.log.clear();
    }

    /// Decides the fate of one collector request arriving at `now` and counts it.
    pub fn on_request(&self, now: Instant, method: &str, path: &str) -> Action {
        let mut guard = self.state();
        let s = &mut *guard;
        s.requests += 1;
        if s.active.as_ref().is_some_and(|a| a.until.is_some_and(|u| now >= u)) {
            s.active = None;
        }
        let Some(active) = s.active.as_mut() else { return Action::default() };
        let action = Action {
            delay: active.spec.delay_ms.filter(|d| *d > 0).map(Duration::from_millis),
            refuse: active
                .spec
                .status
                .map(|status| (status, active.spec.retry_after.as_ref().map(RetryAfter::header_value))),
        };
        if let Some(remaining) = active.remaining.as_mut() {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                s.active = None;
            }
        }
        if action.delay.is_some() {
            s.delayed += 1;
        }
        if let Some((status, _)) = &action.refuse {
            s.refused += 1;
            if s.log.len() >= LOG_CAPACITY {
                s.log.pop_front();
            }
            s.log.push_back(Refusal {
                at_ms: now_ms(),
                method: method.to_owned(),
                path: path.to_owned(),
                status: *status,
            });
        }
        action
    }

    /// The state as of `now`.
    pub fn report(&self, now: Instant) -> FaultReport {
        let s = self.state();
        let active = s.active.as_ref().filter(|a| a.until.is_none_or(|u| now < u)).map(|a| ActiveReport {
            spec: a.spec.clone(),
            remaining: a.remaining,
            remaining_ms: a
                .until
                .map(|u| u64::try_from(u.saturating_duration_since(now).as_millis()).unwrap_or(u64::MAX)),
        });
        FaultReport {
            active,
            requests: s.requests,
            refused: s.refused,
            delayed: s.delayed,
            log: s.log.iter().cloned().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;

    fn spec(json: &str) -> FaultSpec {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn specs_are_validated() {
        assert!(spec(r#"{"status":503,"retryAfter":2,"count":3}"#).validate().is_ok());
        assert!(spec(r#"{"status":429,"retryAfter":"Wed, 21 Oct 2026 07:28:00 GMT"}"#).validate().is_ok());
        assert!(spec(r#"{"delayMs":500,"durationMs":1000}"#).validate().is_ok());
        assert!(spec("{}").validate().unwrap_err().contains("status"));
        assert!(spec(r#"{"status":200}"#).validate().unwrap_err().contains("400-599"));
        assert!(spec(r#"{"delayMs":1,"retryAfter":1}"#).validate().unwrap_err().contains("retryAfter"));
        assert!(spec(r#"{"status":503,"retryAfter":"a\nb"}"#).validate().is_err());
        assert!(spec(r#"{"status":503,"count":0}"#).validate().is_err());
        assert!(spec(r#"{"delayMs":600001}"#).validate().is_err());
        assert!(serde_json::from_str::<FaultSpec>(r#"{"stauts":503}"#).is_err(), "unknown fields");
    }

    #[test]
    fn count_limits_the_fault() {
        let f = Faults::default();
        let now = Instant::now();
        f.set(spec(r#"{"status":503,"retryAfter":2,"count":2}"#), now).unwrap();
        let refused = Action { delay: None, refuse: Some((503, Some("2".into()))) };
        assert_eq!(f.on_request(now, "POST", "/tp2"), refused);
        assert_eq!(f.report(now).active.unwrap().remaining, Some(1));
        assert_eq!(f.on_request(now, "GET", "/i"), refused);
        assert_eq!(f.on_request(now, "GET", "/i"), Action::default());
        let r = f.report(now);
        assert!(r.active.is_none());
        assert_eq!((r.requests, r.refused, r.delayed), (3, 2, 0));
        assert_eq!(r.log.iter().map(|l| l.path.as_str()).collect::<Vec<_>>(), ["/tp2", "/i"]);
        f.reset_counters();
        assert_eq!(f.report(now).requests, 0);
    }

    #[test]
    fn duration_limits_the_fault() {
        let f = Faults::default();
        let now = Instant::now();
        f.set(spec(r#"{"delayMs":20,"durationMs":1000}"#), now).unwrap();
        let a = f.on_request(now + Duration::from_millis(999), "POST", "/x");
        assert_eq!(a, Action { delay: Some(Duration::from_millis(20)), refuse: None });
        assert_eq!(f.report(now).active.unwrap().remaining_ms, Some(1000));
        assert!(f.report(now + Duration::from_millis(1000)).active.is_none());
        assert_eq!(f.on_request(now + Duration::from_millis(1000), "POST", "/x"), Action::default());
        assert_eq!(f.report(now).delayed, 1);
        f.set(spec(r#"{"status":500}"#), now).unwrap();
        f.clear();
        assert_eq!(f.on_request(now, "POST", "/x"), Action::default());
    }

    #[test]
    fn the_log_is_bounded() {
        let f = Faults::default();
        let now = Instant::now();
        f.set(spec(r#"{"status":500}"#), now).unwrap();
        for _ in 0..LOG_CAPACITY + 5 {
            f.on_request(now, "POST", "/x");
        }
        let r = f.report(now);
        assert_eq!(r.log.len(), LOG_CAPACITY);
        assert_eq!(r.refused, (LOG_CAPACITY + 5) as u64);
    }
}
