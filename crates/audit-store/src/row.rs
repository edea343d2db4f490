//! Rows as stored, as read and as asked for.

use chrono::{DateTime, NaiveDateTime, Utc};
use pppoe_core::{AuditEvent, Outcome, Role};
use sqlx::Row as _;
use sqlx::sqlite::SqliteRow;

use crate::StoreError;
use crate::chain::HashedFields;

/// The format of `at`: UTC, ISO 8601, milliseconds, `Z` (`2024-12-15T09:30:25.123Z`). Text in
/// this format sorts in time order.
const AT_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3fZ";

/// `at` as stored (milliseconds; anything finer is dropped).
pub(crate) fn format_at(at: DateTime<Utc>) -> String {
    at.format(AT_FORMAT).to_string()
}

/// Parses a stored `at`.
pub(crate) fn parse_at(text: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(text, AT_FORMAT)
        .ok()
        .filter(|_| text.len() == 24)
        .map(|naive| naive.and_utc())
}

/// The columns of `audit_log`, in order, for SELECTs.
pub(crate) const COLUMNS: &str = "seq, at, actor_phone, actor_lid, role, command, target, router, \
     arguments, outcome, error, reason, duration_ms, message_id, prev_hash, hash";

/// An event ready to insert: every value as it will be stored, before the writer gives it its
/// place in the chain.
#[derive(Debug, Clone)]
pub(crate) struct NewRow {
    pub(crate) at: String,
    pub(crate) actor_phone: String,
    pub(crate) actor_lid: Option<String>,
    pub(crate) role: Option<&'static str>,
    pub(crate) command: String,
    pub(crate) target: Option<String>,
    pub(crate) router: Option<String>,
    pub(crate) arguments: String,
    pub(crate) outcome: &'static str,
    pub(crate) error: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) duration_ms: i64,
    pub(crate) message_id: String,
}

/// `text` without NUL characters. Chat text can hold them, and tools that read the log (C
/// strings, some SQLite shells) stop at a NUL and would show less than what is stored and
/// hashed.
fn without_nul(mut text: String) -> String {
    if text.contains('\0') {
        text.retain(|c| c != '\0');
    }
    text
}

impl From<AuditEvent> for NewRow {
    /// The text fields lose their NUL characters here, before the row is hashed, so the hash
    /// covers what is stored. The message id is kept exactly: it is matched as given by
    /// [`crate::AuditStore::is_handled`] and the claims.
    fn from(e: AuditEvent) -> Self {
        Self {
            at: format_at(e.at),
            actor_phone: without_nul(e.actor_phone),
            actor_lid: e.actor_lid.map(without_nul),
            role: e.role.map(Role::as_str),
            command: without_nul(e.command),
            target: e.target.map(without_nul),
            router: e.router.map(without_nul),
            arguments: without_nul(e.arguments),
            outcome: e.outcome.as_str(),
            error: e.error.map(without_nul),
            reason: e.reason.map(without_nul),
            duration_ms: i64::try_from(e.duration_ms).unwrap_or(i64::MAX),
            message_id: e.message_id,
        }
    }
}

impl NewRow {
    /// The hashed fields, were this row stored as `seq`.
    pub(crate) fn fields(&self, seq: i64) -> HashedFields<'_> {
        HashedFields {
            seq,
            at: &self.at,
            actor_phone: &self.actor_phone,
            actor_lid: self.actor_lid.as_deref(),
            role: self.role,
            command: &self.command,
            target: self.target.as_deref(),
            router: self.router.as_deref(),
            arguments: &self.arguments,
            outcome: self.outcome,
            error: self.error.as_deref(),
            reason: self.reason.as_deref(),
            duration_ms: self.duration_ms,
            message_id: &self.message_id,
        }
    }
}

/// A row exactly as stored (for the chain check, which must hash what is there).
#[derive(Debug, Clone)]
pub(crate) struct RawRow {
    pub(crate) seq: i64,
    pub(crate) at: String,
    pub(crate) actor_phone: String,
    pub(crate) actor_lid: Option<String>,
    pub(crate) role: Option<String>,
    pub(crate) command: String,
    pub(crate) target: Option<String>,
    pub(crate) router: Option<String>,
    pub(crate) arguments: String,
    pub(crate) outcome: String,
    pub(crate) error: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) duration_ms: i64,
    pub(crate) message_id: String,
    pub(crate) prev_hash: String,
    pub(crate) hash: String,
}

impl RawRow {
    /// Reads a row selected with [`COLUMNS`].
    pub(crate) fn from_row(row: &SqliteRow) -> Result<Self, sqlx::Error> {
        Ok(Self {
            seq: row.try_get("seq")?,
            at: row.try_get("at")?,
            actor_phone: row.try_get("actor_phone")?,
            actor_lid: row.try_get("actor_lid")?,
            role: row.try_get("role")?,
            command: row.try_get("command")?,
            target: row.try_get("target")?,
            router: row.try_get("router")?,
            arguments: row.try_get("arguments")?,
            outcome: row.try_get("outcome")?,
            error: row.try_get("error")?,
            reason: row.try_get("reason")?,
            duration_ms: row.try_get("duration_ms")?,
            message_id: row.try_get("message_id")?,
            prev_hash: row.try_get("prev_hash")?,
            hash: row.try_get("hash")?,
        })
    }

    /// The hashed fields.
    pub(crate) fn fields(&self) -> HashedFields<'_> {
        HashedFields {
            seq: self.seq,
            at: &self.at,
            actor_phone: &self.actor_phone,
            actor_lid: self.actor_lid.as_deref(),
            role: self.role.as_deref(),
            command: &self.command,
            target: self.target.as_deref(),
            router: self.router.as_deref(),
            arguments: &self.arguments,
            outcome: &self.outcome,
            error: self.error.as_deref(),
            reason: self.reason.as_deref(),
            duration_ms: self.duration_ms,
            message_id: &self.message_id,
        }
    }
}

impl TryFrom<RawRow> for AuditRow {
    type Error = StoreError;

    fn try_from(raw: RawRow) -> Result<Self, StoreError> {
        let seq = raw.seq;
        let corrupt = |column: &'static str, value: &str| StoreError::Corrupt {
            seq,
            column,
            value: value.to_owned(),
        };
        let at = parse_at(&raw.at).ok_or_else(|| corrupt("at", &raw.at))?;
        let role = match raw.role.as_deref() {
            None => None,
            Some("admin") => Some(Role::Admin),
            Some("technician") => Some(Role::Technician),
            Some(other) => return Err(corrupt("role", other)),
        };
        let outcome = Outcome::parse(&raw.outcome)
            .filter(|o| o.as_str() == raw.outcome)
            .ok_or_else(|| corrupt("outcome", &raw.outcome))?;
        let duration_ms = u64::try_from(raw.duration_ms)
            .map_err(|_| corrupt("duration_ms", &raw.duration_ms.to_string()))?;
        Ok(Self {
            seq,
            event: AuditEvent {
                at,
                actor_phone: raw.actor_phone,
                actor_lid: raw.actor_lid,
                role,
                command: raw.command,
                target: raw.target,
                router: raw.router,
                arguments: raw.arguments,
                outcome,
                error: raw.error,
                reason: raw.reason,
                duration_ms,
                message_id: raw.message_id,
            },
            prev_hash: raw.prev_hash,
            hash: raw.hash,
        })
    }
}

/// One row of `audit_log`: an audited attempt with its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditRow {
    /// Position in the log: 1, 2, 3... without gaps.
    pub seq: i64,
    /// The event the row records (`at` at millisecond precision).
    pub event: AuditEvent,
    /// The previous row's hash (64 zeros for row 1), lowercase hex.
    pub prev_hash: String,
    /// This row's hash, lowercase hex.
    pub hash: String,
}

/// Which rows [`AuditStore::query`](crate::AuditStore::query) returns, newest first.
///
/// Every filter is optional and they combine with AND. Build it as a plain struct
/// (`AuditQuery { outcome: Some(Outcome::Denied), ..AuditQuery::default() }`) or with the
/// builder methods (`AuditQuery::new().outcome(Outcome::Denied).limit(50)`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this actor (`actor_phone`, exactly as stored: the normalized number).
    pub actor: Option<String>,
    /// Only attempts concerning this PPPoE username (`target`).
    pub username: Option<String>,
    /// Only this command word (`addpppoe`, ...).
    pub command: Option<String>,
    /// Only this outcome.
    pub outcome: Option<Outcome>,
    /// Only attempts at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only attempts strictly before this time.
    pub until: Option<DateTime<Utc>>,
    /// At most this many rows; all when `None`.
    pub limit: Option<u32>,
    /// Skip this many (newest) matching rows first: page `n` (0-based) of size `s` is
    /// `offset = n * s`, `limit = s`.
    pub offset: u64,
}

impl AuditQuery {
    /// Every row.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this actor.
    #[must_use]
    pub fn actor(mut self, phone: impl Into<String>) -> Self {
        self.actor = Some(phone.into());
        self
    }

    /// Only this PPPoE username.
    #[must_use]
    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// Only this command word.
    #[must_use]
    pub fn command(mut self, command: impl Into<String>) -> Self {
        self.command = Some(command.into());
        self
    }

    /// Only this outcome.
    #[must_use]
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// Only at or after `at`.
    #[must_use]
    pub fn since(mut self, at: DateTime<Utc>) -> Self {
        self.since = Some(at);
        self
    }

    /// Only strictly before `at`.
    #[must_use]
    pub fn until(mut self, at: DateTime<Utc>) -> Self {
        self.until = Some(at);
        self
    }

    /// At most `limit` rows.
    #[must_use]
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Skip the `offset` newest matching rows.
    #[must_use]
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn at_has_milliseconds_and_z() {
        let at = Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap()
            + chrono::Duration::microseconds(123_987);
        assert_eq!(format_at(at), "2024-12-15T09:30:25.123Z");
        let whole = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap();
        assert_eq!(format_at(whole), "2024-01-02T03:04:05.000Z");
    }

    #[test]
    fn at_round_trips_at_millisecond_precision() {
        let at = Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap()
            + chrono::Duration::milliseconds(7);
        assert_eq!(parse_at(&format_at(at)), Some(at));
        assert_eq!(parse_at("2024-12-15T09:30:25Z"), None);
        assert_eq!(parse_at("2024-12-15 09:30:25.123"), None);
    }

    #[test]
    fn at_text_sorts_in_time_order() {
        let a = Utc.with_ymd_and_hms(2024, 9, 30, 23, 59, 59).unwrap();
        let b = a + chrono::Duration::milliseconds(1);
        let c = Utc.with_ymd_and_hms(2024, 10, 1, 0, 0, 0).unwrap() + chrono::Duration::days(40);
        assert!(format_at(a) < format_at(b) && format_at(b) < format_at(c));
    }

    #[test]
    fn nul_characters_are_not_stored() {
        let event = AuditEvent {
            at: Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap(),
            actor_phone: "62811\0".into(),
            actor_lid: Some("1\0@lid".into()),
            role: None,
            command: "del\0pppoe".into(),
            target: Some("john\0-123".into()),
            router: Some("core\0-1".into()),
            arguments: "john123 \0\0x".into(),
            outcome: Outcome::Invalid,
            error: Some("bad\0".into()),
            reason: Some("\0pindah".into()),
            duration_ms: 1,
            message_id: "m1".into(),
        };
        let row = NewRow::from(event);
        let f = row.fields(1);
        let text = [
            Some(f.actor_phone),
            f.actor_lid,
            Some(f.command),
            f.target,
            f.router,
            Some(f.arguments),
            f.error,
            f.reason,
        ];
        assert_eq!(
            text,
            [
                Some("62811"),
                Some("1@lid"),
                Some("delpppoe"),
                Some("john-123"),
                Some("core-1"),
                Some("john123 x"),
                Some("bad"),
                Some("pindah"),
            ]
        );
    }

    #[test]
    fn builder_sets_fields() {
        let q = AuditQuery::new()
            .actor("62812")
            .username("john")
            .command("delpppoe")
            .outcome(Outcome::Ok)
            .limit(10)
            .offset(20);
        assert_eq!(
            q,
            AuditQuery {
                actor: Some("62812".into()),
                username: Some("john".into()),
                command: Some("delpppoe".into()),
                outcome: Some(Outcome::Ok),
                limit: Some(10),
                offset: 20,
                ..AuditQuery::default()
            }
        );
    }
}
