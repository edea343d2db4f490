//! The live driver: the whatsapp-rust client, its session file, and the glue to the adapter. Thin on
//! purpose: everything decidable without the network lives in the pure modules and in
//! `adapter`, which the tests drive with a fake link. This driver runs in the tests against
//! `wa-testserver`, a protocol-level stand-in for WhatsApp's servers (`Endpoint::Custom`);
//! no machine here reaches WhatsApp itself, and docs/whatsapp.md says how an operator checks
//! the live link.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use pppoe_core::{Incoming, Messenger, MessengerError, Outgoing, PhoneNumber};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use whatsapp_rust::bot::Bot;
use whatsapp_rust::http::{HttpClient, HttpRequest, HttpResponse, UreqHttpClient};
use whatsapp_rust::pair_code::PairCodeOptions;
use whatsapp_rust::transport::{TokioWebSocketTransportFactory, TransportFactory};
use whatsapp_rust::types::events::{Event, EventHandler, EventInterest, EventKind};
use whatsapp_rust::wacore::net::StreamingHttpResponse;
use whatsapp_rust::wacore::store::DevicePropsOverride;
use whatsapp_rust::wacore::version::parse_sw_js;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust::{ChatStateType, Client, Jid, async_trait};
use whatsapp_rust_sqlite_storage::SqliteStore;

use crate::adapter::{self, Adapter, Input, Link, LinkState};
use crate::config::{Endpoint, WhatsAppConfig};
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

/// Opens the session store and builds the bot (not yet running), its events going to `events`.
pub(crate) async fn build_bot(
    session: &Path,
    endpoint: &Endpoint,
    pair_code: Option<PairCodeOptions>,
    events: EventSink,
) -> Result<Bot, WaError> {
    let url = session.to_str().ok_or_else(|| WaError::Session {
        path: session.to_owned(),
        reason: "the path is not valid UTF-8".into(),
    })?;
    let store = SqliteStore::new(url).await.map_err(|e| WaError::Session {
        path: session.to_owned(),
        reason: e.to_string(),
    })?;
    let (transport, http): (Arc<dyn TransportFactory>, Arc<dyn HttpClient>) = match endpoint {
        Endpoint::WhatsApp => (
            Arc::new(TokioWebSocketTransportFactory::new()),
            Arc::new(UreqHttpClient::new()),
        ),
        Endpoint::Url(url) => (
            Arc::new(TokioWebSocketTransportFactory::new().with_url(url)),
            Arc::new(UreqHttpClient::new()),
        ),
        Endpoint::Custom {
            transport, http, ..
        } => (Arc::clone(transport), Arc::clone(http)),
    };
    let version = Arc::new(VersionFallback::new(DynHttp(http)));
    let mut builder = Bot::builder()
        .with_backend(store)
        .with_transport_factory(Via(transport))
        .with_http_client(SharedHttp(Arc::clone(&version)))
        // The name the phone shows under "Linked devices".
        .with_device_props(DevicePropsOverride::new().with_os("pppoe-bot"))
        .with_event_handler(events)
        .skip_history_sync();
    if let Endpoint::Custom { version, .. } = endpoint {
        builder = builder.with_version(*version);
    }
    if let Some(options) = pair_code {
        builder = builder.with_pair_code(options);
    }
    let bot = builder
        .build()
        .await
        .map_err(|e| WaError::Client(format!("{e:#}")))?;
    // The version of the last connect that fetched one, kept in the session store by the
    // library: the fallback when the next fetch fails.
    let device = bot.client().persistence_manager().get_device_snapshot();
    if device.app_version_primary != 0 {
        version.remember(device.app_version_tertiary);
    }
    Ok(bot)
}

/// The endpoint's transport factory, behind one type whichever the endpoint.
struct Via(Arc<dyn TransportFactory>);

#[async_trait]
impl TransportFactory for Via {
    async fn create_transport(
        &self,
    ) -> whatsapp_rust::anyhow::Result<(
        Arc<dyn whatsapp_rust::transport::Transport>,
        whatsapp_rust::async_channel::Receiver<whatsapp_rust::transport::TransportEvent>,
    )> {
        self.0.create_transport().await
    }
}

/// Whether the session holds a linked device, and its phone number.
pub(crate) fn linked_phone(bot: &Bot) -> Option<String> {
    let device = bot.client().persistence_manager().get_device_snapshot();
    device.pn.as_ref().map(|pn| pn.user.to_string())
}

/// The kinds of event that matter to the adapter; the library dispatches no other to it.
const KINDS: &[EventKind] = &[
    EventKind::Messages,
    EventKind::UndecryptableMessage,
    EventKind::ServerAck,
    EventKind::Connected,
    EventKind::Disconnected,
    EventKind::OfflineSyncPreview,
    EventKind::OfflineSyncCompleted,
    EventKind::StreamError,
    EventKind::LoggedOut,
    EventKind::StreamReplaced,
    EventKind::TemporaryBan,
    EventKind::ClientOutdated,
    EventKind::ConnectFailure,
    EventKind::PairingQrCode,
    EventKind::PairingQrCodesExhausted,
    EventKind::PairingCode,
    EventKind::PairingCodeError,
    EventKind::PairSuccess,
    EventKind::PairError,
    EventKind::QrScannedWithoutMultidevice,
];

/// The event-bus handler. The library calls it inline, in dispatch order; it only pushes what
/// matters into an unbounded channel (each message of a batch on its own, in the batch's
/// order), so that the order is kept and the library is never blocked. (The builder's closure
/// callbacks would instead run on a task per event, losing the order.)
pub(crate) struct EventSink(pub(crate) mpsc::UnboundedSender<Input>);

impl EventHandler for EventSink {
    fn handle_event(&self, event: Arc<Event>) {
        if !KINDS.contains(&event.kind()) {
            return;
        }
        // The receiver is gone only after the adapter stopped.
        if let Event::Messages(batch) = &*event {
            for m in batch {
                let _ = self
                    .0
                    .send(Input::Message(Arc::clone(&m.message), Arc::clone(&m.info)));
            }
        } else {
            let _ = self.0.send(Input::Event(event));
        }
    }

    fn interest(&self) -> EventInterest {
        EventInterest::of(KINDS)
    }
}

/// The library's HTTP client with a memory of the last good WhatsApp Web version: when the
/// daily fetch of `sw.js` fails, the connect would fail with it; instead it goes on with the
/// version the session last used, and the failure is logged.
pub(crate) struct VersionFallback<H> {
    inner: H,
    last_good: Mutex<Option<u32>>,
}

/// The page the library reads WhatsApp Web's version from.
const SW_JS: &str = "https://web.whatsapp.com/sw.js";

impl<H> VersionFallback<H> {
    pub(crate) fn new(inner: H) -> Self {
        Self {
            inner,
            last_good: Mutex::new(None),
        }
    }

    /// Remembers `revision` (of version 2.3000.`revision`) as the last good one.
    pub(crate) fn remember(&self, revision: u32) {
        *self
            .last_good
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(revision);
    }

    fn last_good(&self) -> Option<u32> {
        *self
            .last_good
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

#[async_trait]
impl<H: HttpClient> HttpClient for VersionFallback<H> {
    async fn execute(&self, request: HttpRequest) -> whatsapp_rust::anyhow::Result<HttpResponse> {
        if request.url != SW_JS {
            return self.inner.execute(request).await;
        }
        let failure = match self.inner.execute(request).await {
            Ok(response) if response.status_code < 300 => {
                let version = std::str::from_utf8(&response.body)
                    .ok()
                    .and_then(parse_sw_js);
                match version {
                    Some((_, _, revision)) => {
                        self.remember(revision);
                        return Ok(response);
                    }
                    None => "the page names no version".to_owned(),
                }
            }
            Ok(response) => format!("HTTP status {}", response.status_code),
            Err(e) => format!("{e:#}"),
        };
        match self.last_good() {
            Some(revision) => {
                tracing::warn!(
                    error = %failure,
                    version = %format!("2.3000.{revision}"),
                    "could not fetch WhatsApp Web's current version; connecting with the last good one"
                );
                Ok(HttpResponse {
                    status_code: 200,
                    body: format!("self.client_revision={revision};").into_bytes(),
                })
            }
            None => {
                tracing::error!(
                    error = %failure,
                    "could not fetch WhatsApp Web's current version, and this session has none                      from before; the connect fails until the fetch works"
                );
                Err(whatsapp_rust::anyhow::anyhow!("{failure}"))
            }
        }
    }
}

/// The endpoint's HTTP client, behind one type whichever the endpoint.
struct DynHttp(Arc<dyn HttpClient>);

#[async_trait]
impl HttpClient for DynHttp {
    async fn execute(&self, request: HttpRequest) -> whatsapp_rust::anyhow::Result<HttpResponse> {
        self.0.execute(request).await
    }

    fn supports_streaming(&self) -> bool {
        self.0.supports_streaming()
    }

    fn execute_streaming(
        &self,
        request: HttpRequest,
    ) -> whatsapp_rust::anyhow::Result<StreamingHttpResponse> {
        self.0.execute_streaming(request)
    }
}

/// An `Arc` of the version-keeping client, handed to the library while `build_bot` keeps one.
struct SharedHttp(Arc<VersionFallback<DynHttp>>);

#[async_trait]
impl HttpClient for SharedHttp {
    async fn execute(&self, request: HttpRequest) -> whatsapp_rust::anyhow::Result<HttpResponse> {
        self.0.execute(request).await
    }

    fn supports_streaming(&self) -> bool {
        self.0.inner.supports_streaming()
    }

    fn execute_streaming(
        &self,
        request: HttpRequest,
    ) -> whatsapp_rust::anyhow::Result<StreamingHttpResponse> {
        self.0.inner.execute_streaming(request)
    }
}

/// The link over the library's client. The client is replaced after a pause of the circuit
/// breaker (a stopped client cannot run again), so it is read afresh for every call.
#[derive(Clone)]
pub(crate) struct WaLink(Arc<LinkInner>);

struct LinkInner {
    client: RwLock<Arc<Client>>,
    /// A pause the breaker asked for, taken by the supervisor when the client stopped.
    pause: Mutex<Option<Duration>>,
    /// Set by `disconnect`: the client is not replaced any more.
    closed: AtomicBool,
}

impl WaLink {
    fn new(client: Arc<Client>) -> Self {
        Self(Arc::new(LinkInner {
            client: RwLock::new(client),
            pause: Mutex::new(None),
            closed: AtomicBool::new(false),
        }))
    }

    fn client(&self) -> Arc<Client> {
        Arc::clone(&self.0.client.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn replace(&self, client: Arc<Client>) {
        *self
            .0
            .client
            .write()
            .unwrap_or_else(PoisonError::into_inner) = client;
    }

    /// The pause to take now that the client stopped; `None` when it stopped for another
    /// reason, or the link was closed.
    fn take_pause(&self) -> Option<Duration> {
        let pause = self
            .0
            .pause
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        pause.filter(|_| !self.0.closed.load(Ordering::SeqCst))
    }
}

/// Runs the bot, and after each pause of the circuit breaker a new one on the same session;
/// tells the pump when the last one stopped.
async fn supervise(
    mut bot: Bot,
    link: WaLink,
    session: PathBuf,
    endpoint: Endpoint,
    events: mpsc::UnboundedSender<Input>,
) {
    loop {
        bot.run().await;
        let Some(pause) = link.take_pause() else {
            break;
        };
        tokio::time::sleep(pause).await;
        if link.0.closed.load(Ordering::SeqCst) {
            break;
        }
        tracing::info!("the pause is over; connecting to WhatsApp again");
        match build_bot(&session, &endpoint, None, EventSink(events.clone())).await {
            Ok(next) => {
                link.replace(next.client());
                bot = next;
            }
            Err(e) => {
                tracing::error!(error = %e, "the WhatsApp client could not be built again after its pause");
                break;
            }
        }
    }
    let _ = events.send(Input::ClientStopped);
}

/// A download's bytes, refusing to grow past a cap (the declared size is only the sender's
/// claim, and the library does not check it).
#[derive(Debug)]
struct Capped {
    buf: std::io::Cursor<Vec<u8>>,
    cap: u64,
}

impl std::io::Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if self.buf.position() + data.len() as u64 > self.cap {
            return Err(std::io::Error::other(
                "the file is larger than the size cap",
            ));
        }
        self.buf.write(data)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for Capped {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        self.buf.seek(to)
    }
}

impl whatsapp_rust::download::DownloadWriter for Capped {
    fn truncate(&mut self, len: u64) -> std::io::Result<()> {
        self.buf
            .get_mut()
            .truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }
}

impl Link for WaLink {
    async fn download(&self, message: &wa::Message, cap: u64) -> Result<Vec<u8>, String> {
        use whatsapp_rust::download::Downloadable;
        use whatsapp_rust::proto_helpers::MessageExt;
        let base = message.get_base_message();
        let media: &dyn Downloadable = match (
            base.image_message.as_option(),
            base.document_message.as_option(),
        ) {
            (Some(image), _) => image,
            (None, Some(document)) => document,
            (None, None) => return Err("no photo or document in the message".to_owned()),
        };
        let writer = Capped {
            buf: std::io::Cursor::new(Vec::new()),
            cap,
        };
        self.client()
            .download_to_writer(media, writer)
            .await
            .map(|w| w.buf.into_inner())
            .map_err(|e| format!("{e:#}"))
    }

    async fn send(&self, to: &Jid, message: wa::Message) -> Result<String, String> {
        self.client()
            .send_message(to.clone(), message)
            .await
            .map(|sent| sent.message_id)
            .map_err(|e| format!("{e:#}"))
    }

    async fn chat_state(&self, to: &Jid, state: ChatState) {
        let state = match state {
            ChatState::Composing => ChatStateType::Composing,
            ChatState::Paused => ChatStateType::Paused,
        };
        if let Err(e) = self.client().chatstate().send(to, state).await {
            tracing::debug!(error = %e, chat = %to, "chat state not sent");
        }
    }

    async fn phone_for_lid(&self, lid_user: &str) -> Option<String> {
        match self.client().get_lid_pn_entry(&Jid::lid(lid_user)).await {
            Ok(entry) => entry.map(|e| e.phone_number.to_string()),
            Err(e) => {
                tracing::debug!(error = %e, lid = lid_user, "LID store lookup failed");
                None
            }
        }
    }

    async fn lids_of(&self, phones: &[String]) -> Result<Vec<(Jid, Option<Jid>)>, String> {
        let jids: Vec<Jid> = phones.iter().map(Jid::pn).collect();
        let infos = self
            .client()
            .contacts()
            .is_on_whatsapp(&jids)
            .await
            .map_err(|e| format!("{e:#}"))?;
        Ok(infos
            .into_iter()
            .filter(|i| i.is_registered)
            // When the server answers with the LID as the primary JID, the phone JID is in
            // `pn_jid` (and a LID without one cannot be paired with a number).
            .filter_map(|i| match i.jid.is_lid() {
                true => Some((i.pn_jid?, Some(i.jid))),
                false => Some((i.jid, i.lid)),
            })
            .collect())
    }

    async fn pause(&self, pause: Duration) {
        *self.0.pause.lock().unwrap_or_else(PoisonError::into_inner) = Some(pause);
        self.client().disconnect().await;
    }

    async fn disconnect(&self) {
        self.0.closed.store(true, Ordering::SeqCst);
        self.client().disconnect().await;
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
    /// connection takes longer than `config.connect_timeout`, it returns anyway and whatsapp-rust keeps
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
        let (tx, rx) = mpsc::unbounded_channel();
        let bot = build_bot(&session, &config.endpoint, None, EventSink(tx.clone())).await?;
        if linked_phone(&bot).is_none() {
            return Err(WaError::NotPaired { path: session });
        }
        let link = WaLink::new(bot.client());
        let connect_timeout = config.connect_timeout;
        let config_endpoint = config.endpoint.clone();
        let started = adapter::start(link.clone(), config, allowlisted, rx);
        tokio::spawn(supervise(bot, link, session.clone(), config_endpoint, tx));
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
                "WhatsApp not connected yet; whatsapp-rust keeps trying in the background"
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

    /// The reply-delivery counters since the start (see [`crate::delivery`]).
    pub fn delivery_stats(&self) -> crate::delivery::DeliveryStats {
        self.adapter.delivery_stats()
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

    async fn send_confirmed(&self, message: &Outgoing) -> pppoe_core::Delivery {
        self.adapter.send_confirmed(message).await
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
        let (tx, _rx) = mpsc::unbounded_channel();
        drop(
            build_bot(&config.session_path, &config.endpoint, None, EventSink(tx))
                .await
                .unwrap(),
        );
        let err = WhatsApp::connect(config, &[]).await.unwrap_err();
        assert!(matches!(err, WaError::NotPaired { .. }), "{err}");
    }

    #[test]
    fn only_relevant_events_are_forwarded_and_a_batch_one_message_at_a_time() {
        use whatsapp_rust::types::events::{
            BatchOrigin, Connected, InboundMessage, MessageBatch, SelfPushNameUpdated,
        };
        use whatsapp_rust::types::message::MessageInfo;
        let (tx, mut rx) = mpsc::unbounded_channel();
        let sink = EventSink(tx);
        assert!(sink.interest().wants(EventKind::ServerAck));
        assert!(!sink.interest().wants(EventKind::SelfPushNameUpdated));
        sink.handle_event(Arc::new(Event::Connected(Connected::builder().build())));
        let renamed = SelfPushNameUpdated::builder()
            .from_server(true)
            .old_name("a".into())
            .new_name("b".into())
            .build();
        sink.handle_event(Arc::new(Event::SelfPushNameUpdated(renamed)));
        let message = |id: &str| {
            InboundMessage::builder()
                .message(Arc::new(wa::Message {
                    conversation: Some(format!("pppoe {id}")),
                    ..Default::default()
                }))
                .info(Arc::new(MessageInfo {
                    id: id.into(),
                    ..Default::default()
                }))
                .build()
        };
        let batch = MessageBatch::builder()
            .messages(vec![message("A"), message("B")].into())
            .origin(BatchOrigin::OfflineDrain)
            .build();
        sink.handle_event(Arc::new(Event::Messages(batch)));
        assert!(matches!(rx.try_recv(), Ok(Input::Event(e)) if matches!(*e, Event::Connected(_))));
        for id in ["A", "B"] {
            match rx.try_recv() {
                Ok(Input::Message(m, info)) => {
                    assert_eq!(info.id, id);
                    assert_eq!(
                        m.conversation.as_deref(),
                        Some(format!("pppoe {id}").as_str())
                    );
                }
                other => panic!("{other:?}"),
            }
        }
        assert!(rx.try_recv().is_err());
    }

    /// An HTTP client whose `sw.js` answers are scripted.
    struct Scripted(Mutex<Vec<whatsapp_rust::anyhow::Result<HttpResponse>>>);

    #[async_trait]
    impl HttpClient for Scripted {
        async fn execute(
            &self,
            _request: HttpRequest,
        ) -> whatsapp_rust::anyhow::Result<HttpResponse> {
            self.0.lock().unwrap().remove(0)
        }
    }

    fn ok(body: &str) -> whatsapp_rust::anyhow::Result<HttpResponse> {
        Ok(HttpResponse {
            status_code: 200,
            body: body.as_bytes().to_vec(),
        })
    }

    async fn fetched(client: &VersionFallback<Scripted>) -> Option<(u32, u32, u32)> {
        let response = client.execute(HttpRequest::get(SW_JS)).await.ok()?;
        (response.status_code == 200)
            .then(|| parse_sw_js(&response.body_string().ok()?))
            .flatten()
    }

    #[tokio::test]
    async fn a_failed_version_fetch_falls_back_to_the_last_good_version() {
        let client = VersionFallback::new(Scripted(Mutex::new(vec![
            Err(whatsapp_rust::anyhow::anyhow!("no route to host")),
            ok(r#"self.client_revision="1020304050";"#),
            Ok(HttpResponse {
                status_code: 503,
                body: Vec::new(),
            }),
            ok("<html>maintenance</html>"),
            ok(r#"self.client_revision="1020309999";"#),
        ])));
        // Nothing to fall back on: the failure is the library's to report.
        assert_eq!(fetched(&client).await, None);
        assert_eq!(fetched(&client).await, Some((2, 3000, 1_020_304_050)));
        // A server error, then a page without a version: the last good one.
        assert_eq!(fetched(&client).await, Some((2, 3000, 1_020_304_050)));
        assert_eq!(fetched(&client).await, Some((2, 3000, 1_020_304_050)));
        assert_eq!(fetched(&client).await, Some((2, 3000, 1_020_309_999)));
    }

    #[tokio::test]
    async fn the_version_kept_in_the_session_store_is_the_first_fallback() {
        let client = VersionFallback::new(Scripted(Mutex::new(vec![Err(
            whatsapp_rust::anyhow::anyhow!("timed out"),
        )])));
        client.remember(1_011_121_314);
        assert_eq!(fetched(&client).await, Some((2, 3000, 1_011_121_314)));
    }
}
