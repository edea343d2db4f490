//! The one writer: a task that owns the write connection and appends every event, so the chain
//! has no forks.
//!
//! Appenders send a [`Request`] with a oneshot for the answer. The writer takes whatever is
//! queued (up to `max_batch` events) and commits it as one transaction: `BEGIN IMMEDIATE`, read
//! the chain head, and per event in queue order give it the next seq, hash it onto the previous
//! row and insert it unless its message id is recorded already (in the table or earlier in the
//! batch); then `COMMIT` (WAL, `synchronous=FULL`: durable once it returns) and only then answer
//! each appender. If one event's INSERT fails, the transaction is rolled back and retried without
//! it, so a bad event fails alone.
//!
//! Ticket writes ([`Request::Ticket`]) are served in queue order after the batch's appends,
//! each in its own `BEGIN IMMEDIATE` transaction (see [`crate::tickets`]), and answered once
//! committed.

use std::sync::Arc;

use pppoe_core::ticket::TicketError;
use sqlx::{Connection as _, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::anchor::{Anchor, AnchoredSeal};
use crate::chain::{GENESIS_HASH, row_hash};
use crate::row::NewRow;
use crate::sealing_file::SealingState;
use crate::tickets::{TicketWrite, Written};

/// What the writer is asked to do.
#[derive(Debug)]
pub(crate) enum Request {
    /// Append one event; answer once it is committed (or refused).
    Append {
        row: Box<NewRow>,
        ack: oneshot::Sender<Result<(), StoreError>>,
    },
    /// Claim a message id for the attempt described by `row` (see
    /// [`crate::AuditStore::claim`]); answer `true` if it was new.
    Claim {
        row: Box<NewRow>,
        ack: oneshot::Sender<Result<bool, StoreError>>,
    },
    /// Seal the epochs that ended before `at` (an RFC 3339 time), even without new rows; with
    /// `close`, `at`'s own epoch too (a clean stop).
    Seal {
        at: String,
        close: bool,
        ack: oneshot::Sender<Result<(), StoreError>>,
    },
    /// A ticket write (open or update a ticket, keep a customer's number, a piece of evidence
    /// or an isolation, end an isolation) in its own transaction; answer once it is committed
    /// (or refused).
    Ticket {
        op: Box<TicketWrite>,
        ack: oneshot::Sender<Result<Written, TicketError>>,
    },
    /// Answer once everything queued before is committed.
    Flush { ack: oneshot::Sender<()> },
    /// Commit everything queued before, close the connection, answer, stop.
    Close { ack: oneshot::Sender<()> },
}

/// A claim waiting in a batch: the attempt, and the answer channel.
type PendingClaim = (Box<NewRow>, oneshot::Sender<Result<bool, StoreError>>);

/// Inserts a claim unless its message id is claimed already.
const CLAIM: &str = "INSERT OR IGNORE INTO message_claims (message_id, claimed_at, actor_phone, \
     actor_lid, role, command, target, router, arguments, reason) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";

/// Why a transaction was not committed.
#[derive(Debug)]
enum Failure {
    /// The INSERT of the event at this index (of the rows given) failed.
    Event(usize, sqlx::Error),
    /// BEGIN, reading the head or COMMIT failed.
    Transaction(sqlx::Error),
}

/// Inserts one row unless its message id is recorded already (then no row changes).
const INSERT: &str = "INSERT INTO audit_log (seq, at, actor_phone, actor_lid, role, command, \
     target, router, arguments, outcome, error, reason, duration_ms, message_id, prev_hash, hash) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16 \
     WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE message_id = ?14)";

/// [`INSERT`] with the row's epoch and MAC, for a sealed log.
const INSERT_SEALED: &str = "INSERT INTO audit_log (seq, at, actor_phone, actor_lid, role, \
     command, target, router, arguments, outcome, error, reason, duration_ms, message_id, \
     prev_hash, hash, epoch, mac) \
     SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18 \
     WHERE NOT EXISTS (SELECT 1 FROM audit_log WHERE message_id = ?14)";

/// The last seal's epoch.
const LAST_SEAL: &str = "SELECT max(epoch) FROM audit_seals";

const INSERT_SEAL: &str = "INSERT INTO audit_seals (epoch, first_epoch, last_seq, claims, head, \
     sealed_at, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";

/// How many message claims there are.
const CLAIMS: &str = "SELECT count(*) FROM message_claims";

const HEAD: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// The writer task's state.
#[derive(Debug)]
pub(crate) struct Writer {
    conn: SqliteConnection,
    requests: mpsc::Receiver<Request>,
    max_batch: usize,
    /// The sealing keys, when the log is sealed.
    sealing: Option<SealingState>,
    /// Where each seal is also sent.
    anchors: Vec<Anchor>,
    /// This machine's name, for syslog anchors.
    host: String,
}

impl Writer {
    pub(crate) fn new(
        conn: SqliteConnection,
        requests: mpsc::Receiver<Request>,
        max_batch: usize,
        sealing: Option<SealingState>,
    ) -> Self {
        Self {
            conn,
            requests,
            max_batch: max_batch.max(1),
            sealing,
            anchors: Vec::new(),
            host: String::new(),
        }
    }

    /// Sends each seal to `anchors` too.
    pub(crate) fn with_anchors(mut self, anchors: Vec<Anchor>) -> Self {
        if !anchors.is_empty() {
            self.host = std::fs::read_to_string("/proc/sys/kernel/hostname")
                .or_else(|_| std::fs::read_to_string("/etc/hostname"))
                .map(|h| h.trim().to_owned())
                .ok()
                .filter(|h| !h.is_empty() && !h.contains(char::is_whitespace))
                .unwrap_or_else(|| "-".to_owned());
        }
        self.anchors = anchors;
        self
    }

    /// Serves requests until [`Request::Close`] or until every sender is gone.
    pub(crate) async fn run(mut self) {
        let mut batch = Vec::with_capacity(self.max_batch);
        let mut closing = None;
        while let Some(first) = self.requests.recv().await {
            batch.push(first);
            let mut appends = usize::from(matches!(batch[0], Request::Append { .. }));
            while appends < self.max_batch && !matches!(batch.last(), Some(Request::Close { .. })) {
                match self.requests.try_recv() {
                    Ok(request) => {
                        appends += usize::from(matches!(request, Request::Append { .. }));
                        batch.push(request);
                    }
                    Err(_) => break,
                }
            }
            closing = self.serve(&mut batch).await;
            if closing.is_some() {
                break;
            }
        }
        // Anything queued after Close is dropped with the receiver: its appenders get `Closed`.
        self.requests.close();
        if let Err(error) = self.conn.close().await {
            tracing::warn!(error = %error, "closing the audit write connection failed");
        }
        if let Some(ack) = closing {
            let _ = ack.send(());
        }
    }

    /// Commits the batch's appends, then answers every request in it. Returns the close
    /// request's answer channel, if the batch ends with one.
    async fn serve(&mut self, batch: &mut Vec<Request>) -> Option<oneshot::Sender<()>> {
        let mut rows = Vec::with_capacity(batch.len());
        let mut answers = Vec::with_capacity(batch.len());
        let mut flushes = Vec::new();
        let mut claims = Vec::new();
        let mut seals = Vec::new();
        let mut tickets = Vec::new();
        let mut close = None;
        for request in batch.drain(..) {
            match request {
                Request::Append { row, ack } => {
                    rows.push(*row);
                    answers.push(ack);
                }
                Request::Claim { row, ack } => claims.push((row, ack)),
                Request::Seal { at, close, ack } => seals.push((at, close, ack)),
                Request::Ticket { op, ack } => tickets.push((op, ack)),
                Request::Flush { ack } => flushes.push(ack),
                Request::Close { ack } => close = Some(ack),
            }
        }
        if !claims.is_empty() {
            // A message's claim is always answered before its append is sent, so claims may
            // be committed ahead of the batch's appends.
            let results = self.claim(&claims).await;
            for ((_, ack), result) in claims.into_iter().zip(results) {
                let _ = ack.send(result);
            }
        }
        // The rows' epoch: the latest of their times (a row handled just before an epoch ended
        // and written after takes the new epoch: its old key may be gone already).
        let latest = rows.iter().map(|r| r.at.as_str()).max().map(str::to_owned);
        let sealed = match latest {
            Some(at) => self.seal_until(&at, false).await,
            None => Ok(()),
        };
        let results = match sealed {
            Ok(()) => self.commit(&rows).await,
            Err(e) => {
                // Appending under a key that could not be moved on would write rows into an
                // epoch the log already left: refuse them.
                tracing::error!(error = %e, "audit sealing failed; rows refused");
                let why = e.chain();
                rows.iter()
                    .map(|_| Err(StoreError::Sealing(why.clone())))
                    .collect()
            }
        };
        for (at, close, ack) in seals {
            let _ = ack.send(self.seal_until(&at, close).await);
        }
        for (ack, result) in answers.into_iter().zip(results) {
            // An appender that stopped waiting is no reason to fail the others.
            let _ = ack.send(result);
        }
        for (op, ack) in tickets {
            let _ = ack.send(crate::tickets::write(&mut self.conn, &op).await);
        }
        for ack in flushes {
            let _ = ack.send(());
        }
        close
    }

    /// Seals every epoch that ended before `at` and moves the key on to `at`'s epoch (with
    /// `close`, seals `at`'s epoch too and moves the key past it: a clean stop leaves no open
    /// epoch whose key stays on disk; rows written later take the next epoch). Each
    /// seal is committed before the key moves past its epoch (the key file is replaced, the
    /// old key gone); a run of epochs without rows gets one seal, made with the key of its
    /// last epoch. Idempotent after a crash at any point: a seal already there is not made
    /// again, and the next one starts after it.
    async fn seal_until(&mut self, at: &str, close: bool) -> Result<(), StoreError> {
        let Some(state) = self.sealing.as_ref() else {
            return Ok(());
        };
        let unix = chrono::DateTime::parse_from_rfc3339(at)
            .map(|t| t.timestamp())
            .map_err(|e| StoreError::Sealing(format!("time {at:?}: {e}")))?;
        let target = state.epochs().epoch_at(unix) + u64::from(close);
        loop {
            let Some(state) = self.sealing.as_mut() else {
                return Ok(());
            };
            let epoch = state.key().epoch();
            if epoch >= target {
                return Ok(());
            }
            let last: Option<i64> = sqlx::query_scalar(LAST_SEAL)
                .fetch_one(&mut self.conn)
                .await?;
            let first = last.map_or(0, |e| u64::try_from(e).unwrap_or(0) + 1);
            if first <= epoch {
                let head: Option<(i64, String)> =
                    sqlx::query_as(HEAD).fetch_optional(&mut self.conn).await?;
                let (last_seq, head) = head.unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
                let claims: i64 = sqlx::query_scalar(CLAIMS).fetch_one(&mut self.conn).await?;
                let mac = state.key().seal_mac(first, last_seq, claims, &head);
                sqlx::query(INSERT_SEAL)
                    .bind(i64::try_from(epoch).unwrap_or(i64::MAX))
                    .bind(i64::try_from(first).unwrap_or(i64::MAX))
                    .bind(last_seq)
                    .bind(claims)
                    .bind(&head)
                    .bind(at)
                    .bind(&mac)
                    .execute(&mut self.conn)
                    .await?;
                tracing::info!(
                    target: "audit_seal",
                    first_epoch = first,
                    epoch,
                    last_seq,
                    claims,
                    head = %head,
                    mac = %mac,
                    "audit epoch sealed"
                );
                let anchored = AnchoredSeal {
                    epoch,
                    first_epoch: first,
                    last_seq,
                    claims,
                    head,
                    mac,
                };
                for anchor in &self.anchors {
                    let in_order = matches!(anchor, Anchor::File(_));
                    let (anchor, anchored, host) =
                        (anchor.clone(), anchored.clone(), self.host.clone());
                    let send = move || {
                        if let Err(e) = crate::anchor::send(&anchor, &anchored, &host) {
                            tracing::error!(
                                anchor = %anchor,
                                epoch = anchored.epoch,
                                error = %e,
                                "the seal was not anchored off the machine (it is in the database and the log)"
                            );
                        }
                    };
                    // A file is written in order, before the next seal (like the database's
                    // own fsync); a collector that is slow or gone must not hold up the log.
                    if in_order {
                        send();
                    } else {
                        tokio::task::spawn_blocking(send);
                    }
                }
            }
            // Epochs between this one and `target` had no rows: the key jumps to the last of
            // them, which seals them all at the next turn.
            let next = if target - epoch > 1 {
                target - 1
            } else {
                target
            };
            state
                .advance(next)
                .map_err(|e| StoreError::Sealing(e.to_string()))?;
        }
    }

    /// Inserts the claims in one transaction; `true` for each claim that was new.
    async fn claim(&mut self, claims: &[PendingClaim]) -> Vec<Result<bool, StoreError>> {
        let attempt = async {
            let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
            let mut fresh = Vec::with_capacity(claims.len());
            for (row, _) in claims {
                let inserted = sqlx::query(CLAIM)
                    .bind(&row.message_id)
                    .bind(&row.at)
                    .bind(&row.actor_phone)
                    .bind(&row.actor_lid)
                    .bind(row.role)
                    .bind(&row.command)
                    .bind(&row.target)
                    .bind(&row.router)
                    .bind(&row.arguments)
                    .bind(&row.reason)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                fresh.push(inserted == 1);
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(fresh)
        };
        match attempt.await {
            Ok(fresh) => fresh.into_iter().map(Ok).collect(),
            Err(error) => {
                tracing::error!(error = %error, claims = claims.len(), "claiming message ids failed");
                let error = Arc::new(error);
                claims
                    .iter()
                    .map(|_| Err(StoreError::Database(Arc::clone(&error))))
                    .collect()
            }
        }
    }

    /// One result per row, in order.
    ///
    /// When an event's INSERT fails, the transaction is rolled back and retried without that
    /// event, which alone gets the error. When the transaction itself fails (BEGIN, COMMIT:
    /// locked, disk full), every remaining event gets the error.
    async fn commit(&mut self, rows: &[NewRow]) -> Vec<Result<(), StoreError>> {
        let mut results: Vec<Option<Result<(), StoreError>>> = rows.iter().map(|_| None).collect();
        let mut pending: Vec<usize> = (0..rows.len()).collect();
        while !pending.is_empty() {
            let batch: Vec<&NewRow> = pending.iter().map(|&i| &rows[i]).collect();
            match self.transaction(&batch).await {
                Ok(outcomes) => {
                    for (&i, outcome) in pending.iter().zip(outcomes) {
                        results[i] = Some(outcome);
                    }
                    break;
                }
                Err(Failure::Event(k, error)) => {
                    let i = pending.remove(k);
                    tracing::error!(
                        error = %error,
                        message_id = %rows[i].message_id,
                        "audit append failed"
                    );
                    results[i] = Some(Err(error.into()));
                }
                Err(Failure::Transaction(error)) => {
                    tracing::error!(error = %error, events = pending.len(), "audit commit failed");
                    let error = Arc::new(error);
                    for &i in &pending {
                        results[i] = Some(Err(StoreError::Database(Arc::clone(&error))));
                    }
                    break;
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or(Err(StoreError::Closed)))
            .collect()
    }

    /// Appends `rows` in one transaction. `Err` means nothing was committed.
    async fn transaction(
        &mut self,
        rows: &[&NewRow],
    ) -> Result<Vec<Result<(), StoreError>>, Failure> {
        let mut tx = self
            .conn
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(Failure::Transaction)?;
        let head: Option<(i64, String)> = sqlx::query_as(HEAD)
            .fetch_optional(&mut *tx)
            .await
            .map_err(Failure::Transaction)?;
        let (mut seq, mut prev_hash) = head.unwrap_or_else(|| (0, GENESIS_HASH.to_owned()));
        let mut results = Vec::with_capacity(rows.len());
        for (k, row) in rows.iter().enumerate() {
            let next = seq + 1;
            let hash = row_hash(&prev_hash, &row.fields(next));
            let (statement, epoch, mac) = match &self.sealing {
                Some(state) => (
                    INSERT_SEALED,
                    Some(i64::try_from(state.key().epoch()).unwrap_or(i64::MAX)),
                    Some(state.key().row_mac(next, &hash)),
                ),
                None => (INSERT, None, None),
            };
            let query = sqlx::query(statement)
                .bind(next)
                .bind(&row.at)
                .bind(&row.actor_phone)
                .bind(&row.actor_lid)
                .bind(row.role)
                .bind(&row.command)
                .bind(&row.target)
                .bind(&row.router)
                .bind(&row.arguments)
                .bind(row.outcome)
                .bind(&row.error)
                .bind(&row.reason)
                .bind(row.duration_ms)
                .bind(&row.message_id)
                .bind(&prev_hash)
                .bind(&hash);
            let query = match (epoch, &mac) {
                (Some(epoch), Some(mac)) => query.bind(epoch).bind(mac),
                _ => query,
            };
            let inserted = query
                .execute(&mut *tx)
                .await
                .map_err(|error| Failure::Event(k, error))?
                .rows_affected();
            if inserted == 1 {
                seq = next;
                prev_hash = hash;
                results.push(Ok(()));
            } else {
                results.push(Err(StoreError::Duplicate(row.message_id.clone())));
            }
        }
        tx.commit().await.map_err(Failure::Transaction)?;
        tracing::trace!(events = rows.len(), head = seq, "audit batch committed");
        Ok(results)
    }
}
