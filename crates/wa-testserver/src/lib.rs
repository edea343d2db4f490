//! A protocol-level stand-in for the WhatsApp server, in process, for tests.
//!
//! No machine that runs our tests can reach WhatsApp. This crate speaks the server's side of
//! the protocol to the real client library (whatsapp-rust), through the library's public
//! transport trait: the Noise handshake (IK for a linked session, XX for a fresh one), the
//! login and its answer (`<success>` or `<failure>`), the binary node codec over the Noise
//! ciphers, the IQs a client sends on connect, and scripted faults (a `<failure>` such as 401
//! or 402, a `<stream:error>`, a dropped or stalled connection).
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
//! let server = TestServer::new(account.clone());
//! let dir = tempfile::tempdir().unwrap();
//! let session = dir.path().join("wa.db");
//! // A session linked to `account`, as `pppoe-bot pair` would leave it.
//! server.seed_session(&session).await.unwrap();
//! // The first login is refused as logged out; a later one would be accepted.
//! server.script(OnLogin::Fail { reason: 401, code: None, expire: None });
//! // ... build a client with `server.transport()` as its transport factory ...
//! server.wait_until("a login", |s| !s.logins().is_empty()).await;
//! # }
//! ```

mod conn;

use std::collections::VecDeque;
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
/// step takes on a loaded machine, so that only a real hang trips it.
const PATIENCE: Duration = Duration::from_secs(60);

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

/// What the server has seen so far; read it with [`TestServer::wait_until`] and
/// [`TestServer::state`].
#[derive(Debug, Default)]
pub struct State {
    logins: Vec<Login>,
    received: Vec<Received>,
    connections: usize,
    ended: usize,
    script: VecDeque<OnLogin>,
    current: Option<(usize, mpsc::UnboundedSender<Control>)>,
    stalled: bool,
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

    /// How many of them ended (by either side).
    pub fn ended(&self) -> usize {
        self.ended
    }

    /// Every stanza the client sent after logging in, in order.
    pub fn received(&self) -> &[Received] {
        &self.received
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
}

pub(crate) struct Shared {
    pub(crate) static_key: KeyPair,
    pub(crate) account: Account,
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

    pub(crate) fn stalled(&self) -> bool {
        self.state().stalled
    }

    pub(crate) fn ended(&self, connection: usize) {
        self.update(|s| {
            s.ended += 1;
            if s.current.as_ref().is_some_and(|(c, _)| *c == connection) {
                s.current = None;
            }
        });
    }
}

/// The test server. Cheap to clone: clones share one server.
#[derive(Clone)]
pub struct TestServer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("account", &self.shared.account)
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// A server for which `account` is the linked account; logins are accepted unless
    /// [`script`](Self::script) says otherwise.
    pub fn new(account: Account) -> Self {
        Self {
            shared: Arc::new(Shared {
                static_key: key_pair(0x51),
                account,
                state: Mutex::new(State::default()),
                changed: Notify::new(),
            }),
        }
    }

    /// The transport factory to give the client (`Bot::builder().with_transport_factory`):
    /// each transport it creates is one connection to this server.
    pub fn transport(&self) -> Arc<dyn TransportFactory> {
        Arc::new(Factory(Arc::clone(&self.shared)))
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

    /// Creates the session file `path` as `pppoe-bot pair` leaves it: a device linked to the
    /// server's account, knowing the server's static key, with the web client version set.
    pub async fn seed_session(&self, path: &Path) -> Result<(), String> {
        let url = path.to_str().ok_or("the session path is not UTF-8")?;
        let store = SqliteStore::new(url).await.map_err(|e| e.to_string())?;
        let manager =
            whatsapp_rust::store::persistence_manager::PersistenceManager::new(Arc::new(store))
                .await
                .map_err(|e| e.to_string())?;
        let account = &self.shared.account;
        for command in [
            DeviceCommand::SetId(Some(account.device_jid())),
            DeviceCommand::SetLid(Some(account.lid_jid())),
            DeviceCommand::SetPushName("pppoe-bot".into()),
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

    /// Sends `node` on the current connection; `false` when there is none.
    pub fn send(&self, node: Node) -> bool {
        let state = self.shared.state();
        state
            .current
            .as_ref()
            .is_some_and(|(_, tx)| tx.send(Control::Send(node)).is_ok())
    }

    /// Ends the current connection as a network failure would (the client sees the stream
    /// end); `false` when there is none.
    pub fn end_connection(&self) -> bool {
        let state = self.shared.state();
        state
            .current
            .as_ref()
            .is_some_and(|(_, tx)| tx.send(Control::End).is_ok())
    }

    /// While stalled, the server reads but answers nothing (a dead network path that did not
    /// close: the client's keepalive must notice).
    pub fn set_stalled(&self, stalled: bool) {
        self.shared.update(|s| s.stalled = stalled);
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

struct Factory(Arc<Shared>);

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
            s.current = Some((s.connections, control));
            s.connections
        });
        let _ = events.try_send(TransportEvent::Connected);
        tokio::spawn(conn::serve(
            Arc::clone(&self.0),
            connection,
            inbound,
            events,
            commands,
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
