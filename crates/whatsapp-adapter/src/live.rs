//! The live driver: the wa-rs client, its session file, and the glue to the adapter. Thin on
//! purpose: everything decidable without the network lives in the pure modules and in
//! `adapter`, which the tests drive with a fake link. Nothing here has run against WhatsApp in
//! this repository's tests (no machine here reaches it); docs/whatsapp.md says how an operator
//! checks it.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use pppoe_core::{Incoming, Messenger, MessengerError, Outgoing, PhoneNumber};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wa_rs::bot::Bot;
use wa_rs::store::SqliteStore;
use wa_rs::types::events::{Event, EventHandler};
use wa_rs::wa_rs_proto::whatsapp as wa;
use wa_rs::{ChatStateType, Client, Jid};
use wa_rs_tokio_transport::TokioWebSocketTransportFactory;
use wa_rs_ureq_http::UreqHttpClient;

use crate::adapter::{self, Adapter, Input, Link, LinkState};
use crate::config::WhatsAppConfig;
use crate::error::{TerminalError, WaError};
use crate::typing::ChatState;

/// The exclusive lock on `<session>.lock`, held for the life of the process's use of the
/// session: two processes on one session file would replace each other's connection.
#[derive(Debug)]
pub(crate) struct SessionLock {
    _file: File,
}

impl SessionLock {
    pub(crate) fn acquire(config: &WhatsAppConfig) -> Result<Self, WaError> {
        let path = config.lock_path();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| WaError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| WaError::Io {
                path: path.clone(),
                source,
            })?;
        match file.try_lock() {
            Ok(()) => Ok(Self { _file: file }),
            Err(TryLockError::WouldBlock) => Err(WaError::SessionInUse {
                path: config.session_path.clone(),
            }),
            Err(TryLockError::Error(source)) => Err(WaError::Io { path, source }),
        }
    }
}

/// Opens the session store and builds the wa-rs bot (not yet running).
pub(crate) async fn build_bot(
    session: &Path,
    pair_code: Option<wa_rs::pair_code::PairCodeOptions>,
) -> Result<Bot, WaError> {
    let url = session.to_str().ok_or_else(|| WaError::Session {
        path: session.to_owned(),
        reason: "the path is not valid UTF-8".into(),
    })?;
    let store = SqliteStore::new(url).await.map_err(|e| WaError::Session {
        path: session.to_owned(),
        reason: e.to_string(),
    })?;
    let mut builder = Bot::builder()
        .with_backend(Arc::new(store))
        .with_transport_factory(TokioWebSocketTransportFactory::new())
        .with_http_client(UreqHttpClient::new())
        // The name the phone shows under "Linked devices".
        .with_device_props(Some("pppoe-bot".to_owned()), None, None)
        .skip_history_sync();
    if let Some(options) = pair_code {
        builder = builder.with_pair_code(options);
    }
    builder
        .build()
        .await
        .map_err(|e| WaError::Client(format!("{e:#}")))
}

/// Whether an event matters to the adapter (the rest is not cloned).
fn relevant(event: &Event) -> bool {
    matches!(
        event,
        Event::Message(..)
            | Event::UndecryptableMessage(_)
            | Event::Connected(_)
            | Event::Disconnected(_)
            | Event::OfflineSyncPreview(_)
            | Event::OfflineSyncCompleted(_)
            | Event::StreamError(_)
            | Event::LoggedOut(_)
            | Event::StreamReplaced(_)
            | Event::TemporaryBan(_)
            | Event::ClientOutdated(_)
            | Event::ConnectFailure(_)
            | Event::PairingQrCode { .. }
            | Event::PairingCode { .. }
            | Event::PairSuccess(_)
            | Event::PairError(_)
            | Event::QrScannedWithoutMultidevice(_)
    )
}

/// The event-bus handler. wa-rs calls it synchronously, in dispatch order; it only pushes the
/// event into an unbounded channel, so that the order is kept and wa-rs is never blocked.
/// (wa-rs's `Bot::on_event` would instead spawn a task per event, losing the order.)
pub(crate) struct EventSink(pub(crate) mpsc::UnboundedSender<Input>);

impl EventHandler for EventSink {
    fn handle_event(&self, event: &Event) {
        if relevant(event) {
            // The receiver is gone only after the adapter stopped.
            let _ = self.0.send(Input::Event(Box::new(event.clone())));
        }
    }
}

/// The link over a wa-rs client.
pub(crate) struct WaLink(pub(crate) Arc<Client>);

impl Link for WaLink {
    async fn send(&self, to: &Jid, message: wa::Message) -> Result<(), String> {
        self.0
            .send_message(to.clone(), message)
            .await
            .map(drop)
            .map_err(|e| format!("{e:#}"))
    }

    async fn chat_state(&self, to: &Jid, state: ChatState) {
        let state = match state {
            ChatState::Composing => ChatStateType::Composing,
            ChatState::Paused => ChatStateType::Paused,
        };
        if let Err(e) = self.0.chatstate().send(to, state).await {
            tracing::debug!(error = %e, chat = %to, "chat state not sent");
        }
    }

    async fn phone_for_lid(&self, lid_user: &str) -> Option<String> {
        self.0.get_phone_number_from_lid(lid_user).await
    }

    async fn lids_of(&self, phones: &[String]) -> Result<Vec<(Jid, Option<Jid>)>, String> {
        let phones: Vec<&str> = phones.iter().map(String::as_str).collect();
        let infos = self
            .0
            .contacts()
            .get_info(&phones)
            .await
            .map_err(|e| format!("{e:#}"))?;
        Ok(infos
            .into_iter()
            .filter(|i| i.is_registered)
            .map(|i| (i.jid, i.lid))
            .collect())
    }

    async fn wait_connected(&self, timeout: Duration) -> bool {
        self.0.wait_for_connected(timeout).await.is_ok()
    }

    fn is_connected(&self) -> bool {
        self.0.is_connected() && self.0.is_logged_in()
    }

    async fn disconnect(&self) {
        self.0.disconnect().await;
    }
}

/// pppoe-core's [`Messenger`] over WhatsApp: [`next_message`](Messenger::next_message) yields
/// commands in the order they arrived (per sender, in the order sent), and ends (`None`) on
/// shutdown or when the link ended for good; [`send`](Messenger::send) quotes, splits and
/// paces.
#[derive(Debug)]
pub struct WhatsApp {
    adapter: Adapter<WaLink>,
    session: PathBuf,
    _lock: SessionLock,
}

/// The background side of a [`WhatsApp`]: await [`wait`](Self::wait) after the message loop
/// ended to learn whether the link ended for good (then exit non-zero with its message).
#[derive(Debug)]
pub struct Driver {
    pump: JoinHandle<Result<(), TerminalError>>,
}

impl Driver {
    /// Waits for the adapter to stop. `Ok` after [`WhatsApp::shutdown`]; `Err` with what the
    /// operator must do when WhatsApp ended the session (logged out, replaced, banned, ...).
    pub async fn wait(self) -> Result<(), WaError> {
        match self.pump.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(WaError::Terminal(e)),
            Err(e) => Err(WaError::Client(format!(
                "the WhatsApp event task failed: {e}"
            ))),
        }
    }
}

impl WhatsApp {
    /// Opens the paired session in `config.session_path`, connects, resolves the LIDs of the
    /// `allowlisted` numbers, and starts handing out messages.
    ///
    /// Fails when another process holds the session, when the session was never paired, or
    /// when WhatsApp ends it while connecting (logged out, banned, ...). If the first
    /// connection takes longer than `config.connect_timeout`, it returns anyway and wa-rs keeps
    /// trying in the background.
    pub async fn connect(
        config: WhatsAppConfig,
        allowlisted: &[PhoneNumber],
    ) -> Result<(Self, Driver), WaError> {
        let lock = SessionLock::acquire(&config)?;
        let session = config.session_path.clone();
        if !session.exists() {
            return Err(WaError::NotPaired { path: session });
        }
        let mut bot = build_bot(&session, None).await?;
        let client = bot.client();
        if client
            .persistence_manager()
            .get_device_snapshot()
            .await
            .pn
            .is_none()
        {
            return Err(WaError::NotPaired { path: session });
        }
        let (tx, rx) = mpsc::unbounded_channel();
        client.register_handler(Arc::new(EventSink(tx.clone())));
        let connect_timeout = config.connect_timeout;
        let started = adapter::start(WaLink(Arc::clone(&client)), config, allowlisted, rx);
        let run = bot
            .run()
            .await
            .map_err(|e| WaError::Client(format!("{e:#}")))?;
        tokio::spawn(async move {
            if let Err(e) = run.await {
                tracing::error!(error = %e, "the WhatsApp client task failed");
            }
            let _ = tx.send(Input::ClientStopped);
        });
        let whatsapp = Self {
            adapter: started.adapter,
            session,
            _lock: lock,
        };
        let driver = Driver { pump: started.pump };
        match whatsapp.adapter.wait_connected(connect_timeout).await {
            LinkState::Connected => {}
            LinkState::Connecting => tracing::warn!(
                after = ?connect_timeout,
                "WhatsApp not connected yet; wa-rs keeps trying in the background"
            ),
            LinkState::Ended(_) => {
                whatsapp.adapter.shutdown().await;
                driver.wait().await?;
                return Err(WaError::Client("the WhatsApp adapter stopped".into()));
            }
        }
        Ok((whatsapp, driver))
    }

    /// The session file.
    pub fn session_path(&self) -> &Path {
        &self.session
    }

    /// Why the link ended, once it ended for good (`next_message` returned `None`).
    pub fn terminal_error(&self) -> Option<TerminalError> {
        self.adapter.terminal_error()
    }

    /// Stops handing out messages and disconnects; [`Driver::wait`] then returns `Ok`.
    /// Replies still being sent fail with `MessengerError::Disconnected`; call this after the
    /// message loop finished the commands in flight.
    pub async fn shutdown(&self) {
        self.adapter.shutdown().await;
    }
}

impl Messenger for WhatsApp {
    async fn next_message(&self) -> Option<Incoming> {
        self.adapter.next_message().await
    }

    async fn send(&self, message: &Outgoing) -> Result<(), MessengerError> {
        self.adapter.send(message).await
    }

    async fn working_on(&self, message: &Incoming) {
        self.adapter.working_on(message);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_process_per_session_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = WhatsAppConfig::new(dir.path().join("sub").join("wa.db"));
        let first = SessionLock::acquire(&config).unwrap();
        let err = SessionLock::acquire(&config).unwrap_err();
        assert!(matches!(err, WaError::SessionInUse { .. }), "{err}");
        assert!(err.to_string().contains("one process per session file"));
        drop(first);
        SessionLock::acquire(&config).expect("free again once the holder is gone");
    }

    #[tokio::test]
    async fn an_unpaired_session_is_refused_before_connecting() {
        let dir = tempfile::tempdir().unwrap();
        let config = WhatsAppConfig::new(dir.path().join("wa.db"));
        // No session file at all: nothing is created.
        let err = WhatsApp::connect(config.clone(), &[]).await.unwrap_err();
        assert!(matches!(err, WaError::NotPaired { .. }), "{err}");
        assert!(err.to_string().contains("run `pppoe-bot pair` first"));
        assert!(!dir.path().join("wa.db").exists());
        // A store that holds no linked device (pairing never finished).
        drop(build_bot(&config.session_path, None).await.unwrap());
        let err = WhatsApp::connect(config, &[]).await.unwrap_err();
        assert!(matches!(err, WaError::NotPaired { .. }), "{err}");
    }

    #[test]
    fn only_relevant_events_are_forwarded() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sink = EventSink(tx);
        sink.handle_event(&Event::Connected(wa_rs::types::events::Connected));
        sink.handle_event(&Event::Notification(wa_rs::NodeBuilder::new("x").build()));
        assert!(matches!(rx.try_recv(), Ok(Input::Event(e)) if matches!(*e, Event::Connected(_))));
        assert!(rx.try_recv().is_err());
    }
}
