//! UTC time formatting: ISO-8601 like Java's `Instant.toString` (with `jiff`) and HTTP dates
//! (with `httpdate`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jiff::SignedDuration;
use jiff::civil::DateTime;

/// Largest accepted epoch milliseconds (9999-12-31T23:59:59.999Z).
pub const MAX_EPOCH_MS: i64 = 253_402_300_799_999;

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Formats epoch milliseconds as `2021-08-29T12:01:05.787Z`: milliseconds when there are any,
/// none when they are zero (like Java's `Instant.toString`, which Snowplow's tools print).
/// Values beyond the years -9999..=9999 are clamped.
pub fn iso8601(ms: i64) -> String {
    // A civil (UTC) date-time: jiff's `Timestamp` stops a day short of 9999-12-31, which
    // `MAX_EPOCH_MS` (and so `dtm`, `stm`, `ttm`) reaches.
    let epoch = DateTime::constant(1970, 1, 1, 0, 0, 0, 0);
    let utc = epoch.checked_add(SignedDuration::from_millis(ms)).unwrap_or(if ms < 0 {
        DateTime::MIN
    } else {
        DateTime::MAX
    });
    if ms.rem_euclid(1000) == 0 { format!("{utc:.0}Z") } else { format!("{utc:.3}Z") }
}

/// Formats epoch milliseconds as an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`), clamped to
/// 1970..=9999.
pub fn http_date(ms: i64) -> String {
    let ms = u64::try_from(ms.clamp(0, MAX_EPOCH_MS)).unwrap_or(0);
    httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_millis(ms))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_630_238_465_787), "2021-08-29T12:01:05.787Z");
        assert_eq!(iso8601(1_630_238_465_780), "2021-08-29T12:01:05.780Z");
        assert_eq!(iso8601(1_630_238_465_007), "2021-08-29T12:01:05.007Z");
        assert_eq!(iso8601(1_672_531_200_000), "2023-01-01T00:00:00Z");
        assert_eq!(iso8601(MAX_EPOCH_MS), "9999-12-31T23:59:59.999Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn formats_http_dates() {
        assert_eq!(http_date(784_111_777_000), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(-5), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(i64::MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
    }
}
