//! From RouterOS words to pppoe-core values: traps to [`RouterError`], attribute rows to
//! [`Secret`] and [`ActiveSession`], durations and dates.

use std::net::Ipv4Addr;
use std::time::Duration;

use chrono::{NaiveDate, NaiveDateTime};
use pppoe_core::{ActiveSession, RouterError, Secret, SecretRef};
use routeros_api::{Attributes, ClientError};

/// The properties read for a secret (`.proplist`).
pub(crate) const SECRET_PROPS: &[&str] = &[
    ".id",
    "name",
    "profile",
    "remote-address",
    "comment",
    "disabled",
    "last-logged-out",
    "last-caller-id",
];

/// The properties read for a listing.
pub(crate) const LIST_PROPS: &[&str] = &[
    ".id",
    "name",
    "profile",
    "remote-address",
    "comment",
    "disabled",
];

/// The properties read for an active session.
pub(crate) const ACTIVE_PROPS: &[&str] = &[".id", "name", "address", "caller-id", "uptime"];

/// Maps a client error to the port's error. Traps are mapped by their text (RouterOS gives
/// most refusals category 0 or none), unknown traps keep their text.
pub(crate) fn map_error(err: ClientError) -> RouterError {
    match err {
        ClientError::Trap { message, .. } => map_trap(&message),
        ClientError::Timeout { .. } => RouterError::Timeout,
        ClientError::Login { message } => RouterError::LoginRefused(message),
        ClientError::Certificate { message, .. } => RouterError::Certificate(message),
        other => RouterError::Unreachable(other.to_string()),
    }
}

/// Maps a `!trap` message.
pub(crate) fn map_trap(message: &str) -> RouterError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("already exists") || lower.contains("already have") && lower.contains("name")
    {
        RouterError::AlreadyExists
    } else if lower.contains("no such item") || lower.contains("no such user") {
        RouterError::NotFound
    } else if lower.contains("input does not match any value of profile") {
        RouterError::UnknownProfile
    } else if lower.starts_with("invalid value")
        || lower.contains("invalid value for")
        || lower.contains("value of") && lower.contains("out of range")
        || lower.starts_with("expected ")
    {
        RouterError::InvalidValue(message.to_owned())
    } else {
        RouterError::Rejected(message.to_owned())
    }
}

/// RouterOS booleans: `true`/`yes` (API) and `false`/`no`.
pub(crate) fn parse_bool(value: Option<&str>) -> bool {
    matches!(value, Some("true" | "yes"))
}

fn non_empty(value: Option<&str>) -> Option<&str> {
    value.filter(|v| !v.is_empty())
}

/// A secret from a `print` row.
pub(crate) fn secret(router: &str, row: &Attributes) -> Secret {
    Secret {
        at: SecretRef {
            router: router.to_owned(),
            id: row.get(".id").unwrap_or_default().to_owned(),
        },
        name: row.get("name").unwrap_or_default().to_owned(),
        profile: row.get("profile").unwrap_or("default").to_owned(),
        remote_address: non_empty(row.get("remote-address")).and_then(|a| a.parse().ok()),
        comment: non_empty(row.get("comment")).map(str::to_owned),
        disabled: parse_bool(row.get("disabled")),
        last_logged_out: non_empty(row.get("last-logged-out")).and_then(parse_datetime),
        last_caller_id: non_empty(row.get("last-caller-id")).map(str::to_owned),
    }
}

/// An active session from a `print` row.
pub(crate) fn active(router: &str, row: &Attributes) -> ActiveSession {
    ActiveSession {
        router: router.to_owned(),
        id: row.get(".id").unwrap_or_default().to_owned(),
        name: row.get("name").unwrap_or_default().to_owned(),
        address: non_empty(row.get("address")).and_then(|a| a.parse::<Ipv4Addr>().ok()),
        caller_id: non_empty(row.get("caller-id")).map(str::to_owned),
        uptime: non_empty(row.get("uptime")).and_then(parse_duration),
    }
}

/// RouterOS durations: `1w2d3h4m5s`, `5m10s250ms`, `00:05:10`, `1d00:05:10`.
pub(crate) fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    if text.contains(':') {
        let (days, clock) = match text.split_once('d') {
            Some((d, rest)) => (d.parse::<u64>().ok()?, rest),
            None => (0, text),
        };
        let parts: Vec<u64> = clock
            .split(':')
            .map(|p| p.split('.').next().unwrap_or(p).parse().ok())
            .collect::<Option<_>>()?;
        let [h, m, s] = parts[..] else { return None };
        return Some(Duration::from_secs(days * 86_400 + h * 3600 + m * 60 + s));
    }
    let mut total_ms: u64 = 0;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    let mut any = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().ok()?;
        number.clear();
        let unit_ms = match c {
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
        any = true;
    }
    if !number.is_empty() {
        return None;
    }
    any.then(|| Duration::from_millis(total_ms))
}

/// `last-logged-out`: `2024-12-15 16:30:25` (RouterOS 7.10+) or `dec/15/2024 16:30:25`
/// (older); `never` and anything else give `None`.
pub(crate) fn parse_datetime(text: &str) -> Option<NaiveDateTime> {
    if let Ok(t) = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        return Some(t);
    }
    let (date, time) = text.split_once(' ')?;
    let mut parts = date.split('/');
    let month = match parts.next()?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let day: u32 = parts.next()?.parse().ok()?;
    let year: i32 = parts.next()?.parse().ok()?;
    let time = chrono::NaiveTime::parse_from_str(time, "%H:%M:%S").ok()?;
    Some(NaiveDate::from_ymd_opt(year, month, day)?.and_time(time))
}

/// A `*-bits-per-second` value: plain bits (`12300000`) or with a unit (`12.3Mbps`).
pub(crate) fn parse_bps(text: &str) -> Option<u64> {
    let t = text.trim().trim_end_matches("bps");
    let (num, factor) = match t.as_bytes().last()? {
        b'k' | b'K' => (&t[..t.len() - 1], 1e3),
        b'M' => (&t[..t.len() - 1], 1e6),
        b'G' => (&t[..t.len() - 1], 1e9),
        _ => (t, 1.0),
    };
    let value: f64 = num.parse().ok()?;
    (value >= 0.0).then(|| (value * factor).round() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traps() {
        assert_eq!(
            map_trap("failure: secret with the same name already exists"),
            RouterError::AlreadyExists
        );
        assert_eq!(map_trap("no such item"), RouterError::NotFound);
        assert_eq!(
            map_trap("input does not match any value of profile"),
            RouterError::UnknownProfile
        );
        assert!(matches!(
            map_trap("invalid value for argument remote-address"),
            RouterError::InvalidValue(_)
        ));
        assert_eq!(
            map_trap("failure: something new"),
            RouterError::Rejected("failure: something new".into())
        );
    }

    #[test]
    fn durations() {
        let d = |t| parse_duration(t).map(|d| d.as_millis());
        assert_eq!(
            d("1w2d3h4m5s"),
            Some(((9 * 24 + 3) * 3600 + 4 * 60 + 5) * 1000)
        );
        assert_eq!(d("5m10s250ms"), Some(310_250));
        assert_eq!(d("00:05:10"), Some(310_000));
        assert_eq!(d("1d00:00:01"), Some(86_401_000));
        assert_eq!(d("0s"), Some(0));
        assert_eq!(d(""), None);
        assert_eq!(d("5x"), None);
        assert_eq!(d("12"), None);
    }

    #[test]
    fn dates_and_rates() {
        let want = NaiveDate::from_ymd_opt(2024, 12, 15)
            .unwrap()
            .and_hms_opt(16, 30, 25)
            .unwrap();
        assert_eq!(parse_datetime("2024-12-15 16:30:25"), Some(want));
        assert_eq!(parse_datetime("dec/15/2024 16:30:25"), Some(want));
        assert_eq!(parse_datetime("never"), None);
        assert_eq!(parse_bps("12300000"), Some(12_300_000));
        assert_eq!(parse_bps("12.3Mbps"), Some(12_300_000));
        assert_eq!(parse_bps("512kbps"), Some(512_000));
        assert_eq!(parse_bps("x"), None);
    }
}
