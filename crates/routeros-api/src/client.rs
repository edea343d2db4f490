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

use crate::codec::{Decoder, Limits};
pub use crate::connection::Response;
use crate::connection::{Connection, Inbound, Reader};
pub use crate::error::{ClientError, Phase};
use crate::proto::Attributes;
use crate::proto::{Command, Reply, ReplyKind};

/// Default port of the plain API service (`/ip service` `api`).
pub const DEFAULT_PORT: u16 = 8728;
/// Default port of the TLS API service (`/ip service` `api-ssl`).
pub const DEFAULT_TLS_PORT: u16 = 8729;

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

/// Bytes asked of the transport per read.
const READ_CHUNK: usize = 256 * 1024;

/// The connection's protocol state and who waits for which command, behind one lock.
#[derive(Debug)]
struct Core {
    conn: Connection,
    /// The task waiting for each command's news, by tag.
    wakers: HashMap<u64, Waker>,
    /// The driver stopped reading ([`Connection::must_pause`]) and waits for
    /// [`Shared::resume`]. Whoever changes what `must_pause` looks at clears it and notifies.
    reader_paused: bool,
}

impl Core {
    fn register(&mut self, tag: u64, waker: &Waker) {
        match self.wakers.get_mut(&tag) {
            Some(old) if old.will_wake(waker) => {}
            Some(old) => old.clone_from(waker),
            None => {
                self.wakers.insert(tag, waker.clone());
            }
        }
    }

    /// The wakers of the commands with news.
    fn woken(&mut self, out: &mut Vec<Waker>, tags: &mut Vec<u64>) {
        self.conn.drain_woken(tags);
        for tag in tags.drain(..) {
            out.extend(self.wakers.remove(&tag));
        }
    }
}

/// Shared by the client handles and the driver task.
#[derive(Debug)]
struct Shared {
    core: Mutex<Core>,
    writer: Mutex<Writer>,
    closed_tx: watch::Sender<bool>,
    /// Wakes the driver paused by [`Connection::must_pause`].
    resume: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Core> {
        // A panic while holding this lock cannot leave the state inconsistent (every critical
        // section leaves it valid at each step), so poisoning is ignored.
        self.core
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn lock_writer(&self) -> MutexGuard<'_, Writer> {
        self.writer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Writes what the connection has queued: at once by the calling task if nothing is
    /// queued ahead of it, else by the driver task. Call it after changing the connection,
    /// with the lock released.
    fn flush(&self, frame: Vec<u8>) {
        if frame.is_empty() {
            return;
        }
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

    /// Starts a command and writes it.
    fn start(&self, command: Command, streaming: bool) -> Result<u64, ClientError> {
        let (tag, frame, resume) = {
            let mut core = self.lock();
            let tag = core.conn.start(command, streaming)?;
            let mut frame = Vec::new();
            core.conn.take_transmit(&mut frame);
            // A new command may be the paused stream's consumer: read again at once.
            (tag, frame, std::mem::take(&mut core.reader_paused))
        };
        if resume {
            self.resume.notify_one();
        }
        self.flush(frame);
        Ok(tag)
    }

    /// Ends the connection with `cause` applied by `end`, wakes every waiting command, and
    /// closes our half of the socket.
    fn shut_down(&self, end: impl FnOnce(&mut Connection)) {
        let mut wakers = Vec::new();
        {
            let mut core = self.lock();
            end(&mut core.conn);
            core.woken(&mut wakers, &mut Vec::new());
        }
        wakers.into_iter().for_each(Waker::wake);
        // Close our half of the socket (the driver has dropped the other).
        let io = self.lock_writer().io.take();
        drop(io);
        self.closed_tx.send_replace(true);
    }

    /// Waits while [`Connection::must_pause`] says so.
    async fn wait_for_room(&self) {
        loop {
            {
                let mut core = self.lock();
                core.reader_paused = core.conn.must_pause();
                if !core.reader_paused {
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
    fn poll_drive(&mut self, cx: &mut Context<'_>) -> Poll<Ended> {
        if let Some(err) = self.failed.take() {
            return Poll::Ready(Ended::Io(err));
        }
        let Some(io) = self.io.as_mut() else {
            return Poll::Ready(Ended::Local);
        };
        while let Some(frame) = self.queue.front() {
            match ready!(io.as_mut().poll_write(cx, &frame[self.written..])) {
                Ok(0) => return Poll::Ready(Ended::Io(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.unflushed = true;
                    self.written += n;
                    if self.written == frame.len() {
                        self.queue.pop_front();
                        self.written = 0;
                    }
                }
                Err(err) => return Poll::Ready(Ended::Io(err)),
            }
        }
        if self.unflushed {
            if let Err(err) = ready!(io.as_mut().poll_flush(cx)) {
                return Poll::Ready(Ended::Io(err));
            }
            self.unflushed = false;
        }
        if self.closing {
            // Best effort: the connection ends either way.
            let _ = ready!(io.as_mut().poll_shutdown(cx));
            return Poll::Ready(Ended::Local);
        }
        match &mut self.waker {
            Some(old) if old.will_wake(cx.waker()) => {}
            slot => *slot = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
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
            core: Mutex::new(Core {
                conn: Connection::new(),
                wakers: HashMap::new(),
                reader_paused: false,
            }),
            writer: Mutex::new(Writer::new(Box::pin(writer))),
            closed_tx,
            resume: Notify::new(),
        });
        tokio::spawn(drive(reader, Reader::new(decoder), Arc::clone(&shared)));
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
    /// (about 1 MiB of rows): past that, the client stops reading the socket until the
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

    fn start_command(&self, command: Command, streaming: bool) -> Result<ReplyStream, ClientError> {
        // Registered before it is written, so that the replies have somewhere to go. Should
        // the connection end meanwhile, its end ends the command.
        let tag = self.inner.shared.start(command, streaming)?;
        Ok(ReplyStream {
            client: self.clone(),
            tag,
            tag_text: tag.to_string(),
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
        self.inner.shared.lock().conn.ended().is_some()
    }

    /// Why the connection ended, once it has (`None` while it is open).
    #[must_use]
    pub fn close_reason(&self) -> Option<ClientError> {
        self.inner.shared.lock().conn.ended()
    }

    /// Waits until the connection ends and returns why (for a supervisor that reconnects).
    pub async fn closed(&self) -> ClientError {
        let mut rx = self.inner.closed_rx.clone();
        // The sender lives in `Shared`, which we hold: `wait_for` cannot fail.
        let _ = rx.wait_for(|closed| *closed).await;
        self.close_reason().unwrap_or(ClientError::ClosedLocally)
    }

    /// Number of commands that the router is still answering (for tests and metrics).
    #[must_use]
    pub fn pending(&self) -> usize {
        self.inner.shared.lock().conn.running()
    }
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
    /// Rows taken from the connection in one go, yielded one at a time.
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
        self.client.inner.shared.lock().conn.cancelling(self.tag);
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
        let (end, resume) = {
            let mut core = shared.lock();
            let rows = core.conn.take_rows(self.tag);
            if rows.is_empty() {
                let end = core.conn.poll_end(self.tag);
                if end.is_none() {
                    core.register(self.tag, cx.waker());
                }
                (end, false)
            } else {
                // All the queued rows in one go.
                self.rows = rows.into_iter();
                (None, std::mem::take(&mut core.reader_paused))
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
        let mut core = self.client.inner.shared.lock();
        match core.conn.take_response(self.tag) {
            Some(end) => {
                self.finished = true;
                Poll::Ready(end)
            }
            None => {
                core.register(self.tag, cx.waker());
                Poll::Pending
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
        let shared = &self.client.inner.shared;
        let (frame, resume) = {
            let mut core = shared.lock();
            core.wakers.remove(&self.tag);
            // A command still running is cancelled on the router; its replies, and those of
            // the /cancel, carry tags nobody waits for and are dropped.
            core.conn.forget(self.tag);
            let mut frame = Vec::new();
            core.conn.take_transmit(&mut frame);
            (frame, std::mem::take(&mut core.reader_paused))
        };
        if resume {
            shared.resume.notify_one();
        }
        shared.flush(frame);
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

/// Reads the transport, decodes what each read brought (without the lock the callers take),
/// hands it to the connection and wakes the commands with news, and writes what the handles
/// could not write themselves. Ends at the first of: a read error or end of stream, `!fatal`
/// or bytes that are not the API, a write error, a local close, or every handle dropped.
async fn drive<R>(mut transport: R, mut reader: Reader, shared: Arc<Shared>)
where
    R: AsyncRead + Unpin,
{
    let read = async {
        let mut inbound = Inbound::default();
        let mut wakers = Vec::new();
        let mut tags = Vec::new();
        // What came with the login's reply first.
        let mut received = 0;
        loop {
            reader.received(received, &mut inbound);
            let ended = {
                let mut core = shared.lock();
                core.conn.deliver(&mut inbound);
                reader.sync(&core.conn);
                core.woken(&mut wakers, &mut tags);
                core.conn.ended().is_some()
            };
            wakers.drain(..).for_each(Waker::wake);
            if ended {
                return None;
            }
            shared.wait_for_room().await;
            match transport.read(reader.spare(READ_CHUNK)).await {
                Ok(0) => return Some(Err(())),
                Ok(n) => received = n,
                Err(err) => return Some(Ok(err)),
            }
        }
    };
    let write = std::future::poll_fn(|cx| shared.lock_writer().poll_drive(cx));
    let outcome = tokio::select! {
        read = read => match read {
            None => Ended::OnReceive,
            Some(Err(())) => Ended::Eof,
            Some(Ok(err)) => Ended::Io(err),
        },
        write = write => write,
    };
    drop(transport);
    shared.shut_down(|conn| match outcome {
        Ended::OnReceive => {}
        Ended::Eof => conn.end_of_stream(),
        Ended::Io(err) => conn.transport_failed(&err),
        Ended::Local => conn.close(),
    });
}

/// Why the driver stopped.
#[derive(Debug)]
enum Ended {
    /// The connection ended on what it received (`!fatal`, not the API).
    OnReceive,
    Eof,
    Io(io::Error),
    /// A local close, or every handle dropped.
    Local,
}
