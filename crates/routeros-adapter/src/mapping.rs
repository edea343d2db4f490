//! From RouterOS words to pppoe-core values: traps to [`RouterError`], attribute rows to
//! [`Secret`] and [`ActiveSession`], and the `.proplist`s read (secrets, sessions, address-list
//! entries). The value formats (durations, dates, booleans, rates) are routeros-api's
//! [`value`] module.

use std::net::Ipv4Addr;

use chrono::NaiveDateTime;
use pppoe_core::{ActiveSession, RouterError, Secret, SecretRef};
use routeros_api::value;
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
    "last-disconnect-reason",
];

/// The properties read for a listing: what `pppoe` shows, and `offline` (when and why a
/// subscriber dropped). The mirror keeps exactly these.
pub(crate) const LIST_PROPS: &[&str] = &[
    ".id",
    "name",
    "profile",
    "remote-address",
    "comment",
    "disabled",
    "last-logged-out",
    "last-disconnect-reason",
];

/// The properties read for an active session.
pub(crate) const ACTIVE_PROPS: &[&str] = &[".id", "name", "address", "caller-id", "uptime"];

/// The properties read to find `/ip/firewall/address-list` entries.
pub(crate) const ADDRESS_LIST_PROPS: &[&str] = &[".id", "list", "address"];

/// The properties read back after an address-list `add` whose reply was lost: the comment
/// tells our entry from one that was there before.
pub(crate) const ADDRESS_LIST_CHECK_PROPS: &[&str] = &[".id", "list", "address", "comment"];

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

/// Maps a `!trap` message. A duplicate is `failure: secret with the same name already exists`
/// for a secret, `failure: already have such entry` for an address-list entry (same list and
/// address).
pub(crate) fn map_trap(message: &str) -> RouterError {
    let lower = message.to_ascii_lowercase();
    if lower.contains("already exists")
        || lower.contains("already have")
            && (lower.contains("name") || lower.contains("such entry"))
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

/// A RouterOS boolean; absent or not a boolean is `false`.
pub(crate) fn flag(text: Option<&str>) -> bool {
    text.and_then(value::parse_bool).unwrap_or(false)
}

/// A RouterOS date and time (`last-logged-out`), on the router's clock.
pub(crate) fn datetime(text: &str) -> Option<NaiveDateTime> {
    let secs = value::parse_datetime(text)?;
    Some(chrono::DateTime::from_timestamp(secs, 0)?.naive_utc())
}

/// The value, unless absent or empty.
pub(crate) fn non_empty(value: Option<&str>) -> Option<&str> {
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
        disabled: flag(row.get("disabled")),
        last_logged_out: non_empty(row.get("last-logged-out")).and_then(datetime),
        last_caller_id: non_empty(row.get("last-caller-id")).map(str::to_owned),
        last_disconnect_reason: non_empty(row.get("last-disconnect-reason")).map(str::to_owned),
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
        uptime: non_empty(row.get("uptime")).and_then(value::parse_duration),
    }
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
        assert_eq!(
            map_trap("failure: already have such entry"),
            RouterError::AlreadyExists,
            "an address-list entry with the same list and address"
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
    fn rows() {
        let row: Attributes = [
            (".id", "*1A"),
            ("name", "john123"),
            ("disabled", "yes"),
            ("last-logged-out", "dec/15/2024 16:30:25"),
        ]
        .into_iter()
        .collect();
        let s = secret("main", &row);
        assert!(s.disabled);
        assert_eq!(s.profile, "default");
        let want = chrono::NaiveDate::from_ymd_opt(2024, 12, 15)
            .unwrap()
            .and_hms_opt(16, 30, 25)
            .unwrap();
        assert_eq!(s.last_logged_out, Some(want));
        let row: Attributes = [("name", "john123"), ("uptime", "1h5s"), ("address", "")]
            .into_iter()
            .collect();
        let a = active("main", &row);
        assert_eq!(a.uptime, Some(std::time::Duration::from_secs(3605)));
        assert_eq!(a.address, None);
        assert!(!flag(None) && !flag(Some("maybe")) && flag(Some("true")));
        assert_eq!(datetime("never"), None);
    }
}
