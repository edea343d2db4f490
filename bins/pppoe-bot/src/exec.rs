//! `pppoe-bot exec`: one chat command from a local program (a billing system, a script),
//! through the running bot's engine, so that the per-sender order, the rate limit, the
//! permissions and the single audit writer hold for it as for a chat message.
//!
//! ```text
//!  pppoe-bot exec ──{"client","text"}──▶ Unix socket (0600) ──▶ Incoming (sender client:NAME)
//!       ▲                                                              │ Engine::enqueue + run
//!       └──{"outcome","reply","audit_seq"}◀── the audit row of its id ◀┤ replies to client:NAME
//!                                                                      └▶ notices: the messenger
//! ```
//!
//! `pppoe-bot run` listens only when `[[clients]]` are configured. The socket is the bot's
//! user's alone (mode 0600): whoever can open it acts as any configured client.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use audit_store::AuditStore;
use pppoe_core::{
    AuditSink, Clock, Engine, Incoming, Messenger, Outcome, Outgoing, Router, Sender, SystemClock,
    TicketStore,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::Settings;
use crate::serve;

/// The longest request line taken (the engine's own limit on a message is far below).
const MAX_REQUEST_BYTES: u64 = 64 * 1024;

/// How long a connection may take to send its request.
const REQUEST_WAIT: Duration = Duration::from_secs(10);

/// How long `pppoe-bot exec` waits for the answer: a command's router steps are each bounded
/// by `timeout_secs`, so this only ends a wait on a bot that is stuck.
const ANSWER_WAIT: Duration = Duration::from_secs(300);

/// One request: a configured client's name and the command, as a chat message's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Request {
    /// The `[[clients]]` name.
    pub(crate) client: String,
    /// The command, e.g. `isolir budi01 telat bayar`.
    pub(crate) text: String,
}

/// The answer: what became of the command (the outcome of its audit row), the reply the chat
/// would have shown, and the audit row's seq (`null` when no row was written).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Response {
    /// `ok`, `failed`, `unknown`, `skipped`, `invalid` or `denied`.
    pub(crate) outcome: String,
    /// The reply, WhatsApp formatting included.
    pub(crate) reply: String,
    /// The audit row's seq.
    pub(crate) audit_seq: Option<i64>,
}

impl Response {
    /// The exit status of `pppoe-bot exec` for this answer: 0 done, 2 refused (invalid or
    /// denied: sending it again will not help), 1 for the rest (failed, unknown, skipped:
    /// not done, or not known to be done).
    pub(crate) fn exit_status(&self) -> u8 {
        match self.outcome.as_str() {
            "ok" => 0,
            "invalid" | "denied" => 2,
            _ => 1,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The server, in `pppoe-bot run`

/// The bound socket, its file removed when dropped (if it is still ours).
#[derive(Debug)]
pub(crate) struct Listener {
    inner: imp::Socket,
}

impl Listener {
    /// Listens on `path`, mode 0600 before any connection is taken. A socket file nobody
    /// listens on (left by a bot that was killed) is replaced; a live one is refused (a bot
    /// with this config runs already), and so is a path that is no socket.
    pub(crate) fn bind(path: &Path) -> anyhow::Result<Self> {
        Ok(Self {
            inner: imp::Socket::bind(path)?,
        })
    }

    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        self.inner.path()
    }
}

/// The socket of `config`, bound, when it has `[[clients]]`.
pub(crate) fn listen_if_configured(config: &Settings) -> anyhow::Result<Option<Listener>> {
    if config.engine.clients.is_empty() {
        return Ok(None);
    }
    let listener = Listener::bind(&config.exec_socket)?;
    tracing::info!(
        socket = %listener.path().display(),
        clients = config.engine.clients.len(),
        "listening for pppoe-bot exec"
    );
    Ok(Some(listener))
}

/// The message loop ([`serve::serve`]) and, with a listener, the exec server beside it, until
/// SIGINT/SIGTERM or the messenger ends; both stop together (the socket file is removed, the
/// requests in flight are answered). Returns how many chat messages were taken.
pub(crate) async fn serve_with<R, A, C, T, M>(
    engine: Arc<Engine<R, A, C, T>>,
    messenger: Arc<M>,
    store: AuditStore,
    listener: Option<Listener>,
) -> u64
where
    R: Router + 'static,
    A: AuditSink + 'static,
    C: Clock + 'static,
    T: TicketStore + 'static,
    M: Messenger + 'static,
{
    let Some(listener) = listener else {
        return serve::serve(engine, messenger, serve::shutdown_signal()).await;
    };
    let (stop, stopped) = watch::channel(false);
    let stop = Arc::new(stop);
    let signal = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            serve::shutdown_signal().await;
            stop.send_replace(true);
        })
    };
    let server = tokio::spawn(serve_exec(
        listener,
        Arc::clone(&engine),
        Arc::clone(&messenger),
        store,
        stopped.clone(),
    ));
    let mut until_stopped = stopped;
    let taken = serve::serve(engine, messenger, async move {
        let _ = until_stopped.wait_for(|s| *s).await;
    })
    .await;
    // The messenger ended, or the signal came: the exec server stops too.
    stop.send_replace(true);
    signal.abort();
    if let Err(e) = server.await {
        tracing::error!(error = %e, "the exec server failed");
    }
    taken
}

/// Takes connections until `stop`; then removes the socket, answers the requests in flight
/// and waits (bounded) for the customers' notices they caused.
async fn serve_exec<R, A, C, T, M>(
    listener: Listener,
    engine: Arc<Engine<R, A, C, T>>,
    messenger: Arc<M>,
    store: AuditStore,
    mut stop: watch::Receiver<bool>,
) where
    R: Router + 'static,
    A: AuditSink + 'static,
    C: Clock + 'static,
    T: TicketStore + 'static,
    M: Messenger + 'static,
{
    let notices = Arc::new(serve::Notices::default());
    let permits = Arc::new(Semaphore::new(serve::MAX_IN_FLIGHT));
    let mut tasks = JoinSet::new();
    loop {
        while let Some(done) = tasks.try_join_next() {
            report(done);
        }
        notices.reap();
        let permit = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            permit = Arc::clone(&permits).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let connection = tokio::select! {
            biased;
            _ = stop.wait_for(|s| *s) => break,
            connection = listener.inner.accept() => connection,
        };
        let connection = match connection {
            Ok(c) => c,
            Err(e) => {
                // E.g. out of file descriptors: wait a little rather than spin.
                tracing::warn!(error = %e, "cannot accept an exec connection");
                drop(permit);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let handler = Handler {
            engine: Arc::clone(&engine),
            messenger: Arc::clone(&messenger),
            store: store.clone(),
            notices: Arc::clone(&notices),
        };
        tasks.spawn(async move {
            handler.connection(connection).await;
            drop(permit);
        });
    }
    // New `pppoe-bot exec` calls now hear that no bot is running.
    drop(listener);
    serve::finish_in_flight(tasks, "exec: no new requests; answering those in flight").await;
    notices.finish(&engine).await;
}

/// What one connection needs.
struct Handler<R, A, C, T, M> {
    engine: Arc<Engine<R, A, C, T>>,
    messenger: Arc<M>,
    store: AuditStore,
    notices: Arc<serve::Notices>,
}

impl<R, A, C, T, M> Handler<R, A, C, T, M>
where
    R: Router + 'static,
    A: AuditSink + 'static,
    C: Clock + 'static,
    T: TicketStore + 'static,
    M: Messenger + 'static,
{
    /// Reads one request line, runs it, writes one answer line.
    async fn connection(&self, mut connection: imp::Connection) {
        let response = match imp::read_request(&mut connection).await {
            Ok(request) => self.run(request).await,
            Err(why) => {
                tracing::warn!(%why, "exec: bad request; nothing run");
                Response {
                    outcome: Outcome::Invalid.as_str().to_owned(),
                    reply: format!("bad request: {why}; nothing was run"),
                    audit_seq: None,
                }
            }
        };
        if let Err(e) = imp::write_response(&mut connection, &response).await {
            tracing::warn!(error = %e, outcome = %response.outcome, audit_seq = ?response.audit_seq,
                "exec: the client left before its answer (the command ran: see the audit log)");
        }
    }

    /// The request as a chat message of `client:NAME`, through the engine; the outcome and
    /// seq are its audit row's.
    async fn run(&self, request: Request) -> Response {
        let now = SystemClock.now();
        let sender = Sender::client(&request.client);
        let chat = sender.key().to_owned();
        let id = next_message_id(now.timestamp_nanos_opt().unwrap_or_default());
        let incoming = Incoming {
            id: id.clone(),
            chat: chat.clone(),
            sender,
            sender_lid: None,
            text: request.text,
            sent_at: now,
            received_at: Some(now),
            is_group: false,
            attachment: None,
        };
        let queued = self.engine.enqueue(incoming);
        let own = self
            .engine
            .run(queued, |replies| self.deliver(&chat, replies))
            .await;
        let configured = self
            .engine
            .config()
            .clients
            .iter()
            .any(|c| c.name == request.client);
        let (outcome, audit_seq) = match self.store.row_of_message(&id).await {
            Ok(Some(row)) => (row.event.outcome, Some(row.seq)),
            // The engine audits an unknown sender once a minute: refused all the same.
            Ok(None) if !configured => (Outcome::Denied, None),
            Ok(None) => {
                tracing::error!(message_id = %id, "exec: no audit row for a client's command");
                (Outcome::Unknown, None)
            }
            Err(e) => {
                tracing::error!(message_id = %id, error = %e.chain(), "exec: cannot read the command's audit row");
                (Outcome::Unknown, None)
            }
        };
        let reply = if own.is_empty() && !configured {
            format!(
                "no client named {:?} in the running bot's [[clients]]: add it to the config \
                 and restart the bot",
                request.client
            )
        } else {
            own.join("\n")
        };
        tracing::info!(client = %request.client, message_id = %id, outcome = outcome.as_str(), audit_seq = audit_seq.unwrap_or_default(), "exec request answered");
        Response {
            outcome: outcome.as_str().to_owned(),
            reply,
            audit_seq,
        }
    }

    /// Keeps the replies to the client's own chat (returned over the socket) and sends the
    /// rest (notices to technicians, admins and customers) through the messenger, as the
    /// message loop does.
    async fn deliver(&self, chat: &str, replies: Vec<Outgoing>) -> Vec<String> {
        let mut own = Vec::new();
        for reply in replies {
            if reply.chat == chat {
                own.push(reply.text);
                continue;
            }
            self.notices
                .send(&self.engine, &self.messenger, reply)
                .await;
        }
        own
    }
}

/// A message id no other message has: `exec-<unix nanos, hex>-<counter>` (the audit log
/// remembers ids across runs, so the time; two requests in one nanosecond, so the counter).
fn next_message_id(unix_nanos: i64) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("exec-{unix_nanos:x}-{n}")
}

fn report(done: Result<(), tokio::task::JoinError>) {
    if let Err(e) = done {
        tracing::error!(error = %e, "an exec task failed");
    }
}

// ---------------------------------------------------------------------------------------------
// The client: `pppoe-bot exec`

/// `pppoe-bot exec`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ExecArgs {
    /// The bot's config file (read for `[exec] socket`).
    #[arg(long)]
    config: PathBuf,
    /// The `[[clients]]` name to act as (the audit log's actor is `client:NAME`).
    #[arg(long)]
    client: String,
    /// `text`: the reply on stdout; `json`: {"outcome", "reply", "audit_seq"} on one line.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The command, as typed in the chat: one argument or several words, after the options
    /// (every word after the first is part of the command).
    #[arg(required = true, num_args = 1.., trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Runs `pppoe-bot exec`; returns the exit status: 0 ok, 1 failed, unknown or skipped (and no
/// running bot), 2 invalid or denied.
pub(crate) async fn run_client(args: ExecArgs) -> anyhow::Result<u8> {
    let config = Settings::load(&args.config)?;
    let socket = config.exec_socket;
    let request = Request {
        client: args.client,
        text: args.command.join(" "),
    };
    let response = match tokio::time::timeout(ANSWER_WAIT, imp::request(&socket, &request)).await {
        Ok(Ok(response)) => response,
        Ok(Err(RequestError::NoBot(e))) => {
            eprintln!(
                "pppoe-bot exec: no bot is running for this config: nothing listens on {} ({e}). \
                 Start the bot with `pppoe-bot run --config {}` (it listens only when the config \
                 has [[clients]]).",
                socket.display(),
                args.config.display()
            );
            return Ok(1);
        }
        Ok(Err(RequestError::Io(e))) => {
            return Err(e).with_context(|| format!("talking to the bot on {}", socket.display()));
        }
        Ok(Err(RequestError::NoAnswer)) => {
            eprintln!(
                "pppoe-bot exec: the bot closed the connection without an answer (it stopped?): \
                 the command may have run; see `pppoe-bot audit list --actor client:{}`",
                request.client
            );
            return Ok(1);
        }
        Err(_) => {
            eprintln!(
                "pppoe-bot exec: no answer within {} s: the command may still run; see \
                 `pppoe-bot audit list --actor client:{}`",
                ANSWER_WAIT.as_secs(),
                request.client
            );
            return Ok(1);
        }
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&response)?),
        Format::Text if response.reply.is_empty() => {
            eprintln!("pppoe-bot exec: no reply; outcome {}", response.outcome);
        }
        Format::Text => println!("{}", response.reply),
    }
    Ok(response.exit_status())
}

/// Why a request got no answer.
#[derive(Debug)]
enum RequestError {
    /// Nothing listens on the socket (no file, or a file left by a stopped bot).
    NoBot(std::io::Error),
    /// The bot closed the connection without an answer.
    NoAnswer,
    /// Anything else (permission denied, a broken answer).
    Io(std::io::Error),
}

#[cfg(unix)]
mod imp {
    use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _, PermissionsExt as _};
    use std::path::{Path, PathBuf};

    use anyhow::{Context as _, bail};
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
    use tokio::net::{UnixListener, UnixStream};

    use super::{MAX_REQUEST_BYTES, REQUEST_WAIT, Request, RequestError, Response};

    pub(super) type Connection = UnixStream;

    /// A listening socket and the identity of its file, to remove only our own.
    #[derive(Debug)]
    pub(super) struct Socket {
        listener: UnixListener,
        path: PathBuf,
        file: (u64, u64),
    }

    impl Socket {
        pub(super) fn bind(path: &Path) -> anyhow::Result<Self> {
            match std::fs::symlink_metadata(path) {
                Ok(meta) if meta.file_type().is_socket() => {
                    match std::os::unix::net::UnixStream::connect(path) {
                        Ok(_) => bail!(
                            "another pppoe-bot is listening on {} (a bot with this config is \
                             running already): stop it first, or give this one another [exec] socket",
                            path.display()
                        ),
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                            // Left by a bot that did not stop cleanly.
                            std::fs::remove_file(path).with_context(|| {
                                format!("removing the stale exec socket {}", path.display())
                            })?;
                            tracing::info!(socket = %path.display(), "removed a stale exec socket nobody listened on");
                        }
                        Err(e) => {
                            return Err(e).with_context(|| {
                                format!(
                                    "cannot tell whether a bot listens on the exec socket {}",
                                    path.display()
                                )
                            });
                        }
                    }
                }
                Ok(_) => bail!(
                    "{} exists and is not a socket: not replacing it; move it away or set \
                     [exec] socket to another path",
                    path.display()
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot stat {}", path.display()));
                }
            }
            // The umask (077, set in main) already makes it 0700 until the chmod.
            let listener = UnixListener::bind(path).with_context(|| {
                format!(
                    "cannot listen on the exec socket {} (its directory must exist and be \
                     writable by the bot, and the path be shorter than 108 bytes; [exec] socket \
                     sets another path)",
                    path.display()
                )
            })?;
            let remove = |e| {
                let _ = std::fs::remove_file(path);
                e
            };
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .map_err(remove)
                .with_context(|| format!("cannot set mode 0600 on {}", path.display()))?;
            let meta = std::fs::symlink_metadata(path)
                .map_err(remove)
                .with_context(|| format!("cannot stat {}", path.display()))?;
            Ok(Self {
                listener,
                path: path.to_owned(),
                file: (meta.dev(), meta.ino()),
            })
        }

        pub(super) fn path(&self) -> &Path {
            &self.path
        }

        pub(super) async fn accept(&self) -> std::io::Result<UnixStream> {
            let (stream, _) = self.listener.accept().await?;
            Ok(stream)
        }
    }

    impl Drop for Socket {
        fn drop(&mut self) {
            // Only the file this bot made: never another bot's that replaced it.
            if let Ok(meta) = std::fs::symlink_metadata(&self.path)
                && (meta.dev(), meta.ino()) == self.file
                && let Err(e) = std::fs::remove_file(&self.path)
            {
                tracing::warn!(socket = %self.path.display(), error = %e, "cannot remove the exec socket");
            }
        }
    }

    /// One JSON line, at most [`MAX_REQUEST_BYTES`], within [`REQUEST_WAIT`].
    pub(super) async fn read_request(connection: &mut UnixStream) -> Result<Request, String> {
        let mut line = String::new();
        let mut reader = BufReader::new(connection).take(MAX_REQUEST_BYTES + 1);
        match tokio::time::timeout(REQUEST_WAIT, reader.read_line(&mut line)).await {
            Err(_) => return Err(format!("no request within {} s", REQUEST_WAIT.as_secs())),
            Ok(Err(e)) => return Err(format!("cannot read the request: {e}")),
            Ok(Ok(_)) => {}
        }
        if line.len() as u64 > MAX_REQUEST_BYTES {
            return Err(format!(
                "the request is longer than {MAX_REQUEST_BYTES} bytes"
            ));
        }
        serde_json::from_str(line.trim_end()).map_err(|e| {
            format!("expected one JSON line {{\"client\": NAME, \"text\": COMMAND}}: {e}")
        })
    }

    pub(super) async fn write_response(
        connection: &mut UnixStream,
        response: &Response,
    ) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(response)?;
        line.push(b'\n');
        connection.write_all(&line).await?;
        connection.shutdown().await
    }

    pub(super) async fn request(path: &Path, request: &Request) -> Result<Response, RequestError> {
        let mut stream = UnixStream::connect(path)
            .await
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                    RequestError::NoBot(e)
                }
                _ => RequestError::Io(e),
            })?;
        let mut line = serde_json::to_vec(request).map_err(|e| RequestError::Io(e.into()))?;
        line.push(b'\n');
        stream.write_all(&line).await.map_err(RequestError::Io)?;
        let mut answer = String::new();
        BufReader::new(stream)
            .read_line(&mut answer)
            .await
            .map_err(RequestError::Io)?;
        if answer.is_empty() {
            return Err(RequestError::NoAnswer);
        }
        serde_json::from_str(answer.trim_end()).map_err(|e| RequestError::Io(e.into()))
    }
}

#[cfg(not(unix))]
mod imp {
    //! Without Unix sockets there is no exec server: a config with `[[clients]]` is refused.
    use std::path::Path;

    use super::{Request, RequestError, Response};

    /// No socket can exist.
    #[derive(Debug)]
    pub(super) enum Socket {}

    /// No connection can exist.
    pub(super) enum Connection {}

    impl Socket {
        pub(super) fn bind(_: &Path) -> anyhow::Result<Self> {
            anyhow::bail!(
                "[[clients]] need a Unix socket for pppoe-bot exec, which this system lacks"
            )
        }

        pub(super) fn path(&self) -> &Path {
            match *self {}
        }

        pub(super) async fn accept(&self) -> std::io::Result<Connection> {
            match *self {}
        }
    }

    pub(super) async fn read_request(connection: &mut Connection) -> Result<Request, String> {
        match *connection {}
    }

    pub(super) async fn write_response(
        connection: &mut Connection,
        _: &Response,
    ) -> std::io::Result<()> {
        match *connection {}
    }

    pub(super) async fn request(_: &Path, _: &Request) -> Result<Response, RequestError> {
        Err(RequestError::Io(std::io::Error::new(
            std::io::ErrorKind::Unsupported,
            "pppoe-bot exec needs a Unix socket, which this system lacks",
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_map_to_exit_statuses() {
        let status = |outcome: Outcome| {
            Response {
                outcome: outcome.as_str().to_owned(),
                reply: String::new(),
                audit_seq: None,
            }
            .exit_status()
        };
        let all: Vec<(&str, u8)> = Outcome::ALL
            .iter()
            .map(|o| (o.as_str(), status(*o)))
            .collect();
        assert_eq!(
            all,
            [
                ("ok", 0),
                ("denied", 2),
                ("invalid", 2),
                ("failed", 1),
                ("skipped", 1),
                ("unknown", 1)
            ]
        );
    }

    #[test]
    fn message_ids_differ_within_one_nanosecond() {
        let (a, b) = (next_message_id(0x1f), next_message_id(0x1f));
        assert!(
            a.starts_with("exec-1f-") && b.starts_with("exec-1f-"),
            "{a} {b}"
        );
        assert_ne!(a, b);
    }

    #[test]
    fn the_wire_format_is_one_json_object_per_line() {
        let response = Response {
            outcome: "ok".into(),
            reply: "*User Diisolir*\nbudi01".into(),
            audit_seq: Some(7),
        };
        assert_eq!(
            serde_json::to_string(&response).unwrap(),
            r#"{"outcome":"ok","reply":"*User Diisolir*\nbudi01","audit_seq":7}"#
        );
        let request: Request =
            serde_json::from_str(r#"{"client":"billing","text":"isolir budi01 telat bayar"}"#)
                .unwrap();
        assert_eq!(request.client, "billing");
        assert!(serde_json::from_str::<Request>(r#"{"client":"b","text":"x","as":"1"}"#).is_err());
    }
}
