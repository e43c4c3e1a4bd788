//! Which collector answers are retried, and when: the outcome of an answer and the backoff
//! between failed rounds.

#[allow(unused_imports)]
use crate::prelude::*;

/// How a request ended, as far as its events are concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A 2xx answer: the events are delivered.
    Delivered,
    /// An answer that must not be retried: the events are dropped and reported.
    Rejected,
    /// A network error, timeout or retryable status: the events go back to the queue.
    Failed,
    /// `413 Payload Too Large`: a batch is split and retried at once; a single event is dropped.
    TooLarge,
}

/// A `Retry-After` header's wait in ms from `now_ms`: delay-seconds (`120`), or an HTTP date,
/// which the browser reads (`date_ms`: `Date.parse` of the header; a date already past waits 0).
/// `None` when the header is absent or unreadable.
pub fn retry_after_ms(header: Option<&str>, date_ms: Option<i64>, now_ms: i64) -> Option<u64> {
    let text = header?.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let seconds = text.bytes().try_fold(0u64, |n, b| n.checked_mul(10)?.checked_add(u64::from(b - b'0')));
        return Some(seconds.unwrap_or(u64::MAX).saturating_mul(1000));
    }
    Some(u64::try_from(date_ms?.saturating_sub(now_ms)).unwrap_or(0))
}

/// Status codes never retried unless listed in `retryStatusCodes` (the JS tracker's list).
pub const DONT_RETRY_STATUS: [u16; 5] = [400, 401, 403, 410, 422];

/// Which answers are retried and how long to wait between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `retryStatusCodes`: always retried, even if listed as never.
    pub retry_status_codes: Vec<u16>,
    /// `dontRetryStatusCodes`: never retried, in addition to [`DONT_RETRY_STATUS`].
    pub dont_retry_status_codes: Vec<u16>,
    /// First backoff delay, ms (`retryBaseDelay`, default 1000).
    pub base_delay_ms: u64,
    /// Longest wait, ms (`retryMaxDelay`, default 60000), a `Retry-After` included.
    pub max_delay_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            retry_status_codes: Vec::new(),
            dont_retry_status_codes: Vec::new(),
            base_delay_ms: 1000,
            max_delay_ms: 60_000,
        }
    }
}

impl RetryPolicy {
    /// Classifies an answer (`None`: no answer at all, i.e. a network error or timeout).
    pub fn outcome(&self, status: Option<u16>) -> Outcome {
        match status {
            Some(200..=299) => Outcome::Delivered,
            Some(code) if self.retry_status_codes.contains(&code) => Outcome::Failed,
            Some(413) => Outcome::TooLarge,
            Some(code)
                if DONT_RETRY_STATUS.contains(&code) || self.dont_retry_status_codes.contains(&code) =>
            {
                Outcome::Rejected
            }
            _ => Outcome::Failed,
        }
    }

    /// The wait after the `failures`-th failed round in a row (1 = the first), `jitter` in
    /// [0, 1). A `Retry-After` from the collector (ms) is the wait, plus up to a tenth of it as
    /// jitter, capped by the longest delay. Without one: exponential from the base delay,
    /// capped, with "equal jitter" (between half and all of it).
    pub fn delay_ms(&self, failures: u32, jitter: f64, retry_after_ms: Option<u64>) -> u64 {
        let jitter = jitter.clamp(0.0, 1.0);
        if let Some(wait) = retry_after_ms {
            let spread = (wait / 10) as f64 * jitter;
            return wait.saturating_add(spread as u64).min(self.max_delay_ms);
        }
        let exponent = failures.saturating_sub(1).min(30);
        let full = self.base_delay_ms.saturating_mul(1 << exponent).min(self.max_delay_ms);
        full / 2 + ((full / 2) as f64 * jitter) as u64
    }
}

/// The backoff state: failed rounds in a row, and when sending may resume.
///
/// A *round* is the requests sent between two failures. However many of a round's requests fail
/// (two are in flight while the page is visible), the round counts as one backoff step: its
/// first failure sets the wait and opens the next round; a later failure of the same round only
/// extends the wait to its own `Retry-After`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Backoff {
    failures: u32,
    round: u64,
    retry_at_ms: i64,
}

impl Backoff {
    /// The round requests sent now belong to.
    pub fn round(&self) -> u64 {
        self.round
    }

    /// Failed rounds in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// When sending may resume (epoch ms; 0 when not backing off).
    pub fn retry_at_ms(&self) -> i64 {
        self.retry_at_ms
    }

    /// Whether sending must wait at `now_ms`.
    pub fn waiting(&self, now_ms: i64) -> bool {
        now_ms < self.retry_at_ms
    }

    /// Ends the wait now (the browser came back online, a flush was asked for, the page hides).
    pub fn retry_now(&mut self) {
        self.retry_at_ms = 0;
    }

    /// A request was delivered: the failure count starts again.
    pub fn succeeded(&mut self) {
        self.failures = 0;
        self.retry_at_ms = 0;
    }

    /// A request sent in `round` failed at `now_ms`; returns when sending may resume.
    pub fn failed(
        &mut self,
        policy: &RetryPolicy,
        round: u64,
        now_ms: i64,
        jitter: f64,
        retry_after_ms: Option<u64>,
    ) -> i64 {
        let at = |delay: u64| now_ms.saturating_add(i64::try_from(delay).unwrap_or(i64::MAX));
        if round == self.round {
            self.round += 1;
            self.failures = self.failures.saturating_add(1);
            self.retry_at_ms = at(policy.delay_ms(self.failures, jitter, retry_after_ms));
        } else if let Some(wait) = retry_after_ms {
            let wait = wait.min(policy.max_delay_ms);
            self.retry_at_ms = self.retry_at_ms.max(at(wait));
        }
        self.retry_at_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = 784_111_777_000;
        let date = Some(784_111_807_000); // Sun, 06 Nov 1994 08:50:07 GMT, as the browser read it
        assert_eq!(retry_after_ms(Some("120"), None, now), Some(120_000));
        assert_eq!(
            retry_after_ms(Some(" 0 "), Some(0), now),
            Some(0),
            "digits are seconds, whatever a date reader says"
        );
        assert_eq!(retry_after_ms(Some("99999999999999999999999"), None, now), Some(u64::MAX));
        assert_eq!(retry_after_ms(Some("Sun, 06 Nov 1994 08:50:07 GMT"), date, now), Some(30_000));
        assert_eq!(
            retry_after_ms(Some("Sun, 06 Nov 1994 08:49:00 GMT"), Some(now - 37_000), now),
            Some(0),
            "already past"
        );
        assert_eq!(retry_after_ms(Some("-5"), None, now), None);
        assert_eq!(retry_after_ms(Some("soon"), None, now), None);
        assert_eq!(retry_after_ms(None, date, now), None);
    }

    #[test]
    fn outcomes() {
        let mut p = RetryPolicy::default();
        assert_eq!(p.outcome(Some(204)), Outcome::Delivered);
        assert_eq!(p.outcome(Some(422)), Outcome::Rejected);
        assert_eq!(p.outcome(Some(413)), Outcome::TooLarge);
        assert_eq!(p.outcome(Some(500)), Outcome::Failed);
        assert_eq!(p.outcome(Some(429)), Outcome::Failed);
        assert_eq!(p.outcome(None), Outcome::Failed);
        p.retry_status_codes = vec![401];
        p.dont_retry_status_codes = vec![505];
        assert_eq!(p.outcome(Some(401)), Outcome::Failed);
        assert_eq!(p.outcome(Some(505)), Outcome::Rejected);
    }

    #[test]
    fn exponential_delays_with_equal_jitter() {
        let p = RetryPolicy::default();
        let delays: Vec<u64> = (1..=9).map(|a| p.delay_ms(a, 0.999_999, None)).collect();
        assert_eq!(delays, [999, 1999, 3999, 7999, 15_999, 31_999, 59_999, 59_999, 59_999]);
        assert_eq!(p.delay_ms(1, 0.0, None), 500);
        assert_eq!(p.delay_ms(100, 0.0, None), 30_000);
    }

    #[test]
    fn retry_after_is_the_wait_whatever_the_backoff() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_ms(6, 0.0, Some(1000)), 1000, "not max(backoff, Retry-After)");
        assert_eq!(p.delay_ms(6, 0.999, Some(1000)), 1099);
        assert_eq!(p.delay_ms(1, 0.5, Some(600_000)), 60_000, "capped by retryMaxDelay");
    }

    #[test]
    fn one_step_per_failed_round() {
        let p = RetryPolicy::default();
        let mut b = Backoff::default();
        let round = b.round();
        assert_eq!(b.failed(&p, round, 0, 0.0, None), 500);
        // The second request of the same round fails: no second step.
        assert_eq!(b.failed(&p, round, 10, 0.0, None), 500);
        assert_eq!(b.failures(), 1);
        let next = b.round();
        assert_eq!(b.failed(&p, next, 1000, 0.0, None), 2000, "second round: 1 s");
        // A Retry-After answer of an earlier round extends the wait to it.
        assert_eq!(b.failed(&p, round, 1000, 0.0, Some(5000)), 6000);
        assert!(b.waiting(5999) && !b.waiting(6000));
        b.succeeded();
        assert_eq!((b.failures(), b.retry_at_ms()), (0, 0));
    }
}
