//! The TCP side: accept loop, one reader and one writer task per connection, login, tags,
//! `/cancel`, and the faults that act on connections.
//!
//! ```text
//!  socket ─► reader: codec::Decoder ─► Request ─► login / cancel / commands::execute
//!                                                      │ Plan::Reply      │ Plan::Job (print, listen, monitor)
//!                                                      ▼                  ▼ task per tagged or endless job
//!  socket ◄─ writer task ◄──────────── mpsc of encoded sentence chunks (≤ 64 KiB) ◄─┘
//! ```
//!
//! Changes are applied by the reader in request order; replies of tagged commands may
//! interleave at sentence boundaries, as on a real router.

use std::future::{Future, pending};
use std::io;
use std::net::SocketAddr;

use routeros_api::codec::{Decoder, Limits, Sentence};
use routeros_api::proto::{ProtoError, Reply, Request, legacy_login_response, trap_category};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::{JoinHandle, JoinSet};

use pppoe_core::SplitMix64;

use crate::commands::{self, Job, MonitorJob, Plan, PrintJob};
use crate::state::{RequestFault, SimState};
use crate::wire::{Out, Row};

/// Replies are handed to the writer in chunks of about this size, so that a client can start
/// decoding a long print before it is complete.
const CHUNK: usize = 64 * 1024;

/// Framing caps for requests (a client never needs more).
const LIMITS: Limits = Limits {
    max_word_len: 1 << 20,
    max_sentence_len: 4 << 20,
    max_words: 4096,
};

const INVALID_LOGIN: &str = "invalid user name or password (6)";
/// What RouterOS before 6.43 answered to a wrong challenge response.
const LEGACY_INVALID_LOGIN: &str = "cannot log in";

/// Serves the RouterOS API on `listener` until `shutdown` completes, then closes every
/// connection and returns.
///
/// Each connection must log in first (`/login`, plain or the legacy challenge, see
/// [`SimState::set_legacy_login`]).
pub async fn serve(listener: TcpListener, state: SimState, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection(stream, state.clone(), stop_rx.clone()));
                }
                // Per-connection errors (reset before accept) and resource exhaustion alike:
                // keep serving, without spinning.
                Err(_) => tokio::task::yield_now().await,
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    while connections.join_next().await.is_some() {}
}

/// A simulator serving on its own task: the usual way to use it from a test.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use routeros_sim::{SimServer, SimState};
/// let server = SimServer::start(SimState::seeded(10, 1).with_user("admin", "pw")).await?;
/// let addr = server.addr(); // 127.0.0.1:<port>
/// # let _ = addr;
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct SimServer {
    addr: SocketAddr,
    state: SimState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimServer {
    /// Serves `state` on 127.0.0.1 at a free port.
    ///
    /// # Errors
    ///
    /// If the listener cannot be bound.
    pub async fn start(state: SimState) -> io::Result<Self> {
        Self::bind(SocketAddr::from(([127, 0, 0, 1], 0)), state).await
    }

    /// Serves `state` on `addr`.
    ///
    /// # Errors
    ///
    /// If the listener cannot be bound.
    pub async fn bind(addr: SocketAddr, state: SimState) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, state.clone(), async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            addr,
            state,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The served state.
    #[must_use]
    pub fn state(&self) -> &SimState {
        &self.state
    }

    /// Stops accepting, closes every connection and waits for them.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// To the writer task.
#[derive(Debug)]
enum Msg {
    Data(Out),
    Close,
}

/// Whether the connection goes on.
#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// Sent to a running job to stop it; the job answers on the inner channel once it has
/// stopped writing.
type Ack = oneshot::Sender<()>;

#[derive(Debug)]
struct Running {
    tag: Option<String>,
    cancel: oneshot::Sender<Ack>,
}

async fn connection(stream: TcpStream, state: SimState, stop: watch::Receiver<bool>) {
    state.connection_opened();
    let number = state.connections_accepted();
    let (read, write) = stream.into_split();
    let (tx, rx) = mpsc::channel(8);
    let writer = tokio::spawn(write_loop(write, rx, state.clone()));
    let mut conn = Conn {
        state: state.clone(),
        tx,
        hung: false,
        logged_in: false,
        challenge: None,
        rng: SplitMix64::new(number.wrapping_mul(0x2545_F491_4F6C_DD1D)),
        running: Vec::new(),
        tasks: JoinSet::new(),
    };
    conn.read_loop(read, stop).await;
    conn.tasks.shutdown().await;
    drop(conn);
    let _ = writer.await;
    state.connection_closed();
}

async fn write_loop(mut write: OwnedWriteHalf, mut rx: mpsc::Receiver<Msg>, state: SimState) {
    let mut pending: Vec<u8> = Vec::with_capacity(CHUNK * 2);
    while let Some(first) = rx.recv().await {
        let mut close = false;
        let mut next = Some(first);
        while let Some(msg) = next.take() {
            match msg {
                Msg::Close => {
                    close = true;
                    break;
                }
                Msg::Data(out) => {
                    if let Some(allowed) = state.on_replies(out.ends.len()) {
                        let end = allowed.checked_sub(1).map_or(0, |i| out.ends[i]);
                        pending.extend_from_slice(&out.buf[..end]);
                        close = true;
                        break;
                    }
                    if pending.is_empty() {
                        pending = out.buf;
                    } else {
                        pending.extend_from_slice(&out.buf);
                    }
                }
            }
            if pending.len() < CHUNK {
                next = rx.try_recv().ok();
            }
        }
        if !pending.is_empty() {
            if write.write_all(&pending).await.is_err() {
                break;
            }
            pending.clear();
        }
        if close {
            break;
        }
    }
    let _ = write.shutdown().await;
}

struct Conn {
    state: SimState,
    tx: mpsc::Sender<Msg>,
    /// The connection stopped answering ([`crate::Fault::Hang`]): requests are read and
    /// dropped.
    hung: bool,
    logged_in: bool,
    challenge: Option<[u8; 16]>,
    rng: SplitMix64,
    running: Vec<Running>,
    tasks: JoinSet<()>,
}

impl Conn {
    async fn read_loop(
        &mut self,
        mut read: tokio::net::tcp::OwnedReadHalf,
        mut stop: watch::Receiver<bool>,
    ) {
        let mut fatal = self.state.subscribe_fatal();
        let mut decoder = Decoder::new(LIMITS);
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            loop {
                match decoder.next_sentence() {
                    Ok(Some(sentence)) => {
                        if self.on_sentence(&sentence).await == Flow::Close {
                            return;
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        // Framing is lost: RouterOS drops such a connection.
                        self.close().await;
                        return;
                    }
                }
            }
            while self.tasks.try_join_next().is_some() {}
            tokio::select! {
                read = read.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    Ok(n) => decoder.feed(&buf[..n]),
                },
                _ = stop.changed() => {
                    self.close().await;
                    return;
                }
                message = fatal.recv() => match message {
                    Ok(message) => {
                        self.fatal(&message).await;
                        return;
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
                () = self.tx.closed() => return,
            }
        }
    }

    async fn send(&self, out: Out) -> Flow {
        if out.is_empty() {
            return Flow::Continue;
        }
        match self.tx.send(Msg::Data(out)).await {
            Ok(()) => Flow::Continue,
            Err(_) => Flow::Close,
        }
    }

    async fn close(&mut self) -> Flow {
        let _ = self.tx.send(Msg::Close).await;
        Flow::Close
    }

    async fn fatal(&mut self, message: &str) -> Flow {
        let mut out = Out::default();
        out.reply(&Reply::fatal(message));
        let _ = self.send(out).await;
        self.close().await
    }

    /// Sends a complete reply, after the configured delay: inline for untagged commands
    /// (so replies keep the request order), on a task for tagged ones (so other tags go on).
    async fn reply(&mut self, out: Out, tagged: bool) -> Flow {
        match self.state.reply_delay() {
            None => self.send(out).await,
            Some(delay) if tagged => {
                let tx = self.tx.clone();
                self.tasks.spawn(async move {
                    tokio::time::sleep(delay).await;
                    let _ = tx.send(Msg::Data(out)).await;
                });
                Flow::Continue
            }
            Some(delay) => {
                tokio::time::sleep(delay).await;
                self.send(out).await
            }
        }
    }

    async fn on_sentence(&mut self, sentence: &Sentence) -> Flow {
        let req = match Request::parse(sentence) {
            Ok(req) => req,
            // RouterOS ignores an empty sentence.
            Err(ProtoError::EmptySentence) => return Flow::Continue,
            Err(error) => return self.refuse(sentence, &error).await,
        };
        self.state.log_request(&req.command, logged_words(&req));
        if self.hung || self.state.silent() {
            return Flow::Continue;
        }
        let mut lose_reply = false;
        match self.state.on_request(&req.command) {
            Some(RequestFault::Close) => return self.close().await,
            Some(RequestFault::Fatal(message)) => return self.fatal(&message).await,
            Some(RequestFault::LoseReply) => lose_reply = true,
            Some(RequestFault::Hang) => {
                self.hung = true;
                return Flow::Continue;
            }
            Some(RequestFault::ExecuteThenHang) => {
                self.hung = true;
                if self.logged_in && !matches!(req.command.as_str(), "/login" | "/cancel" | "/quit")
                {
                    // The change is made; its reply, a print's rows, never come.
                    let _ = commands::execute(&self.state, &req);
                }
                return Flow::Continue;
            }
            None => {}
        }
        let tagged = req.tag().is_some();
        match req.command.as_str() {
            "/quit" => self.fatal("session terminated on request").await,
            "/login" => {
                let out = self.login(&req);
                if lose_reply {
                    return self.close().await;
                }
                self.reply(out, tagged).await
            }
            _ if !self.logged_in => {
                let mut out = Out::default();
                out.fail(None, "not logged in", req.tag());
                self.reply(out, tagged).await
            }
            "/cancel" => {
                let out = self.cancel(&req).await;
                if lose_reply {
                    return self.close().await;
                }
                self.reply(out, tagged).await
            }
            _ => {
                let plan = commands::execute(&self.state, &req);
                if lose_reply {
                    return self.close().await;
                }
                match plan {
                    Plan::Reply(out) => self.reply(out, tagged).await,
                    Plan::Job(job) => self.start(job, req.tag().map(str::to_owned)).await,
                }
            }
        }
    }

    /// A sentence that is not a request (no command word, a word of no kind, a malformed
    /// query word): `!trap` with routeros-api's reason, then `!done`, unless the connection
    /// has stopped answering.
    async fn refuse(&mut self, sentence: &Sentence, error: &ProtoError) -> Flow {
        if self.hung || self.state.silent() {
            return Flow::Continue;
        }
        let tag = Request::tag_of(sentence);
        let category =
            matches!(error, ProtoError::Query(_)).then_some(trap_category::ARGUMENT_VALUE_FAILURE);
        let mut out = Out::default();
        out.fail(category, &error.to_string(), tag.as_deref());
        self.reply(out, tag.is_some()).await
    }

    fn login(&mut self, req: &Request) -> Out {
        let tag = req.tag();
        let mut out = Out::default();
        let config = self.state.settings();
        let refused = self.state.login_refused();
        if config.legacy_login {
            if let (Some(name), Some(response)) = (req.get("name"), req.get("response")) {
                let challenge = self.challenge.take();
                let ok = !refused
                    && challenge.is_some_and(|challenge| {
                        let challenge = hex::encode(challenge);
                        config.users.iter().any(|(user, password)| {
                            user == name
                                && legacy_login_response(password, &challenge)
                                    .is_some_and(|expected| expected.eq_ignore_ascii_case(response))
                        })
                    });
                if ok {
                    self.logged_in = true;
                    out.reply(&Reply::done().with_tag(tag));
                } else {
                    out.fail(None, LEGACY_INVALID_LOGIN, tag);
                }
            } else {
                // Before 6.43 every other /login (plain credentials included) gets a challenge.
                let challenge = self.new_challenge();
                self.challenge = Some(challenge);
                out.reply(&Reply::done_ret(hex::encode(challenge)).with_tag(tag));
            }
            return out;
        }
        if req.get("name").is_none() {
            // RouterOS 6.43+ still hands out a challenge for a bare /login, but no longer
            // accepts the response (below): clients that try the old way first fail the way
            // they do against a real router.
            let challenge = self.new_challenge();
            out.reply(&Reply::done_ret(hex::encode(challenge)).with_tag(tag));
            return out;
        }
        if req.has("response") {
            out.fail(None, INVALID_LOGIN, tag);
            return out;
        }
        let password = req.get("password").unwrap_or("");
        let ok = !refused
            && req.get("name").is_some_and(|name| {
                config
                    .users
                    .iter()
                    .any(|(user, pass)| user == name && pass == password)
            });
        if ok {
            self.logged_in = true;
            out.reply(&Reply::done().with_tag(tag));
        } else {
            out.fail(None, INVALID_LOGIN, tag);
        }
        out
    }

    /// 16 bytes from the connection's generator (deterministic, as everything here).
    fn new_challenge(&mut self) -> [u8; 16] {
        let mut challenge = [0u8; 16];
        for part in challenge.chunks_mut(8) {
            part.copy_from_slice(&self.rng.next_u64().to_be_bytes());
        }
        challenge
    }

    /// `/cancel [=tag=X]`: stops the matching running commands; each ends with
    /// `!trap =category=2 =message=interrupted` and `!done`, around `/cancel`'s own `!done`
    /// (the order of the RouterOS documentation's example).
    async fn cancel(&mut self, req: &Request) -> Out {
        let target = req.get("tag");
        let mut stopped = Vec::new();
        let mut keep = Vec::new();
        for running in std::mem::take(&mut self.running) {
            let selected = target.is_none_or(|t| running.tag.as_deref() == Some(t));
            if !selected {
                keep.push(running);
                continue;
            }
            let (ack, acked) = oneshot::channel();
            if running.cancel.send(ack).is_ok() && acked.await.is_ok() {
                stopped.push(running.tag);
            }
        }
        self.running = keep;
        let mut out = Out::default();
        for tag in &stopped {
            let interrupted = Reply::trap(Some(trap_category::INTERRUPTED), "interrupted");
            out.reply(&interrupted.with_tag(tag.as_deref()));
        }
        out.reply(&req.reply(Reply::done()));
        for tag in &stopped {
            out.reply(&Reply::done().with_tag(tag.as_deref()));
        }
        out
    }

    async fn start(&mut self, job: Job, tag: Option<String>) -> Flow {
        let (cancel, cancelled) = oneshot::channel();
        let runner = JobRunner {
            state: self.state.clone(),
            tx: self.tx.clone(),
            tag: tag.clone(),
            cancel: Some(cancelled),
        };
        if tag.is_none() && !job.is_endless() {
            // An untagged finite command: its replies cannot be told apart from the next
            // command's, so it runs to the end before the next request is read.
            drop(cancel);
            return if runner.run(job).await {
                Flow::Continue
            } else {
                Flow::Close
            };
        }
        self.running.retain(|r| !r.cancel.is_closed());
        self.running.push(Running { tag, cancel });
        self.tasks.spawn(async move {
            runner.run(job).await;
        });
        Flow::Continue
    }
}

/// Why a job stopped early.
enum Stop {
    /// `/cancel`: acknowledge once nothing more will be written.
    Cancelled(Ack),
    /// The connection is gone.
    Closed,
}

struct JobRunner {
    state: SimState,
    tx: mpsc::Sender<Msg>,
    tag: Option<String>,
    cancel: Option<oneshot::Receiver<Ack>>,
}

impl JobRunner {
    /// Runs a job; `false` if the connection is gone.
    async fn run(mut self, job: Job) -> bool {
        let result = self.run_inner(job).await;
        match result {
            Ok(()) => true,
            Err(Stop::Cancelled(ack)) => {
                let _ = ack.send(());
                true
            }
            Err(Stop::Closed) => false,
        }
    }

    async fn run_inner(&mut self, job: Job) -> Result<(), Stop> {
        if let Some(delay) = self.state.reply_delay() {
            tokio::select! {
                () = tokio::time::sleep(delay) => {}
                ack = cancelled(&mut self.cancel) => return Err(Stop::Cancelled(ack)),
            }
        }
        match job {
            Job::Print(print) => self.print(print).await,
            Job::Monitor(monitor) => self.monitor(monitor).await,
        }
    }

    async fn send(&mut self, out: Out) -> Result<(), Stop> {
        if out.is_empty() {
            return Ok(());
        }
        tokio::select! {
            sent = self.tx.send(Msg::Data(out)) => sent.map_err(|_| Stop::Closed),
            ack = cancelled(&mut self.cancel) => Err(Stop::Cancelled(ack)),
        }
    }

    async fn print(&mut self, mut job: PrintJob) -> Result<(), Stop> {
        let tag = self.tag.clone();
        let tag = tag.as_deref();
        let proplist = job.proplist.take();
        let mut out = Out::with_capacity(CHUNK + CHUNK / 4);
        let mut count: u64 = 0;
        for item in std::mem::take(&mut job.items) {
            if !commands::passes(&job.queries, item.as_ref(), job.now) {
                continue;
            }
            count += 1;
            if job.count_only {
                continue;
            }
            let mut row = Row::start(&mut out, proplist.as_deref());
            item.write(&mut row, job.now);
            row.end(tag);
            if let Some(menu) = job.menu {
                self.state.count_row(menu);
            }
            if out.len() >= CHUNK {
                let full = std::mem::replace(&mut out, Out::with_capacity(CHUNK + CHUNK / 4));
                self.send(full).await?;
                // Let the writer put this chunk on the wire now rather than after the channel
                // fills up (tokio runs a task woken from here only when this one yields).
                tokio::task::yield_now().await;
            }
        }
        let Some((table, mut changes)) = job.follow.take() else {
            if job.count_only {
                out.reply(&Reply::done_ret(count.to_string()).with_tag(tag));
            } else {
                if count == 0 && job.empty_reply {
                    out.reply(&Reply::empty().with_tag(tag));
                }
                out.reply(&Reply::done().with_tag(tag));
            }
            return self.send(out).await;
        };
        self.send(out).await?;
        loop {
            let change = tokio::select! {
                change = changes.recv() => change,
                ack = cancelled(&mut self.cancel) => return Err(Stop::Cancelled(ack)),
            };
            let change = match change {
                Ok(change) if change.table == table => change,
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return Err(Stop::Closed),
            };
            let now = self.state.now();
            let item = self.state.db().item(table, change.id);
            let mut out = Out::default();
            match item {
                Some(item) => {
                    if !commands::passes(&job.queries, item.as_ref(), now) {
                        continue;
                    }
                    let mut row = Row::start(&mut out, proplist.as_deref());
                    item.write(&mut row, now);
                    row.end(tag);
                }
                None => {
                    let id = change.id.to_string();
                    let dead = Reply::re(
                        [(".id", id.as_str()), (".dead", "yes")]
                            .into_iter()
                            .collect(),
                    );
                    out.reply(&dead.with_tag(tag));
                }
            }
            self.state.count_row(table);
            self.send(out).await?;
        }
    }

    async fn monitor(&mut self, job: MonitorJob) -> Result<(), Stop> {
        let tag = self.tag.clone();
        let tag = tag.as_deref();
        let mut tick = u64::try_from(self.state.now()).unwrap_or(0);
        loop {
            let sample = commands::traffic_sample(&self.state, &job, tick);
            let mut out = Out::default();
            let mut row = Row::start(&mut out, None);
            crate::model::Item::write(&sample, &mut row, 0);
            row.end(tag);
            if job.once {
                out.reply(&Reply::done().with_tag(tag));
                return self.send(out).await;
            }
            self.send(out).await?;
            tick += 1;
            tokio::select! {
                () = tokio::time::sleep(job.interval) => {}
                ack = cancelled(&mut self.cancel) => return Err(Stop::Cancelled(ack)),
            }
        }
    }
}

/// Completes with the acknowledgement channel when `/cancel` targets this job; never
/// completes if the job cannot be cancelled (its sender was dropped).
async fn cancelled(cancel: &mut Option<oneshot::Receiver<Ack>>) -> Ack {
    if let Some(receiver) = cancel {
        match receiver.await {
            Ok(ack) => {
                *cancel = None;
                return ack;
            }
            Err(_) => *cancel = None,
        }
    }
    pending().await
}

/// The words of a request for the request log, `=password=` and `=response=` values hidden:
/// attributes, `=.proplist=`, query words, `.tag=`.
fn logged_words(req: &Request) -> Vec<String> {
    let mut words: Vec<String> = req
        .attributes
        .iter()
        .map(|(k, v)| match k {
            "password" | "response" => format!("={k}=***"),
            _ => format!("={k}={v}"),
        })
        .collect();
    if let Some(props) = req.proplist() {
        words.push(format!("=.proplist={}", props.join(",")));
    }
    words.extend(req.queries.iter().map(ToString::to_string));
    if let Some(tag) = req.tag() {
        words.push(format!(".tag={tag}"));
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_hide_passwords() {
        let sentence: Sentence = ["/login", "=name=admin", "=password=s3cret", ".tag=1"]
            .into_iter()
            .collect();
        let req = Request::parse(&sentence).unwrap();
        assert_eq!(
            logged_words(&req),
            ["=name=admin", "=password=***", ".tag=1"]
        );
    }
}
