//! [`AuditStore`]: opening, appending through the writer, reading through the pool.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pppoe_core::{ActivityCount, AuditError, AuditEvent, AuditSink};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{ConnectOptions as _, QueryBuilder, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::chain::{GENESIS_HASH, row_hash};
use crate::row::{AuditQuery, AuditRow, COLUMNS, RawRow, format_at, parse_at};
use crate::sealing_file::SealingState;
use crate::writer::{Request, Writer};

/// The migrations of the top-level `migrations/` folder, embedded at compile time.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

/// Rows per round trip when walking the chain.
const VERIFY_PAGE: i64 = 1000;

/// Usernames per query in [`AuditStore::created_at`] (well under SQLite's bound-variable limit).
const CREATED_AT_CHUNK: usize = 500;

/// Tuning of a writable store. The defaults suit the bot.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreOptions {
    /// Most events committed in one transaction (group commit). Default 256.
    pub max_batch: usize,
    /// Most events waiting for the writer; appenders wait when it is full. Default 1024.
    pub queue_capacity: usize,
    /// Connections of the read pool. Default 2.
    pub read_connections: u32,
    /// How long a statement waits for a lock held by another process. Default 5 s.
    pub busy_timeout: Duration,
    /// The sealing state file (see [`sealing_file`](crate::sealing_file)); `None`: rows are
    /// chained but not sealed. Default `None`.
    pub sealing: Option<PathBuf>,
    /// Where each seal is also sent as it is made (see [`anchor`](crate::anchor)). Default
    /// none.
    pub anchors: Vec<crate::anchor::Anchor>,
    /// Where evidence files go (photos and documents a technician sends, named by their
    /// SHA-256; see [`TicketStore::add_evidence`](pppoe_core::ticket::TicketStore::add_evidence)).
    /// Created, mode 0700, when the first file comes. `None`: a file is refused (a location
    /// needs no directory). Default `None`.
    pub media_dir: Option<PathBuf>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            max_batch: 256,
            queue_capacity: 1024,
            read_connections: 2,
            busy_timeout: Duration::from_secs(5),
            sealing: None,
            anchors: Vec::new(),
            media_dir: None,
        }
    }
}

impl StoreOptions {
    /// Sets [`max_batch`](Self::max_batch) (at least 1).
    #[must_use]
    pub fn max_batch(mut self, events: usize) -> Self {
        self.max_batch = events.max(1);
        self
    }

    /// Sets [`queue_capacity`](Self::queue_capacity) (at least 1).
    #[must_use]
    pub fn queue_capacity(mut self, events: usize) -> Self {
        self.queue_capacity = events.max(1);
        self
    }

    /// Sets [`read_connections`](Self::read_connections) (at least 1).
    #[must_use]
    pub fn read_connections(mut self, connections: u32) -> Self {
        self.read_connections = connections.max(1);
        self
    }

    /// Seals with the state in `file` (see [`sealing`](Self::sealing)).
    #[must_use]
    pub fn sealing(mut self, file: impl Into<PathBuf>) -> Self {
        self.sealing = Some(file.into());
        self
    }

    /// Sends each seal to `anchors` too (see [`anchors`](Self::anchors)).
    #[must_use]
    pub fn anchors(mut self, anchors: Vec<crate::anchor::Anchor>) -> Self {
        self.anchors = anchors;
        self
    }

    /// Keeps evidence files in `dir` (see [`media_dir`](Self::media_dir)).
    #[must_use]
    pub fn media_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.media_dir = Some(dir.into());
        self
    }

    /// Sets [`busy_timeout`](Self::busy_timeout).
    #[must_use]
    pub fn busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }
}

/// The last intact row of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    /// Its seq.
    pub seq: i64,
    /// Its hash.
    pub hash: String,
}

/// What is wrong with a row of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChainProblem {
    /// Rows before this one are missing (deleted): the row after the previous one should have
    /// been `expected`.
    Gap {
        /// The seq that should have come next.
        expected: i64,
    },
    /// Its `prev_hash` is not the previous row's hash (the previous row was rewritten with a
    /// recomputed hash, or this one was altered).
    PrevHashMismatch {
        /// The row's `prev_hash`.
        stored: String,
        /// The previous row's `hash` (64 zeros for row 1).
        expected: String,
    },
    /// Its `hash` does not match its contents (the row was altered).
    HashMismatch {
        /// The row's `hash`.
        stored: String,
        /// The hash of its contents.
        computed: String,
    },
}

/// The first broken row of the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The broken row's seq.
    pub seq: i64,
    /// What is wrong.
    pub problem: ChainProblem,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seq = self.seq;
        match &self.problem {
            ChainProblem::Gap { expected } if expected + 1 == seq => {
                write!(f, "row {seq}: row {expected} is missing (deleted)")
            }
            ChainProblem::Gap { expected } => {
                write!(
                    f,
                    "row {seq}: rows {expected} to {} are missing (deleted)",
                    seq - 1
                )
            }
            ChainProblem::PrevHashMismatch { stored, expected } => write!(
                f,
                "row {seq}: prev_hash {stored} is not the previous row's hash {expected}"
            ),
            ChainProblem::HashMismatch { stored, computed } => write!(
                f,
                "row {seq}: hash {stored} does not match its contents ({computed}): the row was altered"
            ),
        }
    }
}

/// What is wrong with `row` as the successor of row `expected_seq - 1`, whose hash is
/// `expected_prev`: the one chain rule, for [`AuditStore::verify`] and the sealed log's start
/// check.
pub(crate) fn chain_problem(
    row: &RawRow,
    expected_seq: i64,
    expected_prev: &str,
) -> Option<ChainProblem> {
    if row.seq != expected_seq {
        Some(ChainProblem::Gap {
            expected: expected_seq,
        })
    } else if row.prev_hash != expected_prev {
        Some(ChainProblem::PrevHashMismatch {
            stored: row.prev_hash.clone(),
            expected: expected_prev.to_owned(),
        })
    } else {
        let computed = row_hash(&row.prev_hash, &row.fields());
        (computed != row.hash).then(|| ChainProblem::HashMismatch {
            stored: row.hash.clone(),
            computed,
        })
    }
}

/// The result of [`AuditStore::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Rows checked, the broken one included.
    pub rows_checked: u64,
    /// The last intact row (the head of the log when nothing is broken); `None` when the log is
    /// empty or row 1 is broken. Deleting the newest rows leaves a shorter intact chain: compare
    /// the head with one noted earlier to detect that.
    pub head: Option<ChainHead>,
    /// The first broken row, if any.
    pub broken: Option<ChainBreak>,
    /// Claims without an audit row (message id and claim time): attempts interrupted by a
    /// stop, which the bot records as outcome `unknown` at its next start (or, while it runs,
    /// attempts in progress). They do not make the chain broken.
    pub claims_without_row: Vec<(String, DateTime<Utc>)>,
}

impl VerifyReport {
    /// Whether every row checked is intact.
    pub fn is_intact(&self) -> bool {
        self.broken.is_none()
    }
}

/// The audit log in an SQLite file: append-only, hash-chained, durable when an append returns.
///
/// Cheap to clone; clones share the writer and the read pool. See the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct AuditStore {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    path: PathBuf,
    read: SqlitePool,
    /// `None` when opened read-only.
    writer: Option<mpsc::Sender<Request>>,
    /// Where evidence files go; `None` when none is configured (and when read-only).
    media_dir: Option<PathBuf>,
}

impl AuditStore {
    /// Opens the audit database at `path` for the bot, creating it if needed, and runs the
    /// migrations. Starts the writer task, so it must be called within a tokio runtime.
    ///
    /// The database is put in WAL mode and the write connection uses `synchronous=FULL`;
    /// [`StoreError::NotDurable`] if SQLite refuses either.
    pub async fn open(path: impl AsRef<Path>, options: StoreOptions) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        let sealing = options
            .sealing
            .as_deref()
            .map(|file| SealingState::load(file, &path))
            .transpose()
            .map_err(|e| StoreError::Sealing(e.to_string()))?;
        let existed = path.try_exists().unwrap_or(true);
        let base = SqliteConnectOptions::new()
            .filename(&path)
            .busy_timeout(options.busy_timeout);
        let write_options = base
            .clone()
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full);
        let open_error = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let mut conn = write_options.connect().await.map_err(open_error)?;
        check_durable(&mut conn, &path).await?;
        MIGRATOR.run(&mut conn).await?;
        if let Some(state) = &sealing {
            crate::sealed::check_tail(&mut conn, state).await?;
        }
        if !existed {
            sync_parent_directory(&path)?;
        }
        let read = SqlitePoolOptions::new()
            .max_connections(options.read_connections.max(1))
            .connect_with(base.pragma("query_only", "ON"))
            .await
            .map_err(open_error)?;
        let (sender, receiver) = mpsc::channel(options.queue_capacity.max(1));
        tokio::spawn(
            Writer::new(conn, receiver, options.max_batch, sealing)
                .with_anchors(options.anchors.clone())
                .run(),
        );
        tracing::debug!(path = %path.display(), "audit store open");
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                read,
                writer: Some(sender),
                media_dir: options.media_dir,
            }),
        })
    }

    /// Opens an existing audit database read-only (SQLite `mode=ro`), for the auditor's CLI:
    /// never creates the file and never migrates. Appends fail with [`StoreError::ReadOnly`].
    ///
    /// [`StoreError::NotFound`] if there is no file at `path`, [`StoreError::NotAnAuditLog`] if
    /// the file has no `audit_log` table.
    pub async fn open_read_only(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let path = path.as_ref().to_path_buf();
        if !path.is_file() {
            return Err(StoreError::NotFound { path });
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .read_only(true)
            .create_if_missing(false);
        let open_error = |source| StoreError::Open {
            path: path.clone(),
            source,
        };
        let read = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(open_error)?;
        let has_table: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log')",
        )
        .fetch_one(&read)
        .await
        .map_err(open_error)?;
        if !has_table {
            read.close().await;
            return Err(StoreError::NotAnAuditLog { path });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                path,
                read,
                writer: None,
                media_dir: None,
            }),
        })
    }

    /// The read pool.
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.inner.read
    }

    /// The writer's queue; `None` when opened read-only.
    pub(crate) fn writer(&self) -> Option<&mpsc::Sender<Request>> {
        self.inner.writer.as_ref()
    }

    /// Where evidence files go, if configured.
    pub(crate) fn media_dir(&self) -> Option<&Path> {
        self.inner.media_dir.as_deref()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Seals the epochs that ended before `now`, also when no row came (a sealed log shows a
    /// gap in time as seals without rows); the bot calls it every few seconds. Nothing to do
    /// when the store does not seal.
    pub async fn seal(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.seal_request(now, false).await
    }

    /// [`seal`](Self::seal), and `now`'s epoch too, moving the key past it: at a clean stop,
    /// so that the newest rows are sealed and their key is gone from disk while the bot is
    /// stopped. Rows written after a restart within the same epoch take the next one.
    pub async fn seal_and_close_epoch(&self, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.seal_request(now, true).await
    }

    async fn seal_request(&self, now: DateTime<Utc>, close: bool) -> Result<(), StoreError> {
        let writer = self.inner.writer.as_ref().ok_or(StoreError::ReadOnly)?;
        let (ack, answer) = oneshot::channel();
        writer
            .send(Request::Seal {
                at: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                close,
                ack,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Appends one event; returns once it is committed to disk (it then survives a crash or a
    /// power cut). [`StoreError::Duplicate`] if an event with its message id is recorded
    /// already: the new one is not stored.
    pub async fn append(&self, event: AuditEvent) -> Result<(), StoreError> {
        let writer = self.inner.writer.as_ref().ok_or(StoreError::ReadOnly)?;
        let (ack, answer) = oneshot::channel();
        writer
            .send(Request::Append {
                row: Box::new(event.into()),
                ack,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// Claims `event.message_id` durably before the bot runs a change for it, with what is
    /// known of the attempt (actor, role, command, target, router, redacted arguments,
    /// reason); `Ok(false)` if it was claimed before (an earlier attempt was interrupted
    /// between the router call and its audit row). Claims live in `message_claims`, outside
    /// the hash chain.
    pub async fn claim(&self, event: &AuditEvent) -> Result<bool, StoreError> {
        let writer = self.inner.writer.as_ref().ok_or(StoreError::ReadOnly)?;
        let (ack, answer) = oneshot::channel();
        writer
            .send(Request::Claim {
                row: Box::new(event.clone().into()),
                ack,
            })
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }

    /// The claims without an audit row, oldest first, each as the attempt it was made for
    /// (outcome [`Outcome::Unknown`](pppoe_core::Outcome::Unknown), no error yet): attempts
    /// the bot was stopped in (a crash, `kill -9`, a power cut) between the router call and
    /// the audit row, or attempts running right now when the bot is up.
    pub async fn interrupted(&self) -> Result<Vec<AuditEvent>, StoreError> {
        // A database opened read-only may predate the claims (migration 0002) or their
        // columns (0003): read what is there.
        let columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info('message_claims')")
                .fetch_all(&self.inner.read)
                .await?;
        if columns.is_empty() {
            return Ok(Vec::new());
        }
        let described = columns.iter().any(|c| c == "actor_phone");
        let select = if described {
            "message_id, claimed_at, actor_phone, actor_lid, role, command, target, router, \
             arguments, reason"
        } else {
            "message_id, claimed_at, NULL AS actor_phone, NULL AS actor_lid, NULL AS role, \
             NULL AS command, NULL AS target, NULL AS router, NULL AS arguments, NULL AS reason"
        };
        let rows: Vec<ClaimRow> = sqlx::query_as(&format!(
            "SELECT {select} FROM message_claims c \
             WHERE NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.message_id = c.message_id) \
             ORDER BY c.rowid"
        ))
        .fetch_all(&self.inner.read)
        .await?;
        rows.into_iter().map(ClaimRow::into_event).collect()
    }

    /// Waits until every event queued before this call is committed. Call it before exiting
    /// (SIGTERM). A read-only or closed store has nothing to flush.
    pub async fn flush(&self) {
        let Some(writer) = &self.inner.writer else {
            return;
        };
        let (ack, answer) = oneshot::channel();
        if writer.send(Request::Flush { ack }).await.is_ok() {
            let _ = answer.await;
        }
    }

    /// Commits every event queued before this call, then closes the write connection and the
    /// read pool, for every clone. Later appends fail with [`StoreError::Closed`].
    pub async fn close(&self) {
        if let Some(writer) = &self.inner.writer {
            let (ack, answer) = oneshot::channel();
            if writer.send(Request::Close { ack }).await.is_ok() {
                let _ = answer.await;
            }
        }
        self.inner.read.close().await;
    }

    /// Whether an event for this message id is recorded.
    pub async fn is_handled(&self, message_id: &str) -> Result<bool, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_log WHERE message_id = ?)")
                .bind(message_id)
                .fetch_one(&self.inner.read)
                .await?,
        )
    }

    /// The row recorded for this message id, if any (a message id has at most one row): what
    /// became of one message, e.g. for `pppoe-bot exec`, which answers with its outcome and
    /// seq.
    pub async fn row_of_message(&self, message_id: &str) -> Result<Option<AuditRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE message_id = ?"
        ))
        .bind(message_id)
        .fetch_optional(&self.inner.read)
        .await?;
        row.as_ref()
            .map(|row| AuditRow::try_from(RawRow::from_row(row)?))
            .transpose()
    }

    /// When the bot created each of these usernames: the time of the newest successful
    /// `addpppoe` (command `addpppoe`, outcome `ok`) per username. Usernames it never created are
    /// absent.
    pub async fn created_at(
        &self,
        usernames: &[String],
    ) -> Result<HashMap<String, DateTime<Utc>>, StoreError> {
        let mut created = HashMap::new();
        for chunk in usernames.chunks(CREATED_AT_CHUNK) {
            // The literals match the partial index audit_log_created.
            let mut query = QueryBuilder::<Sqlite>::new(
                "SELECT target, at, max(seq) AS seq FROM audit_log \
                 WHERE command = 'addpppoe' AND outcome = 'ok' AND target IN (",
            );
            let mut names = query.separated(", ");
            for name in chunk {
                names.push_bind(name);
            }
            query.push(") GROUP BY target");
            let rows: Vec<(String, String, i64)> =
                query.build_query_as().fetch_all(&self.inner.read).await?;
            for (target, at, seq) in rows {
                let at = parse_at(&at).ok_or(StoreError::Corrupt {
                    seq,
                    column: "at",
                    value: at,
                })?;
                created.insert(target, at);
            }
        }
        Ok(created)
    }

    /// How many attempts of each command each actor made with outcome `ok` at or after
    /// `since` (the performance report), by actor and command.
    pub async fn activity(&self, since: DateTime<Utc>) -> Result<Vec<ActivityCount>, StoreError> {
        let rows: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT actor_phone, command, count(*) FROM audit_log \
             WHERE outcome = 'ok' AND at >= ? GROUP BY actor_phone, command \
             ORDER BY actor_phone, command",
        )
        .bind(format_at(since))
        .fetch_all(&self.inner.read)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(actor, command, count)| ActivityCount {
                actor,
                command,
                count: u64::try_from(count).unwrap_or(0),
            })
            .collect())
    }

    /// The rows matching `query`, newest first, paged by its `limit` and `offset`.
    pub async fn query(&self, query: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
        let mut sql = QueryBuilder::<Sqlite>::new(format!("SELECT {COLUMNS} FROM audit_log"));
        push_filters(&mut sql, query);
        sql.push(" ORDER BY seq DESC LIMIT ");
        sql.push_bind(query.limit.map_or(-1, i64::from));
        sql.push(" OFFSET ");
        sql.push_bind(i64::try_from(query.offset).unwrap_or(i64::MAX));
        let rows = sql.build().fetch_all(&self.inner.read).await?;
        rows.iter()
            .map(|row| AuditRow::try_from(RawRow::from_row(row)?))
            .collect()
    }

    /// Up to `limit` rows with a seq greater than `after`, oldest first: for exporting the whole
    /// log page by page (`after` = the last seq of the previous page, 0 to start). Unlike offset
    /// paging, rows appended meanwhile neither shift nor repeat a page.
    pub async fn rows_after(&self, after: i64, limit: u32) -> Result<Vec<AuditRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(&self.inner.read)
        .await?;
        rows.iter()
            .map(|row| AuditRow::try_from(RawRow::from_row(row)?))
            .collect()
    }

    /// How many rows match `query`'s filters (its `limit` and `offset` are ignored): the total
    /// for paging.
    pub async fn count_matching(&self, query: &AuditQuery) -> Result<u64, StoreError> {
        let mut sql = QueryBuilder::<Sqlite>::new("SELECT count(*) FROM audit_log");
        push_filters(&mut sql, query);
        let count: i64 = sql.build_query_scalar().fetch_one(&self.inner.read).await?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    /// How many rows the log has.
    pub async fn count(&self) -> Result<u64, StoreError> {
        self.count_matching(&AuditQuery::default()).await
    }

    /// Walks the chain in seq order and reports the first broken row: a gap in seq (a deleted
    /// row), a `prev_hash` that is not the previous row's hash, or a `hash` that does not match
    /// the row's contents (an altered row). Hashes the values exactly as stored. Also lists
    /// the claims that have no audit row.
    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = self.verify_chain().await?;
        report.claims_without_row = self
            .interrupted()
            .await?
            .into_iter()
            .map(|e| (e.message_id, e.at))
            .collect();
        Ok(report)
    }

    async fn verify_chain(&self) -> Result<VerifyReport, StoreError> {
        let mut report = VerifyReport {
            rows_checked: 0,
            head: None,
            broken: None,
            claims_without_row: Vec::new(),
        };
        let mut after = 0_i64;
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"
            ))
            .bind(after)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.inner.read)
            .await?;
            let Some(last) = rows.last() else {
                return Ok(report);
            };
            after = sqlx::Row::try_get(last, "seq")?;
            for row in &rows {
                let row = RawRow::from_row(row)?;
                report.rows_checked += 1;
                let (expected_seq, expected_prev) = match &report.head {
                    None => (1, GENESIS_HASH),
                    Some(head) => (head.seq + 1, head.hash.as_str()),
                };
                if let Some(problem) = chain_problem(&row, expected_seq, expected_prev) {
                    report.broken = Some(ChainBreak {
                        seq: row.seq,
                        problem,
                    });
                    return Ok(report);
                }
                report.head = Some(ChainHead {
                    seq: row.seq,
                    hash: row.hash,
                });
            }
        }
    }
}

/// A `message_claims` row. Claims made before migration 0003 have only the id and the time.
#[derive(Debug, sqlx::FromRow)]
struct ClaimRow {
    message_id: String,
    claimed_at: String,
    actor_phone: Option<String>,
    actor_lid: Option<String>,
    role: Option<String>,
    command: Option<String>,
    target: Option<String>,
    router: Option<String>,
    arguments: Option<String>,
    reason: Option<String>,
}

impl ClaimRow {
    fn into_event(self) -> Result<AuditEvent, StoreError> {
        let at = parse_at(&self.claimed_at).ok_or_else(|| StoreError::Corrupt {
            seq: 0,
            column: "message_claims.claimed_at",
            value: self.claimed_at.clone(),
        })?;
        Ok(AuditEvent {
            at,
            actor_phone: self.actor_phone.unwrap_or_else(|| "-".to_owned()),
            actor_lid: self.actor_lid,
            role: self.role.and_then(|r| r.parse().ok()),
            command: self.command.unwrap_or_else(|| "-".to_owned()),
            target: self.target,
            router: self.router,
            arguments: self.arguments.unwrap_or_default(),
            outcome: pppoe_core::Outcome::Unknown,
            error: None,
            reason: self.reason,
            duration_ms: 0,
            message_id: self.message_id,
        })
    }
}

/// Appends the WHERE clause of `query`'s filters.
fn push_filters(sql: &mut QueryBuilder<'_, Sqlite>, query: &AuditQuery) {
    let mut word = " WHERE ";
    let mut and = |sql: &mut QueryBuilder<'_, Sqlite>, column: &str| {
        sql.push(word);
        sql.push(column);
        word = " AND ";
    };
    if let Some(actor) = &query.actor {
        and(sql, "actor_phone = ");
        sql.push_bind(actor.clone());
    }
    if let Some(username) = &query.username {
        and(sql, "target = ");
        sql.push_bind(username.clone());
    }
    if let Some(command) = &query.command {
        and(sql, "command = ");
        sql.push_bind(command.clone());
    }
    if let Some(outcome) = query.outcome {
        and(sql, "outcome = ");
        sql.push_bind(outcome.as_str());
    }
    if let Some(since) = query.since {
        and(sql, "at >= ");
        sql.push_bind(format_at(since));
    }
    if let Some(until) = query.until {
        and(sql, "at < ");
        sql.push_bind(format_at(until));
    }
}

/// Fails unless the connection is in WAL mode with `synchronous=FULL`.
async fn check_durable(conn: &mut SqliteConnection, path: &Path) -> Result<(), StoreError> {
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?;
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await?;
    if !journal.eq_ignore_ascii_case("wal") || synchronous != 2 {
        return Err(StoreError::NotDurable {
            path: path.to_path_buf(),
            detail: format!("journal_mode={journal}, synchronous={synchronous}"),
        });
    }
    Ok(())
}

/// Makes a new file's directory entry durable (SQLite syncs the file, not its directory).
fn sync_parent_directory(path: &Path) -> Result<(), StoreError> {
    #[cfg(unix)]
    {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        std::fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(|source| StoreError::SyncDirectory {
                path: path.to_path_buf(),
                source,
            })?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

impl AuditSink for AuditStore {
    async fn append(&self, event: AuditEvent) -> Result<(), AuditError> {
        Ok(Self::append(self, event).await?)
    }

    async fn is_handled(&self, id: &str) -> Result<bool, AuditError> {
        Ok(Self::is_handled(self, id).await?)
    }

    async fn claim(&self, event: &AuditEvent) -> Result<bool, AuditError> {
        Ok(Self::claim(self, event).await?)
    }

    async fn interrupted(&self) -> Result<Vec<AuditEvent>, AuditError> {
        Ok(Self::interrupted(self).await?)
    }

    async fn created_at(
        &self,
        usernames: &[String],
    ) -> Result<HashMap<String, DateTime<Utc>>, AuditError> {
        Ok(Self::created_at(self, usernames).await?)
    }

    async fn activity(&self, since: DateTime<Utc>) -> Result<Vec<ActivityCount>, AuditError> {
        Ok(Self::activity(self, since).await?)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use pppoe_core::{Outcome, Role};
    use sqlx::Connection as _;

    use super::*;

    fn event(id: &str, outcome: Outcome) -> AuditEvent {
        AuditEvent {
            at: Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap(),
            actor_phone: "6281234567890".into(),
            actor_lid: None,
            role: Some(Role::Admin),
            command: "delpppoe".into(),
            target: Some("john123".into()),
            router: Some("core-1".into()),
            arguments: "john123 pindah".into(),
            outcome,
            error: None,
            reason: Some("pindah".into()),
            duration_ms: 7,
            message_id: id.into(),
        }
    }

    /// A database written by a release before migration 0003 (outcome `unknown`, claims with
    /// their attempt) upgrades in place: every row and hash kept, the chain intact.
    #[tokio::test]
    async fn migration_0003_keeps_every_row_and_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old-migrations");
        std::fs::create_dir(&old).unwrap();
        for (name, sql) in [
            (
                "0001_audit.sql",
                include_str!("../../../migrations/0001_audit.sql"),
            ),
            (
                "0002_claims.sql",
                include_str!("../../../migrations/0002_claims.sql"),
            ),
        ] {
            std::fs::write(old.join(name), sql).unwrap();
        }
        let path = dir.path().join("audit.db");
        let mut conn = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .connect()
            .await
            .unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&mut conn)
            .await
            .unwrap();
        sqlx::query("INSERT INTO message_claims (message_id, claimed_at) VALUES ('old-claim', '2024-12-15T09:30:25.000Z')")
            .execute(&mut conn)
            .await
            .unwrap();
        let (sender, receiver) = mpsc::channel(16);
        let writer = tokio::spawn(Writer::new(conn, receiver, 16, None).run());
        for (i, outcome) in [Outcome::Ok, Outcome::Failed, Outcome::Denied]
            .into_iter()
            .enumerate()
        {
            let (ack, answer) = oneshot::channel();
            sender
                .send(Request::Append {
                    row: Box::new(event(&format!("m{i}"), outcome).into()),
                    ack,
                })
                .await
                .unwrap();
            answer.await.unwrap().unwrap();
        }
        drop(sender);
        writer.await.unwrap();

        let store = AuditStore::open(&path, StoreOptions::default())
            .await
            .unwrap();
        let report = store.verify().await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows_checked, 3);
        // The old claim has no attempt recorded, and no row: it is reported all the same.
        let interrupted = store.interrupted().await.unwrap();
        assert_eq!(interrupted.len(), 1);
        assert_eq!(interrupted[0].message_id, "old-claim");
        assert_eq!(interrupted[0].command, "-");
        // The new outcome is accepted, onto the same chain.
        store.append(event("m3", Outcome::Unknown)).await.unwrap();
        let report = store.verify().await.unwrap();
        assert!(report.is_intact(), "{report:?}");
        assert_eq!(report.rows_checked, 4);
        store.close().await;
        // The triggers are back: the table is still append-only.
        let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        for sql in [
            "UPDATE audit_log SET outcome = 'ok' WHERE seq = 2",
            "DELETE FROM audit_log WHERE seq = 4",
        ] {
            let refused = sqlx::query(sql).execute(&mut raw).await.unwrap_err();
            assert!(refused.to_string().contains("append-only"), "{refused}");
        }
    }
}
