//! RouterOS value formats: how RouterOS writes durations, booleans, dates, rates and item ids
//! in API words, read and written in one place.
//!
//! A client reads these from the rows of a `print` (the `routeros-adapter` crate turns them
//! into its own types); a server writes them (the `routeros-sim` crate prints its items with
//! the `format_*` functions), so both sides agree on every format.
//!
//! | value    | as RouterOS writes it                      | here                                   |
//! |----------|--------------------------------------------|----------------------------------------|
//! | boolean  | `true` / `false` (API); `yes` / `no` (console, arguments) | [`parse_bool`], [`format_bool`] |
//! | duration | `1w2d3h4m5s`, `5m10s250ms`; older: `00:05:10`, `1d00:05:10` | [`parse_duration`], [`format_duration`] |
//! | duration argument | as above, or a bare number of seconds (`interval=5`) | [`parse_duration_arg`] |
//! | date     | `2024-12-15 16:30:25` (7.10+); older: `dec/15/2024 16:30:25` | [`parse_datetime`], [`format_datetime`] |
//! | rate     | `12300000`, `12.3Mbps`, `512k`, `25M`, `1G` (bits per second) | [`parse_rate`] |
//! | item id  | `*1A` (`*` and hexadecimal)                | [`ItemId`]                             |
//!
//! Dates carry no time zone: RouterOS prints its own wall clock. They are given here as
//! seconds since 1970-01-01 00:00:00 *of that clock*.

use std::fmt;
use std::time::Duration;

// ---- booleans ---------------------------------------------------------------------------------

/// A RouterOS boolean: `true` or `yes`, `false` or `no`. Anything else is `None`.
///
/// ```
/// use routeros_api::value::parse_bool;
/// assert_eq!(parse_bool("true"), Some(true));
/// assert_eq!(parse_bool("no"), Some(false));
/// assert_eq!(parse_bool("1"), None);
/// ```
#[must_use]
pub fn parse_bool(text: &str) -> Option<bool> {
    match text {
        "true" | "yes" => Some(true),
        "false" | "no" => Some(false),
        _ => None,
    }
}

/// A boolean as RouterOS 6 and later print it over the API: `true` or `false`.
#[must_use]
pub const fn format_bool(value: bool) -> &'static str {
    if value { "true" } else { "false" }
}

// ---- durations --------------------------------------------------------------------------------

/// A duration as RouterOS prints one: `1w2d3h4m5s` and `5m10s250ms` (units `w d h m s ms`,
/// any of them left out), or the older clock forms `00:05:10` and `1d00:05:10` (a fraction of
/// a second after the clock is ignored). A bare number is not a printed duration: `None`
/// (see [`parse_duration_arg`]).
///
/// ```
/// use std::time::Duration;
/// use routeros_api::value::parse_duration;
/// assert_eq!(parse_duration("1h5s"), Some(Duration::from_secs(3605)));
/// assert_eq!(parse_duration("00:05:10"), Some(Duration::from_secs(310)));
/// assert_eq!(parse_duration("12"), None);
/// ```
#[must_use]
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.contains(':') {
        return parse_clock(text);
    }
    let mut total_ms: u64 = 0;
    let mut number: Option<u64> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(digit) = c.to_digit(10) {
            let n = number.unwrap_or(0).checked_mul(10)?;
            number = Some(n.checked_add(u64::from(digit))?);
            continue;
        }
        let n = number.take()?;
        let unit_ms: u64 = match c {
            'w' => 7 * 86_400_000,
            'd' => 86_400_000,
            'h' => 3_600_000,
            'm' if chars.peek() == Some(&'s') => {
                chars.next();
                1
            }
            'm' => 60_000,
            's' => 1000,
            _ => return None,
        };
        total_ms = total_ms.checked_add(n.checked_mul(unit_ms)?)?;
    }
    // Empty text, or digits without a unit at the end.
    if number.is_some() || text.is_empty() {
        return None;
    }
    Some(Duration::from_millis(total_ms))
}

/// `00:05:10` or `1d00:05:10`, seconds possibly with a fraction.
fn parse_clock(text: &str) -> Option<Duration> {
    let (days, clock) = match text.split_once('d') {
        Some((days, rest)) => (number(days)?, rest),
        None => (0, text),
    };
    let mut parts = clock.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let s = s.split_once('.').map_or(s, |(whole, _)| whole);
    let secs = days
        .checked_mul(86_400)?
        .checked_add(number(h)?.checked_mul(3600)?)?
        .checked_add(number(m)?.checked_mul(60)?)?
        .checked_add(number(s)?)?;
    Some(Duration::from_secs(secs))
}

/// Decimal digits only (no sign, no space), as a number.
fn number(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// A duration as RouterOS accepts one in an argument (`=interval=`, `=uptime=`): any
/// [`parse_duration`] form, or a bare number of seconds.
///
/// ```
/// use std::time::Duration;
/// use routeros_api::value::parse_duration_arg;
/// assert_eq!(parse_duration_arg("5"), Some(Duration::from_secs(5)));
/// assert_eq!(parse_duration_arg("500ms"), Some(Duration::from_millis(500)));
/// ```
#[must_use]
pub fn parse_duration_arg(text: &str) -> Option<Duration> {
    match number(text.trim()) {
        Some(secs) => Some(Duration::from_secs(secs)),
        None => parse_duration(text),
    }
}

/// A duration as RouterOS 7 prints one: `1w2d3h4m5s`, parts that are zero left out, `0s` for
/// zero; whole seconds (a fraction is dropped).
///
/// ```
/// use std::time::Duration;
/// use routeros_api::value::format_duration;
/// assert_eq!(format_duration(Duration::from_secs(93_784)), "1d2h3m4s");
/// assert_eq!(format_duration(Duration::ZERO), "0s");
/// ```
#[must_use]
pub fn format_duration(duration: Duration) -> String {
    let secs = duration.as_secs();
    let parts = [
        (secs / 604_800, 'w'),
        (secs / 86_400 % 7, 'd'),
        (secs / 3600 % 24, 'h'),
        (secs / 60 % 60, 'm'),
        (secs % 60, 's'),
    ];
    let mut out = String::new();
    for (value, unit) in parts {
        if value > 0 {
            out.push_str(&value.to_string());
            out.push(unit);
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

// ---- dates ------------------------------------------------------------------------------------

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar (negative before).
///
/// ```
/// use routeros_api::value::days_from_civil;
/// assert_eq!(days_from_civil(1970, 1, 1), 0);
/// assert_eq!(days_from_civil(2000, 3, 1), 11_017);
/// ```
#[must_use]
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Month names of the dates of RouterOS before 7.10 (`dec/15/2024`).
const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A date and time as RouterOS prints them (`last-logged-out`...): `2024-12-15 16:30:25`
/// (7.10+) or `dec/15/2024 16:30:25` (older), as seconds since 1970-01-01 00:00:00 of the
/// router's clock. `never`, an impossible date and anything else give `None`.
///
/// ```
/// use routeros_api::value::{days_from_civil, parse_datetime};
/// let at = days_from_civil(2024, 12, 15) * 86_400 + 16 * 3600 + 30 * 60 + 25;
/// assert_eq!(parse_datetime("2024-12-15 16:30:25"), Some(at));
/// assert_eq!(parse_datetime("dec/15/2024 16:30:25"), Some(at));
/// assert_eq!(parse_datetime("never"), None);
/// ```
#[must_use]
pub fn parse_datetime(text: &str) -> Option<i64> {
    let (date, time) = text.trim().split_once(' ')?;
    let (year, month, day) = match date.split_once('/') {
        Some((month, rest)) => {
            let month = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(month))? + 1;
            let (day, year) = rest.split_once('/')?;
            (number(year)?, u64::try_from(month).ok()?, number(day)?)
        }
        None => {
            let mut parts = date.splitn(3, '-');
            let year = number(parts.next()?)?;
            (year, number(parts.next()?)?, number(parts.next()?)?)
        }
    };
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    let mut clock = time.split(':');
    let (h, m, s) = (
        number(clock.next()?)?,
        number(clock.next()?)?,
        number(clock.next()?)?,
    );
    if clock.next().is_some() || h > 23 || m > 59 || s > 59 {
        return None;
    }
    let year = i64::try_from(year).ok()?;
    // Both checked above: a month of 1..=12, a day of 1..=31.
    let days = days_from_civil(year, month as u32, day as u32);
    let secs = i64::try_from(h * 3600 + m * 60 + s).ok()?;
    days.checked_mul(86_400)?.checked_add(secs)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A time (seconds since 1970-01-01 00:00:00 of the router's clock) as RouterOS 7.10+ prints
/// it: `2025-06-01 08:00:00`.
///
/// ```
/// use routeros_api::value::format_datetime;
/// assert_eq!(format_datetime(0), "1970-01-01 00:00:00");
/// ```
#[must_use]
pub fn format_datetime(epoch_secs: i64) -> String {
    let days = epoch_secs.div_euclid(86_400);
    let secs = epoch_secs.rem_euclid(86_400);
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

// ---- rates ------------------------------------------------------------------------------------

/// A rate in bits per second, as RouterOS writes one: `12300000`, `12.3Mbps`, `512kbps`,
/// `512k`, `25M`, `1G` (`k` or `K` is 1,000, `M` 10^6, `G` 10^9; the `bps` is optional).
/// A fraction is rounded to the nearest bit.
///
/// ```
/// use routeros_api::value::parse_rate;
/// assert_eq!(parse_rate("12.3Mbps"), Some(12_300_000));
/// assert_eq!(parse_rate("25M"), Some(25_000_000));
/// assert_eq!(parse_rate("fast"), None);
/// ```
#[must_use]
pub fn parse_rate(text: &str) -> Option<u64> {
    let text = text.trim();
    let text = text.strip_suffix("bps").unwrap_or(text);
    let (digits, factor): (&str, u64) = match text.as_bytes().last()? {
        b'k' | b'K' => (&text[..text.len() - 1], 1_000),
        b'M' => (&text[..text.len() - 1], 1_000_000),
        b'G' => (&text[..text.len() - 1], 1_000_000_000),
        _ => (text, 1),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let whole = number(whole)?.checked_mul(factor)?;
    if fraction.is_empty() {
        return Some(whole);
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Up to 18 fraction digits are significant (more cannot change a u64 result here).
    let fraction = &fraction[..fraction.len().min(18)];
    let scale = 10u128.pow(u32::try_from(fraction.len()).ok()?);
    let part = (u128::from(number(fraction)?) * u128::from(factor) + scale / 2) / scale;
    whole.checked_add(u64::try_from(part).ok()?)
}

// ---- item ids ---------------------------------------------------------------------------------

/// An item's internal id, printed by RouterOS as `*` and upper-case hexadecimal: `*1A`.
///
/// ```
/// use routeros_api::value::ItemId;
/// assert_eq!(ItemId::parse("*1a"), Some(ItemId(0x1A)));
/// assert_eq!(ItemId(0x1A).to_string(), "*1A");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub u32);

impl ItemId {
    /// Parses `*1A` (hexadecimal, any case). Anything else is `None`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('*')?;
        if hex.is_empty() || hex.len() > 8 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(hex, 16).ok().map(Self)
    }
}

impl fmt::Display for ItemId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "*{:X}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn booleans() {
        for (text, value) in [
            ("true", true),
            ("yes", true),
            ("false", false),
            ("no", false),
        ] {
            assert_eq!(parse_bool(text), Some(value), "{text}");
        }
        assert_eq!(parse_bool("True"), None);
        assert_eq!(parse_bool(""), None);
        assert_eq!((format_bool(true), format_bool(false)), ("true", "false"));
    }

    #[test]
    fn durations_parse() {
        let d = |t| parse_duration(t).map(|d| d.as_millis());
        assert_eq!(
            d("1w2d3h4m5s"),
            Some(((9 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000)
        );
        assert_eq!(d("5m10s250ms"), Some(310_250));
        assert_eq!(d("00:05:10"), Some(310_000));
        assert_eq!(d("00:05:10.5"), Some(310_000));
        assert_eq!(d("1d00:00:01"), Some(86_401_000));
        assert_eq!(d("0s"), Some(0));
        assert_eq!(d("1s"), Some(1000));
        assert_eq!(d("500ms"), Some(500));
        assert_eq!(d("1m30s"), Some(90_000));
        assert_eq!(d("1d2h3m4s"), Some(93_784_000));
        assert_eq!(d(""), None);
        assert_eq!(d("x"), None);
        assert_eq!(d("5x"), None);
        assert_eq!(d("5q"), None);
        assert_eq!(d("12"), None);
        assert_eq!(d("1s5"), None);
        assert_eq!(d("1:2"), None);
        assert_eq!(d("99999999999999999999s"), None);
    }

    #[test]
    fn duration_arguments_also_take_seconds() {
        let d = |t| parse_duration_arg(t).map(|d| d.as_millis());
        assert_eq!(d("1"), Some(1000));
        assert_eq!(d("5"), Some(5000));
        assert_eq!(d("1s"), Some(1000));
        assert_eq!(d("500ms"), Some(500));
        assert_eq!(d("x"), None);
        assert_eq!(d(""), None);
        assert_eq!(d("1s5"), None);
    }

    #[test]
    fn durations_print_like_routeros() {
        for (secs, text) in [
            (0, "0s"),
            (4, "4s"),
            (60, "1m"),
            (3600 + 5, "1h5s"),
            (86_400 + 2 * 3600 + 3 * 60 + 4, "1d2h3m4s"),
            (604_800 * 2 + 86_400, "2w1d"),
        ] {
            assert_eq!(format_duration(Duration::from_secs(secs)), text, "{secs}");
            assert_eq!(
                parse_duration(text),
                Some(Duration::from_secs(secs)),
                "{text}"
            );
        }
    }

    #[test]
    fn dates() {
        assert_eq!(format_datetime(0), "1970-01-01 00:00:00");
        let t = days_from_civil(2025, 6, 1) * 86_400 + 8 * 3600 + 7 * 60 + 6;
        assert_eq!(format_datetime(t), "2025-06-01 08:07:06");
        assert_eq!(parse_datetime("2025-06-01 08:07:06"), Some(t));
        let leap = days_from_civil(2024, 2, 29) * 86_400;
        assert_eq!(format_datetime(leap), "2024-02-29 00:00:00");
        assert_eq!(parse_datetime("feb/29/2024 00:00:00"), Some(leap));
        let want = days_from_civil(2024, 12, 15) * 86_400 + 16 * 3600 + 30 * 60 + 25;
        assert_eq!(parse_datetime("2024-12-15 16:30:25"), Some(want));
        assert_eq!(parse_datetime("dec/15/2024 16:30:25"), Some(want));
        assert_eq!(parse_datetime("DEC/15/2024 16:30:25"), Some(want));
        for bad in [
            "never",
            "",
            "2024-12-15",
            "2023-02-29 00:00:00",
            "2024-13-01 00:00:00",
            "2024-12-15 24:00:00",
            "2024-12-15 16:30",
            "foo/15/2024 16:30:25",
        ] {
            assert_eq!(parse_datetime(bad), None, "{bad}");
        }
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("12300000"), Some(12_300_000));
        assert_eq!(parse_rate("12.3Mbps"), Some(12_300_000));
        assert_eq!(parse_rate("512kbps"), Some(512_000));
        assert_eq!(parse_rate("512k"), Some(512_000));
        assert_eq!(parse_rate("1G"), Some(1_000_000_000));
        assert_eq!(parse_rate("1.5kbps"), Some(1500));
        assert_eq!(parse_rate("0.0004k"), Some(0));
        assert_eq!(parse_rate("x"), None);
        assert_eq!(parse_rate(""), None);
        assert_eq!(parse_rate("M"), None);
        assert_eq!(parse_rate("-5"), None);
        assert_eq!(parse_rate("99999999999G"), None);
    }

    #[test]
    fn ids() {
        assert_eq!(ItemId(0x1A).to_string(), "*1A");
        assert_eq!(ItemId::parse("*1a"), Some(ItemId(0x1A)));
        assert_eq!(ItemId::parse("*FFFFFFFE"), Some(ItemId(0xFFFF_FFFE)));
        assert_eq!(ItemId::parse("1A"), None);
        assert_eq!(ItemId::parse("*"), None);
        assert_eq!(ItemId::parse("*xyz"), None);
        assert_eq!(ItemId::parse("*+1"), None);
        assert_eq!(ItemId::parse("*123456789"), None);
    }
}
