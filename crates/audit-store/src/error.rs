//! The store's errors.

use std::error::Error as _;
use std::path::PathBuf;
use std::sync::Arc;

use pppoe_core::AuditError;
use thiserror::Error;

/// What can go wrong in the audit store. Display texts name the failure only; the cause is in
/// [`std::error::Error::source`].
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// [`AuditStore::open_read_only`](crate::AuditStore::open_read_only) was given a path that
    /// does not exist (it never creates one).
    #[error("audit database {} does not exist", path.display())]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The file is an SQLite database without the `audit_log` table.
    #[error("{} is not a pppoe-bot audit database (it has no audit_log table)", path.display())]
    NotAnAuditLog {
        /// The path given.
        path: PathBuf,
    },
    /// The database could not be opened (or created).
    #[error("cannot open audit database {}", path.display())]
    Open {
        /// The path given.
        path: PathBuf,
        /// SQLite's error.
        #[source]
        source: sqlx::Error,
    },
    /// SQLite did not accept WAL mode with `synchronous=FULL`, so an acknowledged event might not
    /// survive a power cut.
    #[error("audit database {} cannot be made durable: {detail}", path.display())]
    NotDurable {
        /// The path given.
        path: PathBuf,
        /// What SQLite reported instead.
        detail: String,
    },
    /// A migration failed (or the database has a migration this build does not know).
    #[error("cannot migrate the audit database")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Making a new database file's directory entry durable failed.
    #[error("cannot sync the directory of {}", path.display())]
    SyncDirectory {
        /// The database path.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An event for this message id is recorded already; the new one was not stored.
    #[error("message {0} is already recorded")]
    Duplicate(String),
    /// The store was opened read-only; it cannot append.
    #[error("the audit store was opened read-only")]
    ReadOnly,
    /// The store was closed; the event was not stored.
    #[error("the audit store is closed")]
    Closed,
    /// A stored value cannot be read back (the schema allows no such value: the file was
    /// tampered with outside the triggers).
    #[error("audit row {seq} holds an unreadable {column}: {value:?}")]
    Corrupt {
        /// The row.
        seq: i64,
        /// The column.
        column: &'static str,
        /// The value found.
        value: String,
    },
    /// The start check of a sealed log failed: its triggers, its tail or its newest seal is
    /// not what the bot left. It refuses to append onto it (that would launder the change).
    #[error(
        "the audit log was tampered with: {0}; run `pppoe-bot audit verify --verification-key-file …` and investigate before anything is appended"
    )]
    Tampered(String),
    /// The sealing keys could not be used or moved on (see
    /// [`sealing_file`](crate::sealing_file)); rows are not appended without them.
    #[error("audit sealing failed: {0}")]
    Sealing(String),
    /// SQLite failed.
    #[error("audit database error")]
    Database(#[source] Arc<sqlx::Error>),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(Arc::new(error))
    }
}

impl StoreError {
    /// The error and its causes, `: `-separated (for the port's string error).
    pub fn chain(&self) -> String {
        let mut text = self.to_string();
        let mut source = self.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        text
    }
}

impl From<StoreError> for AuditError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Duplicate(id) => Self::Duplicate(id),
            other => Self::Store(other.chain()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_maps_to_the_port_duplicate() {
        assert_eq!(
            AuditError::from(StoreError::Duplicate("3EB0".into())),
            AuditError::Duplicate("3EB0".into())
        );
    }

    #[test]
    fn other_errors_carry_their_cause_chain() {
        let error = StoreError::from(sqlx::Error::Protocol("disk I/O error".into()));
        assert_eq!(
            AuditError::from(error),
            AuditError::Store(
                "audit database error: encountered unexpected or invalid data: disk I/O error"
                    .into()
            )
        );
        assert_eq!(
            AuditError::from(StoreError::Closed),
            AuditError::Store("the audit store is closed".into())
        );
    }
}
