//! The errors of the client and of the sans-IO connection (no runtime here: the connection
//! module uses them too).

use std::fmt;
use std::io;
use std::time::Duration;

use crate::codec::DecodeError;
use crate::proto::ProtoError;

/// The step during which a timeout elapsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Establishing the TCP connection.
    Connect,
    /// The TLS handshake (api-ssl).
    TlsHandshake,
    /// Logging in.
    Login,
    /// Waiting for a command's replies.
    Command,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::TlsHandshake => "TLS handshake",
            Self::Login => "login",
            Self::Command => "command",
        })
    }
}

/// Everything that can go wrong talking to a router.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The TCP connection could not be established.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// `host:port` as configured.
        addr: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A step did not finish in time.
    #[error("{during} timed out after {after:?}")]
    Timeout {
        /// Which step.
        during: Phase,
        /// The limit that elapsed.
        after: Duration,
    },
    /// The router refused the credentials (or the login exchange).
    #[error("login failed: {message}")]
    Login {
        /// The router's message, e.g. `invalid user name or password (6)`.
        message: String,
    },
    /// The router refused the command (`!trap`).
    #[error("router refused the command{}: {message}", category.map(|c| format!(" (category {c})")).unwrap_or_default())]
    Trap {
        /// `=category=` if the router sent one (see [`trap_category`](crate::proto::trap_category)).
        category: Option<u32>,
        /// `=message=`, e.g. `failure: secret with the same name already exists`.
        message: String,
    },
    /// The router ended the connection with `!fatal`.
    #[error("router closed the connection: {message}")]
    Fatal {
        /// The reason the router gave, e.g. `session terminated on request`.
        message: String,
    },
    /// The router closed the connection (end of stream) without `!fatal`.
    #[error("the router closed the connection")]
    Closed,
    /// [`Client::close`](crate::Client::close) was called, or the connection was dropped.
    #[error("the connection was closed by this client")]
    ClosedLocally,
    /// Reading or writing the socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
    /// The router's TLS certificate is not the trusted one (a pin that does not match, a
    /// certificate not signed by the configured CA, a wrong name, expired). The message says
    /// which, in words: for a pin, the router's fingerprint and the pinned one.
    #[error("{message}")]
    Certificate {
        /// What is wrong with the certificate.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// TLS setup or handshake failed. The message says what to do about it.
    #[error("TLS: {message}")]
    Tls {
        /// What went wrong and, where possible, how to fix it.
        message: String,
        /// The underlying error, if any.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// The router sent something that is not the RouterOS API.
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl From<DecodeError> for ClientError {
    fn from(err: DecodeError) -> Self {
        Self::Protocol(err.to_string())
    }
}

impl From<ProtoError> for ClientError {
    fn from(err: ProtoError) -> Self {
        Self::Protocol(err.to_string())
    }
}

impl ClientError {
    /// Whether the error ended the connection (as opposed to one command failing): the
    /// caller should connect again.
    #[must_use]
    pub fn is_connection_lost(&self) -> bool {
        matches!(
            self,
            Self::Fatal { .. }
                | Self::Closed
                | Self::ClosedLocally
                | Self::Io(_)
                | Self::Protocol(_)
        )
    }
}
