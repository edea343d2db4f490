//! Settings of the adapter. The binary builds them from its TOML config.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use pppoe_core::{Language, PhoneNumber};

/// How fast replies go out. WhatsApp flags numbers that send in bursts; these limits keep the
/// bot's traffic at the pace of a fast human typist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacingConfig {
    /// At least this long between two messages to one chat (default 1 s).
    pub per_chat_interval: Duration,
    /// At most this many messages in any 60 s, all chats together (default 20).
    pub per_minute: u32,
    /// Each message waits a further random time in `[0, jitter]` (default 700 ms), so that the
    /// timing is never machine-regular.
    pub jitter: Duration,
    /// Seed of the jitter's generator; `None` seeds from the clock. Tests set it.
    pub seed: Option<u64>,
}

impl Default for PacingConfig {
    fn default() -> Self {
        Self {
            per_chat_interval: Duration::from_secs(1),
            per_minute: 20,
            jitter: Duration::from_millis(700),
            seed: None,
        }
    }
}

/// Settings of the WhatsApp adapter.
#[derive(Debug, Clone)]
pub struct WhatsAppConfig {
    /// The session file (the library's SQLite store). `pppoe-bot pair` creates it; `run` reuses it.
    /// Only one process may use it at a time (a lock file `<session>.lock` enforces that).
    pub session_path: PathBuf,
    /// Group chats the bot answers in, as JIDs (`120363012345678901@g.us`). Empty: none.
    /// The sender must still be on the allowlist: the engine checks that.
    pub allowed_groups: Vec<String>,
    /// Numbers told when the connection ends for good, if that is still possible.
    pub admins: Vec<PhoneNumber>,
    /// Outgoing pace.
    pub pacing: PacingConfig,
    /// Language of the adapter's own texts ("please resend", notices to admins).
    pub language: Language,
    /// How long messages wait so that a batch delivered out of order (the offline backlog) is
    /// put back in the order sent (default 400 ms).
    pub reorder_window: Duration,
    /// How long after a message could not be decrypted the sender is asked to resend it, if
    /// the library's retry has not delivered it by then (default 15 s).
    pub undecryptable_grace: Duration,
    /// How long `connect` waits for the first connection before it returns anyway (whatsapp-rust keeps
    /// trying in the background; default 60 s).
    pub connect_timeout: Duration,
    /// The largest photo or document downloaded for `foto` (default 10 MB); a larger one is
    /// not downloaded, and the engine says so.
    pub media_max_bytes: u64,
    /// Where the client connects: WhatsApp (the default), or a stand-in for tests.
    pub endpoint: Endpoint,
}

/// Where the client connects.
#[derive(Clone, Default)]
pub enum Endpoint {
    /// WhatsApp's servers, over a TLS WebSocket; the web client's version is fetched from
    /// WhatsApp Web (with the session's last good one as the fallback).
    #[default]
    WhatsApp,
    /// WhatsApp's protocol at another WebSocket URL (`ws://` or `wss://`): a test server
    /// in another process, for measuring the binary itself. As with [`Endpoint::WhatsApp`],
    /// the version is fetched from WhatsApp Web, with the session's last good one as the
    /// fallback, and media go to the hosts the server names.
    Url(String),
    /// A stand-in reached through `transport` (a protocol-level test server), its media
    /// servers through `http`, announcing web client version `version` without fetching it.
    /// Tests use it; the binary never does.
    Custom {
        /// Makes one connection per call.
        transport: Arc<dyn whatsapp_rust::transport::TransportFactory>,
        /// Reaches the stand-in's media servers.
        http: Arc<dyn whatsapp_rust::http::HttpClient>,
        /// The web client version announced at login.
        version: (u32, u32, u32),
    },
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::WhatsApp => f.write_str("WhatsApp"),
            Self::Url(url) => f.debug_tuple("Url").field(url).finish(),
            Self::Custom { version, .. } => f
                .debug_struct("Custom")
                .field("version", version)
                .finish_non_exhaustive(),
        }
    }
}

impl WhatsAppConfig {
    /// Defaults for everything but the session file.
    pub fn new(session_path: impl Into<PathBuf>) -> Self {
        Self {
            session_path: session_path.into(),
            allowed_groups: Vec::new(),
            admins: Vec::new(),
            pacing: PacingConfig::default(),
            language: Language::default(),
            reorder_window: Duration::from_millis(400),
            undecryptable_grace: Duration::from_secs(15),
            connect_timeout: Duration::from_secs(60),
            media_max_bytes: 10_000_000,
            endpoint: Endpoint::WhatsApp,
        }
    }

    /// `<session>.lock`: the file whose lock makes one process per session.
    pub fn lock_path(&self) -> PathBuf {
        with_suffix(&self.session_path, ".lock")
    }

    /// `<session>.ended`: why and when the last run ended without being asked to, kept until
    /// the admins are told at the next connect (a notice sent as the connection ends rarely
    /// gets out).
    pub fn ended_path(&self) -> PathBuf {
        with_suffix(&self.session_path, ".ended")
    }

    /// `<session>.delivery`: the reply-delivery counters of the running bot and its last
    /// failure, rewritten at each failure, for `check-config` (see [`crate::delivery`]).
    pub fn delivery_path(&self) -> PathBuf {
        with_suffix(&self.session_path, ".delivery")
    }

    /// Keeps why the bot stopped (now) in [`ended_path`](Self::ended_path), for the admins'
    /// notice at the next connect. For a stop that happens before WhatsApp is connected (e.g.
    /// the bot refusing a tampered audit log); the adapter records its own ends.
    pub fn record_stop(&self, reason: &str) {
        let path = self.ended_path();
        let text = format!("{}\n{reason}\n", chrono::Utc::now().to_rfc3339());
        if let Err(e) = std::fs::write(&path, text) {
            tracing::warn!(path = %path.display(), error = %e, "the reason of this stop is not kept for the next start");
        }
    }

    /// `<session>.qr.png`: where `pair` writes the current QR code as an image.
    pub fn qr_png_path(&self) -> PathBuf {
        with_suffix(&self.session_path, ".qr.png")
    }
}

fn with_suffix(path: &std::path::Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_files_sit_next_to_the_session() {
        let c = WhatsAppConfig::new("/var/lib/pppoe-bot/whatsapp.db");
        assert_eq!(
            c.lock_path(),
            PathBuf::from("/var/lib/pppoe-bot/whatsapp.db.lock")
        );
        assert_eq!(
            c.qr_png_path(),
            PathBuf::from("/var/lib/pppoe-bot/whatsapp.db.qr.png")
        );
    }
}
