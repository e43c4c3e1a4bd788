//! Calendar arithmetic on epoch milliseconds: the two date formats the wire needs.
//!
//! `Expires=` attributes use `Date.prototype.toUTCString()` (`Thu, 01 Jan 1970 00:00:00 GMT`) and
//! the `client_session` entity uses `toISOString()` (`1970-01-01T00:00:00.000Z`). Both cover the
//! JS `Date` range, ±8.64e15 ms (years -271821 to 275760), and answer there as JS does. The
//! calendar fields come from the `time` crate (no `std`; `large-dates` reaches year ±999,999);
//! the two formats, the range and the expanded years are JS's rules, written here.

use crate::engine::util::text::push_uint;
#[allow(unused_imports)]
use crate::prelude::*;

/// A broken-down UTC time.
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    milli: u32,
    weekday: u32,
}

/// The calendar fields of `ms`, by the `time` crate (no `std`, `large-dates` for the whole JS
/// range); `None` outside the `Date` range.
fn civil(ms: i64) -> Option<Civil> {
    if !valid(ms) {
        return None;
    }
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).ok()?;
    Some(Civil {
        year: t.year().into(),
        month: u8::from(t.month()).into(),
        day: t.day().into(),
        hour: t.hour().into(),
        minute: t.minute().into(),
        second: t.second().into(),
        milli: t.millisecond().into(),
        weekday: t.weekday().number_days_from_sunday().into(),
    })
}

/// The largest `Date` time value, in ms either side of the epoch (100,000,000 days).
pub const MAX_DATE_MS: i64 = 8_640_000_000_000_000;

fn valid(ms: i64) -> bool {
    (-MAX_DATE_MS..=MAX_DATE_MS).contains(&ms)
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] =
    ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// A year as JS writes it: at least 4 digits, `-` before a negative one; in ISO form, years
/// outside 0 to 9999 take the expanded form, a sign and 6 digits (`+010000`, `-000001`).
fn push_year(out: &mut String, year: i64, iso: bool) {
    let expanded = iso && !(0..=9999).contains(&year);
    if year < 0 {
        out.push('-');
    } else if expanded {
        out.push('+');
    }
    push_uint(out, year.unsigned_abs(), if expanded { 6 } else { 4 });
}

/// `Date.prototype.toUTCString()` of `ms`, the format of a cookie's `Expires` attribute: the
/// year has at least 4 digits and a `-` before it when negative, and outside the `Date` range the
/// text is `Invalid Date`, as in JS.
pub fn utc_string(ms: i64) -> String {
    let Some(c) = civil(ms) else { return "Invalid Date".to_owned() };
    let weekday = WEEKDAYS.get(c.weekday as usize).copied().unwrap_or("Thu");
    let month = MONTHS.get(c.month as usize - 1).copied().unwrap_or("Jan");
    let mut out = String::with_capacity(29);
    out.push_str(weekday);
    out.push_str(", ");
    push_uint(&mut out, c.day.into(), 2);
    out.push(' ');
    out.push_str(month);
    out.push(' ');
    push_year(&mut out, c.year, false);
    for (sep, v) in [(' ', c.hour), (':', c.minute), (':', c.second)] {
        out.push(sep);
        push_uint(&mut out, v.into(), 2);
    }
    out.push_str(" GMT");
    out
}

/// `Date.prototype.toISOString()` of `ms` (millisecond precision, `Z`): years outside 0 to 9999
/// in the expanded form, a sign and six digits (`+010000`, `-000001`). `None` outside the `Date`
/// range, where JS throws a `RangeError`.
pub fn iso_string(ms: i64) -> Option<String> {
    let c = civil(ms)?;
    let mut out = String::with_capacity(27);
    push_year(&mut out, c.year, true);
    for (sep, v, width) in [
        ('-', c.month, 2),
        ('-', c.day, 2),
        ('T', c.hour, 2),
        (':', c.minute, 2),
        (':', c.second, 2),
        ('.', c.milli, 3),
    ] {
        out.push(sep);
        push_uint(&mut out, v.into(), width);
    }
    out.push('Z');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_matches_js_vectors() {
        let iso = |ms| iso_string(ms).unwrap();
        assert_eq!(iso(1_653_638_673_483), "2022-05-27T08:04:33.483Z");
        assert_eq!(iso(1_672_531_200_000), "2023-01-01T00:00:00.000Z");
        assert_eq!(iso(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn years_outside_0_to_9999_and_the_date_range() {
        // Regressions: negative years lost their sign (-1 BCE wrote `0001-...`, `... 0001 ...`),
        // and years past 9999 lacked the expanded form's `+` and six digits.
        assert_eq!(iso_string(-62_198_755_200_000).unwrap(), "-000001-01-01T00:00:00.000Z");
        assert_eq!(utc_string(-62_198_755_200_000), "Fri, 01 Jan -0001 00:00:00 GMT");
        assert_eq!(iso_string(-62_167_219_200_000).unwrap(), "0000-01-01T00:00:00.000Z");
        assert_eq!(utc_string(-62_167_219_200_000), "Sat, 01 Jan 0000 00:00:00 GMT");
        assert_eq!(iso_string(253_402_300_800_000).unwrap(), "+010000-01-01T00:00:00.000Z");
        assert_eq!(utc_string(253_402_300_800_000), "Sat, 01 Jan 10000 00:00:00 GMT");
        assert_eq!(iso_string(MAX_DATE_MS).unwrap(), "+275760-09-13T00:00:00.000Z");
        assert_eq!(utc_string(MAX_DATE_MS), "Sat, 13 Sep 275760 00:00:00 GMT");
        assert_eq!(iso_string(-MAX_DATE_MS).unwrap(), "-271821-04-20T00:00:00.000Z");
        assert_eq!(utc_string(-MAX_DATE_MS), "Tue, 20 Apr -271821 00:00:00 GMT");
        // Past it JS has an invalid date: `toUTCString()` says so and `toISOString()` throws.
        for ms in [MAX_DATE_MS + 1, -MAX_DATE_MS - 1, i64::MAX, i64::MIN] {
            assert_eq!(utc_string(ms), "Invalid Date");
            assert_eq!(iso_string(ms), None);
        }
    }

    #[test]
    fn utc_matches_js_vectors() {
        assert_eq!(utc_string(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc_string(1_700_000_000_000), "Tue, 14 Nov 2023 22:13:20 GMT");
        assert_eq!(utc_string(-1000), "Wed, 31 Dec 1969 23:59:59 GMT");
        assert_eq!(utc_string(4_102_444_800_000), "Fri, 01 Jan 2100 00:00:00 GMT");
    }
}
