//! Trouble tickets in the audit database: [`TicketStore`] for [`AuditStore`].
//!
//! Two tables (`migrations/0005_tickets.sql`, documented in docs/auditor.md): `tickets`, one
//! row per ticket changed in place under a version, and `ticket_events`, its append-only
//! history. They are working state beside the audit log, not part of its hash chain. So are
//! `subscribers` (0006); `evidence` (0007), the append-only records of field evidence, whose
//! files are kept in the media directory under their SHA-256 (see [`crate::media`]); and
//! `isolations` (0008), the snapshots of isolated subscribers (see [`crate::isolations`]).
//!
//! Writes ([`TicketStore::open`], [`TicketStore::update`], [`TicketStore::set_customer`],
//! [`TicketStore::add_evidence`], [`TicketStore::isolate`], [`TicketStore::end_isolation`]) go
//! through the one writer task like appends do, each in its own `BEGIN IMMEDIATE` transaction:
//! the next number is `max + 1` inside it, and an update is compare-and-set on the version
//! read. Reads go through the read pool, each in one read
//! transaction (one snapshot: a page and its total, a ticket and its events agree).
//!
//! Evidence is kept in two steps, the file first: its bytes are checked against their SHA-256
//! and written to `<media_dir>/<sha256>.<ext>` (durably, off the async threads), and only then
//! is its record written. A record therefore never names a file that is not there; a failure
//! between the two leaves a file without a record, which is harmless (the same bytes sent again
//! reuse it).

use chrono::{DateTime, Utc};
use pppoe_core::isolation::{Isolation, IsolationPage};
use pppoe_core::ports::{Coordinates, MessageId};
use pppoe_core::ticket::{
    Evidence, EvidenceFile, EvidenceKind, EvidenceOf, NewEvidence, NewTicket, Resolution, Ticket,
    TicketError, TicketEvent, TicketEventKind, TicketFilter, TicketId, TicketPage, TicketState,
    TicketStore, TicketUpdate,
};
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::oneshot;

use crate::isolations;
use crate::media;
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
    /// Forget a subscriber's customer number.
    ForgetCustomer(String),
    /// Keep a customer's number for a subscriber.
    Customer {
        username: String,
        phone: String,
        at: DateTime<Utc>,
    },
    /// Record a piece of evidence (its file, if any, is on disk already), brought by this
    /// message.
    Evidence {
        record: Evidence,
        message_id: MessageId,
    },
    /// Record an isolation as current.
    Isolate(Isolation),
    /// End a subscriber's current isolation, if any.
    EndIsolation { username: String, at: DateTime<Utc> },
}

/// What a [`TicketWrite`] wrote.
#[derive(Debug)]
pub(crate) enum Written {
    /// The ticket as written.
    Ticket(Ticket),
    /// A record that is no ticket (a subscriber's, a piece of evidence, an isolation).
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
pub(crate) fn store_error(error: impl Into<StoreError>) -> TicketError {
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
        TicketWrite::ForgetCustomer(username) => {
            sqlx::query("DELETE FROM subscribers WHERE username = ?")
                .bind(username)
                .execute(&mut *tx)
                .await
                .map(|_| Written::Record)
                .map_err(store_error)
        }
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
        TicketWrite::Evidence { record, message_id } => {
            insert_evidence(&mut tx, record, message_id)
                .await
                .map(|()| Written::Record)
        }
        TicketWrite::Isolate(isolation) => isolations::insert(&mut tx, isolation)
            .await
            .map(|()| Written::Record),
        TicketWrite::EndIsolation { username, at } => isolations::end(&mut tx, username, *at)
            .await
            .map(|()| Written::Record),
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

/// Refuses a message id that `exists` (a query binding it) finds recorded already: the
/// table's triggers would refuse it too, less clearly.
async fn refuse_recorded(
    conn: &mut SqliteConnection,
    exists: &'static str,
    message_id: &str,
    where_: &str,
) -> Result<(), TicketError> {
    let recorded: bool = sqlx::query_scalar(exists)
        .bind(message_id)
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)?;
    if recorded {
        return Err(TicketError::Store(format!(
            "message {message_id} is already recorded {where_}"
        )));
    }
    Ok(())
}

/// Appends `event` to the ticket's history; a message id already in some history is refused
/// (the table's triggers would refuse it too, less clearly).
async fn insert_event(
    conn: &mut SqliteConnection,
    id: TicketId,
    event: &TicketEvent,
) -> Result<(), TicketError> {
    if let Some(message_id) = &event.message_id {
        refuse_recorded(
            conn,
            "SELECT EXISTS (SELECT 1 FROM ticket_events WHERE message_id = ?)",
            message_id,
            "in a ticket's history",
        )
        .await?;
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

/// Appends a piece of evidence with the next id.
const INSERT_EVIDENCE: &str = "INSERT INTO evidence (id, at, actor, ticket, username, kind, \
     sha256, size, mime, lat_e7, lon_e7, caption, message_id) \
     SELECT coalesce(max(id), 0) + 1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12 \
     FROM evidence";

/// A ticket's evidence, oldest first.
const EVIDENCE_OF_TICKET: &str = "SELECT id, at, actor, ticket, username, kind, sha256, size, \
     mime, lat_e7, lon_e7, caption FROM evidence WHERE ticket = ? ORDER BY at, id";

/// A subscriber's evidence (the column compares in any case), oldest first.
const EVIDENCE_OF_SUBSCRIBER: &str = "SELECT id, at, actor, ticket, username, kind, sha256, \
     size, mime, lat_e7, lon_e7, caption FROM evidence WHERE username = ? ORDER BY at, id";

/// Whether `record`'s kind, file and point agree (the table's CHECK says the same, less
/// clearly): a location has its point and no file, a photo or a document its file and no
/// point.
fn check_shape(record: &Evidence) -> Result<(), TicketError> {
    let fits = match record.kind {
        EvidenceKind::Location => record.location.is_some() && record.file.is_none(),
        EvidenceKind::Photo | EvidenceKind::Document => {
            record.file.is_some() && record.location.is_none()
        }
    };
    if fits {
        Ok(())
    } else {
        Err(TicketError::Store(format!(
            "evidence of kind {} must have {}",
            record.kind.as_str(),
            match record.kind {
                EvidenceKind::Location => "a location and no file",
                EvidenceKind::Photo | EvidenceKind::Document => "a file and no location",
            }
        )))
    }
}

/// Whether ticket `id` exists.
async fn ticket_exists(conn: &mut SqliteConnection, id: TicketId) -> Result<bool, TicketError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM tickets WHERE number = ?)")
        .bind(number(id))
        .fetch_one(&mut *conn)
        .await
        .map_err(store_error)
}

/// Appends `record` with the next id: [`TicketError::NotFound`] for a ticket that does not
/// exist, and a message id already recorded as evidence is refused (the table's trigger would
/// refuse it too, less clearly).
async fn insert_evidence(
    conn: &mut SqliteConnection,
    record: &Evidence,
    message_id: &str,
) -> Result<(), TicketError> {
    check_shape(record)?;
    if let EvidenceOf::Ticket(id) = record.of
        && !ticket_exists(conn, id).await?
    {
        return Err(TicketError::NotFound(id));
    }
    refuse_recorded(
        conn,
        "SELECT EXISTS (SELECT 1 FROM evidence WHERE message_id = ?)",
        message_id,
        "as evidence",
    )
    .await?;
    let (ticket, username) = match &record.of {
        EvidenceOf::Ticket(id) => (Some(number(*id)), None),
        EvidenceOf::Subscriber(name) => (None, Some(without_nul(name))),
    };
    let file = record.file.as_ref();
    let size = file
        .map(|f| {
            i64::try_from(f.size)
                .map_err(|_| TicketError::Store(format!("evidence file of {} bytes", f.size)))
        })
        .transpose()?;
    sqlx::query(INSERT_EVIDENCE)
        .bind(format_at(record.at))
        .bind(without_nul(&record.actor))
        .bind(ticket)
        .bind(username)
        .bind(record.kind.as_str())
        .bind(file.map(|f| f.sha256.as_str()))
        .bind(size)
        .bind(file.map(|f| without_nul(&f.mime)))
        .bind(record.location.map(|p| p.lat_e7))
        .bind(record.location.map(|p| p.lon_e7))
        .bind(optional_text(record.caption.as_deref()))
        .bind(message_id)
        .execute(&mut *conn)
        .await
        .map_err(store_error)?;
    Ok(())
}

/// An `evidence` row as stored.
#[derive(Debug, sqlx::FromRow)]
struct EvidenceRow {
    id: i64,
    at: String,
    actor: String,
    ticket: Option<i64>,
    username: Option<String>,
    kind: String,
    sha256: Option<String>,
    size: Option<i64>,
    mime: Option<String>,
    lat_e7: Option<i64>,
    lon_e7: Option<i64>,
    caption: Option<String>,
}

impl EvidenceRow {
    /// The evidence; [`TicketError::Store`] naming the row and column if a value cannot be
    /// read back (the schema allows none such: the file was changed outside the bot).
    fn into_evidence(self) -> Result<Evidence, TicketError> {
        let id = self.id;
        let corrupt = |column: &str, value: &dyn std::fmt::Debug| {
            TicketError::Store(format!(
                "evidence {id} holds an unreadable {column}: {value:?}"
            ))
        };
        let of = match (self.ticket, self.username) {
            (Some(n), None) => EvidenceOf::Ticket(
                u32::try_from(n)
                    .ok()
                    .and_then(TicketId::new)
                    .ok_or_else(|| corrupt("ticket", &n))?,
            ),
            (None, Some(name)) => EvidenceOf::Subscriber(name),
            (ticket, username) => return Err(corrupt("ticket and username", &(ticket, username))),
        };
        let file = match (self.sha256, self.size, self.mime) {
            (Some(sha256), Some(size), Some(mime)) => Some(EvidenceFile {
                sha256,
                size: u64::try_from(size).map_err(|_| corrupt("size", &size))?,
                mime,
            }),
            (None, None, None) => None,
            other => return Err(corrupt("file", &other)),
        };
        let coordinate =
            |column: &str, value: i64| i32::try_from(value).map_err(|_| corrupt(column, &value));
        let location = match (self.lat_e7, self.lon_e7) {
            (Some(lat), Some(lon)) => Some(Coordinates {
                lat_e7: coordinate("lat_e7", lat)?,
                lon_e7: coordinate("lon_e7", lon)?,
            }),
            (None, None) => None,
            other => return Err(corrupt("location", &other)),
        };
        Ok(Evidence {
            at: parse_at(&self.at).ok_or_else(|| corrupt("at", &self.at))?,
            actor: self.actor,
            of,
            kind: EvidenceKind::parse(&self.kind).ok_or_else(|| corrupt("kind", &self.kind))?,
            file,
            location,
            caption: self.caption,
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

    async fn forget_customer(&self, username: &str) -> Result<(), TicketError> {
        self.ticket_write(TicketWrite::ForgetCustomer(username.to_owned()))
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
            .map(
                |(ticket, resolver, reported, taken, resolved, documented_install)| {
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
                        documented_install,
                    })
                },
            )
            .collect()
    }

    async fn add_evidence(&self, evidence: NewEvidence) -> Result<Evidence, TicketError> {
        let record = evidence.record();
        check_shape(&record)?;
        if self.writer().is_none() {
            return Err(TicketError::Store("read-only".to_owned()));
        }
        // Tickets are never deleted: one that exists now still does when the record is
        // written, so a file is not kept for a ticket that is not there.
        if let EvidenceOf::Ticket(id) = record.of {
            let mut conn = self.reader().acquire().await.map_err(store_error)?;
            if !ticket_exists(&mut conn, id).await? {
                return Err(TicketError::NotFound(id));
            }
        }
        if let Some((file, bytes)) = evidence.file {
            let dir = self.media_dir().map(ToOwned::to_owned).ok_or_else(|| {
                TicketError::Store("no media directory is configured (paths.media)".to_owned())
            })?;
            let path = tokio::task::spawn_blocking(move || media::keep(&dir, &file, &bytes))
                .await
                .map_err(|e| TicketError::Store(format!("the evidence file task failed: {e}")))??;
            tracing::debug!(path = %path.display(), "evidence file kept");
        }
        self.ticket_write(TicketWrite::Evidence {
            record: record.clone(),
            message_id: evidence.message_id,
        })
        .await?;
        Ok(record)
    }

    async fn evidence(&self, of: &EvidenceOf) -> Result<Vec<Evidence>, TicketError> {
        let query = match of {
            EvidenceOf::Ticket(id) => sqlx::query_as(EVIDENCE_OF_TICKET).bind(number(*id)),
            EvidenceOf::Subscriber(name) => {
                sqlx::query_as(EVIDENCE_OF_SUBSCRIBER).bind(name.as_str())
            }
        };
        let rows: Vec<EvidenceRow> = query.fetch_all(self.reader()).await.map_err(store_error)?;
        rows.into_iter().map(EvidenceRow::into_evidence).collect()
    }

    async fn isolate(&self, isolation: &Isolation) -> Result<(), TicketError> {
        self.ticket_write(TicketWrite::Isolate(isolation.clone()))
            .await
            .map(|_| ())
    }

    async fn isolation(&self, username: &str) -> Result<Option<Isolation>, TicketError> {
        isolations::current(self.reader(), username).await
    }

    async fn end_isolation(&self, username: &str, at: DateTime<Utc>) -> Result<(), TicketError> {
        self.ticket_write(TicketWrite::EndIsolation {
            username: username.to_owned(),
            at,
        })
        .await
        .map(|_| ())
    }

    async fn isolations(&self, page: u32, page_size: u32) -> Result<IsolationPage, TicketError> {
        isolations::page(self.reader(), page, page_size).await
    }
}

/// A row of [`RESOLUTIONS`]: the ticket number, the resolver, the report's, the take's and
/// the resolution's times.
type ResolutionRow = (
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    bool,
);

/// Every `resolved` event from a time on, with the last report (opened or reopened) before
/// it, the last take or assignment after that report, and whether the ticket is an
/// installation with a photo and a location (the same rule as
/// `pppoe_core::ticket::resolutions_in`).
const RESOLUTIONS: &str = "SELECT r.ticket, r.actor, \
     (SELECT o.at FROM ticket_events o WHERE o.ticket = r.ticket AND o.id < r.id \
        AND o.kind IN ('opened', 'reopened') ORDER BY o.id DESC LIMIT 1), \
     (SELECT t.at FROM ticket_events t WHERE t.ticket = r.ticket AND t.id < r.id \
        AND t.kind IN ('taken', 'assigned') \
        AND t.id > coalesce((SELECT max(o.id) FROM ticket_events o WHERE o.ticket = r.ticket \
              AND o.id < r.id AND o.kind IN ('opened', 'reopened')), 0) \
        ORDER BY t.id DESC LIMIT 1), \
     r.at, \
     EXISTS (SELECT 1 FROM ticket_events i WHERE i.ticket = r.ticket AND i.kind = 'installed') \
       AND EXISTS (SELECT 1 FROM evidence p WHERE p.ticket = r.ticket AND p.kind = 'photo') \
       AND EXISTS (SELECT 1 FROM evidence l WHERE l.ticket = r.ticket AND l.kind = 'location') \
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
