//! The audit log of pppoe-bot: one row per attempt in an embedded SQLite file, append-only
//! (triggers refuse UPDATE and DELETE) and hash-chained (each row's SHA-256 covers the previous
//! row's hash), implementing [`pppoe_core::AuditSink`].
//!
//! ```text
//!  engine tasks ──append(event)──▶ queue (mpsc) ──▶ writer task ── one write connection
//!       ▲                                            │ BEGIN IMMEDIATE
//!       │                                            │ per queued event (≤ 256): next seq,
//!       │                                            │   hash onto the previous row, INSERT
//!       │                                            │   unless its message id is recorded
//!       └──────── Ok / Duplicate (oneshot) ◀──────── │ COMMIT (WAL, synchronous=FULL)
//!
//!  is_handled, created_at, query, verify ──▶ read pool (query_only)
//!  TicketStore: open, update, set_customer, add_evidence, isolate, end_isolation ──▶ writer
//!    (one BEGIN IMMEDIATE each); get, list, evidence, isolation, isolations ──▶ read pool;
//!    an evidence file ──▶ media dir, before its record
//!  auditor's CLI ──▶ AuditStore::open_read_only (mode=ro, no migrations)
//! ```
//!
//! Architecture invariants:
//! - One writer. Only the writer task inserts, so the chain never forks and seq has no gaps; the
//!   database itself refuses an insert that is not the next seq or repeats a message id.
//! - Durable before answered. An append returns `Ok` only after its transaction's COMMIT
//!   returned with `synchronous=FULL` in WAL mode: it survives `kill -9` and a power cut.
//! - The schema lives in the top-level `migrations/` folder, embedded at compile time with
//!   `sqlx::migrate!` and run by [`AuditStore::open`]. docs/auditor.md documents it and the
//!   hash encoding for auditors.
//!
//! # Example
//!
//! ```
//! use audit_store::{AuditQuery, AuditStore, StoreOptions};
//! use chrono::{TimeZone, Utc};
//! use pppoe_core::{AuditEvent, Outcome, Role};
//!
//! let dir = tempfile::tempdir()?;
//! let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! runtime.block_on(async {
//!     let store = AuditStore::open(dir.path().join("audit.db"), StoreOptions::default()).await?;
//!     store
//!         .append(AuditEvent {
//!             at: Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap(),
//!             actor_phone: "6281234567890".into(),
//!             actor_lid: None,
//!             role: Some(Role::Admin),
//!             command: "addpppoe".into(),
//!             target: Some("john123".into()),
//!             router: Some("core-1".into()),
//!             arguments: "john123 *** Premium".into(),
//!             outcome: Outcome::Ok,
//!             error: None,
//!             reason: None,
//!             duration_ms: 42,
//!             message_id: "3EB0A1".into(),
//!         })
//!         .await?;
//!
//!     let rows = store.query(&AuditQuery::new().username("john123")).await?;
//!     assert_eq!(rows.len(), 1);
//!     assert_eq!((rows[0].seq, rows[0].event.command.as_str()), (1, "addpppoe"));
//!     assert!(store.is_handled("3EB0A1").await?);
//!     assert!(store.verify().await?.is_intact());
//!     store.close().await;
//!     Ok::<_, audit_store::StoreError>(())
//! })?;
//! # Ok::<_, Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod anchor;
mod chain;
mod error;
mod isolations;
mod media;
mod row;
pub mod seal;
mod sealed;
pub mod sealing_file;
mod store;
mod tickets;
mod writer;

pub use chain::GENESIS_HASH;
pub use error::StoreError;
pub use row::{AuditQuery, AuditRow};
pub use sealed::{SealProblem, SealReport};
pub use store::{AuditStore, ChainBreak, ChainHead, ChainProblem, StoreOptions, VerifyReport};
