//! Async RouterOS API client on tokio.
//!
//! One [`Client`] is one logged-in connection. It is cheap to clone and every clone shares the
//! connection: commands are tagged (`.tag=N`) and run concurrently. Each sentence goes out in
//! one write, made by the calling task itself when nothing is queued ahead of it (else by the
//! driver task). A single driver task reads the socket, decodes what each read brought, and
//! hands the replies to their commands by tag, all of one read under one lock.
//!
//! * [`Client::call`] collects a command's rows ([`Response`]); a `!trap` becomes
//!   [`ClientError::Trap`]; `!empty` (RouterOS 7.18+) is zero rows. The driver gathers the
//!   rows; the caller is woken once, at the end.
//! * [`Client::stream`] yields `!re` rows one at a time ([`ReplyStream`], also a
//!   [`futures_core::Stream`]), for long listings and for `listen`/`follow` commands. Dropping a
//!   stream before its `!done` sends `/cancel` for its tag. Its queue is bounded while it is
//!   the only command in flight (see [`Client::stream`] for the trade-off).
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

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Waker, ready};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Notify, watch};

use crate::codec::{DecodeError, Decoder, Limits, SentenceRef};
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
    keepalive: Option<Duration>,
    limits: Limits,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::TlsOptions>,
}

/// Probes sent after the keepalive idle time, this far apart.
const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(10);
/// Unanswered probes after which the kernel ends the connection.
const KEEPALIVE_PROBES: u32 = 3;

impl ClientConfig {
    /// Settings for `host` (a name or an address) with these credentials; port 8728, connect
    /// timeout 10 s, command timeout 30 s, TCP keepalive after 30 s idle, default codec
    /// [`Limits`].
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
            keepalive: Some(Duration::from_secs(30)),
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

    /// TCP keepalive: after the connection has been idle this long, the kernel probes the
    /// router every 10 s and ends the connection after 3 unanswered probes, so that a router
    /// gone silent (power lost, a NAT entry expired, a black-holed path) shows as a closed
    /// connection instead of hanging the next command. `None` turns it off.
    #[must_use]
    pub fn keepalive(mut self, idle: Option<Duration>) -> Self {
        self.keepalive = idle;
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
            .field("keepalive", &self.keepalive)
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

/// Bytes asked of the transport per read.
const READ_CHUNK: usize = 64 * 1024;

/// Heap bytes of rows that a stream may have queued, received but not yet taken by its
/// consumer, before the driver stops reading the socket (while that stream is the only command
/// the router is still answering; see [`State::must_pause`]). About a thousand rows of
/// `/ppp/secret/print`.
const STREAM_QUEUE_LIMIT: usize = 256 * 1024;

/// One command in flight: what the driver has received for it and its handle has not taken.
#[derive(Debug, Default)]
struct Pending {
    /// `!re` rows in order.
    rows: Vec<Attributes>,
    /// Heap bytes of `rows`, counted for streams only.
    queued: usize,
    /// `!trap`: category and message.
    trap: Option<(Option<u32>, String)>,
    /// The attributes of `!done`, until the handle takes them.
    done: Option<Attributes>,
    /// The connection ended before `!done`.
    lost: Option<Disconnect>,
    /// The router will send nothing more for this command (`!done`, or the connection ended).
    over: bool,
    /// The handle, if it waits.
    waker: Option<Waker>,
    /// A stream: its handle is woken for every batch of rows, and a full queue can pause the
    /// reading. A call's handle is woken only when the command ends.
    streaming: bool,
}

impl Pending {
    /// How the command ended, once the rows before it have been taken: `Ok` with the
    /// attributes of `!done`, or the error. `None` while it runs. With `cancelled`, the
    /// `interrupted` trap that answers our own `/cancel` is not an error.
    fn take_end(&mut self, cancelled: bool) -> Option<Result<Attributes, ClientError>> {
        if let Some((category, message)) = &self.trap
            && !(cancelled && *category == Some(trap_category::INTERRUPTED))
        {
            return Some(Err(ClientError::Trap {
                category: *category,
                message: message.clone(),
            }));
        }
        if let Some(done) = self.done.take() {
            return Some(Ok(done));
        }
        self.lost.as_ref().map(|cause| Err(cause.to_error()))
    }

    fn set_waker(&mut self, waker: &Waker) {
        match &mut self.waker {
            Some(old) if old.will_wake(waker) => {}
            slot => *slot = Some(waker.clone()),
        }
    }
}

#[derive(Debug, Default)]
struct State {
    /// By tag. An entry lives as long as its handle ([`ReplyStream`], or a call in progress).
    pending: HashMap<u64, Pending>,
    next_tag: u64,
    closed: Option<Disconnect>,
    /// The driver stopped reading (see [`must_pause`](Self::must_pause)) and waits for
    /// [`Shared::resume`]. Whoever changes what `must_pause` looks at clears it and notifies.
    reader_paused: bool,
}

impl State {
    /// Whether the driver should stop reading the socket for now: the only command the
    /// router is still answering is a stream whose queue is full.
    ///
    /// Back-pressure on a stream cannot be per command: the RouterOS API has no flow control
    /// per tag, so not reading means not reading the replies of every command on the
    /// connection. If another command is in flight, its caller may be the very task that
    /// would drain the stream (or it may wait for that task): stopping then could deadlock. So
    /// with more than one command in flight the driver keeps reading and the stream's rows
    /// keep queueing (compactly, see [`Attributes`]); and since a new command may be sent by
    /// the stream's own consumer, registering one resumes the reading at once.
    fn must_pause(&self) -> bool {
        let mut running = self.pending.values().filter(|p| !p.over);
        match (running.next(), running.next()) {
            (Some(only), None) => only.streaming && only.queued > STREAM_QUEUE_LIMIT,
            _ => false,
        }
    }
}

/// Shared by the client handles and the driver task.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    writer: Mutex<Writer>,
    closed_tx: watch::Sender<bool>,
    /// Wakes the driver paused by [`State::must_pause`].
    resume: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding this lock cannot leave the state inconsistent (every critical
        // section leaves it valid at each step), so poisoning is ignored.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends one encoded sentence: written at once by the calling task if nothing is queued
    /// ahead of it, else queued for the driver task.
    fn send(&self, frame: Vec<u8>) {
        let waker = {
            let mut writer = self.lock_writer();
            if writer.send(frame) {
                writer.waker.take()
            } else {
                None
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Asks the driver to write what is queued, shut the socket down and stop.
    fn close(&self) {
        let waker = {
            let mut writer = self.lock_writer();
            writer.closing = true;
            writer.waker.take()
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// Registers a command; its tag.
    fn register(&self, streaming: bool) -> Result<u64, ClientError> {
        let resume = {
            let mut state = self.lock();
            if let Some(cause) = &state.closed {
                return Err(cause.to_error());
            }
            state.next_tag += 1;
            let tag = state.next_tag;
            state.pending.insert(
                tag,
                Pending {
                    streaming,
                    ..Pending::default()
                },
            );
            (tag, std::mem::take(&mut state.reader_paused))
        };
        if resume.1 {
            self.resume.notify_one();
        }
        Ok(resume.0)
    }

    /// Marks the connection dead and ends every running command with `cause`.
    fn shut_down(&self, cause: Disconnect) {
        let mut wakers = Vec::new();
        {
            let mut state = self.lock();
            if state.closed.is_none() {
                state.closed = Some(cause.clone());
            }
            for pending in state.pending.values_mut().filter(|p| !p.over) {
                pending.lost = Some(cause.clone());
                pending.over = true;
                wakers.extend(pending.waker.take());
            }
        }
        wakers.into_iter().for_each(Waker::wake);
        // Close our half of the socket (the driver has dropped the other).
        let io = self.lock_writer().io.take();
        drop(io);
        self.closed_tx.send_replace(true);
    }

    /// Hands a batch of replies to their commands, under one lock, then wakes their handles.
    fn deliver(&self, batch: &mut Batch) {
        if batch.items.is_empty() {
            return;
        }
        {
            let mut state = self.lock();
            for (tag, item) in batch.items.drain(..) {
                // Replies to a command whose handle is gone (a dropped stream, a call that
                // timed out) are dropped.
                let Some(pending) = state.pending.get_mut(&tag) else {
                    continue;
                };
                let wake = match item {
                    Item::Rows(mut rows) => {
                        if pending.streaming {
                            pending.queued += rows.iter().map(Attributes::heap_size).sum::<usize>();
                        }
                        if pending.rows.is_empty() {
                            pending.rows = rows;
                        } else {
                            pending.rows.append(&mut rows);
                        }
                        pending.streaming
                    }
                    Item::Trap(category, message) => {
                        pending.trap.get_or_insert((category, message));
                        true
                    }
                    Item::Done(attributes) => {
                        pending.done = Some(attributes);
                        pending.over = true;
                        true
                    }
                };
                if wake {
                    batch.wakers.extend(pending.waker.take());
                }
            }
        }
        batch.wakers.drain(..).for_each(Waker::wake);
    }

    /// Waits while [`State::must_pause`] says so.
    async fn wait_for_room(&self) {
        loop {
            {
                let mut state = self.lock();
                state.reader_paused = state.must_pause();
                if !state.reader_paused {
                    return;
                }
            }
            // A notification sent since the lock was released is kept as a permit.
            self.resume.notified().await;
        }
    }
}

/// The writing half of the connection, shared by the handles and the driver task.
///
/// A handle writes its sentence itself when nothing is queued ahead of it: one task hand-off
/// less per command than going through the driver. What the transport does not accept at once
/// (a full socket buffer) is queued, and the driver task, woken, writes it. A sentence is never
/// cut by another: once one is partly written, everything after it is queued behind it.
struct Writer {
    /// `None` once the connection has ended.
    io: Option<Pin<Box<dyn AsyncWrite + Send>>>,
    /// Sentences not yet written, the first possibly in part.
    queue: VecDeque<Vec<u8>>,
    /// Bytes of `queue[0]` already written.
    written: usize,
    /// Bytes have been written since the last flush completed.
    unflushed: bool,
    /// [`Client::close`] was called, or every handle is gone.
    closing: bool,
    /// A write by a handle failed: the driver ends the connection with it.
    failed: Option<io::Error>,
    /// The driver task, while it waits for something to write.
    waker: Option<Waker>,
}

impl fmt::Debug for Writer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Writer")
            .field("open", &self.io.is_some())
            .field("queued", &self.queue.len())
            .field("written", &self.written)
            .field("unflushed", &self.unflushed)
            .field("closing", &self.closing)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl Writer {
    fn new(io: Pin<Box<dyn AsyncWrite + Send>>) -> Self {
        Self {
            io: Some(io),
            queue: VecDeque::new(),
            written: 0,
            unflushed: false,
            closing: false,
            failed: None,
            waker: None,
        }
    }

    /// Writes `frame` now if nothing is queued and the transport takes all of it; else queues
    /// it (what is left of it). Returns whether the driver has work.
    fn send(&mut self, frame: Vec<u8>) -> bool {
        if self.closing || self.failed.is_some() {
            // The connection is ending: the command ends with it.
            return false;
        }
        let Some(io) = self.io.as_mut() else {
            return false;
        };
        if !self.queue.is_empty() || self.unflushed {
            self.queue.push_back(frame);
            return true;
        }
        // Not this task's waker: if the transport is not ready, the driver takes over and
        // polls it with its own.
        let mut cx = Context::from_waker(Waker::noop());
        match io.as_mut().poll_write(&mut cx, &frame) {
            Poll::Ready(Ok(n)) if n == frame.len() => match io.as_mut().poll_flush(&mut cx) {
                Poll::Ready(Ok(())) => false,
                Poll::Ready(Err(err)) => {
                    self.failed = Some(err);
                    true
                }
                Poll::Pending => {
                    self.unflushed = true;
                    true
                }
            },
            Poll::Ready(Ok(0)) => {
                self.failed = Some(io::ErrorKind::WriteZero.into());
                true
            }
            Poll::Ready(Ok(n)) => {
                self.written = n;
                self.queue.push_back(frame);
                true
            }
            Poll::Ready(Err(err)) => {
                self.failed = Some(err);
                true
            }
            Poll::Pending => {
                self.queue.push_back(frame);
                true
            }
        }
    }

    /// The driver's part: writes the queue, flushes, and shuts the socket down when closing.
    /// Ready with the reason the connection ends: a write error or a local close.
    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<Disconnect> {
        if let Some(err) = self.failed.take() {
            return Poll::Ready(err.into());
        }
        let Some(io) = self.io.as_mut() else {
            return Poll::Ready(Disconnect::Local);
        };
        while let Some(frame) = self.queue.front() {
            match ready!(io.as_mut().poll_write(cx, &frame[self.written..])) {
                Ok(0) => return Poll::Ready(io::Error::from(io::ErrorKind::WriteZero).into()),
                Ok(n) => {
                    self.unflushed = true;
                    self.written += n;
                    if self.written == frame.len() {
                        self.queue.pop_front();
                        self.written = 0;
                    }
                }
                Err(err) => return Poll::Ready(err.into()),
            }
        }
        if self.unflushed {
            if let Err(err) = ready!(io.as_mut().poll_flush(cx)) {
                return Poll::Ready(err.into());
            }
            self.unflushed = false;
        }
        if self.closing {
            // Best effort: the connection ends either way.
            let _ = ready!(io.as_mut().poll_shutdown(cx));
            return Poll::Ready(Disconnect::Local);
        }
        match &mut self.waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

/// What the driver decoded from one read, by command, in order.
#[derive(Debug, Default)]
struct Batch {
    items: Vec<(u64, Item)>,
    /// Handles to wake once the lock is released (kept for its capacity).
    wakers: Vec<Waker>,
    /// Rows in the last run of rows: the capacity to start the next one with.
    run: usize,
}

#[derive(Debug)]
enum Item {
    /// Consecutive `!re` rows of one command.
    Rows(Vec<Attributes>),
    Trap(Option<u32>, String),
    Done(Attributes),
}

impl Batch {
    /// Adds one reply. `Err` if it ends the connection (`!fatal`, or not a reply).
    fn add(&mut self, sentence: &SentenceRef<'_>) -> Result<(), Disconnect> {
        let first = sentence.first().unwrap_or_default();
        if ReplyKind::from_word(first) == Some(ReplyKind::Re) {
            // The common case, kept lean: no `Reply`, the tag not copied, the row built in one
            // allocation. `.tag=` comes last from RouterOS; the last one counts.
            let tag = sentence
                .iter()
                .rev()
                .find_map(|w| w.strip_prefix(b".tag="))
                .and_then(parse_tag);
            // Untagged rows answer nobody (our commands are all tagged).
            if let Some(tag) = tag {
                self.row(tag, Attributes::from_words(sentence.iter().skip(1)));
            }
            return Ok(());
        }
        let reply =
            Reply::parse_ref(sentence).map_err(|err| Disconnect::Protocol(err.to_string()))?;
        if reply.kind == ReplyKind::Fatal {
            return Err(Disconnect::Fatal(reply.message.unwrap_or_default()));
        }
        // Untagged replies answer fire-and-forget commands (such as the /cancel sent when a
        // stream is dropped); nobody waits for them.
        let Some(tag) = reply.tag.as_deref().and_then(|t| parse_tag(t.as_bytes())) else {
            return Ok(());
        };
        match reply.kind {
            ReplyKind::Done => self.items.push((tag, Item::Done(reply.attributes))),
            ReplyKind::Trap => {
                let category = reply.category();
                let message = reply.text().unwrap_or_default().to_owned();
                self.items.push((tag, Item::Trap(category, message)));
            }
            // `!empty`: no rows, `!done` follows.
            ReplyKind::Empty | ReplyKind::Re | ReplyKind::Fatal => {}
        }
        Ok(())
    }

    fn row(&mut self, tag: u64, row: Attributes) {
        if let Some((last, Item::Rows(rows))) = self.items.last_mut()
            && *last == tag
        {
            rows.push(row);
            self.run = rows.len();
            return;
        }
        let mut rows = Vec::with_capacity(self.run.max(8));
        rows.push(row);
        self.run = 1;
        self.items.push((tag, Item::Rows(rows)));
    }
}

/// Our tags are decimal numbers without leading zeros; anything else is not ours.
fn parse_tag(text: &[u8]) -> Option<u64> {
    if text.is_empty() || (text.len() > 1 && text[0] == b'0') {
        return None;
    }
    text.iter().try_fold(0_u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

#[derive(Debug)]
struct Inner {
    shared: Arc<Shared>,
    command_timeout: Duration,
    closed_rx: watch::Receiver<bool>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last handle is gone: let the driver close the socket.
        self.shared.close();
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
        if let Some(idle) = config.keepalive {
            let keepalive = socket2::TcpKeepalive::new()
                .with_time(idle)
                .with_interval(KEEPALIVE_INTERVAL)
                .with_retries(KEEPALIVE_PROBES);
            socket2::SockRef::from(&tcp).set_tcp_keepalive(&keepalive)?;
        }
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
        let (reader, writer) = tokio::io::split(stream);
        let (closed_tx, closed_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            writer: Mutex::new(Writer::new(Box::pin(writer))),
            closed_tx,
            resume: Notify::new(),
        });
        tokio::spawn(drive(reader, decoder, Arc::clone(&shared)));
        Self {
            inner: Arc::new(Inner {
                shared,
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
    /// The rows are gathered by the driver task as they arrive, and this task is woken once,
    /// when the command ends.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_with_timeout(
        &self,
        command: Command,
        timeout: Option<Duration>,
    ) -> Result<Response, ClientError> {
        let mut handle = self.start_command(command, false)?;
        let collect = std::future::poll_fn(|cx| handle.poll_response(cx));
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
    /// stream (or call [`ReplyStream::cancel`]) to stop it.
    ///
    /// Rows that arrive before they are polled are queued. While this stream is the only
    /// command on the connection that the router is still answering, the queue is bounded
    /// (about 256 KiB of rows): past that, the client stops reading the socket until the
    /// stream is polled, and TCP holds the router back. With other commands in flight the
    /// client keeps reading, so that a slow stream cannot hold up their replies (whose
    /// callers may be what the stream's consumer waits for); the rows then queue without
    /// bound, so poll the stream promptly.
    ///
    /// # Errors
    ///
    /// The error that ended the connection, if it has ended.
    pub fn stream(&self, command: Command) -> Result<ReplyStream, ClientError> {
        self.start_command(command, true)
    }

    fn start_command(
        &self,
        mut command: Command,
        streaming: bool,
    ) -> Result<ReplyStream, ClientError> {
        let tag = self.inner.shared.register(streaming)?;
        let tag_text = tag.to_string();
        command.set_tag(Some(tag_text.clone()));
        let mut frame = Vec::new();
        command.encode(&mut frame);
        // Registered first, so that the driver has somewhere to put the replies. Should the
        // connection end meanwhile, its shutdown ends the command.
        self.inner.shared.send(frame);
        Ok(ReplyStream {
            client: self.clone(),
            tag,
            tag_text,
            rows: Vec::new().into_iter(),
            finished: false,
            cancelled: false,
            done: None,
        })
    }

    /// Closes the connection: pending commands end with [`ClientError::ClosedLocally`].
    /// Waits until the driver task has closed the socket.
    pub async fn close(&self) {
        self.inner.shared.close();
        self.closed().await;
    }

    /// Whether the connection has ended.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.inner.shared.lock().closed.is_some()
    }

    /// Why the connection ended, once it has (`None` while it is open).
    #[must_use]
    pub fn close_reason(&self) -> Option<ClientError> {
        self.inner
            .shared
            .lock()
            .closed
            .as_ref()
            .map(Disconnect::to_error)
    }

    /// Waits until the connection ends and returns why (for a supervisor that reconnects).
    pub async fn closed(&self) -> ClientError {
        let mut rx = self.inner.closed_rx.clone();
        // The sender lives in `Shared`, which we hold: `wait_for` cannot fail.
        let _ = rx.wait_for(|closed| *closed).await;
        self.closed_error()
    }

    fn closed_error(&self) -> ClientError {
        closed_error(&self.inner.shared.lock())
    }

    /// Sends a sentence whose replies nobody waits for.
    fn send_untracked(&self, command: &Command) {
        let mut frame = Vec::new();
        command.encode(&mut frame);
        self.inner.shared.send(frame);
    }

    /// Number of commands that the router is still answering (for tests and metrics).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.inner
            .shared
            .lock()
            .pending
            .values()
            .filter(|p| !p.over)
            .count()
    }
}

fn closed_error(state: &State) -> ClientError {
    state
        .closed
        .as_ref()
        .map_or(ClientError::ClosedLocally, Disconnect::to_error)
}

/// The rows of one command, as they arrive.
///
/// Ends (`None`) after `!done`; yields one `Err` and ends on `!trap` or when the connection
/// ends. Dropping it before the end cancels the command on the router.
#[derive(Debug)]
pub struct ReplyStream {
    client: Client,
    tag: u64,
    tag_text: String,
    /// Rows taken from the driver in one go, yielded one at a time.
    rows: std::vec::IntoIter<Attributes>,
    finished: bool,
    cancelled: bool,
    done: Option<Attributes>,
}

impl ReplyStream {
    /// The `.tag` that the client gave the command.
    #[must_use]
    pub fn tag(&self) -> &str {
        &self.tag_text
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
            .call(Command::new("/cancel").attr("tag", &self.tag_text))
            .await
            .map(drop)
    }

    fn poll_row(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Attributes, ClientError>>> {
        if let Some(row) = self.rows.next() {
            return Poll::Ready(Some(Ok(row)));
        }
        if self.finished {
            return Poll::Ready(None);
        }
        let shared = &self.client.inner.shared;
        let mut resume = false;
        let end = {
            let mut guard = shared.lock();
            let state = &mut *guard;
            match state.pending.get_mut(&self.tag) {
                // Only this handle removes its entry: not reached.
                None => Some(Err(closed_error(state))),
                Some(pending) if !pending.rows.is_empty() => {
                    // All the queued rows in one go.
                    self.rows = std::mem::take(&mut pending.rows).into_iter();
                    pending.queued = 0;
                    resume = std::mem::take(&mut state.reader_paused);
                    None
                }
                Some(pending) => {
                    let end = pending.take_end(self.cancelled);
                    if end.is_none() {
                        pending.set_waker(cx.waker());
                    }
                    end
                }
            }
        };
        if resume {
            shared.resume.notify_one();
        }
        if let Some(row) = self.rows.next() {
            return Poll::Ready(Some(Ok(row)));
        }
        match end {
            None => Poll::Pending,
            Some(Ok(done)) => {
                self.finished = true;
                self.done = Some(done);
                Poll::Ready(None)
            }
            Some(Err(err)) => {
                self.finished = true;
                Poll::Ready(Some(Err(err)))
            }
        }
    }

    /// For [`Client::call`]: the whole response once the command has ended.
    fn poll_response(&mut self, cx: &mut Context<'_>) -> Poll<Result<Response, ClientError>> {
        let mut guard = self.client.inner.shared.lock();
        let state = &mut *guard;
        let end = match state.pending.get_mut(&self.tag) {
            // Only this handle removes its entry: not reached.
            None => Err(closed_error(state)),
            Some(pending) => match pending.take_end(false) {
                None => {
                    pending.set_waker(cx.waker());
                    return Poll::Pending;
                }
                Some(Ok(done)) => Ok(Response {
                    rows: std::mem::take(&mut pending.rows),
                    done,
                }),
                Some(Err(err)) => Err(err),
            },
        };
        self.finished = true;
        Poll::Ready(end)
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
        let shared = &self.client.inner.shared;
        let (entry, resume) = {
            let mut state = shared.lock();
            let entry = state.pending.remove(&self.tag);
            (entry, std::mem::take(&mut state.reader_paused))
        };
        if resume {
            shared.resume.notify_one();
        }
        let running = entry.is_some_and(|p| !p.over);
        if running && !self.finished {
            // Stop the work on the router; its replies (`!trap` interrupted, `!done`) carry a
            // tag nobody waits for any more and are dropped by the driver.
            self.client
                .send_untracked(&Command::new("/cancel").attr("tag", &self.tag_text));
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
        if let Some(sentence) = decoder.next_words()? {
            return Ok(Reply::parse_ref(&sentence)?);
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

/// Reads and routes replies, and writes what the handles could not write themselves. Ends at
/// the first of: a read error or end of stream, `!fatal`, a write error, a local close, or
/// every handle dropped.
async fn drive<R>(mut reader: R, mut decoder: Decoder, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin,
{
    let read = async {
        let mut buf = vec![0u8; READ_CHUNK];
        let mut batch = Batch::default();
        loop {
            // Everything that one read brought (and, first, what came with the login reply)
            // is decoded, then handed over under one lock.
            let stop = loop {
                match decoder.next_words() {
                    Ok(Some(sentence)) => {
                        if let Err(cause) = batch.add(&sentence) {
                            break Some(cause);
                        }
                    }
                    Ok(None) => break None,
                    Err(err) => break Some(Disconnect::Protocol(err.to_string())),
                }
            };
            shared.deliver(&mut batch);
            if let Some(cause) = stop {
                return cause;
            }
            shared.wait_for_room().await;
            match reader.read(&mut buf).await {
                Ok(0) => return Disconnect::Eof,
                Ok(n) => decoder.feed(&buf[..n]),
                Err(err) => return err.into(),
            }
        }
    };
    let write = std::future::poll_fn(|cx| shared.lock_writer().poll_drive(cx));
    let cause = tokio::select! {
        cause = read => cause,
        cause = write => cause,
    };
    drop(reader);
    shared.shut_down(cause);
}
