//! A protocol-level stand-in for the WhatsApp server, in process, for tests.
//!
//! No machine that runs our tests can reach WhatsApp. This crate speaks the server's side of
//! the protocol to the real client library (whatsapp-rust), through the library's public
//! transport trait: the Noise handshake (IK for a linked session, XX for a fresh one), the
//! login and its answer (`<success>` or `<failure>`), the binary node codec over the Noise
//! ciphers, the IQs a client sends on connect, and scripted faults (a `<failure>` such as 401
//! or 402, a `<stream:error>`, a dropped or stalled connection). A fresh session is linked as
//! WhatsApp links one: its registration gets the refs for its QR codes, and a [`Phone`] that
//! scans a code (or types a pairing code) sends it the signed `pair-success` (a client built with whatsapp-rust's
//! `danger-skip-cert-chain-verify` feature: with Noise XX the client checks the server's
//! certificate against WhatsApp's own key).
//!
//! It is built only from the library's own crates (re-exported by whatsapp-rust), so it
//! proves that our stanzas and state machine agree with the library's; it cannot prove that
//! WhatsApp's real servers accept what we send (docs/whatsapp.md lists what only a live check
//! shows). A dev-dependency only: the binary never links it.
//!
//! # Example
//!
//! ```no_run
//! # async fn example() {
//! use wa_testserver::{Account, OnLogin, TestServer};
//!
//! let account = Account::new("628110000001", 7, "100000000000001");
//! let server = TestServer::new();
//! let dir = tempfile::tempdir().unwrap();
//! let session = dir.path().join("wa.db");
//! // A session linked to `account`, as `pppoe-bot pair` would leave it.
//! server.seed_session(&account, &session).await.unwrap();
//! // The first login is refused as logged out; a later one would be accepted.
//! server.script(OnLogin::Fail { reason: 401, code: None, expire: None });
//! // ... build a client with `server.transport()` as its transport factory ...
//! server.wait_until("a login", |s| !s.logins().is_empty()).await;
//! # }
//! ```

mod conn;
mod directory;
mod media;
mod pairing;
mod peer;
mod phone;
mod ws;

pub use media::MediaStore;
pub use peer::{Got, Peer};
pub use phone::Phone;
pub use ws::WsListener;

use std::collections::{HashMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use whatsapp_rust::async_channel;
use whatsapp_rust::async_trait;
use whatsapp_rust::bytes::Bytes;
use whatsapp_rust::transport::{Transport, TransportEvent, TransportFactory};
use whatsapp_rust::wacore::libsignal::protocol::{KeyPair, PrivateKey};
use whatsapp_rust::wacore::store::{CachedNoiseCert, CachedServerCertChain, DeviceCommand};
use whatsapp_rust::wacore_binary::Jid;
pub use whatsapp_rust::wacore_binary::Node;
pub use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust_sqlite_storage::SqliteStore;

/// How long [`TestServer::wait_until`] waits before it fails the test: far longer than any
/// step takes on a loaded machine (the slowest, a keepalive noticing a stalled connection,
/// takes up to 50 s), so that only a real hang trips it.
const PATIENCE: Duration = Duration::from_secs(120);

/// The WhatsApp account the bot's session is linked to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The phone number, digits only (`628110000001`).
    pub phone: String,
    /// The bot's device number among the account's linked devices.
    pub device: u16,
    /// The account's LID user (`100000000000001`).
    pub lid: String,
}

impl Account {
    /// An account from its phone number, device number and LID user.
    pub fn new(phone: &str, device: u16, lid: &str) -> Self {
        Self {
            phone: phone.to_owned(),
            device,
            lid: lid.to_owned(),
        }
    }

    /// The device's phone-number JID (`628110000001:7@s.whatsapp.net`).
    pub fn device_jid(&self) -> Jid {
        Jid::pn_device(&self.phone, self.device)
    }

    /// The account's LID JID (`100000000000001@lid`).
    pub fn lid_jid(&self) -> Jid {
        Jid::lid(&self.lid)
    }
}

/// What the server answers to a login.
#[derive(Debug, Clone, PartialEq)]
pub enum OnLogin {
    /// `<success>`: the client is logged in.
    Accept,
    /// `<failure reason="..">`, with a ban's `code` and `expire` (seconds) when given: 401 is
    /// "logged out", 402 a temporary ban, 405 "client outdated", 503 "service unavailable".
    Fail {
        /// The failure's reason code.
        reason: u16,
        /// A temporary ban's reason code.
        code: Option<u16>,
        /// A temporary ban's remaining time, in seconds.
        expire: Option<u64>,
    },
    /// `<success>`, then at once the given stanza (e.g. a `<stream:error>`) and the end of
    /// the connection.
    AcceptThenEnd(Node),
}

/// Which Noise pattern a connection's handshake used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    /// Noise IK: a linked session that knows the server's static key.
    Ik,
    /// Noise XX: a fresh session (pairing) or one without a cached key.
    Xx,
}

/// One login the client sent, as the server read it from the handshake's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// The connection it came on (1 for the first).
    pub connection: usize,
    /// The handshake's pattern.
    pub pattern: Pattern,
    /// The account's phone number, for a linked session (`None` when registering).
    pub username: Option<u64>,
    /// The device number, for a linked session.
    pub device: Option<u32>,
    /// Whether the client logged in passive (it then sends `<active/>` when ready).
    pub passive: Option<bool>,
}

/// A stanza the client sent after logging in.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The connection it came on (1 for the first).
    pub connection: usize,
    /// The stanza.
    pub node: Node,
}

/// A message the server routed: who sent it, to which chat, and the devices it was
/// encrypted for (one `<to>` each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Routed {
    /// The message id.
    pub id: String,
    /// The sending device.
    pub from: Jid,
    /// The chat it was sent to (`to` of the stanza).
    pub to: Jid,
    /// The devices it was encrypted for.
    pub recipients: Vec<Jid>,
    /// The server's error code, when the server refused it (then nobody got it).
    pub refused: Option<u16>,
}

/// A device (account phone, device number).
pub(crate) type DeviceKey = (String, u16);

/// A connection that logged in.
#[derive(Debug)]
pub(crate) struct Online {
    pub(crate) device: DeviceKey,
    pub(crate) control: mpsc::UnboundedSender<Control>,
    /// Whether it sent `<active/>`: only then are messages delivered to it.
    pub(crate) active: bool,
}

/// What the server has seen so far; read it with [`TestServer::wait_until`] and
/// [`TestServer::state`].
#[derive(Debug, Default)]
pub struct State {
    pub(crate) accounts: Vec<Account>,
    logins: Vec<Login>,
    received: Vec<Received>,
    routed: Vec<Routed>,
    connections: usize,
    opened_at: Vec<std::time::Instant>,
    ended: usize,
    script: VecDeque<OnLogin>,
    refuse: VecDeque<u16>,
    corrupt: usize,
    /// The connections, by number; `last` is the newest.
    pub(crate) controls: HashMap<usize, mpsc::UnboundedSender<Control>>,
    last: Option<usize>,
    pub(crate) online: HashMap<usize, Online>,
    pub(crate) bundles: HashMap<DeviceKey, directory::Bundle>,
    pub(crate) queues: HashMap<DeviceKey, Vec<Node>>,
    /// Accounts (phone numbers) whose messages arrive addressed by LID.
    pub(crate) by_lid: std::collections::HashSet<String>,
    pub(crate) pairing: pairing::Pairings,
}

impl State {
    /// Every login so far, in order.
    pub fn logins(&self) -> &[Login] {
        &self.logins
    }

    /// How many connections the client opened.
    pub fn connections(&self) -> usize {
        self.connections
    }

    /// When each connection was opened, in order.
    pub fn opened_at(&self) -> &[std::time::Instant] {
        &self.opened_at
    }

    /// How many of them ended (by either side).
    pub fn ended(&self) -> usize {
        self.ended
    }

    /// Every stanza the client sent after logging in, in order.
    pub fn received(&self) -> &[Received] {
        &self.received
    }

    /// Every message the server routed (or refused), in order.
    pub fn routed(&self) -> &[Routed] {
        &self.routed
    }

    /// The messages waiting for a device that is not online.
    pub fn queued(&self, device: &Jid) -> usize {
        self.device_key(device)
            .and_then(|k| self.queues.get(&k))
            .map_or(0, Vec::len)
    }

    /// Whether `device` (a device JID in either namespace) uploaded its pre-keys, so that
    /// others can start sessions with it.
    pub fn has_keys(&self, device: &Jid) -> bool {
        self.device_key(device)
            .is_some_and(|k| self.bundles.contains_key(&k))
    }

    /// The refs sent to fresh sessions for their QR codes (`<pair-device>`), in order.
    pub fn pairing_refs(&self) -> impl Iterator<Item = &str> + '_ {
        self.pairing.offered.iter().map(|(_, r)| r.as_str())
    }

    /// The devices linked by pairing ([`Phone::scan`]), in order: each answered its
    /// `pair-success` with its own valid signature, and its account now logs it in.
    pub fn linked(&self) -> &[Account] {
        &self.pairing.linked
    }

    /// Why each refused pairing was refused (a device's bad or missing answer).
    pub fn pairing_failures(&self) -> &[String] {
        &self.pairing.failures
    }

    /// The device number the next device linked to `phone` gets: one past the highest the
    /// server knows of (1 for an account with only its phone).
    pub(crate) fn next_device(&self, phone: &str) -> u16 {
        let seeded = self.accounts.iter().filter(|a| a.phone == phone);
        let linked = self.pairing.linked.iter().filter(|a| a.phone == phone);
        let keyed = self
            .bundles
            .keys()
            .filter(|(p, _)| p == phone)
            .map(|(_, d)| *d);
        seeded
            .chain(linked)
            .map(|a| a.device)
            .chain(keyed)
            .max()
            .unwrap_or(0)
            + 1
    }

    /// The account whose phone number or LID user is `user`.
    pub(crate) fn account(&self, user: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.phone == user || a.lid == user)
    }

    /// The device a JID names, in either namespace.
    pub(crate) fn device_key(&self, jid: &Jid) -> Option<DeviceKey> {
        self.account(&jid.user)
            .map(|a| (a.phone.clone(), jid.device))
    }

    /// The IQs with namespace `xmlns` the client sent.
    pub fn iqs<'a>(&'a self, xmlns: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.received
            .iter()
            .map(|r| &r.node)
            .filter(move |n| n.tag == "iq" && attr(n, "xmlns").as_deref() == Some(xmlns))
    }

    /// Whether the client told the server it is active (the `passive` IQ with `<active/>`)
    /// on connection `connection`.
    pub fn went_active(&self, connection: usize) -> bool {
        self.received.iter().any(|r| {
            r.connection == connection
                && r.node.tag == "iq"
                && attr(&r.node, "xmlns").as_deref() == Some("passive")
                && r.node.get_optional_child("active").is_some()
        })
    }
}

/// An attribute of a node, as text.
pub fn attr(node: &Node, key: &str) -> Option<String> {
    node.attrs.get(key).map(|v| v.as_str().into_owned())
}

/// A command to the task serving one connection.
#[derive(Debug)]
pub(crate) enum Control {
    /// Send this stanza.
    Send(Node),
    /// End the connection (the client sees the stream end).
    End,
    /// From now on read but answer nothing, not even pings (a dead path that did not close).
    Stall,
}

pub(crate) struct Shared {
    pub(crate) static_key: KeyPair,
    pub(crate) media: MediaStore,
    state: Mutex<State>,
    changed: Notify,
}

impl Shared {
    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the state and wakes whoever waits on it.
    pub(crate) fn update<T>(&self, change: impl FnOnce(&mut State) -> T) -> T {
        let out = change(&mut self.state());
        self.changed.notify_waiters();
        out
    }

    pub(crate) fn next_login_answer(&self) -> OnLogin {
        self.update(|s| s.script.pop_front().unwrap_or(OnLogin::Accept))
    }

    pub(crate) fn record_login(&self, login: Login) {
        self.update(|s| s.logins.push(login));
    }

    pub(crate) fn record(&self, connection: usize, node: Node) {
        self.update(|s| s.received.push(Received { connection, node }));
    }

    pub(crate) fn record_routed(&self, routed: Routed) {
        self.update(|s| s.routed.push(routed));
    }

    pub(crate) fn next_refusal(&self) -> Option<u16> {
        self.update(|s| s.refuse.pop_front())
    }

    pub(crate) fn take_corruption(&self) -> bool {
        self.update(|s| {
            let corrupt = s.corrupt > 0;
            s.corrupt = s.corrupt.saturating_sub(1);
            corrupt
        })
    }

    pub(crate) fn ended(&self, connection: usize) {
        self.update(|s| {
            s.ended += 1;
            s.controls.remove(&connection);
            s.online.remove(&connection);
        });
    }
}

/// The test server. Cheap to clone: clones share one server.
#[derive(Clone, Default)]
pub struct TestServer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer").finish_non_exhaustive()
    }
}

impl Default for Shared {
    fn default() -> Self {
        Self {
            static_key: key_pair(0x51),
            media: MediaStore::default(),
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }
}

impl TestServer {
    /// A server with no account yet ([`seed_session`](Self::seed_session) adds them);
    /// logins are accepted unless [`script`](Self::script) says otherwise.
    pub fn new() -> Self {
        Self::default()
    }

    /// The transport factory to give the client (`Bot::builder().with_transport_factory`):
    /// each transport it creates is one connection to this server.
    pub fn transport(&self) -> Arc<dyn TransportFactory> {
        Arc::new(self.factory())
    }

    /// The HTTP client to give the client (`Bot::builder().with_http_client`): WhatsApp's
    /// media servers, in memory (see [`MediaStore`]).
    pub fn http(&self) -> Arc<dyn whatsapp_rust::http::HttpClient> {
        Arc::new(self.media())
    }

    /// The media uploaded so far.
    pub fn media(&self) -> MediaStore {
        self.shared.media.clone()
    }

    /// Listens for WebSocket connections on `addr` (port 0 picks one), for a client in
    /// another process: the `pppoe-bot` binary with `[whatsapp] server_url` set to
    /// [`WsListener::url`]. Each accepted WebSocket is one connection to this server.
    ///
    /// # Errors
    /// If the address cannot be bound.
    pub async fn listen(&self, addr: std::net::SocketAddr) -> std::io::Result<WsListener> {
        WsListener::bind(self.factory(), addr).await
    }

    pub(crate) fn factory(&self) -> Factory {
        Factory(Arc::clone(&self.shared))
    }

    /// The server's Noise static key and a certificate chain for it, as a linked session
    /// keeps them (so that the client logs in with Noise IK, as it does with WhatsApp).
    pub fn cert_chain(&self) -> CachedServerCertChain {
        let key = public_bytes(&self.shared.static_key);
        let cert = |key| CachedNoiseCert {
            key,
            not_before: 0,
            not_after: i64::MAX,
        };
        CachedServerCertChain {
            intermediate: cert([0xCC; 32]),
            leaf: cert(key),
        }
    }

    /// Creates the session file `path` as `pppoe-bot pair` leaves it: device
    /// `account.device` linked to `account` (which the server now knows), knowing the
    /// server's static key, with the web client version set.
    pub async fn seed_session(&self, account: &Account, path: &Path) -> Result<(), String> {
        let url = path.to_str().ok_or("the session path is not UTF-8")?;
        let store = SqliteStore::new(url).await.map_err(|e| e.to_string())?;
        let manager =
            whatsapp_rust::store::persistence_manager::PersistenceManager::new(Arc::new(store))
                .await
                .map_err(|e| e.to_string())?;
        self.shared.update(|s| {
            if s.account(&account.phone).is_none() {
                s.accounts.push(account.clone());
            }
        });
        for command in [
            DeviceCommand::SetId(Some(account.device_jid())),
            DeviceCommand::SetLid(Some(account.lid_jid())),
            DeviceCommand::SetPushName(account.phone.clone()),
            DeviceCommand::SetAccount(Some(directory::device_identity(account))),
            DeviceCommand::SetAppVersion(VERSION),
            DeviceCommand::SetServerCertChain(self.cert_chain()),
        ] {
            manager.process_command(command).await;
        }
        manager.flush().await.map_err(|e| e.to_string())
    }

    /// Queues the answer to the next login (logins past the queue are accepted).
    pub fn script(&self, answer: OnLogin) {
        self.shared.update(|s| s.script.push_back(answer));
    }

    /// Sends `node` on the newest connection; `false` when it has ended.
    pub fn send(&self, node: Node) -> bool {
        self.control(Control::Send(node))
    }

    /// Ends the newest connection as a network failure would (the client sees the stream
    /// end); `false` when it has ended already.
    pub fn end_connection(&self) -> bool {
        self.control(Control::End)
    }

    fn control(&self, command: Control) -> bool {
        let state = self.shared.state();
        state
            .last
            .and_then(|c| state.controls.get(&c))
            .is_some_and(|tx| tx.send(command).is_ok())
    }

    /// Makes the messages waiting for `device` (a device JID) `secs` seconds older, as if
    /// they had been sent that long ago while it was away.
    pub fn age_queued(&self, device: &Jid, secs: u64) {
        self.shared.update(|s| {
            let Some(key) = s.device_key(device) else {
                return;
            };
            for message in s.queues.get_mut(&key).into_iter().flatten() {
                let t: u64 = attr(message, "t").and_then(|t| t.parse().ok()).unwrap_or(0);
                message
                    .attrs
                    .insert("t", t.saturating_sub(secs).to_string());
            }
        });
    }

    /// The next message any client sends is delivered with its ciphertext damaged (one byte
    /// flipped), so that the recipient cannot decrypt it.
    pub fn corrupt_next_message(&self) {
        self.shared.update(|s| s.corrupt += 1);
    }

    /// From now on, messages from `account` arrive addressed by its LID (`from` its LID
    /// device, with `sender_pn`), as WhatsApp delivers most chats today; before, by phone
    /// number (with `sender_lid`).
    pub fn address_by_lid(&self, account: &Account) {
        self.shared
            .update(|s| s.by_lid.insert(account.phone.clone()));
    }

    /// The server refuses the next message any client sends with an error ack of `code`
    /// (e.g. 479), delivering it to nobody.
    pub fn refuse_next_message(&self, code: u16) {
        self.shared.update(|s| s.refuse.push_back(code));
    }

    /// Stalls the newest connection: the server goes on reading it but answers nothing, not
    /// even the keepalive's pings, and never closes it (a dead network path: the client's
    /// keepalive must notice). `false` when it has ended already.
    pub fn stall_connection(&self) -> bool {
        self.control(Control::Stall)
    }

    /// Reads the state.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state()
    }

    /// Waits until `condition` holds of the state; fails the test (panics, naming `what`) if
    /// it has not after a minute, which only a hang takes.
    pub async fn wait_until(&self, what: &str, condition: impl Fn(&State) -> bool) {
        let wait = async {
            loop {
                let changed = self.shared.changed.notified();
                tokio::pin!(changed);
                changed.as_mut().enable();
                if condition(&self.shared.state()) {
                    return;
                }
                changed.await;
            }
        };
        if tokio::time::timeout(PATIENCE, wait).await.is_err() {
            panic!(
                "the test server waited {PATIENCE:?} for {what}; it saw {:#?}",
                self.shared.state()
            );
        }
    }
}

/// The WhatsApp Web version the seeded session and the tests' clients use (no fetch).
pub const VERSION: (u32, u32, u32) = (2, 3000, 1_000_000_000);

/// A key pair from a fixed seed: the server's keys need no secrecy, and fixed keys keep runs
/// alike.
pub(crate) fn key_pair(seed: u8) -> KeyPair {
    let private = PrivateKey::deserialize(&[seed; 32]).expect("32 bytes make a private key");
    let public = private
        .public_key()
        .expect("a private key has a public key");
    KeyPair::new(public, private)
}

pub(crate) fn public_bytes(key: &KeyPair) -> [u8; 32] {
    key.public_key
        .public_key_bytes()
        .try_into()
        .expect("an X25519 public key is 32 bytes")
}

#[derive(Clone)]
pub(crate) struct Factory(Arc<Shared>);

#[async_trait]
impl TransportFactory for Factory {
    async fn create_transport(
        &self,
    ) -> Result<
        (Arc<dyn Transport>, async_channel::Receiver<TransportEvent>),
        whatsapp_rust::anyhow::Error,
    > {
        let (to_server, inbound) = mpsc::unbounded_channel();
        let (events, to_client) = async_channel::unbounded();
        let (control, commands) = mpsc::unbounded_channel();
        let connection = self.0.update(|s| {
            s.connections += 1;
            s.opened_at.push(std::time::Instant::now());
            s.controls.insert(s.connections, control.clone());
            s.last = Some(s.connections);
            s.connections
        });
        let _ = events.try_send(TransportEvent::Connected);
        tokio::spawn(conn::serve(
            Arc::clone(&self.0),
            connection,
            inbound,
            events,
            (control, commands),
        ));
        Ok((Arc::new(Pipe(to_server)), to_client))
    }
}

/// The client's end of a connection: what it sends goes to the connection's task.
struct Pipe(mpsc::UnboundedSender<Option<Bytes>>);

#[async_trait]
impl Transport for Pipe {
    async fn send(&self, data: Bytes) -> Result<(), whatsapp_rust::anyhow::Error> {
        self.0
            .send(Some(data))
            .map_err(|_| whatsapp_rust::anyhow::anyhow!("the test server closed the connection"))
    }

    async fn disconnect(&self) {
        let _ = self.0.send(None);
    }
}
