//! RouterOS text formats: durations (`1w2d3h4m5s`), timestamps (`2025-06-01 08:00:00`),
//! item ids (`*1A`), rate limits (`25M/50M`).

use std::fmt;

/// Formats seconds as RouterOS 7 prints a duration: `1w2d3h4m5s`, zero parts left out,
/// `0s` for zero.
pub(crate) fn duration(secs: u64) -> String {
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

/// Parses a RouterOS duration: `1w2d3h4m5s`, `500ms`, `1s`, or a bare number of seconds.
/// Returns milliseconds.
pub(crate) fn parse_duration_ms(text: &str) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    if let Ok(secs) = text.parse::<u64>() {
        return secs.checked_mul(1000);
    }
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(d) = c.to_digit(10) {
            number = Some(
                number
                    .unwrap_or(0)
                    .checked_mul(10)?
                    .checked_add(u64::from(d))?,
            );
            continue;
        }
        let n = number.take()?;
        let unit_ms: u64 = match c {
            'w' => 604_800_000,
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
        total = total.checked_add(n.checked_mul(unit_ms)?)?;
    }
    if number.is_some() {
        return None;
    }
    Some(total)
}

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
pub(crate) const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Formats seconds since the Unix epoch as RouterOS 7.10+ prints times: `2025-06-01 08:00:00`.
pub(crate) fn datetime(epoch_secs: i64) -> String {
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

/// An item's internal id, printed by RouterOS as `*` and upper-case hex: `*1A`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ItemId(pub u32);

impl ItemId {
    /// Parses `*1A` (hex, any case). Anything else is `None`.
    #[must_use]
    pub fn parse(text: &str) -> Option<Self> {
        let hex = text.strip_prefix('*')?;
        if hex.is_empty() || hex.len() > 8 {
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

/// Parses one RouterOS rate such as `25M`, `512k`, `1G` or `1000000` into bits per second.
pub(crate) fn parse_rate(text: &str) -> Option<u64> {
    let text = text.trim();
    let (digits, mult) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 1_000),
        (i, 'M') => (&text[..i], 1_000_000),
        (i, 'G') => (&text[..i], 1_000_000_000),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

/// Parses the first `rx/tx` pair of a `rate-limit` (`25M/50M ...`): rates in bits per second as
/// seen from the router (rx = the subscriber's upload, tx = the subscriber's download).
pub(crate) fn parse_rate_limit(text: &str) -> Option<(u64, u64)> {
    let first = text.split_whitespace().next()?;
    let (rx, tx) = first.split_once('/')?;
    Some((parse_rate(rx)?, parse_rate(tx)?))
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(duration(secs), text, "{secs}");
        }
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration_ms("1"), Some(1000));
        assert_eq!(parse_duration_ms("1s"), Some(1000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("1d2h3m4s"), Some(93_784_000));
        assert_eq!(parse_duration_ms("x"), None);
        assert_eq!(parse_duration_ms("5"), Some(5000));
        assert_eq!(parse_duration_ms("5q"), None);
        assert_eq!(parse_duration_ms(""), None);
        assert_eq!(parse_duration_ms("1s5"), None);
    }

    #[test]
    fn datetimes() {
        assert_eq!(datetime(0), "1970-01-01 00:00:00");
        let t = days_from_civil(2025, 6, 1) * 86_400 + 8 * 3600 + 7 * 60 + 6;
        assert_eq!(datetime(t), "2025-06-01 08:07:06");
        let leap = days_from_civil(2024, 2, 29) * 86_400;
        assert_eq!(datetime(leap), "2024-02-29 00:00:00");
    }

    #[test]
    fn ids() {
        assert_eq!(ItemId(0x1A).to_string(), "*1A");
        assert_eq!(ItemId::parse("*1a"), Some(ItemId(0x1A)));
        assert_eq!(ItemId::parse("*FFFFFFFE"), Some(ItemId(0xFFFF_FFFE)));
        assert_eq!(ItemId::parse("1A"), None);
        assert_eq!(ItemId::parse("*"), None);
        assert_eq!(ItemId::parse("*xyz"), None);
        assert_eq!(ItemId::parse("*123456789"), None);
    }

    #[test]
    fn rate_limits() {
        assert_eq!(parse_rate_limit("25M/50M"), Some((25_000_000, 50_000_000)));
        assert_eq!(
            parse_rate_limit("512k/1M 1M/2M 0/0 8"),
            Some((512_000, 1_000_000))
        );
        assert_eq!(parse_rate_limit("100M"), None);
        assert_eq!(parse_rate_limit(""), None);
    }
}
