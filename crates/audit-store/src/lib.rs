//! Append-only, hash-chained SQLite audit log (work in progress; see issue "audit-store").
//!
//! It will implement `pppoe_core::AuditSink` with sqlx over an embedded SQLite file, refuse
//! UPDATE and DELETE with triggers, and chain every row to the previous one with SHA-256.
//!
//! ```
//! // Nothing to call yet.
//! ```
#![deny(missing_docs)]
