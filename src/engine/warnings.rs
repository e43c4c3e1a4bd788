//! The rate limit of the console warnings about the page's code: a generator failing on every
//! event must not flood the console. The first warning is shown, then at most one every 10 s,
//! which tells how many were not shown since the last one.

#[allow(unused_imports)]
use crate::prelude::*;

use crate::engine::util::text::{concat, push_uint};

/// The quiet time after a warning shown, in milliseconds.
pub const QUIET_MS: i64 = 10_000;

/// The warnings shown and held back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WarningLimit {
    quiet_until: i64,
    untold: u64,
}

impl WarningLimit {
    /// A warning at `now` (ms): the message to show (`snowtrack: <what>: <why>; left out`, and
    /// how many were held back since the last one), or `None` while quiet (counted).
    pub fn warn(&mut self, now: i64, what: &str, why: &str) -> Option<String> {
        if now < self.quiet_until {
            self.untold += 1;
            return None;
        }
        self.quiet_until = now.saturating_add(QUIET_MS);
        let mut message = concat(&["snowtrack: ", what, ": ", why, "; left out"]);
        if self.untold > 0 {
            message.push_str(" (");
            push_uint(&mut message, core::mem::take(&mut self.untold), 0);
            message.push_str(" more not shown)");
        }
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_then_one_every_ten_seconds_with_the_count_held_back() {
        let mut limit = WarningLimit::default();
        let warn = |limit: &mut WarningLimit, now| limit.warn(now, "a plugin's filter()", "threw boom");
        assert_eq!(
            warn(&mut limit, 1_000).as_deref(),
            Some("snowtrack: a plugin's filter(): threw boom; left out")
        );
        assert_eq!(warn(&mut limit, 1_001), None);
        assert_eq!(warn(&mut limit, 10_999), None, "still quiet");
        assert_eq!(
            warn(&mut limit, 11_000).as_deref(),
            Some("snowtrack: a plugin's filter(): threw boom; left out (2 more not shown)")
        );
        assert_eq!(warn(&mut limit, 20_000), None);
        assert_eq!(
            warn(&mut limit, 60_000).as_deref().map(|m| m.ends_with("left out (1 more not shown)")),
            Some(true)
        );
        assert_eq!(
            warn(&mut limit, 90_000).as_deref(),
            Some("snowtrack: a plugin's filter(): threw boom; left out"),
            "none held back since"
        );
    }
}
