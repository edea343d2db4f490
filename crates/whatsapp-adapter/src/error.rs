//! Errors of the adapter, and the terminal states of a WhatsApp session.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use thiserror::Error;

/// Why the WhatsApp connection ended: whatsapp-rust does not reconnect after any of these, so the
/// process stops and says what happens next. All but [`ClientStopped`](Self::ClientStopped)
/// need the operator ([`needs_operator`](Self::needs_operator)); its `Display` says what to do.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TerminalError {
    /// The phone removed this linked device (or WhatsApp logged it out).
    #[error(
        "the phone logged this device out of WhatsApp ({reason}): run `pppoe-bot pair` again \
         to link it anew"
    )]
    LoggedOut {
        /// WhatsApp's reason, e.g. `401 logged out`.
        reason: String,
    },
    /// Another connection took over this session.
    #[error(
        "another process uses this WhatsApp session: stop it; one process per session file \
         (the other connection replaced this one)"
    )]
    StreamReplaced,
    /// WhatsApp banned the number for a while.
    #[error(
        "WhatsApp banned this number temporarily ({reason}) until {until} (about {}): wait, \
         then start pppoe-bot again; keep the pacing limits (docs/whatsapp.md)",
        human_duration(*expires_in)
    )]
    TemporaryBan {
        /// WhatsApp's code and explanation.
        reason: String,
        /// How long the ban lasts from when it was reported.
        expires_in: Duration,
        /// When it ends (UTC).
        until: DateTime<Utc>,
    },
    /// WhatsApp refuses this client's version.
    #[error(
        "WhatsApp rejected this client version as outdated: update pppoe-bot (its whatsapp-rust \
         library) and start again"
    )]
    ClientOutdated,
    /// WhatsApp refused the connection for a reason after which whatsapp-rust does not retry.
    #[error(
        "WhatsApp refused the connection (code {code}: {message}); whatsapp-rust does not retry it"
    )]
    ConnectFailure {
        /// WhatsApp's numeric reason.
        code: i32,
        /// Its text, if any.
        message: String,
    },
    /// The session file holds no linked device (it asks for a QR code).
    #[error("this WhatsApp session is not linked to a phone: run `pppoe-bot pair` first")]
    NotPaired,
    /// The whatsapp-rust client stopped without being asked to and without a reason that needs the
    /// operator (e.g. its keepalive gave up after a network stall). Not the end of the
    /// session: a new start reconnects.
    #[error(
        "the WhatsApp client stopped without being asked to (e.g. after a long network stall); \
         the session is intact: start pppoe-bot again (under systemd this happens by itself)"
    )]
    ClientStopped,
}

impl TerminalError {
    /// Whether only the operator can help (pair again, stop the other process, wait out a ban,
    /// update): then a restart would fail the same way, and the service manager must not loop.
    /// `false` for a client that stopped on its own, which a restart brings back.
    #[must_use]
    pub fn needs_operator(&self) -> bool {
        !matches!(self, Self::ClientStopped)
    }
}

/// Errors of the adapter.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WaError {
    /// The session file is locked by another process.
    #[error(
        "another process uses the WhatsApp session {}: stop it; one process per session file",
        path.display()
    )]
    SessionInUse {
        /// The session file.
        path: PathBuf,
    },
    /// The session file could not be opened or created.
    #[error("cannot open the WhatsApp session {}: {reason}", path.display())]
    Session {
        /// The session file.
        path: PathBuf,
        /// What failed.
        reason: String,
    },
    /// The session file holds no linked device.
    #[error(
        "the WhatsApp session {} is not linked to a phone: run `pppoe-bot pair` first",
        path.display()
    )]
    NotPaired {
        /// The session file.
        path: PathBuf,
    },
    /// The whatsapp-rust client could not be built.
    #[error("cannot start the WhatsApp client: {0}")]
    Client(String),
    /// The connection ended for good.
    #[error(transparent)]
    Terminal(#[from] TerminalError),
    /// Pairing failed.
    #[error("pairing failed: {0}")]
    Pairing(String),
    /// Nobody linked the device in time.
    #[error(
        "pairing timed out after {}: nobody scanned the QR code or entered the pairing code; \
         run `pppoe-bot pair` again",
        human_duration(*.0)
    )]
    PairingTimeout(Duration),
    /// Writing a file (the QR code image) failed.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

/// `1h 5m`, `3m 20s`, `45s`.
pub(crate) fn human_duration(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, (s % 3600) / 60, s % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s}s"),
        _ => format!("{h}h {m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_that_stopped_on_its_own_needs_no_operator() {
        assert!(!TerminalError::ClientStopped.needs_operator());
        assert!(TerminalError::StreamReplaced.needs_operator());
        assert!(TerminalError::NotPaired.needs_operator());
        let e = TerminalError::ClientStopped.to_string();
        assert!(e.contains("start pppoe-bot again"), "{e}");
    }

    #[test]
    fn terminal_errors_say_what_to_do() {
        let e = TerminalError::LoggedOut {
            reason: "401 logged out".into(),
        };
        assert!(e.to_string().contains("run `pppoe-bot pair` again"), "{e}");
        let e = TerminalError::StreamReplaced.to_string();
        assert!(e.contains("one process per session file"), "{e}");
        assert!(
            WaError::NotPaired {
                path: "wa.db".into()
            }
            .to_string()
            .contains("run `pppoe-bot pair` first")
        );
    }

    #[test]
    fn durations() {
        assert_eq!(human_duration(Duration::from_secs(45)), "45s");
        assert_eq!(human_duration(Duration::from_secs(200)), "3m 20s");
        assert_eq!(human_duration(Duration::from_secs(3900)), "1h 5m");
    }
}
