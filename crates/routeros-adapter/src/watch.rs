//! The session watcher: follows a router's `/ppp/active` on a connection of its own and
//! reports [`SessionEvent`]s.
//!
//! ```text
//!  connect ─▶ listen (started first) ─▶ print ─▶ Snapshot ─▶ listen rows ─▶ Up / Down
//!     ▲                                              │ listen refused (!trap): print every
//!     │                                              │ poll_interval ─▶ Snapshot each time
//!     └── backoff (doubling) ◀── Lost (once) ◀───────┴ connection ended, error, probe failed
//! ```
//!
//! What RouterOS sends on `/ppp/active/listen` (the API documentation, and what clients
//! observe): a `!re` with the item when a session appears (or changes), and, when one ends,
//! a `!re` with only `=.id=` and `=.dead=yes` (`=.dead=true` as observed on RouterOS 7.23
//! and later), *without* the name. So the watcher keeps `.id -> name` and resolves a dead row through it.
//! A listen never ends by itself (no `!done` until `/cancel`) and is silent while nothing
//! changes, so silence is no sign of a dead connection: the client's TCP keepalive, and a
//! `/system/identity/print` every `poll_interval` on the same connection (which also catches
//! an API service that hangs while TCP stays up), are what notice a router gone away.
//!
//! The machinery is shared with the mirror (`mirror.rs`), which follows `/ppp/secret` and
//! `/ppp/active` the same way: [`supervise`] runs a [`Follower`] on connection after
//! connection (connect, follow, close; on a loss, `lost` once per streak and a doubling
//! backoff, reset by a connection that synced), [`or_gone`] ends any wait when the follower's
//! owner goes away, and [`Listens`] follows the listens of one connection together with the
//! liveness check and tells a refused listen (a `!trap` before any row) from a lost one.

use std::collections::HashMap;
use std::future::poll_fn;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use pppoe_core::SessionEvent;
use routeros_api::{
    Attributes, Client, ClientConfig, ClientError, Command, QueryWord, ReplyStream,
};
use tokio::sync::mpsc::Sender;
use tokio::time::{Instant, Interval, MissedTickBehavior};

use crate::RouterOs;

/// What the watcher (and the mirror) asks of `/ppp/active`: the item id and the secret's
/// name.
pub(crate) const PROPS: &[&str] = &[".id", "name"];

/// How a watcher follows `/ppp/active` (see [`RouterOs::watch_sessions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchSettings {
    /// While listening: how often the connection is checked with `/system/identity/print`
    /// (a listen is silent while nothing changes). When the router refuses `listen`: how
    /// often `/ppp/active` is printed, each print reported as a
    /// [`SessionEvent::Snapshot`]. Default 30 s.
    pub poll_interval: Duration,
    /// First wait before reconnecting after the router was lost (default 1 s; at least
    /// 1 ms); doubles after each failed attempt up to `backoff_max`, and starts again from
    /// here once a connection has reported its snapshot.
    pub backoff_initial: Duration,
    /// Longest wait between reconnection attempts (default 30 s).
    pub backoff_max: Duration,
}

impl Default for WatchSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(30),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

impl RouterOs {
    /// Follows this router's PPPoE sessions and sends what changes to `events`, until
    /// `events` is closed (its receiver dropped); then cancels the listen, closes its
    /// connection and returns.
    ///
    /// The watcher uses a connection of its own (never one of the command slots) and, after
    /// every connect, reports the names online ([`SessionEvent::Snapshot`]), then a name's
    /// first session starting ([`SessionEvent::Up`]) and its last one ending
    /// ([`SessionEvent::Down`]) as `/ppp/active/listen` reports them. A router that refuses
    /// `listen` (old or restricted RouterOS) is polled instead: a `Snapshot` every
    /// `poll_interval`, no `Up` or `Down` (the consumer diffs snapshots). When the connection
    /// ends, fails a check, or cannot be made (login refused included), it sends
    /// [`SessionEvent::Lost`] once, reconnects with exponential backoff, and reports a fresh
    /// `Snapshot` when it is back.
    ///
    /// The future owns what it needs (the name and the client settings, cloned), so it can
    /// be spawned: `tokio::spawn(router.watch_sessions(settings, tx))`.
    ///
    /// With a mirror ([`RouterOsConfig::mirror`](crate::RouterOsConfig::mirror)), which
    /// follows `/ppp/active` already, the events are the mirror's: no connection or `listen`
    /// of its own, and the mirror's `resync_every` is the polling interval; `settings` then
    /// go unused.
    pub fn watch_sessions(
        &self,
        settings: WatchSettings,
        events: Sender<SessionEvent>,
    ) -> impl Future<Output = ()> + Send + 'static {
        let name = self.shared.config.name.clone();
        let client = self.shared.config.client.clone();
        let mirrored = self.shared.mirror.as_ref().map(|mirror| {
            mirror.subscribe(events.clone());
            self.start_mirror();
        });
        async move {
            match mirrored {
                // Until the receiver is gone (the mirror drops the closed sender itself).
                Some(()) => events.closed().await,
                None => watch_sessions(name, client, settings, events).await,
            }
        }
    }
}

/// [`RouterOs::watch_sessions`] for a router known by its name and client settings, without
/// a [`RouterOs`].
pub async fn watch_sessions(
    router: String,
    client: ClientConfig,
    settings: WatchSettings,
    events: Sender<SessionEvent>,
) {
    let mut watcher = Watcher {
        router,
        client: client.clone(),
        settings,
        events,
        synced: false,
        warned_polling: false,
    };
    let backoff = Backoff {
        initial: settings.backoff_initial,
        max: settings.backoff_max,
    };
    supervise(&mut watcher, &client, backoff).await;
}

// ---- the machinery shared with the mirror ------------------------------------------------

/// The owner of a follower is gone (the watcher's receiver, the mirror's router): stop.
#[derive(Debug)]
pub(crate) struct Gone;

/// Why one connection of a follower ended.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The owner is gone: return.
    Gone,
    /// The router was lost (or could not be reached), for this reason.
    Lost(String),
}

impl From<Gone> for Stop {
    fn from(_: Gone) -> Self {
        Self::Gone
    }
}

/// `future`, unless `gone` completes first.
pub(crate) async fn or_gone<F: Future>(
    gone: impl Future<Output = ()>,
    future: F,
) -> Result<F::Output, Gone> {
    tokio::select! {
        biased;
        () = gone => Err(Gone),
        out = future => Ok(out),
    }
}

/// Something that follows a router on a connection of its own, run by [`supervise`].
pub(crate) trait Follower: Send {
    /// What it is, for the log.
    const WHAT: &'static str;

    /// The router's name, for the log.
    fn router(&self) -> &str;

    /// Completes when the follower's owner has gone away.
    fn gone(&self) -> impl Future<Output = ()> + Send + '_;

    /// One connection: sync, then follow it until it fails or the owner is gone.
    fn run(&mut self, client: &Client) -> impl Future<Output = Stop> + Send;

    /// Whether a connection synced since the last call (which clears it).
    fn take_synced(&mut self) -> bool;

    /// The router was lost (the first failure of a streak), for this reason.
    fn lost(&mut self, why: String) -> impl Future<Output = Result<(), Gone>> + Send;
}

/// How a follower reconnects.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    /// The first wait (at least 1 ms); doubles after each failed attempt.
    pub(crate) initial: Duration,
    /// The longest wait.
    pub(crate) max: Duration,
}

/// Runs `follower` on connection after connection until its owner is gone. After a
/// connection ends (or cannot be made: login refused included) it calls
/// [`Follower::lost`] once per streak of failures, waits (`backoff.initial`, doubling up to
/// `backoff.max`, and from `backoff.initial` again after a connection that synced), and
/// connects again.
pub(crate) async fn supervise<F: Follower>(
    follower: &mut F,
    client: &ClientConfig,
    backoff: Backoff,
) {
    let first = backoff.initial.max(Duration::from_millis(1));
    let mut delay = first;
    // `lost` was called and no connection has synced since.
    let mut lost_sent = false;
    loop {
        let why = match connection(follower, client).await {
            Stop::Gone => return,
            Stop::Lost(why) => why,
        };
        if follower.take_synced() {
            delay = first;
            lost_sent = false;
        }
        if lost_sent {
            tracing::debug!(router = %follower.router(), what = F::WHAT, why = %why, retry_in = ?delay, "the router is still unreachable");
        } else {
            tracing::warn!(router = %follower.router(), what = F::WHAT, why = %why, retry_in = ?delay, "lost the router; reconnecting");
            if follower.lost(why).await.is_err() {
                return;
            }
            lost_sent = true;
        }
        if or_gone(follower.gone(), tokio::time::sleep(delay))
            .await
            .is_err()
        {
            return;
        }
        delay = delay.saturating_mul(2).min(backoff.max.max(first));
    }
}

/// One connection of a follower: connect, run, then close it (which also ends its listens on
/// the router, after the `/cancel` that dropping their streams sends).
async fn connection<F: Follower>(follower: &mut F, config: &ClientConfig) -> Stop {
    let client = match or_gone(follower.gone(), Client::connect(config)).await {
        Err(Gone) => return Stop::Gone,
        Ok(Err(e)) => return Stop::Lost(e.to_string()),
        Ok(Ok(client)) => client,
    };
    let stop = follower.run(&client).await;
    // Bounded: closing waits for the socket to be shut down.
    let _ = tokio::time::timeout(config.get_command_timeout(), client.close()).await;
    stop
}

/// The name of session `id`, for a listen row that came without it (RouterOS did not send
/// it); `None` if the session is gone already (its `.dead` row follows).
pub(crate) async fn session_name(client: &Client, id: &str) -> Result<Option<String>, String> {
    let command = Command::new("/ppp/active/print")
        .query(QueryWord::eq(".id", id))
        .proplist(PROPS);
    match client.call(command).await {
        Ok(response) => Ok(response
            .rows
            .first()
            .and_then(|r| r.get("name"))
            .map(str::to_owned)),
        Err(e) => Err(format!("/ppp/active/print: {e}")),
    }
}

/// The connection still answers: `/system/identity/print` within `limit`.
pub(crate) async fn probe(client: &Client, limit: Duration) -> Result<(), String> {
    let command = Command::new("/system/identity/print").proplist(&["name"]);
    match client.call_with_timeout(command, Some(limit)).await {
        Ok(_) => Ok(()),
        Err(e) => Err(format!("health check (/system/identity/print): {e}")),
    }
}

/// What [`Listens::next`] heard.
#[derive(Debug)]
pub(crate) enum Heard {
    /// A row of the listen at this index (in the order given to [`Listens::new`]).
    Row(usize, Attributes),
    /// The liveness check answered; it was sent at this moment.
    Alive(Instant),
    /// A listen was refused: a `!trap` before any row (the router lacks `listen`, or the
    /// user may not use it), with its message.
    Refused(String),
}

/// A listen and what came of it.
#[derive(Debug)]
struct Listen {
    /// Its command, for messages (`/ppp/active/listen`).
    command: &'static str,
    stream: ReplyStream,
    /// A row arrived: the router runs the listen (a trap after that is no refusal).
    heard: bool,
}

/// The listens running on one connection, followed together with a liveness check every
/// `every` (a listen is silent while nothing changes, so silence is no sign of life).
#[derive(Debug)]
pub(crate) struct Listens {
    listens: Vec<Listen>,
    probe: Interval,
    /// How long the check may take.
    limit: Duration,
    /// The listen polled first next time, so that a busy one cannot starve another.
    first: usize,
}

impl Listens {
    /// Follows `listens` (each with its command, for messages); the first check after
    /// `every` (at least 1 ms), bounded by `limit`.
    pub(crate) fn new(
        listens: Vec<(&'static str, ReplyStream)>,
        every: Duration,
        limit: Duration,
    ) -> Self {
        let every = every.max(Duration::from_millis(1));
        let mut probe = tokio::time::interval_at(Instant::now() + every, every);
        probe.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Self {
            listens: listens
                .into_iter()
                .map(|(command, stream)| Listen {
                    command,
                    stream,
                    heard: false,
                })
                .collect(),
            probe,
            limit,
            first: 0,
        }
    }

    /// The next row, check or refusal; `Err(why)` once the connection has failed (a listen
    /// failed or ended, or the check did).
    pub(crate) async fn next(&mut self, client: &Client) -> Result<Heard, String> {
        let next = poll_fn(|cx| {
            let n = self.listens.len();
            for k in 0..n {
                let i = (self.first + k) % n;
                let row = pin!(self.listens[i].stream.next_row());
                if let Poll::Ready(row) = row.poll(cx) {
                    self.first = (i + 1) % n;
                    return Poll::Ready(Some((i, row)));
                }
            }
            match self.probe.poll_tick(cx) {
                Poll::Ready(_) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        let Some((i, row)) = next else {
            let sent = Instant::now();
            probe(client, self.limit).await?;
            return Ok(Heard::Alive(sent));
        };
        let listen = &mut self.listens[i];
        match row {
            Some(Ok(row)) => {
                listen.heard = true;
                Ok(Heard::Row(i, row))
            }
            Some(Err(ClientError::Trap { message, .. })) if !listen.heard => {
                Ok(Heard::Refused(message))
            }
            Some(Err(e)) => Err(format!("{}: {e}", listen.command)),
            None => Err(format!("the router ended {}", listen.command)),
        }
    }
}

// ---- the session watcher -----------------------------------------------------------------

struct Watcher {
    router: String,
    client: ClientConfig,
    settings: WatchSettings,
    events: Sender<SessionEvent>,
    /// A connection has reported its snapshot (since the last `take_synced`).
    synced: bool,
    /// The "polling" warning was logged (once per watcher).
    warned_polling: bool,
}

impl Follower for Watcher {
    const WHAT: &'static str = "session watcher";

    fn router(&self) -> &str {
        &self.router
    }

    fn gone(&self) -> impl Future<Output = ()> + Send + '_ {
        self.events.closed()
    }

    fn run(&mut self, client: &Client) -> impl Future<Output = Stop> + Send {
        self.watch(client)
    }

    fn take_synced(&mut self) -> bool {
        std::mem::take(&mut self.synced)
    }

    async fn lost(&mut self, why: String) -> Result<(), Gone> {
        let lost = SessionEvent::Lost {
            router: self.router.clone(),
            why,
        };
        self.send(lost).await
    }
}

impl Watcher {
    /// `future`, unless the receiver goes away first.
    async fn or_gone<F: Future>(&self, future: F) -> Result<F::Output, Gone> {
        or_gone(self.events.closed(), future).await
    }

    async fn send(&self, event: SessionEvent) -> Result<(), Gone> {
        self.events.send(event).await.map_err(|_| Gone)
    }

    fn snapshot(&self, sessions: &Sessions) -> SessionEvent {
        SessionEvent::Snapshot {
            router: self.router.clone(),
            online: sessions.online(),
        }
    }

    /// Sync, then follow the listen (or poll).
    ///
    /// The listen is started *before* the print, on the same connection: the router handles
    /// a connection's sentences in order, so the listen is registered before the print reads
    /// the table, every change after the print's state is also in the listen, and none can
    /// fall between them. Changes the listen reports that the print already shows
    /// are applied idempotently after the snapshot: a known `.id` with the same name is
    /// nothing, a `.dead` row for an `.id` that is not known is nothing. The only trace of a
    /// change before the print is a session that came and went between the two commands:
    /// it is reported as `Up` then `Down` after the snapshot (which is what happened).
    /// (Printing first and listening after would lose a change between them; printing again
    /// after the listen starts would cost a second print for nothing.)
    async fn watch(&mut self, client: &Client) -> Stop {
        let listen = match client.stream(Command::new("/ppp/active/listen").proplist(PROPS)) {
            Ok(listen) => listen,
            Err(e) => return Stop::Lost(e.to_string()),
        };
        let sessions = match self.print(client).await {
            Ok(sessions) => sessions,
            Err(stop) => return stop,
        };
        if let Err(gone) = self.send(self.snapshot(&sessions)).await {
            return gone.into();
        }
        self.synced = true;
        self.follow(client, listen, sessions).await
    }

    /// `/ppp/active/print`: every session's id and name.
    async fn print(&self, client: &Client) -> Result<Sessions, Stop> {
        let command = Command::new("/ppp/active/print").proplist(PROPS);
        match self.or_gone(client.call(command)).await? {
            Ok(response) => Ok(Sessions::from_rows(&response.rows)),
            Err(e) => Err(Stop::Lost(format!("/ppp/active/print: {e}"))),
        }
    }

    /// The listen's rows, until the connection fails; a check every `poll_interval`.
    async fn follow(
        &mut self,
        client: &Client,
        listen: ReplyStream,
        mut sessions: Sessions,
    ) -> Stop {
        let mut listens = Listens::new(
            vec![("/ppp/active/listen", listen)],
            self.settings.poll_interval,
            self.client.get_command_timeout(),
        );
        loop {
            let heard = match or_gone(self.events.closed(), listens.next(client)).await {
                Err(Gone) => return Stop::Gone,
                Ok(Err(why)) => return Stop::Lost(why),
                Ok(Ok(heard)) => heard,
            };
            match heard {
                Heard::Row(_, row) => {
                    if let Err(stop) = self.apply(client, &mut sessions, &row).await {
                        return stop;
                    }
                }
                Heard::Alive(_) => {}
                Heard::Refused(message) => {
                    drop(listens);
                    return self.poll(client, &message).await;
                }
            }
        }
    }

    /// One listen row: the changes it makes, reported.
    async fn apply(
        &self,
        client: &Client,
        sessions: &mut Sessions,
        row: &Attributes,
    ) -> Result<(), Stop> {
        let changes = match sessions.apply(row) {
            Applied::Changes(changes) => changes,
            Applied::NeedsName(id) => {
                // Gone already, then a `.dead` row for it follows, which is nothing.
                match self.or_gone(session_name(client, &id)).await? {
                    Ok(Some(name)) => sessions.insert(&id, &name),
                    Ok(None) => Vec::new(),
                    Err(why) => return Err(Stop::Lost(why)),
                }
            }
        };
        for change in changes {
            let event = match change {
                Change::Up(user) => SessionEvent::Up {
                    router: self.router.clone(),
                    user,
                },
                Change::Down(user) => SessionEvent::Down {
                    router: self.router.clone(),
                    user,
                },
            };
            self.send(event).await?;
        }
        Ok(())
    }

    /// The router refused `listen`: a print, and a snapshot, every `poll_interval`, on this
    /// connection until it fails.
    async fn poll(&mut self, client: &Client, refusal: &str) -> Stop {
        if self.warned_polling {
            tracing::debug!(router = %self.router, refusal, "the router refused /ppp/active/listen again; polling");
        } else {
            self.warned_polling = true;
            tracing::warn!(router = %self.router, refusal, every = ?self.settings.poll_interval, "the router refused /ppp/active/listen; polling /ppp/active instead (no up/down events, only snapshots)");
        }
        let every = self.settings.poll_interval.max(Duration::from_millis(1));
        loop {
            if self.or_gone(tokio::time::sleep(every)).await.is_err() {
                return Stop::Gone;
            }
            let sessions = match self.print(client).await {
                Ok(sessions) => sessions,
                Err(stop) => return stop,
            };
            if let Err(gone) = self.send(self.snapshot(&sessions)).await {
                return gone.into();
            }
        }
    }
}

/// A name's first session started, or its last one ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Change {
    Up(String),
    Down(String),
}

/// What a listen row did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Applied {
    Changes(Vec<Change>),
    /// A new `.id` whose row has no name.
    NeedsName(String),
}

/// The sessions known: `.id -> name`, and how many sessions each name has. The watcher's,
/// and the mirror's `/ppp/active`.
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    names: HashMap<String, String>,
    counts: HashMap<String, usize>,
}

impl Sessions {
    /// From a print's rows (rows without an id or a name are skipped).
    pub(crate) fn from_rows(rows: &[Attributes]) -> Self {
        let mut sessions = Self::default();
        for row in rows {
            if let (Some(id), Some(name)) = (row.get(".id"), row.get("name")) {
                sessions.insert(id, name);
            }
        }
        sessions
    }

    /// Whether `name` has a session.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.counts.contains_key(name)
    }

    /// How many sessions there are.
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }

    /// The heap bytes of the two maps and their strings (see `mirror::map_bytes`).
    pub(crate) fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let maps = crate::mirror::map_bytes(self.names.capacity(), size_of::<(String, String)>())
            + crate::mirror::map_bytes(self.counts.capacity(), size_of::<(String, usize)>());
        let names: usize = self
            .names
            .iter()
            .map(|(id, name)| id.capacity() + name.capacity())
            .sum();
        let counted: usize = self.counts.keys().map(String::capacity).sum();
        maps + names + counted
    }

    /// The names online, each once, sorted.
    pub(crate) fn online(&self) -> Vec<String> {
        let mut names: Vec<String> = self.counts.keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// Records session `id` of `name`: `Up` if it is the name's first. An id known under
    /// another name (not seen on `/ppp/active`, but handled) moves: `Down` for the old name
    /// if that was its last session.
    pub(crate) fn insert(&mut self, id: &str, name: &str) -> Vec<Change> {
        let mut changes = Vec::new();
        match self.names.get(id) {
            Some(old) if old == name => return changes,
            Some(_) => changes.extend(self.remove(id)),
            None => {}
        }
        self.names.insert(id.to_owned(), name.to_owned());
        let count = self.counts.entry(name.to_owned()).or_insert(0);
        *count += 1;
        if *count == 1 {
            changes.push(Change::Up(name.to_owned()));
        }
        changes
    }

    /// Forgets session `id`: `Down` if its name has no other session.
    pub(crate) fn remove(&mut self, id: &str) -> Option<Change> {
        let name = self.names.remove(id)?;
        let count = self.counts.get_mut(&name)?;
        *count -= 1;
        if *count > 0 {
            return None;
        }
        self.counts.remove(&name);
        Some(Change::Down(name))
    }

    /// A listen row. `.dead` (`yes` or `true`) removes the id, whatever else the row holds
    /// (RouterOS sends only `.id`); another row with a new id adds it, one with a known id
    /// and the same name (or no name) is nothing.
    pub(crate) fn apply(&mut self, row: &Attributes) -> Applied {
        let Some(id) = row.get(".id") else {
            return Applied::Changes(Vec::new());
        };
        let dead = row
            .get(".dead")
            .and_then(routeros_api::value::parse_bool)
            .unwrap_or(false);
        if dead {
            return Applied::Changes(self.remove(id).into_iter().collect());
        }
        match row.get("name") {
            Some(name) => Applied::Changes(self.insert(id, name)),
            None if self.names.contains_key(id) => Applied::Changes(Vec::new()),
            None => Applied::NeedsName(id.to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Attributes {
        pairs.iter().copied().collect()
    }

    fn changes(list: &[Change]) -> Applied {
        Applied::Changes(list.to_vec())
    }

    fn up(name: &str) -> Change {
        Change::Up(name.to_owned())
    }

    fn down(name: &str) -> Change {
        Change::Down(name.to_owned())
    }

    #[test]
    fn a_print_is_deduplicated_by_name() {
        let sessions = Sessions::from_rows(&[
            row(&[(".id", "*1"), ("name", "john")]),
            row(&[(".id", "*2"), ("name", "ann")]),
            row(&[(".id", "*3"), ("name", "john")]),
            row(&[(".id", "*4")]),
        ]);
        assert_eq!(sessions.online(), ["ann", "john"]);
    }

    #[test]
    fn up_on_the_first_session_down_on_the_last() {
        let mut s = Sessions::default();
        assert_eq!(
            s.apply(&row(&[(".id", "*1"), ("name", "john")])),
            changes(&[up("john")])
        );
        // A second session of the same name: no second Up.
        assert_eq!(
            s.apply(&row(&[(".id", "*2"), ("name", "john")])),
            changes(&[])
        );
        // The same session again (a changed property): nothing.
        assert_eq!(
            s.apply(&row(&[(".id", "*2"), ("name", "john")])),
            changes(&[])
        );
        assert_eq!(s.apply(&row(&[(".id", "*2")])), changes(&[]));
        // One of two ends (RouterOS sends only the id): no Down.
        assert_eq!(
            s.apply(&row(&[(".id", "*1"), (".dead", "true")])),
            changes(&[])
        );
        assert_eq!(s.online(), ["john"]);
        // The last one ends, as the documentation spells it.
        assert_eq!(
            s.apply(&row(&[(".id", "*2"), (".dead", "yes")])),
            changes(&[down("john")])
        );
        assert!(s.online().is_empty());
        // A dead row for an id never seen (ended before the print): nothing.
        assert_eq!(
            s.apply(&row(&[(".id", "*9"), (".dead", "true")])),
            changes(&[])
        );
        // A dead row that does carry the name is resolved by id all the same.
        s.apply(&row(&[(".id", "*3"), ("name", "ann")]));
        assert_eq!(
            s.apply(&row(&[(".id", "*3"), ("name", "ann"), (".dead", "true")])),
            changes(&[down("ann")])
        );
        assert_eq!(s.apply(&row(&[("name", "x")])), changes(&[]));
    }

    #[test]
    fn a_new_id_without_a_name_is_asked_for() {
        let mut s = Sessions::default();
        assert_eq!(
            s.apply(&row(&[(".id", "*7")])),
            Applied::NeedsName("*7".to_owned())
        );
        assert_eq!(s.insert("*7", "john"), [up("john")]);
    }

    #[test]
    fn an_id_that_changes_name_moves() {
        let mut s = Sessions::default();
        s.apply(&row(&[(".id", "*1"), ("name", "john")]));
        s.apply(&row(&[(".id", "*2"), ("name", "ann")]));
        assert_eq!(
            s.apply(&row(&[(".id", "*1"), ("name", "ann")])),
            changes(&[down("john")])
        );
        assert_eq!(s.online(), ["ann"]);
        assert_eq!(
            s.apply(&row(&[(".id", "*2"), (".dead", "true")])),
            changes(&[])
        );
        assert_eq!(
            s.apply(&row(&[(".id", "*1"), (".dead", "true")])),
            changes(&[down("ann")])
        );
    }
}
