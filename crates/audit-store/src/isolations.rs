//! Isolated subscribers in the audit database: the isolation half of [`TicketStore`] for
//! [`AuditStore`](crate::AuditStore) (`isolir`, `buka`).
//!
//! One table (`migrations/0008_isolations.sql`): `isolations`, one row per isolation, the
//! snapshot of what `isolir` changed on the router, written before the router is changed.
//! Ending an isolation (lifted or undone) sets its `ended_at`; the row stays, as history. A
//! UNIQUE partial index keeps one current isolation per username (any case).
//!
//! Writes ([`TicketStore::isolate`], [`TicketStore::end_isolation`]) go through the writer
//! task like the other ticket writes (see [`crate::tickets`]), each in its own
//! `BEGIN IMMEDIATE` transaction; reads go through the read pool. Unlike the tickets' texts,
//! the snapshot's texts are kept exactly, NUL characters too: `buka` must put back the
//! comment the router had, byte for byte.
//!
//! [`TicketStore`]: pppoe_core::ticket::TicketStore
//! [`TicketStore::isolate`]: pppoe_core::ticket::TicketStore::isolate
//! [`TicketStore::end_isolation`]: pppoe_core::ticket::TicketStore::end_isolation

use std::net::Ipv4Addr;

use chrono::{DateTime, Utc};
use pppoe_core::isolation::{Isolation, IsolationPage, IsolirMethod, SecretFields};
use pppoe_core::ticket::TicketError;
use sqlx::{SqliteConnection, SqlitePool};

use crate::row::{format_at, parse_at};
use crate::tickets::store_error;

/// The columns of `isolations` an [`Isolation`] is read from, in order, for SELECTs.
const COLUMNS: &str = "id, username, router, since, by_name, reason, method, before_profile, \
     before_disabled, before_comment, after_profile, after_disabled, after_comment, list_name, \
     list_address";

/// A new, current isolation with the next id.
const INSERT: &str = "INSERT INTO isolations (id, username, router, since, by_name, reason, \
     method, before_profile, before_disabled, before_comment, after_profile, after_disabled, \
     after_comment, list_name, list_address, ended_at) \
     SELECT coalesce(max(id), 0) + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
     ?14, NULL FROM isolations";

/// Whether a username (the column compares in any case) is isolated now.
const IS_CURRENT: &str =
    "SELECT EXISTS (SELECT 1 FROM isolations WHERE username = ? AND ended_at IS NULL)";

/// Ends the current isolation of a username (any case), if there is one.
const END: &str = "UPDATE isolations SET ended_at = ?1 WHERE username = ?2 AND ended_at IS NULL";

/// How many subscribers are isolated now (the literal matches the partial indexes).
const COUNT_CURRENT: &str = "SELECT count(*) FROM isolations WHERE ended_at IS NULL";

/// Why `username` cannot be isolated again.
fn isolated_already(username: &str) -> TicketError {
    TicketError::Store(format!("{username} is isolated already"))
}

/// Records `isolation` as current, in the writer's transaction; [`TicketError::Store`] if its
/// username (any case) is isolated already.
pub(crate) async fn insert(
    conn: &mut SqliteConnection,
    isolation: &Isolation,
) -> Result<(), TicketError> {
    let username = isolation.username.as_str();
    // The writer is the only one, and this runs inside its BEGIN IMMEDIATE: nobody records an
    // isolation between the check and the insert. The index and the trigger refuse it too,
    // less clearly.
    let current: bool = sqlx::query_scalar(IS_CURRENT)
        .bind(username)
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    if current {
        return Err(isolated_already(username));
    }
    let (list_name, list_address) = match &isolation.address_list {
        Some((list, address)) => (Some(list.as_str()), Some(address.to_string())),
        None => (None, None),
    };
    sqlx::query(INSERT)
        .bind(username)
        .bind(&isolation.router)
        .bind(format_at(isolation.since))
        .bind(&isolation.by)
        .bind(isolation.reason.as_deref())
        .bind(isolation.method.as_str())
        .bind(&isolation.before.profile)
        .bind(isolation.before.disabled)
        .bind(isolation.before.comment.as_deref())
        .bind(&isolation.after.profile)
        .bind(isolation.after.disabled)
        .bind(isolation.after.comment.as_deref())
        .bind(list_name)
        .bind(list_address)
        .execute(&mut *conn)
        .await
        .map_err(|error| match &error {
            sqlx::Error::Database(e) if e.is_unique_violation() => isolated_already(username),
            _ => store_error(error),
        })?;
    Ok(())
}

/// Ends the current isolation of `username` (any case) at `at`, in the writer's transaction;
/// nothing when there is none.
pub(crate) async fn end(
    conn: &mut SqliteConnection,
    username: &str,
    at: DateTime<Utc>,
) -> Result<(), TicketError> {
    let ended = sqlx::query(END)
        .bind(format_at(at))
        .bind(username)
        .execute(&mut *conn)
        .await
        .map_err(store_error)?
        .rows_affected();
    tracing::debug!(username, ended, "isolation ended");
    Ok(())
}

/// The current isolation of `username` (any case), if any.
pub(crate) async fn current(
    reader: &SqlitePool,
    username: &str,
) -> Result<Option<Isolation>, TicketError> {
    let row: Option<IsolationRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM isolations WHERE username = ? AND ended_at IS NULL"
    ))
    .bind(username)
    .fetch_optional(reader)
    .await
    .map_err(store_error)?;
    row.map(IsolationRow::into_isolation).transpose()
}

/// One page of the current isolations, oldest first (`page` from 1), and how many there are,
/// from one snapshot.
pub(crate) async fn page(
    reader: &SqlitePool,
    page: u32,
    page_size: u32,
) -> Result<IsolationPage, TicketError> {
    let offset = u64::from(page.max(1) - 1) * u64::from(page_size);
    let mut tx = reader.begin().await.map_err(store_error)?;
    let total: i64 = sqlx::query_scalar(COUNT_CURRENT)
        .fetch_one(&mut *tx)
        .await
        .map_err(store_error)?;
    let rows: Vec<IsolationRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM isolations WHERE ended_at IS NULL ORDER BY since, id \
         LIMIT ? OFFSET ?"
    ))
    .bind(i64::from(page_size))
    .bind(i64::try_from(offset).unwrap_or(i64::MAX))
    .fetch_all(&mut *tx)
    .await
    .map_err(store_error)?;
    tx.rollback().await.map_err(store_error)?;
    Ok(IsolationPage {
        items: rows
            .into_iter()
            .map(IsolationRow::into_isolation)
            .collect::<Result<_, _>>()?,
        total: usize::try_from(total).unwrap_or(usize::MAX),
    })
}

/// An `isolations` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct IsolationRow {
    id: i64,
    username: String,
    router: String,
    since: String,
    by_name: String,
    reason: Option<String>,
    method: String,
    before_profile: String,
    before_disabled: bool,
    before_comment: Option<String>,
    after_profile: String,
    after_disabled: bool,
    after_comment: Option<String>,
    list_name: Option<String>,
    list_address: Option<String>,
}

impl IsolationRow {
    /// The isolation; [`TicketError::Store`] naming the row and column if a value cannot be
    /// read back (the schema allows none such: the file was changed outside the bot).
    fn into_isolation(self) -> Result<Isolation, TicketError> {
        let id = self.id;
        let corrupt = |column: &str, value: &dyn std::fmt::Debug| {
            TicketError::Store(format!(
                "isolation {id} holds an unreadable {column}: {value:?}"
            ))
        };
        let address_list = match (self.list_name, self.list_address) {
            (Some(list), Some(address)) => {
                let ip = address
                    .parse::<Ipv4Addr>()
                    .map_err(|_| corrupt("list_address", &address))?;
                Some((list, ip))
            }
            (None, None) => None,
            other => return Err(corrupt("list_name and list_address", &other)),
        };
        Ok(Isolation {
            since: parse_at(&self.since).ok_or_else(|| corrupt("since", &self.since))?,
            method: IsolirMethod::parse(&self.method)
                .ok_or_else(|| corrupt("method", &self.method))?,
            username: self.username,
            router: self.router,
            by: self.by_name,
            reason: self.reason,
            before: SecretFields {
                profile: self.before_profile,
                disabled: self.before_disabled,
                comment: self.before_comment,
            },
            after: SecretFields {
                profile: self.after_profile,
                disabled: self.after_disabled,
                comment: self.after_comment,
            },
            address_list,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> IsolationRow {
        IsolationRow {
            id: 4,
            username: "budi01".into(),
            router: "core-1".into(),
            since: "2026-12-02T08:00:00.000Z".into(),
            by_name: "Andi".into(),
            reason: None,
            method: "profile".into(),
            before_profile: "10M".into(),
            before_disabled: false,
            before_comment: None,
            after_profile: "isolir".into(),
            after_disabled: false,
            after_comment: Some("ISOLIR".into()),
            list_name: None,
            list_address: None,
        }
    }

    #[test]
    fn a_readable_row_is_its_isolation() {
        let isolation = row().into_isolation().unwrap();
        assert_eq!(isolation.method, IsolirMethod::Profile);
        assert_eq!(
            isolation.since,
            parse_at("2026-12-02T08:00:00.000Z").unwrap()
        );
        assert_eq!(isolation.after.comment.as_deref(), Some("ISOLIR"));
    }

    #[test]
    fn an_unreadable_row_names_its_isolation_and_column() {
        let cases = [
            (
                IsolationRow {
                    method: "quarantine".into(),
                    ..row()
                },
                "isolation 4 holds an unreadable method: \"quarantine\"",
            ),
            (
                IsolationRow {
                    since: "yesterday".into(),
                    ..row()
                },
                "isolation 4 holds an unreadable since: \"yesterday\"",
            ),
            (
                IsolationRow {
                    list_name: Some("isolir".into()),
                    list_address: Some("10.0.0.300".into()),
                    ..row()
                },
                "isolation 4 holds an unreadable list_address: \"10.0.0.300\"",
            ),
            (
                IsolationRow {
                    list_name: Some("isolir".into()),
                    ..row()
                },
                "isolation 4 holds an unreadable list_name and list_address: \
                 (Some(\"isolir\"), None)",
            ),
        ];
        for (row, want) in cases {
            assert_eq!(row.into_isolation(), Err(TicketError::Store(want.into())));
        }
    }
}
