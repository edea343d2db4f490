//! Trouble tickets in the audit database: [`TicketStore`] for [`AuditStore`].
//!
//! Two tables (`migrations/0005_tickets.sql`, documented in docs/auditor.md): `tickets`, one
//! row per ticket changed in place under a version, and `ticket_events`, its append-only
//! history. They are working state beside the audit log, not part of its hash chain.
//!
//! Writes ([`TicketStore::open`], [`TicketStore::update`]) go through the one writer task like
//! appends do, each in its own `BEGIN IMMEDIATE` transaction: the next number is `max + 1`
//! inside it, and an update is compare-and-set on the version read. Reads go through the read
//! pool, each in one read transaction (one snapshot: a page and its total, a ticket and its
//! events agree).

use chrono::{DateTime, Utc};
use pppoe_core::ticket::{
    NewTicket, Resolution, Ticket, TicketError, TicketEvent, TicketEventKind, TicketFilter,
    TicketId, TicketPage, TicketState, TicketStore, TicketUpdate,
};
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::oneshot;

use crate::row::{format_at, parse_at};
use crate::writer::Request;
use crate::{AuditStore, StoreError};

/// A ticket write, for the writer task.
#[derive(Debug)]
pub(crate) enum TicketWrite {
    /// Open a ticket with the next number.
    Open(NewTicket),
    /// Compare-and-set a ticket, with its event.
    Update(TicketUpdate),
    /// Keep a customer's number for a subscriber.
    Customer {
        username: String,
        phone: String,
        at: DateTime<Utc>,
    },
}

/// What a [`TicketWrite`] wrote.
#[derive(Debug)]
pub(crate) enum Written {
    /// The ticket as written.
    Ticket(Ticket),
    /// A subscriber record.
    Record,
}

/// The ticket a ticket write wrote.
fn written_ticket(written: Written) -> Result<Ticket, TicketError> {
    match written {
        Written::Ticket(t) => Ok(t),
        Written::Record => Err(TicketError::Store(
            "the writer answered a ticket write with a record".to_owned(),
        )),
    }
}

/// Keeps (or replaces) a subscriber's customer number.
const UPSERT_CUSTOMER: &str = "INSERT INTO subscribers (username, customer_phone, updated_at) \
     VALUES (?1, ?2, ?3) ON CONFLICT (username) DO UPDATE SET \
     customer_phone = excluded.customer_phone, updated_at = excluded.updated_at";

/// The columns of `tickets`, in order, for SELECTs.
const COLUMNS: &str = "number, state, username, complaint, reporter, assignee, opened_at, \
     taken_at, resolved_at, closed_at, installed_at, version";

/// The next ticket number: one past the highest (rows are never deleted, so none is reused).
const NEXT_NUMBER: &str = "SELECT coalesce(max(number), 0) + 1 FROM tickets";

/// A new ticket: open, version 0.
const INSERT_TICKET: &str = "INSERT INTO tickets (number, state, username, complaint, reporter, \
     assignee, opened_at, taken_at, resolved_at, closed_at, installed_at, version) \
     VALUES (?1, 'open', ?2, ?3, ?4, NULL, ?5, NULL, NULL, NULL, NULL, 0)";

/// Compare-and-set: writes the ticket only if it still has the version read (?12).
const UPDATE_TICKET: &str = "UPDATE tickets SET state = ?1, username = ?2, complaint = ?3, \
     reporter = ?4, assignee = ?5, opened_at = ?6, taken_at = ?7, resolved_at = ?8, \
     closed_at = ?9, installed_at = ?10, version = version + 1 \
     WHERE number = ?11 AND version = ?12";

/// Appends an event with the next id.
const INSERT_EVENT: &str = "INSERT INTO ticket_events (id, ticket, at, actor, kind, value, text, \
     message_id) SELECT coalesce(max(id), 0) + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7 FROM ticket_events";

/// A ticket's events, oldest first.
const EVENTS: &str = "SELECT id, at, actor, kind, value, text, message_id FROM ticket_events \
     WHERE ticket = ? ORDER BY id";

/// A failure of the database, as the port carries it.
fn store_error(error: impl Into<StoreError>) -> TicketError {
    TicketError::Store(error.into().chain())
}

/// `text` without NUL characters, as in `audit_log`: tools that stop at a NUL would show less
/// than what is stored.
fn without_nul(text: &str) -> String {
    text.replace('\0', "")
}

fn optional_text(text: Option<&str>) -> Option<String> {
    text.map(without_nul)
}

fn optional_at(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(format_at)
}

/// The ticket with this id's stored number.
fn number(id: TicketId) -> i64 {
    i64::from(id.number())
}

/// Runs one ticket write in its own `BEGIN IMMEDIATE` transaction on the writer's connection;
/// nothing is written unless it returns `Ok`.
pub(crate) async fn write(
    conn: &mut SqliteConnection,
    op: &TicketWrite,
) -> Result<Written, TicketError> {
    let mut tx = conn
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(store_error)?;
    let result = match op {
        TicketWrite::Open(new) => open_in(&mut tx, new).await.map(Written::Ticket),
        TicketWrite::Update(update) => update_in(&mut tx, update).await.map(Written::Ticket),
        TicketWrite::Customer {
            username,
            phone,
            at,
        } => sqlx::query(UPSERT_CUSTOMER)
            .bind(username)
            .bind(phone)
            .bind(format_at(*at))
            .execute(&mut *tx)
            .await
            .map(|_| Written::Record)
            .map_err(store_error),
    };
    match result {
        Ok(written) => {
            tx.commit().await.map_err(store_error)?;
            if let Written::Ticket(ticket) = &written {
                tracing::debug!(ticket = %ticket.id, version = ticket.version, "ticket written");
            }
            Ok(written)
        }
        Err(error) => {
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rolling a ticket write back failed");
            }
            if matches!(error, TicketError::Store(_)) {
                tracing::error!(error = %error, "ticket write failed");
            }
            Err(error)
        }
    }
}

/// Inserts the ticket with the next number and its `opened` event.
async fn open_in(conn: &mut SqliteConnection, new: &NewTicket) -> Result<Ticket, TicketError> {
    let next: i64 = sqlx::query_scalar(NEXT_NUMBER)
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    let id = u32::try_from(next)
        .ok()
        .and_then(TicketId::new)
        .ok_or_else(|| TicketError::Store(format!("no ticket number after {}", next - 1)))?;
    sqlx::query(INSERT_TICKET)
        .bind(number(id))
        .bind(optional_text(new.username.as_deref()))
        .bind(without_nul(&new.complaint))
        .bind(without_nul(&new.reporter))
        .bind(format_at(new.at))
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    let event = TicketEvent {
        at: new.at,
        actor: Some(new.reporter.clone()),
        kind: TicketEventKind::Opened,
        text: None,
        message_id: Some(new.message_id.clone()),
    };
    insert_event(conn, id, &event).await?;
    written(conn, id).await
}

/// Writes the ticket if its version is still the one read, and its event.
async fn update_in(
    conn: &mut SqliteConnection,
    update: &TicketUpdate,
) -> Result<Ticket, TicketError> {
    let t = &update.ticket;
    let changed = sqlx::query(UPDATE_TICKET)
        .bind(t.state.as_str())
        .bind(optional_text(t.username.as_deref()))
        .bind(without_nul(&t.complaint))
        .bind(without_nul(&t.reporter))
        .bind(optional_text(t.assignee.as_deref()))
        .bind(format_at(t.opened_at))
        .bind(optional_at(t.taken_at))
        .bind(optional_at(t.resolved_at))
        .bind(optional_at(t.closed_at))
        .bind(optional_at(t.installed_at))
        .bind(number(t.id))
        .bind(i64::from(t.version))
        .execute(&mut *conn)
        .await
        .map_err(store_error)?
        .rows_affected();
    if changed == 0 {
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tickets WHERE number = ?)")
                .bind(number(t.id))
                .fetch_one(&mut *conn)
                .await
                .map_err(store_error)?;
        return Err(if exists {
            TicketError::Conflict(t.id)
        } else {
            TicketError::NotFound(t.id)
        });
    }
    insert_event(conn, t.id, &update.event).await?;
    written(conn, t.id).await
}

/// Appends `event` to the ticket's history; a message id already in some history is refused
/// (the table's triggers would refuse it too, less clearly).
async fn insert_event(
    conn: &mut SqliteConnection,
    id: TicketId,
    event: &TicketEvent,
) -> Result<(), TicketError> {
    if let Some(message_id) = &event.message_id {
        let recorded: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ticket_events WHERE message_id = ?)")
                .bind(message_id)
                .fetch_one(&mut *conn)
                .await
                .map_err(store_error)?;
        if recorded {
            return Err(TicketError::Store(format!(
                "message {message_id} is already recorded in a ticket's history"
            )));
        }
    }
    sqlx::query(INSERT_EVENT)
        .bind(number(id))
        .bind(format_at(event.at))
        .bind(optional_text(event.actor.as_deref()))
        .bind(event.kind.as_str())
        .bind(optional_text(event.kind.value()))
        .bind(optional_text(event.text.as_deref()))
        .bind(event.message_id.as_deref())
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// The ticket as the transaction wrote it (times at millisecond precision, as stored).
async fn written(conn: &mut SqliteConnection, id: TicketId) -> Result<Ticket, TicketError> {
    read_ticket(conn, id)
        .await?
        .ok_or_else(|| TicketError::Store(format!("ticket {id} was written but cannot be read")))
}

async fn read_ticket(
    conn: &mut SqliteConnection,
    id: TicketId,
) -> Result<Option<Ticket>, TicketError> {
    let row: Option<TicketRow> =
        sqlx::query_as(&format!("SELECT {COLUMNS} FROM tickets WHERE number = ?"))
            .bind(number(id))
            .fetch_optional(&mut *conn)
            .await
            .map_err(store_error)?;
    row.map(TicketRow::into_ticket).transpose()
}

/// A `tickets` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct TicketRow {
    number: i64,
    state: String,
    username: Option<String>,
    complaint: String,
    reporter: String,
    assignee: Option<String>,
    opened_at: String,
    taken_at: Option<String>,
    resolved_at: Option<String>,
    closed_at: Option<String>,
    installed_at: Option<String>,
    version: i64,
}

impl TicketRow {
    /// The ticket; [`TicketError::Store`] naming the column if a value cannot be read back
    /// (the schema allows none such: the file was changed outside the bot).
    fn into_ticket(self) -> Result<Ticket, TicketError> {
        let number = self.number;
        let corrupt = |column: &str, value: &str| {
            TicketError::Store(format!(
                "ticket {number} holds an unreadable {column}: {value:?}"
            ))
        };
        let at = |column: &str, value: &str| parse_at(value).ok_or_else(|| corrupt(column, value));
        let optional =
            |column: &str, value: Option<String>| value.map(|v| at(column, &v)).transpose();
        Ok(Ticket {
            id: u32::try_from(number)
                .ok()
                .and_then(TicketId::new)
                .ok_or_else(|| corrupt("number", &number.to_string()))?,
            state: TicketState::parse(&self.state).ok_or_else(|| corrupt("state", &self.state))?,
            username: self.username,
            complaint: self.complaint,
            reporter: self.reporter,
            assignee: self.assignee,
            opened_at: at("opened_at", &self.opened_at)?,
            taken_at: optional("taken_at", self.taken_at)?,
            resolved_at: optional("resolved_at", self.resolved_at)?,
            closed_at: optional("closed_at", self.closed_at)?,
            installed_at: optional("installed_at", self.installed_at)?,
            version: u32::try_from(self.version)
                .map_err(|_| corrupt("version", &self.version.to_string()))?,
        })
    }
}

/// A `ticket_events` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct EventRow {
    id: i64,
    at: String,
    actor: Option<String>,
    kind: String,
    value: Option<String>,
    text: Option<String>,
    message_id: Option<String>,
}

impl EventRow {
    fn into_event(self) -> Result<TicketEvent, TicketError> {
        let id = self.id;
        let corrupt = |column: &str, value: &str| {
            TicketError::Store(format!(
                "ticket event {id} holds an unreadable {column}: {value:?}"
            ))
        };
        Ok(TicketEvent {
            at: parse_at(&self.at).ok_or_else(|| corrupt("at", &self.at))?,
            actor: self.actor,
            kind: TicketEventKind::from_parts(&self.kind, self.value.as_deref())
                .ok_or_else(|| corrupt("kind", &self.kind))?,
            text: self.text,
            message_id: self.message_id,
        })
    }
}

/// The WHERE clause of a listing, and the value it binds, if any.
fn filter_clause(filter: &TicketFilter) -> (&'static str, Option<&str>) {
    match filter {
        TicketFilter::Active => ("state IN ('open', 'in_progress')", None),
        TicketFilter::AssignedTo(phone) => (
            "state IN ('open', 'in_progress') AND assignee = ?",
            Some(phone),
        ),
        TicketFilter::Subscriber(username) => ("username = ? COLLATE NOCASE", Some(username)),
        TicketFilter::All => ("1", None),
    }
}

impl AuditStore {
    /// Sends a ticket write to the writer and waits for its answer.
    async fn ticket_write(&self, op: TicketWrite) -> Result<Written, TicketError> {
        let writer = self
            .writer()
            .ok_or_else(|| TicketError::Store("read-only".to_owned()))?;
        let (ack, answer) = oneshot::channel();
        writer
            .send(Request::Ticket {
                op: Box::new(op),
                ack,
            })
            .await
            .map_err(|_| store_error(StoreError::Closed))?;
        answer.await.map_err(|_| store_error(StoreError::Closed))?
    }
}

impl TicketStore for AuditStore {
    async fn open(&self, new: NewTicket) -> Result<Ticket, TicketError> {
        written_ticket(self.ticket_write(TicketWrite::Open(new)).await?)
    }

    async fn get(&self, id: TicketId) -> Result<Option<(Ticket, Vec<TicketEvent>)>, TicketError> {
        let mut tx = self.reader().begin().await.map_err(store_error)?;
        let Some(ticket) = read_ticket(&mut tx, id).await? else {
            return Ok(None);
        };
        let events: Vec<EventRow> = sqlx::query_as(EVENTS)
            .bind(number(id))
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.rollback().await.map_err(store_error)?;
        let events = events
            .into_iter()
            .map(EventRow::into_event)
            .collect::<Result<_, _>>()?;
        Ok(Some((ticket, events)))
    }

    async fn list(
        &self,
        filter: &TicketFilter,
        page: u32,
        page_size: u32,
    ) -> Result<TicketPage, TicketError> {
        let (clause, value) = filter_clause(filter);
        let offset = u64::from(page.max(1) - 1) * u64::from(page_size);
        let mut tx = self.reader().begin().await.map_err(store_error)?;
        let count_sql = format!("SELECT count(*) FROM tickets WHERE {clause}");
        let count = sqlx::query_scalar(&count_sql);
        let count = match value {
            Some(v) => count.bind(v),
            None => count,
        };
        let total: i64 = count.fetch_one(&mut *tx).await.map_err(store_error)?;
        let page_sql = format!(
            "SELECT {COLUMNS} FROM tickets WHERE {clause} ORDER BY number LIMIT ? OFFSET ?"
        );
        let rows = sqlx::query_as(&page_sql);
        let rows = match value {
            Some(v) => rows.bind(v),
            None => rows,
        };
        let rows: Vec<TicketRow> = rows
            .bind(i64::from(page_size))
            .bind(i64::try_from(offset).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.rollback().await.map_err(store_error)?;
        Ok(TicketPage {
            items: rows
                .into_iter()
                .map(TicketRow::into_ticket)
                .collect::<Result<_, _>>()?,
            total: usize::try_from(total).unwrap_or(usize::MAX),
        })
    }

    async fn update(&self, update: TicketUpdate) -> Result<Ticket, TicketError> {
        written_ticket(self.ticket_write(TicketWrite::Update(update)).await?)
    }

    async fn set_customer(
        &self,
        username: &str,
        phone: &str,
        at: DateTime<Utc>,
    ) -> Result<(), TicketError> {
        self.ticket_write(TicketWrite::Customer {
            username: username.to_owned(),
            phone: phone.to_owned(),
            at,
        })
        .await
        .map(|_| ())
    }

    async fn customer(&self, username: &str) -> Result<Option<String>, TicketError> {
        sqlx::query_scalar("SELECT customer_phone FROM subscribers WHERE username = ?")
            .bind(username)
            .fetch_optional(self.reader())
            .await
            .map_err(store_error)
    }

    async fn resolved_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Ticket>, TicketError> {
        // The literal matches the partial index tickets_resolved.
        let rows: Vec<TicketRow> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM tickets WHERE state = 'resolved' AND resolved_at <= ? \
             ORDER BY number"
        ))
        .bind(format_at(cutoff))
        .fetch_all(self.reader())
        .await
        .map_err(store_error)?;
        rows.into_iter().map(TicketRow::into_ticket).collect()
    }

    async fn resolutions(&self, since: DateTime<Utc>) -> Result<Vec<Resolution>, TicketError> {
        let rows: Vec<ResolutionRow> = sqlx::query_as(RESOLUTIONS)
            .bind(format_at(since))
            .fetch_all(self.reader())
            .await
            .map_err(store_error)?;
        rows.into_iter()
            .map(|(ticket, resolver, reported, taken, resolved)| {
                let id = u32::try_from(ticket)
                    .ok()
                    .and_then(TicketId::new)
                    .ok_or_else(|| TicketError::Store(format!("ticket number {ticket}")))?;
                let time = |text: &str| {
                    parse_at(text).ok_or_else(|| {
                        TicketError::Store(format!("ticket {id}: unreadable time {text:?}"))
                    })
                };
                let resolved_at = time(&resolved)?;
                Ok(Resolution {
                    ticket: id,
                    resolver,
                    reported_at: reported
                        .as_deref()
                        .map(time)
                        .transpose()?
                        .unwrap_or(resolved_at),
                    taken_at: taken.as_deref().map(time).transpose()?,
                    resolved_at,
                })
            })
            .collect()
    }
}

/// A row of [`RESOLUTIONS`]: the ticket number, the resolver, the report's, the take's and
/// the resolution's times.
type ResolutionRow = (i64, Option<String>, Option<String>, Option<String>, String);

/// Every `resolved` event from a time on, with the last report (opened or reopened) before
/// it and the last take or assignment after that report (the same rule as
/// `pppoe_core::ticket::resolutions_in`).
const RESOLUTIONS: &str = "SELECT r.ticket, r.actor, \
     (SELECT o.at FROM ticket_events o WHERE o.ticket = r.ticket AND o.id < r.id \
        AND o.kind IN ('opened', 'reopened') ORDER BY o.id DESC LIMIT 1), \
     (SELECT t.at FROM ticket_events t WHERE t.ticket = r.ticket AND t.id < r.id \
        AND t.kind IN ('taken', 'assigned') \
        AND t.id > coalesce((SELECT max(o.id) FROM ticket_events o WHERE o.ticket = r.ticket \
              AND o.id < r.id AND o.kind IN ('opened', 'reopened')), 0) \
        ORDER BY t.id DESC LIMIT 1), \
     r.at \
     FROM ticket_events r WHERE r.kind = 'resolved' AND r.at >= ?1 ORDER BY r.at, r.id";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_filter_binds_what_its_clause_asks_for() {
        for filter in [
            TicketFilter::Active,
            TicketFilter::AssignedTo("6281".into()),
            TicketFilter::Subscriber("budi".into()),
            TicketFilter::All,
        ] {
            let (clause, value) = filter_clause(&filter);
            assert_eq!(clause.contains('?'), value.is_some(), "{filter:?}");
        }
    }

    #[test]
    fn an_unreadable_row_names_its_ticket_and_column() {
        let row = TicketRow {
            number: 7,
            state: "lost".into(),
            username: None,
            complaint: "mati".into(),
            reporter: "6281".into(),
            assignee: None,
            opened_at: "2026-12-02T08:00:00.000Z".into(),
            taken_at: None,
            resolved_at: None,
            closed_at: None,
            installed_at: None,
            version: 0,
        };
        assert_eq!(
            row.into_ticket(),
            Err(TicketError::Store(
                "ticket 7 holds an unreadable state: \"lost\"".into()
            ))
        );
        let event = EventRow {
            id: 3,
            at: "2026-12-02T08:00:00.000Z".into(),
            actor: None,
            kind: "assigned".into(),
            value: None,
            text: None,
            message_id: None,
        };
        assert_eq!(
            event.into_event(),
            Err(TicketError::Store(
                "ticket event 3 holds an unreadable kind: \"assigned\"".into()
            ))
        );
    }

    #[test]
    fn nul_characters_are_dropped_from_stored_text() {
        assert_eq!(without_nul("in\0ternet"), "internet");
        assert_eq!(optional_text(None), None);
    }
}
