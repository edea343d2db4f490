//! Async RouterOS API client on tokio.
//!
//! One [`Client`] is one logged-in connection. It is cheap to clone and every clone shares the
//! connection: commands are tagged (`.tag=N`) and run concurrently; a single driver task owns
//! the socket, writes each sentence in one write, and routes every reply to its command by
//! tag.
//!
//! * [`Client::call`] collects a command's rows ([`Response`]); a `!trap` becomes
//!   [`ClientError::Trap`]; `!empty` (RouterOS 7.18+) is zero rows.
//! * [`Client::stream`] yields `!re` rows one at a time ([`ReplyStream`], also a
//!   [`futures_core::Stream`]), for long listings and for `listen`/`follow` commands. Dropping a
//!   stream before its `!done` sends `/cancel` for its tag.
//! * `!fatal`, end of stream and I/O errors end every pending command with the same typed
//!   error; later calls fail at once. The client does not reconnect: connect a new one.
//!
//! ```no_run
//! use routeros_api::client::{Client, ClientConfig};
//! use routeros_api::proto::{Command, QueryWord};
//!
//! # async fn demo() -> Result<(), routeros_api::client::ClientError> {
//! let config = ClientConfig::new("192.0.2.1", "api-user", "secret");
//! let client = Client::connect(&config).await?;
//! let response = client
//!     .call(
//!         Command::new("/ppp/secret/print")
//!             .query(QueryWord::eq("name", "john123"))
//!             .proplist(&["name", "profile", "disabled"]),
//!     )
//!     .await?;
//! for row in &response.rows {
//!     println!("{:?} {:?}", row.get("name"), row.get("profile"));
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};

use crate::codec::{DecodeError, Decoder, Limits};
use crate::proto::{Attributes, Command, ProtoError, Reply, ReplyKind, trap_category};

/// Default port of the plain API service (`/ip service` `api`).
pub const DEFAULT_PORT: u16 = 8728;
/// Default port of the TLS API service (`/ip service` `api-ssl`).
pub const DEFAULT_TLS_PORT: u16 = 8729;

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
        /// `=category=` if the router sent one (see [`trap_category`]).
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
    /// [`Client::close`] was called, or the connection was dropped.
    #[error("the connection was closed by this client")]
    ClosedLocally,
    /// Reading or writing the socket failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
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

    fn from_trap(reply: &Reply) -> Self {
        Self::Trap {
            category: reply.category(),
            message: reply.text().unwrap_or_default().to_owned(),
        }
    }
}

/// Why the connection ended; cloned into every pending command.
#[derive(Debug, Clone)]
enum Disconnect {
    Fatal(String),
    Eof,
    Local,
    Io(io::ErrorKind, String),
    Protocol(String),
}

impl Disconnect {
    fn to_error(&self) -> ClientError {
        match self {
            Self::Fatal(message) => ClientError::Fatal {
                message: message.clone(),
            },
            Self::Eof => ClientError::Closed,
            Self::Local => ClientError::ClosedLocally,
            Self::Io(kind, message) => ClientError::Io(io::Error::new(*kind, message.clone())),
            Self::Protocol(message) => ClientError::Protocol(message.clone()),
        }
    }
}

impl From<io::Error> for Disconnect {
    fn from(err: io::Error) -> Self {
        Self::Io(err.kind(), err.to_string())
    }
}

/// Connection settings. `Debug` does not show the password.
#[derive(Clone)]
pub struct ClientConfig {
    host: String,
    port: Option<u16>,
    username: String,
    password: String,
    connect_timeout: Duration,
    command_timeout: Duration,
    limits: Limits,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsOptions>,
}

impl ClientConfig {
    /// Settings for `host` (a name or an address) with these credentials; port 8728, connect
    /// timeout 10 s, command timeout 30 s, default codec [`Limits`].
    #[must_use]
    pub fn new(
        host: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Self {
            host: host.into(),
            port: None,
            username: username.into(),
            password: password.into(),
            connect_timeout: Duration::from_secs(10),
            command_timeout: Duration::from_secs(30),
            limits: Limits::default(),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Another port than the default (8728, or 8729 with TLS).
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.port = Some(port);
        self
    }

    /// Time allowed for each of: the TCP connection, the TLS handshake, the login.
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for a [`Client::call`] to receive its `!done`.
    #[must_use]
    pub fn command_timeout(mut self, timeout: Duration) -> Self {
        self.command_timeout = timeout;
        self
    }

    /// Codec caps for what the router sends.
    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Use TLS (the `api-ssl` service; default port 8729) with this trust setting.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, options: crate::tls::TlsOptions) -> Self {
        self.tls = Some(options);
        self
    }

    /// The connect timeout in force.
    #[must_use]
    pub fn get_connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// The command timeout in force.
    #[must_use]
    pub fn get_command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// The host as configured.
    #[must_use]
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The user name.
    #[must_use]
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The port that will be used.
    #[must_use]
    pub fn effective_port(&self) -> u16 {
        #[cfg(feature = "tls")]
        if self.tls.is_some() {
            return self.port.unwrap_or(DEFAULT_TLS_PORT);
        }
        self.port.unwrap_or(DEFAULT_PORT)
    }
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ClientConfig");
        d.field("host", &self.host)
            .field("port", &self.effective_port())
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("connect_timeout", &self.connect_timeout)
            .field("command_timeout", &self.command_timeout)
            .field("limits", &self.limits);
        #[cfg(feature = "tls")]
        d.field("tls", &self.tls);
        d.finish()
    }
}

/// What a finished command returned.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Response {
    /// One entry per `!re`, in order (none after `!empty`).
    pub rows: Vec<Attributes>,
    /// The attributes of `!done` (e.g. `ret`).
    pub done: Attributes,
}

impl Response {
    /// `=ret=` of `!done`: the `.id` of an item created by `add`, for instance.
    #[must_use]
    pub fn ret(&self) -> Option<&str> {
        self.done.get("ret")
    }
}

/// What the driver hands to a pending command.
type Event = Result<Reply, Disconnect>;

#[derive(Debug)]
enum Outgoing {
    Frame(Vec<u8>),
    Close,
}

#[derive(Debug, Default)]
struct State {
    pending: HashMap<String, mpsc::UnboundedSender<Event>>,
    next_tag: u64,
    closed: Option<Disconnect>,
}

/// Shared by the client handles and the driver task.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    closed_tx: watch::Sender<bool>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the map inconsistent (every critical
        // section is a single insert/remove), so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Marks the connection dead and ends every pending command with `cause`.
    fn shut_down(&self, cause: Disconnect) {
        let pending = {
            let mut state = self.lock();
            if state.closed.is_none() {
                state.closed = Some(cause.clone());
            }
            std::mem::take(&mut state.pending)
        };
        for tx in pending.into_values() {
            let _ = tx.send(Err(cause.clone()));
        }
        self.closed_tx.send_replace(true);
    }

    /// Routes one reply to its command. Returns the cause if the reply ends the connection.
    fn route(&self, reply: Reply) -> Option<Disconnect> {
        if reply.kind == ReplyKind::Fatal {
            return Some(Disconnect::Fatal(reply.message.unwrap_or_default()));
        }
        // Untagged replies answer fire-and-forget commands (such as the /cancel sent when a
        // command is dropped); nobody waits for them.
        let tag = reply.tag.clone()?;
        let mut state = self.lock();
        if let Some(tx) = state.pending.get(&tag) {
            let last = reply.kind == ReplyKind::Done;
            if tx.send(Ok(reply)).is_err() || last {
                state.pending.remove(&tag);
            }
        }
        None
    }
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    outgoing: mpsc::UnboundedSender<Outgoing>,
    command_timeout: Duration,
    closed_rx: watch::Receiver<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: let the driver close the socket.
        let _ = self.outgoing.send(Outgoing::Close);
    }
}

/// A logged-in connection to a router. Clones share the connection.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl Client {
    /// Connects (TCP, TLS if configured), logs in, and starts the driver task.
    ///
    /// Must be called within a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`ClientError::Connect`], [`ClientError::Timeout`], [`ClientError::Tls`],
    /// [`ClientError::Login`], or an I/O or protocol error during login.
    pub async fn connect(config: &ClientConfig) -> Result<Self, ClientError> {
        let port = config.effective_port();
        let addr = format!("{}:{port}", config.host);
        let tcp = tokio::time::timeout(
            config.connect_timeout,
            TcpStream::connect((config.host.as_str(), port)),
        )
        .await
        .map_err(|_| ClientError::Timeout {
            during: Phase::Connect,
            after: config.connect_timeout,
        })?
        .map_err(|source| ClientError::Connect {
            addr: addr.clone(),
            source,
        })?;
        // Sentences are written whole; do not let Nagle hold back the last segment.
        tcp.set_nodelay(true)?;
        #[cfg(feature = "tls")]
        if let Some(tls) = &config.tls {
            let stream = crate::tls::handshake(tcp, config, tls).await?;
            return Self::from_stream(stream, config).await;
        }
        Self::from_stream(tcp, config).await
    }

    /// Logs in over an already established transport and starts the driver task.
    ///
    /// For custom transports (a TLS stream set up by the caller, a tunnel, an in-memory
    /// duplex in tests). The caller should have set `TCP_NODELAY` on a TCP socket.
    ///
    /// # Errors
    ///
    /// [`ClientError::Login`], [`ClientError::Timeout`], or an I/O or protocol error.
    pub async fn from_stream<S>(mut stream: S, config: &ClientConfig) -> Result<Self, ClientError>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let mut decoder = Decoder::new(config.limits);
        tokio::time::timeout(
            config.connect_timeout,
            login(
                &mut stream,
                &mut decoder,
                &config.username,
                &config.password,
            ),
        )
        .await
        .map_err(|_| ClientError::Timeout {
            during: Phase::Login,
            after: config.connect_timeout,
        })??;
        Ok(Self::start(stream, decoder, config.command_timeout))
    }

    fn start<S>(stream: S, decoder: Decoder, command_timeout: Duration) -> Self
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (closed_tx, closed_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            closed_tx,
        });
        let (outgoing, outgoing_rx) = mpsc::unbounded_channel();
        tokio::spawn(drive(stream, decoder, Arc::clone(&shared), outgoing_rx));
        Self {
            inner: Arc::new(Inner {
                shared,
                outgoing,
                command_timeout,
                closed_rx,
            }),
        }
    }

    /// Sends a command and collects its replies, within the configured command timeout.
    ///
    /// # Errors
    ///
    /// [`ClientError::Trap`] if the router refused the command, [`ClientError::Timeout`] (the
    /// command is then cancelled on the router with `/cancel`), or the error that ended the
    /// connection.
    pub async fn call(&self, command: Command) -> Result<Response, ClientError> {
        self.call_with_timeout(command, Some(self.inner.command_timeout))
            .await
    }

    /// As [`call`](Self::call) with another timeout (`None`: wait for ever).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_with_timeout(
        &self,
        command: Command,
        timeout: Option<Duration>,
    ) -> Result<Response, ClientError> {
        let mut stream = self.stream(command)?;
        let collect = async {
            let mut rows = Vec::new();
            while let Some(row) = stream.next_row().await {
                rows.push(row?);
            }
            Ok(Response {
                rows,
                done: stream.done.take().unwrap_or_default(),
            })
        };
        match timeout {
            None => collect.await,
            Some(after) => {
                tokio::time::timeout(after, collect)
                    .await
                    .map_err(|_| ClientError::Timeout {
                        during: Phase::Command,
                        after,
                    })?
            }
        }
    }

    /// Sends a command and returns its rows as a stream, without collecting them.
    ///
    /// No timeout applies: a `listen` or `follow` command runs until cancelled. Drop the
    /// stream (or call [`ReplyStream::cancel`]) to stop it. Rows are queued in memory until
    /// polled, so poll the stream promptly.
    ///
    /// # Errors
    ///
    /// The error that ended the connection, if it has ended.
    pub fn stream(&self, mut command: Command) -> Result<ReplyStream, ClientError> {
        let (tx, rx) = mpsc::unbounded_channel();
        let tag = {
            let mut state = self.inner.shared.lock();
            if let Some(cause) = &state.closed {
                return Err(cause.to_error());
            }
            state.next_tag += 1;
            let tag = state.next_tag.to_string();
            state.pending.insert(tag.clone(), tx);
            tag
        };
        command.set_tag(Some(tag.clone()));
        let mut frame = Vec::new();
        command.encode(&mut frame);
        let stream = ReplyStream {
            client: self.clone(),
            tag,
            rx,
            finished: false,
            cancelled: false,
            done: None,
        };
        if self.inner.outgoing.send(Outgoing::Frame(frame)).is_err() {
            // The driver is gone; its shutdown has ended (or will end) the command.
            return Err(self.closed_error());
        }
        Ok(stream)
    }

    /// Closes the connection: pending commands end with [`ClientError::ClosedLocally`].
    /// Waits until the driver task has closed the socket.
    pub async fn close(&self) {
        let _ = self.inner.outgoing.send(Outgoing::Close);
        self.closed().await;
    }

    /// Whether the connection has ended.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.shared.lock().closed.is_some()
    }

    /// Waits until the connection ends and returns why (for a supervisor that reconnects).
    pub async fn closed(&self) -> ClientError {
        let mut rx = self.inner.closed_rx.clone();
        // The sender lives in `Shared`, which we hold: `wait_for` cannot fail.
        let _ = rx.wait_for(|closed| *closed).await;
        self.closed_error()
    }

    fn closed_error(&self) -> ClientError {
        self.inner
            .shared
            .lock()
            .closed
            .as_ref()
            .map_or(ClientError::ClosedLocally, Disconnect::to_error)
    }

    /// Sends a sentence whose replies nobody waits for.
    fn send_untracked(&self, command: &Command) {
        let mut frame = Vec::new();
        command.encode(&mut frame);
        let _ = self.inner.outgoing.send(Outgoing::Frame(frame));
    }

    /// Number of commands waiting for replies (for tests and metrics).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.inner.shared.lock().pending.len()
    }
}

/// The rows of one command, as they arrive.
///
/// Ends (`None`) after `!done`; yields one `Err` and ends on `!trap` or when the connection
/// ends. Dropping it before the end cancels the command on the router.
#[derive(Debug)]
pub struct ReplyStream {
    client: Client,
    tag: String,
    rx: mpsc::UnboundedReceiver<Event>,
    finished: bool,
    cancelled: bool,
    done: Option<Attributes>,
}

impl ReplyStream {
    /// The `.tag` that the client gave the command.
    #[must_use]
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// The next row; `None` after `!done`.
    pub async fn next_row(&mut self) -> Option<Result<Attributes, ClientError>> {
        std::future::poll_fn(|cx| self.poll_row(cx)).await
    }

    /// The attributes of `!done`, once the stream has ended normally.
    #[must_use]
    pub fn done(&self) -> Option<&Attributes> {
        self.done.as_ref()
    }

    /// Whether the stream has ended.
    #[must_use]
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Asks the router to stop the command (`/cancel =tag=...`) and waits for the router to
    /// acknowledge. Rows already sent may still be yielded; then the stream ends with `None`.
    ///
    /// # Errors
    ///
    /// As [`Client::call`], for the `/cancel` command.
    pub async fn cancel(&mut self) -> Result<(), ClientError> {
        if self.finished {
            return Ok(());
        }
        self.cancelled = true;
        self.client
            .call(Command::new("/cancel").attr("tag", &self.tag))
            .await
            .map(drop)
    }

    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Attributes, ClientError>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            let Some(event) = ready!(self.rx.poll_recv(cx)) else {
                // Unreachable in practice: the sender is dropped only after `!done` or a
                // disconnect, both delivered first.
                self.finished = true;
                return Poll::Ready(Some(Err(self.client.closed_error())));
            };
            let reply = match event {
                Ok(reply) => reply,
                Err(cause) => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(cause.to_error())));
                }
            };
            match reply.kind {
                ReplyKind::Re => return Poll::Ready(Some(Ok(reply.attributes))),
                ReplyKind::Empty => {}
                ReplyKind::Done => {
                    self.finished = true;
                    self.done = Some(reply.attributes);
                    return Poll::Ready(None);
                }
                ReplyKind::Trap => {
                    if self.cancelled && reply.category() == Some(trap_category::INTERRUPTED) {
                        // Our own /cancel: the `!done` that follows ends the stream.
                        continue;
                    }
                    self.finished = true;
                    return Poll::Ready(Some(Err(ClientError::from_trap(&reply))));
                }
                ReplyKind::Fatal => {
                    self.finished = true;
                    return Poll::Ready(Some(Err(ClientError::Fatal {
                        message: reply.message.unwrap_or_default(),
                    })));
                }
            }
        }
    }
}

impl futures_core::Stream for ReplyStream {
    type Item = Result<Attributes, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_row(cx)
    }
}

impl futures_core::FusedStream for ReplyStream {
    fn is_terminated(&self) -> bool {
        self.finished
    }
}

impl Drop for ReplyStream {
    fn drop(&mut self) {
        let was_pending = self
            .client
            .inner
            .shared
            .lock()
            .pending
            .remove(&self.tag)
            .is_some();
        if was_pending && !self.finished {
            // Stop the work on the router; its replies (`!trap` interrupted, `!done`) carry a
            // tag nobody waits for any more and are dropped by the driver.
            self.client
                .send_untracked(&Command::new("/cancel").attr("tag", &self.tag));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Login
// ---------------------------------------------------------------------------------------------

/// Reads until `decoder` yields a sentence, parsed as a reply.
async fn read_reply<S: AsyncRead + Unpin>(
    stream: &mut S,
    decoder: &mut Decoder,
) -> Result<Reply, ClientError> {
    let mut buf = [0u8; 4096];
    loop {
        if let Some(sentence) = decoder.next_sentence()? {
            return Ok(Reply::from_sentence(sentence)?);
        }
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Err(ClientError::Closed);
        }
        decoder.feed(&buf[..n]);
    }
}

async fn write_command<S: AsyncWrite + Unpin>(
    stream: &mut S,
    command: &Command,
) -> Result<(), ClientError> {
    let mut frame = Vec::new();
    command.encode(&mut frame);
    stream.write_all(&frame).await?;
    stream.flush().await?;
    Ok(())
}

/// Reads the reply to a login step: `Ok(ret)` on `!done`, the error on `!trap`/`!fatal`.
async fn login_reply<S: AsyncRead + Unpin>(
    stream: &mut S,
    decoder: &mut Decoder,
) -> Result<Option<String>, ClientError> {
    loop {
        let reply = read_reply(stream, decoder).await?;
        match reply.kind {
            ReplyKind::Done => return Ok(reply.ret().map(str::to_owned)),
            ReplyKind::Trap => {
                return Err(ClientError::Login {
                    message: reply.text().unwrap_or("refused").to_owned(),
                });
            }
            ReplyKind::Fatal => {
                return Err(ClientError::Fatal {
                    message: reply.message.unwrap_or_default(),
                });
            }
            ReplyKind::Re | ReplyKind::Empty => {}
        }
    }
}

/// Plain login (RouterOS >= 6.43), falling back to the MD5 challenge when the router answers
/// with `=ret=`.
async fn login<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    decoder: &mut Decoder,
    username: &str,
    password: &str,
) -> Result<(), ClientError> {
    let plain = Command::new("/login")
        .attr("name", username)
        .attr("password", password);
    write_command(stream, &plain).await?;
    let Some(challenge) = login_reply(stream, decoder).await? else {
        return Ok(());
    };
    let response = crate::proto::legacy_login_response(password, &challenge).ok_or_else(|| {
        ClientError::Protocol(format!("login challenge is not hexadecimal: {challenge:?}"))
    })?;
    let legacy = Command::new("/login")
        .attr("name", username)
        .attr("response", response);
    write_command(stream, &legacy).await?;
    login_reply(stream, decoder).await.map(drop)
}

// ---------------------------------------------------------------------------------------------
// Driver
// ---------------------------------------------------------------------------------------------

/// Owns the socket: writes queued frames, reads and routes replies. Ends at the first of: a
/// read error or end of stream, `!fatal`, a write error, a local close, or every handle
/// dropped.
async fn drive<S>(
    stream: S,
    mut decoder: Decoder,
    shared: Arc<Shared>,
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
) where
    S: AsyncRead + AsyncWrite + Send + 'static,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let read = async {
        // Replies already buffered during login come first.
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            loop {
                match decoder.next_sentence() {
                    Ok(Some(sentence)) => match Reply::from_sentence(sentence) {
                        Ok(reply) => {
                            if let Some(cause) = shared.route(reply) {
                                return cause;
                            }
                        }
                        Err(err) => return Disconnect::Protocol(err.to_string()),
                    },
                    Ok(None) => break,
                    Err(err) => return Disconnect::Protocol(err.to_string()),
                }
            }
            match reader.read(&mut buf).await {
                Ok(0) => return Disconnect::Eof,
                Ok(n) => decoder.feed(&buf[..n]),
                Err(err) => return err.into(),
            }
        }
    };
    let write = async {
        while let Some(message) = outgoing.recv().await {
            match message {
                Outgoing::Frame(frame) => {
                    // One write per sentence (the frame is a whole sentence).
                    let result = async {
                        writer.write_all(&frame).await?;
                        writer.flush().await
                    };
                    if let Err(err) = result.await {
                        return Disconnect::from(err);
                    }
                }
                Outgoing::Close => break,
            }
        }
        let _ = writer.shutdown().await;
        Disconnect::Local
    };
    let cause = tokio::select! {
        cause = read => cause,
        cause = write => cause,
    };
    shared.shut_down(cause);
}
