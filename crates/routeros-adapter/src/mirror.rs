//! The mirror: a copy of the router's `/ppp/secret` (the properties a listing shows,
//! [`LIST_PROPS`]) and `/ppp/active` (`.id` and `name`), kept current on a connection of its
//! own, from which listings, filters and `offline` are served without asking the router.
//!
//! ```text
//!  connect ─▶ listen /ppp/secret, listen /ppp/active (started first) ─▶ print both ─▶ install
//!     ▲          │ listen rows, by .id: add or replace; .dead removes     (loaded; synced_at =
//!     │          │ a check every resync_every: synced_at = when it was sent      the print's start)
//!     │          │ a listen refused (!trap before any row): print both every resync_every
//!     └─ backoff ◀┴ the connection ended or failed: keep serving; stale once synced_at is
//!                   older than stale_after
//! ```
//!
//! The listens are started before the prints on the same connection, as the session watcher
//! does (see `watch.rs`, whose machinery this shares: the reconnection loop, the liveness
//! check, a refused listen told from a lost one): the router handles a connection's sentences
//! in order, so every change after the prints' snapshot is also in a listen, and the rows the
//! listens queued during the load are applied after it (a row carries the whole item, so
//! applying one the print already showed changes nothing). Every connection starts with a
//! full load into fresh tables, swapped in when complete: until then listings are served
//! from the tables before it.
//!
//! Writes never go through the mirror. After a write of this adapter that the router
//! acknowledged (`add`, `set`, `remove`, a kick), the mirror is changed at once, from what
//! was written, so that the listing right after it shows it; the listen brings the same
//! change a moment later. A write made while a load runs is applied to the load's result too
//! (the print may have been taken before it).
//!
//! Memory: one 48-byte [`Entry`] per secret in a vector in `.id` order (the router's order)
//! and one allocation holding its name and comment; profile names and disconnect reasons,
//! which repeat, are interned and held once.

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use pppoe_core::{
    ListFilter, ListedSecret, NewSecret, PageRequest, Secret, SecretChange, SecretPage, SecretRef,
    SessionEvent,
};
use routeros_api::value::{self, ItemId};
use routeros_api::{Attributes, Client, ClientConfig, Command, QueryWord};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::RouterOs;
use crate::mapping::{self, LIST_PROPS};
use crate::watch::{
    self as follow, Applied, Backoff, Change, Follower, Gone, Heard, Listens, Sessions, Stop,
    or_gone, session_name, supervise,
};

/// How a [`RouterOs`] mirrors its router ([`RouterOsConfig::mirror`](crate::RouterOsConfig::mirror)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MirrorSettings {
    /// A listing served from a mirror last known to match the router longer ago than this
    /// says since when ([`SecretPage::stale_as_of`]): the router is unreachable, or its
    /// changes stopped arriving. Default 90 s; keep it above `resync_every`, which renews
    /// that moment while all is well.
    pub stale_after: Duration,
    /// While listening: how often the mirror's connection is checked
    /// (`/system/identity/print`; a listen is silent while nothing changes), each answer
    /// renewing the moment the mirror is known to match. When the router refuses `listen`:
    /// how often both tables are read again (a full print of `/ppp/secret` each time).
    /// Default 30 s.
    pub resync_every: Duration,
    /// First wait before reconnecting after the mirror's connection was lost or could not
    /// be made (default 1 s; at least 1 ms); doubles up to `backoff_max`, and starts from
    /// here again once a connection has loaded.
    pub backoff_initial: Duration,
    /// Longest wait between reconnection attempts (default 30 s).
    pub backoff_max: Duration,
}

impl Default for MirrorSettings {
    fn default() -> Self {
        Self {
            stale_after: Duration::from_secs(90),
            resync_every: Duration::from_secs(30),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
        }
    }
}

/// What a mirror is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MirrorMode {
    /// Not started yet, or making its first connection and load.
    Starting,
    /// Following `listen` on `/ppp/secret` and `/ppp/active`.
    Listening,
    /// The router refused `listen`: both tables are read again every
    /// [`MirrorSettings::resync_every`].
    Polling,
    /// The connection was lost (or could not be made): serving what it has, reconnecting
    /// with backoff; the next connection loads everything again.
    Reconnecting,
}

/// What a mirror knows about itself ([`RouterOs::mirror_status`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorStatus {
    /// What it is doing.
    pub mode: MirrorMode,
    /// A load has completed: listings are served from the mirror from then on (before it,
    /// from the router).
    pub loaded: bool,
    /// The last moment the mirror was known to match the router: the start of its last
    /// load, or the sending of the last liveness check that was answered while listening.
    pub synced_at: Option<DateTime<Utc>>,
    /// Secrets held.
    pub secrets: usize,
    /// Active sessions held.
    pub sessions: usize,
    /// Full loads completed: the first, one after every reconnection, and one per re-sync
    /// when the router refuses `listen`.
    pub loads: u64,
    /// Changes applied besides loads: listen rows, and the adapter's own acknowledged
    /// writes.
    pub updates: u64,
}

impl RouterOs {
    /// Starts the mirror of this router's `/ppp/secret` and `/ppp/active` (see the crate's
    /// documentation), if [`RouterOsConfig::mirror`](crate::RouterOsConfig::mirror) is set
    /// and it has not started yet; returns whether this router has a mirror. The first
    /// listing starts it otherwise, and is then served by the router, as every listing is
    /// until the mirror's first load completes: call this at start-up so that the first
    /// listings are served from the mirror already.
    ///
    /// The mirror runs on a task of its own, with a connection of its own (never one of the
    /// command slots), until this `RouterOs` is dropped.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn start_mirror(&self) -> bool {
        match &self.shared.mirror {
            Some(mirror) => {
                mirror.start(&self.shared.config.name, &self.shared.config.client);
                true
            }
            None => false,
        }
    }

    /// The mirror's status, updated as it changes (`None` without a mirror): for a
    /// health report, or to wait until it has loaded
    /// (`rx.wait_for(|s| s.loaded)`).
    pub fn mirror_status(&self) -> Option<watch::Receiver<MirrorStatus>> {
        self.shared
            .mirror
            .as_ref()
            .map(|mirror| mirror.cell.status.subscribe())
    }

    /// The heap bytes the mirror's tables hold now (`None` without a mirror; 0 before its
    /// first load), computed from their capacities: the vector of secrets, their texts, the
    /// interned strings, and the hash maps' tables (laid out as the standard library's
    /// hashbrown lays them out, to within alignment). The allocator's own overhead per block
    /// is not included.
    pub fn mirror_heap_bytes(&self) -> Option<usize> {
        self.shared.mirror.as_ref().map(|mirror| {
            mirror
                .cell
                .read()
                .tables
                .as_ref()
                .map_or(0, Tables::heap_bytes)
        })
    }
}

/// A router's mirror, held by its `RouterOs`.
#[derive(Debug)]
pub(crate) struct Mirror {
    settings: MirrorSettings,
    cell: Arc<Cell>,
    /// Kept while the router lives: its sender's `closed()` tells the task that the router
    /// is gone. `None` until started.
    started: Mutex<Option<mpsc::Receiver<()>>>,
}

impl Mirror {
    pub(crate) fn new(settings: MirrorSettings, router: &str) -> Self {
        Self {
            settings,
            cell: Arc::new(Cell {
                router: router.to_owned(),
                subscribers: Mutex::default(),
                state: RwLock::default(),
                status: watch::Sender::new(MirrorStatus {
                    mode: MirrorMode::Starting,
                    loaded: false,
                    synced_at: None,
                    secrets: 0,
                    sessions: 0,
                    loads: 0,
                    updates: 0,
                }),
            }),
            started: Mutex::new(None),
        }
    }

    /// Starts the task, once.
    pub(crate) fn start(&self, router: &str, client: &ClientConfig) {
        let mut started = self.started.lock().unwrap_or_else(PoisonError::into_inner);
        if started.is_some() {
            return;
        }
        let (alive, keep) = mpsc::channel(1);
        *started = Some(keep);
        let mut task = Task {
            router: router.to_owned(),
            client: client.clone(),
            settings: self.settings,
            cell: Arc::clone(&self.cell),
            alive,
            synced: false,
            warned_polling: false,
        };
        let backoff = Backoff {
            initial: self.settings.backoff_initial,
            max: self.settings.backoff_max,
        };
        let client = client.clone();
        tracing::debug!(router, "starting the mirror of /ppp/secret and /ppp/active");
        tokio::spawn(async move { supervise(&mut task, &client, backoff).await });
    }

    /// A page of a listing, if the mirror has loaded.
    pub(crate) fn page(
        &self,
        router: &str,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Option<SecretPage> {
        let state = self.cell.read();
        let tables = state.tables.as_ref()?;
        let (items, total) = tables.page(router, filter, page);
        let stale_as_of = state
            .synced
            .filter(|(at, _)| at.elapsed() > self.settings.stale_after)
            .map(|(_, utc)| utc);
        Some(SecretPage {
            items,
            total,
            stale_as_of,
        })
    }

    /// The router acknowledged `new`, created as `id`.
    pub(crate) fn added(&self, id: &str, new: &NewSecret) {
        let Some(id) = ItemId::parse(id) else {
            return;
        };
        self.cell.write(Write::Added(Fresh {
            id: id.0,
            name: new.name.as_str().to_owned(),
            profile: new.profile.clone(),
            remote: new.remote_address,
            comment: new
                .comment
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .filter(|c| !c.is_empty()),
        }));
    }

    /// The router acknowledged `change` of secret `id`.
    pub(crate) fn updated(&self, id: &str, change: &SecretChange) {
        let Some(id) = ItemId::parse(id) else {
            return;
        };
        let field = match change {
            // Not mirrored.
            SecretChange::Password(_) => return,
            SecretChange::Profile(p) => Field::Profile(p.clone()),
            SecretChange::RemoteAddress(ip) => Field::Remote(*ip),
            SecretChange::Disabled(d) => Field::Disabled(*d),
            SecretChange::Comment(c) => Field::Comment(
                c.as_ref()
                    .map(|c| c.as_str().to_owned())
                    .filter(|c| !c.is_empty()),
            ),
        };
        self.cell.write(Write::Updated(id.0, field));
    }

    /// The router acknowledged the removal of secret `id`.
    pub(crate) fn removed(&self, id: &str) {
        if let Some(id) = ItemId::parse(id) {
            self.cell.write(Write::Removed(id.0));
        }
    }

    /// Session `id` is gone: kicked, or not found when kicked.
    pub(crate) fn session_ended(&self, id: &str) {
        self.cell.write(Write::SessionEnded(id.to_owned()));
    }

    /// `events` gets the session changes from now on: a `Snapshot` at once if the mirror has
    /// loaded (else with its load), then `Up`/`Down` as the listen (or the adapter's own
    /// kicks) change the table, a `Snapshot` after every load, `Lost` once per outage.
    pub(crate) fn subscribe(&self, events: mpsc::Sender<SessionEvent>) {
        let state = self.cell.read();
        let mut subscribers = lock(&self.cell.subscribers);
        if let Some(tables) = &state.tables {
            let _ = events.try_send(SessionEvent::Snapshot {
                router: self.cell.router.clone(),
                online: tables.sessions.online(),
            });
        }
        subscribers.push(events);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// What the router and the mirror's task share.
#[derive(Debug)]
struct Cell {
    state: RwLock<State>,
    status: watch::Sender<MirrorStatus>,
    /// The router's name, for the session events.
    router: String,
    /// Who follows the sessions ([`RouterOs::watch_sessions`]): told every change of the
    /// session table while the state's lock is held, so that a subscriber's first snapshot
    /// and the changes after it come in order.
    subscribers: Mutex<Vec<mpsc::Sender<SessionEvent>>>,
}

#[derive(Debug, Default)]
struct State {
    /// `None` until the first load completes.
    tables: Option<Tables>,
    /// When the mirror was last known to match the router, on both clocks.
    synced: Option<(Instant, DateTime<Utc>)>,
    /// While a load runs: the adapter's writes meanwhile, to apply to its result too.
    journal: Option<Vec<Write>>,
}

impl Cell {
    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Tells the subscribers `events` (call it with the state's lock held). A subscriber
    /// whose receiver is gone is dropped; one whose queue is full misses the event, and the
    /// next load's snapshot puts it right.
    fn tell(&self, events: impl IntoIterator<Item = SessionEvent>) {
        let mut subscribers = lock(&self.subscribers);
        if subscribers.is_empty() {
            return;
        }
        for event in events {
            subscribers.retain(|tx| match tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    tracing::warn!(router = %self.router, "a session subscriber is behind; it missed a change until the next load");
                    true
                }
            });
        }
    }

    fn tell_changes(&self, changes: Vec<Change>) {
        self.tell(changes.into_iter().map(|change| match change {
            Change::Up(user) => SessionEvent::Up {
                router: self.router.clone(),
                user,
            },
            Change::Down(user) => SessionEvent::Down {
                router: self.router.clone(),
                user,
            },
        }));
    }

    /// The session table changed by `f` (a listen row, a name looked up), told to the
    /// subscribers under the same lock.
    fn update_sessions<R>(&self, f: impl FnOnce(&mut Sessions) -> (R, Vec<Change>)) -> Option<R> {
        let (result, counts) = {
            let mut state = self.lock();
            let tables = state.tables.as_mut()?;
            let (result, changes) = f(&mut tables.sessions);
            self.tell_changes(changes);
            (result, tables.counts())
        };
        self.status.send_modify(|s| {
            (s.secrets, s.sessions) = counts;
            s.updates += 1;
        });
        Some(result)
    }

    /// Applies `f` to the tables, if loaded, and counts it as an update.
    fn update<R>(&self, f: impl FnOnce(&mut Tables) -> R) -> Option<R> {
        let (result, counts) = {
            let mut state = self.lock();
            let tables = state.tables.as_mut()?;
            let result = f(tables);
            (result, tables.counts())
        };
        self.status.send_modify(|s| {
            (s.secrets, s.sessions) = counts;
            s.updates += 1;
        });
        Some(result)
    }

    /// One of the adapter's own acknowledged writes.
    fn write(&self, write: Write) {
        let counts = {
            let mut state = self.lock();
            if let Some(journal) = state.journal.as_mut() {
                journal.push(write.clone());
            }
            let Some(tables) = state.tables.as_mut() else {
                return;
            };
            let changes = tables.apply(write);
            self.tell_changes(changes);
            tables.counts()
        };
        self.status.send_modify(|s| {
            (s.secrets, s.sessions) = counts;
            s.updates += 1;
        });
    }

    /// A load begins: writes from now on are kept for its result.
    fn loading(&self) {
        self.lock().journal = Some(Vec::new());
    }

    /// A load completed: its tables (with the writes made meanwhile) replace the old ones.
    fn install(&self, mut tables: Tables, since: (Instant, DateTime<Utc>), mode: MirrorMode) {
        let counts = {
            let mut state = self.lock();
            for write in state.journal.take().unwrap_or_default() {
                // The snapshot below tells what these changed.
                let _ = tables.apply(write);
            }
            let counts = tables.counts();
            self.tell([SessionEvent::Snapshot {
                router: self.router.clone(),
                online: tables.sessions.online(),
            }]);
            state.tables = Some(tables);
            state.synced = Some(since);
            counts
        };
        self.status.send_modify(|s| {
            s.mode = mode;
            s.loaded = true;
            s.synced_at = Some(since.1);
            (s.secrets, s.sessions) = counts;
            s.loads += 1;
        });
    }

    /// The liveness check sent at `at` was answered: the mirror matched the router then.
    fn alive(&self, at: Instant) {
        let utc = Utc::now() - chrono::Duration::from_std(at.elapsed()).unwrap_or_default();
        self.lock().synced = Some((at, utc));
        self.status.send_modify(|s| s.synced_at = Some(utc));
    }

    fn set_mode(&self, mode: MirrorMode) {
        self.status.send_if_modified(|s| {
            let changed = s.mode != mode;
            s.mode = mode;
            changed
        });
    }

    /// The connection was lost (once per outage).
    fn lost(&self, why: String) {
        let mut state = self.lock();
        state.journal = None;
        self.tell([SessionEvent::Lost {
            router: self.router.clone(),
            why,
        }]);
        drop(state);
        self.set_mode(MirrorMode::Reconnecting);
    }
}

/// The mirror's task: a [`Follower`] run by [`supervise`].
struct Task {
    router: String,
    client: ClientConfig,
    settings: MirrorSettings,
    cell: Arc<Cell>,
    /// Closed when the router is dropped.
    alive: mpsc::Sender<()>,
    /// A connection has loaded (since the last `take_synced`).
    synced: bool,
    /// The "polling" warning was logged (once per mirror).
    warned_polling: bool,
}

/// The index of `/ppp/secret/listen` among the listens (`/ppp/active/listen` is the other).
const SECRETS: usize = 0;

impl Follower for Task {
    const WHAT: &'static str = "mirror";

    fn router(&self) -> &str {
        &self.router
    }

    fn gone(&self) -> impl Future<Output = ()> + Send + '_ {
        self.alive.closed()
    }

    fn run(&mut self, client: &Client) -> impl Future<Output = Stop> + Send {
        self.mirror(client)
    }

    fn take_synced(&mut self) -> bool {
        std::mem::take(&mut self.synced)
    }

    async fn lost(&mut self, why: String) -> Result<(), Gone> {
        self.cell.lost(why);
        Ok(())
    }
}

impl Task {
    /// Listen, load, then apply the listens' rows until the connection fails (or poll, if
    /// the router refuses `listen`).
    async fn mirror(&mut self, client: &Client) -> Stop {
        let listen = |path: &str, props: &[&str]| {
            client
                .stream(Command::new(path).proplist(props))
                .map_err(|e| Stop::Lost(format!("{path}: {e}")))
        };
        let listens = match (
            listen("/ppp/secret/listen", LIST_PROPS),
            listen("/ppp/active/listen", follow::PROPS),
        ) {
            (Ok(secrets), Ok(active)) => vec![
                ("/ppp/secret/listen", secrets),
                ("/ppp/active/listen", active),
            ],
            (Err(stop), _) | (_, Err(stop)) => return stop,
        };
        if let Err(stop) = self.load(client, MirrorMode::Listening).await {
            return stop;
        }
        self.synced = true;
        let mut listens = Listens::new(
            listens,
            self.settings.resync_every,
            self.client.get_command_timeout(),
        );
        loop {
            let heard = match or_gone(self.alive.closed(), listens.next(client)).await {
                Err(Gone) => return Stop::Gone,
                Ok(Err(why)) => return Stop::Lost(why),
                Ok(Ok(heard)) => heard,
            };
            let applied = match heard {
                Heard::Row(SECRETS, row) => self.secret_row(client, &row).await,
                Heard::Row(_, row) => self.session_row(client, &row).await,
                Heard::Alive(at) => {
                    self.cell.alive(at);
                    Ok(())
                }
                Heard::Refused(refusal) => {
                    drop(listens);
                    return self.poll(client, &refusal).await;
                }
            };
            if let Err(stop) = applied {
                return stop;
            }
        }
    }

    /// Prints both tables and installs them.
    async fn load(&self, client: &Client, mode: MirrorMode) -> Result<(), Stop> {
        self.cell.loading();
        let since = (Instant::now(), Utc::now());
        let secrets = self.print_secrets(client).await?;
        let command = Command::new("/ppp/active/print").proplist(follow::PROPS);
        let sessions = match or_gone(self.alive.closed(), client.call(command)).await? {
            Ok(response) => Sessions::from_rows(&response.rows),
            Err(e) => return Err(Stop::Lost(format!("/ppp/active/print: {e}"))),
        };
        let tables = Tables { secrets, sessions };
        let (count, online) = tables.counts();
        self.cell.install(tables, since, mode);
        tracing::debug!(router = %self.router, secrets = count, sessions = online, took = ?since.0.elapsed(), "mirror loaded");
        Ok(())
    }

    /// `/ppp/secret/print`, row by row into the table (never all the rows at once); a router
    /// that sends no row for the command timeout is lost.
    async fn print_secrets(&self, client: &Client) -> Result<Secrets, Stop> {
        let lost = |e: &dyn std::fmt::Display| Stop::Lost(format!("/ppp/secret/print: {e}"));
        let idle = self.client.get_command_timeout();
        let mut stream = client
            .stream(Command::new("/ppp/secret/print").proplist(LIST_PROPS))
            .map_err(|e| lost(&e))?;
        let mut secrets = Secrets::default();
        loop {
            let next = tokio::time::timeout(idle, stream.next_row());
            match or_gone(self.alive.closed(), next).await? {
                Err(_) => return Err(lost(&format_args!("no row for {idle:?}"))),
                Ok(None) => break,
                Ok(Some(Ok(row))) => secrets.upsert_row(&row),
                Ok(Some(Err(e))) => return Err(lost(&e)),
            }
        }
        secrets.trim();
        Ok(secrets)
    }

    /// A `/ppp/secret/listen` row: the item (added or changed), or `.dead` with its `.id`.
    async fn secret_row(&self, client: &Client, row: &Attributes) -> Result<(), Stop> {
        let Some(id) = row.get(".id").and_then(ItemId::parse) else {
            return Ok(());
        };
        if is_dead(row) {
            self.cell.update(|t| t.secrets.remove(id.0));
            return Ok(());
        }
        if row.get("name").is_some() {
            self.cell.update(|t| t.secrets.upsert_row(row));
            return Ok(());
        }
        // A row without the item (RouterOS did not send it): ask for it.
        let command = Command::new("/ppp/secret/print")
            .query(QueryWord::eq(".id", id.to_string()))
            .proplist(LIST_PROPS);
        match or_gone(self.alive.closed(), client.call(command)).await? {
            Ok(response) => match response.rows.first() {
                Some(item) => self.cell.update(|t| t.secrets.upsert_row(item)),
                // Gone already: its `.dead` row follows.
                None => self.cell.update(|t| t.secrets.remove(id.0)),
            },
            Err(e) => return Err(Stop::Lost(format!("/ppp/secret/print: {e}"))),
        };
        Ok(())
    }

    /// A `/ppp/active/listen` row, as the session watcher reads it.
    async fn session_row(&self, client: &Client, row: &Attributes) -> Result<(), Stop> {
        let applied = self
            .cell
            .update_sessions(|sessions| match sessions.apply(row) {
                Applied::Changes(changes) => (None, changes),
                Applied::NeedsName(id) => (Some(id), Vec::new()),
            });
        let Some(Some(id)) = applied else {
            return Ok(());
        };
        match or_gone(self.alive.closed(), session_name(client, &id)).await? {
            Ok(Some(name)) => {
                self.cell
                    .update_sessions(|sessions| ((), sessions.insert(&id, &name)));
                Ok(())
            }
            Ok(None) => Ok(()),
            Err(why) => Err(Stop::Lost(why)),
        }
    }

    /// The router refused `listen`: both tables printed every `resync_every`, on this
    /// connection until it fails.
    async fn poll(&mut self, client: &Client, refusal: &str) -> Stop {
        self.cell.set_mode(MirrorMode::Polling);
        let every = self.settings.resync_every.max(Duration::from_millis(1));
        if self.warned_polling {
            tracing::debug!(router = %self.router, refusal, "the router refused listen again; the mirror re-reads the tables");
        } else {
            self.warned_polling = true;
            tracing::warn!(router = %self.router, refusal, every = ?every, "the router refused listen; the mirror re-reads /ppp/secret and /ppp/active periodically instead");
        }
        loop {
            if or_gone(self.alive.closed(), tokio::time::sleep(every))
                .await
                .is_err()
            {
                return Stop::Gone;
            }
            if let Err(stop) = self.load(client, MirrorMode::Polling).await {
                return stop;
            }
        }
    }
}

/// Whether a listen row says that its item is gone (`.dead=yes`, or `true` as RouterOS 7.23
/// and later spell it).
fn is_dead(row: &Attributes) -> bool {
    row.get(".dead")
        .and_then(value::parse_bool)
        .unwrap_or(false)
}

// ---- the tables --------------------------------------------------------------------------

/// Both menus as mirrored.
#[derive(Debug, Default)]
struct Tables {
    secrets: Secrets,
    sessions: Sessions,
}

impl Tables {
    fn counts(&self) -> (usize, usize) {
        (self.secrets.rows.len(), self.sessions.len())
    }

    fn heap_bytes(&self) -> usize {
        self.secrets.heap_bytes() + self.sessions.heap_bytes()
    }

    /// Applies one of the adapter's writes; the session changes it made.
    fn apply(&mut self, write: Write) -> Vec<Change> {
        match write {
            Write::Added(fresh) => {
                let entry = Entry::new(
                    fresh.id,
                    &fresh.name,
                    fresh.comment.as_deref().unwrap_or(""),
                    self.secrets.strings.intern(&fresh.profile),
                    fresh.remote,
                    false,
                    NEVER,
                    EMPTY,
                );
                self.secrets.upsert(entry);
            }
            Write::Updated(id, field) => self.secrets.update(id, field),
            Write::Removed(id) => self.secrets.remove(id),
            Write::SessionEnded(id) => return self.sessions.remove(&id).into_iter().collect(),
        }
        Vec::new()
    }

    /// The page of the secrets that pass `filter`, in the router's order, and how many pass.
    /// The same rules as the router path in `lib.rs`, which asks RouterOS.
    fn page(
        &self,
        router: &str,
        filter: &ListFilter,
        page: PageRequest,
    ) -> (Vec<ListedSecret>, usize) {
        let test = Test::new(filter, &self.secrets.strings);
        let mut items = Vec::with_capacity(page.limit.min(200));
        let mut total = 0usize;
        for entry in &self.secrets.rows {
            if !test.passes(entry, &self.sessions) {
                continue;
            }
            if total >= page.offset && items.len() < page.limit {
                items.push(ListedSecret {
                    online: self.sessions.contains(entry.name()),
                    secret: entry.secret(router, &self.secrets.strings),
                });
            }
            total += 1;
        }
        (items, total)
    }
}

/// A listing's filter, prepared for a scan.
#[derive(Debug)]
enum Test {
    All,
    /// The lower-cased text, and whether it is ASCII.
    Name(String, bool),
    /// The interned profile name; `None` if no secret has it.
    Profile(Option<u32>),
    Enabled,
    Disabled,
    Online,
    Offline,
    Down,
}

impl Test {
    fn new(filter: &ListFilter, strings: &Interner) -> Self {
        match filter {
            ListFilter::All => Self::All,
            ListFilter::NameContains(text) => {
                let needle = text.to_lowercase();
                let ascii = needle.is_ascii();
                Self::Name(needle, ascii)
            }
            ListFilter::Profile(p) => Self::Profile(strings.find(p)),
            ListFilter::Enabled => Self::Enabled,
            ListFilter::Disabled => Self::Disabled,
            ListFilter::Online => Self::Online,
            ListFilter::Offline => Self::Offline,
            ListFilter::Down => Self::Down,
        }
    }

    fn passes(&self, entry: &Entry, sessions: &Sessions) -> bool {
        match self {
            Self::All => true,
            Self::Name(needle, ascii) => name_contains(entry.name(), needle, *ascii),
            Self::Profile(p) => *p == Some(entry.profile),
            Self::Enabled => !entry.disabled,
            Self::Disabled => entry.disabled,
            Self::Online => sessions.contains(entry.name()),
            Self::Offline => !sessions.contains(entry.name()),
            Self::Down => !entry.disabled && !sessions.contains(entry.name()),
        }
    }
}

/// `name.to_lowercase().contains(needle)` for a lower-cased `needle`, without allocating
/// when both are ASCII.
fn name_contains(name: &str, needle: &str, needle_is_ascii: bool) -> bool {
    if needle_is_ascii && name.is_ascii() {
        let (hay, needle) = (name.as_bytes(), needle.as_bytes());
        needle.is_empty()
            || hay.windows(needle.len()).any(|w| {
                w.iter()
                    .zip(needle)
                    .all(|(a, b)| a.to_ascii_lowercase() == *b)
            })
    } else {
        name.to_lowercase().contains(needle)
    }
}

/// `last-logged-out` absent.
const NEVER: i64 = i64::MIN;
/// The interned empty text: `last-disconnect-reason` absent.
const EMPTY: u32 = 0;

/// One secret as the mirror keeps it: 48 bytes, and one allocation for its name and
/// comment.
#[derive(Debug)]
struct Entry {
    /// `.id`'s number (`*1A` is 0x1A): the router's order.
    id: u32,
    /// Where the name ends in `text`.
    name_len: u32,
    /// `profile`, interned.
    profile: u32,
    /// `last-disconnect-reason`, interned ([`EMPTY`]: none).
    reason: u32,
    /// `last-logged-out`, seconds since the Unix epoch on the router's clock ([`NEVER`]:
    /// none).
    logged_out: i64,
    remote: Option<Ipv4Addr>,
    disabled: bool,
    /// The name, then the comment (empty: none).
    text: Box<str>,
}

impl Entry {
    #[allow(clippy::too_many_arguments)]
    fn new(
        id: u32,
        name: &str,
        comment: &str,
        profile: u32,
        remote: Option<Ipv4Addr>,
        disabled: bool,
        logged_out: i64,
        reason: u32,
    ) -> Self {
        let mut text = String::with_capacity(name.len() + comment.len());
        text.push_str(name);
        text.push_str(comment);
        Self {
            id,
            // A name is a few dozen bytes; `u32` is the field's size, not a limit met.
            name_len: u32::try_from(name.len()).unwrap_or(u32::MAX),
            profile,
            reason,
            logged_out,
            remote,
            disabled,
            text: text.into_boxed_str(),
        }
    }

    /// From a `print` or `listen` row of [`LIST_PROPS`], read as `mapping::secret` reads
    /// it; `None` without a valid `.id`.
    fn from_row(row: &Attributes, strings: &mut Interner) -> Option<Self> {
        let id = ItemId::parse(row.get(".id")?)?.0;
        let logged_out = mapping::non_empty(row.get("last-logged-out"))
            .and_then(mapping::datetime)
            .map_or(NEVER, |t| t.and_utc().timestamp());
        let reason = mapping::non_empty(row.get("last-disconnect-reason")).unwrap_or("");
        Some(Self::new(
            id,
            row.get("name").unwrap_or_default(),
            mapping::non_empty(row.get("comment")).unwrap_or(""),
            strings.intern(row.get("profile").unwrap_or("default")),
            mapping::non_empty(row.get("remote-address")).and_then(|a| a.parse().ok()),
            mapping::flag(row.get("disabled")),
            logged_out,
            strings.intern(reason),
        ))
    }

    fn name(&self) -> &str {
        self.text.get(..self.name_len as usize).unwrap_or_default()
    }

    fn comment(&self) -> &str {
        self.text.get(self.name_len as usize..).unwrap_or_default()
    }

    fn set_comment(&mut self, comment: &str) {
        let name = self.name();
        let mut text = String::with_capacity(name.len() + comment.len());
        text.push_str(name);
        text.push_str(comment);
        self.text = text.into_boxed_str();
    }

    /// The secret, as a listing from the router gives it (no `last-caller-id`).
    fn secret(&self, router: &str, strings: &Interner) -> Secret {
        let comment = self.comment();
        Secret {
            at: SecretRef {
                router: router.to_owned(),
                id: ItemId(self.id).to_string(),
            },
            name: self.name().to_owned(),
            profile: strings.get(self.profile).to_owned(),
            remote_address: self.remote,
            comment: (!comment.is_empty()).then(|| comment.to_owned()),
            disabled: self.disabled,
            last_logged_out: (self.logged_out != NEVER)
                .then(|| DateTime::from_timestamp(self.logged_out, 0))
                .flatten()
                .map(|t| t.naive_utc()),
            last_caller_id: None,
            last_disconnect_reason: (self.reason != EMPTY)
                .then(|| strings.get(self.reason).to_owned()),
        }
    }
}

/// The secrets in `.id` order, and the strings they share.
#[derive(Debug, Default)]
struct Secrets {
    rows: Vec<Entry>,
    strings: Interner,
}

impl Secrets {
    fn position(&self, id: u32) -> Result<usize, usize> {
        self.rows.binary_search_by_key(&id, |e| e.id)
    }

    /// Adds the entry or replaces the one with its id. A new secret has the highest id so
    /// far, so this is a push (as is each row of a load, which comes in `.id` order).
    fn upsert(&mut self, entry: Entry) {
        if self.rows.last().is_none_or(|last| last.id < entry.id) {
            self.rows.push(entry);
            return;
        }
        match self.position(entry.id) {
            Ok(at) => self.rows[at] = entry,
            Err(at) => self.rows.insert(at, entry),
        }
    }

    fn upsert_row(&mut self, row: &Attributes) {
        match Entry::from_row(row, &mut self.strings) {
            Some(entry) => self.upsert(entry),
            None => {
                tracing::debug!(row = ?row.get(".id"), "a /ppp/secret row without a valid .id; not mirrored")
            }
        }
    }

    fn remove(&mut self, id: u32) {
        if let Ok(at) = self.position(id) {
            self.rows.remove(at);
        }
    }

    fn update(&mut self, id: u32, field: Field) {
        let Ok(at) = self.position(id) else {
            return;
        };
        match field {
            Field::Profile(p) => self.rows[at].profile = self.strings.intern(&p),
            Field::Remote(ip) => self.rows[at].remote = ip,
            Field::Disabled(d) => self.rows[at].disabled = d,
            Field::Comment(c) => self.rows[at].set_comment(c.as_deref().unwrap_or("")),
        }
    }

    /// After a load: room for a few more secrets, not a doubling's worth.
    fn trim(&mut self) {
        let keep = self.rows.len() + self.rows.len() / 16 + 16;
        self.rows.shrink_to(keep);
    }

    fn heap_bytes(&self) -> usize {
        let rows = self.rows.capacity() * size_of::<Entry>();
        let texts: usize = self.rows.iter().map(|e| e.text.len()).sum();
        rows + texts + self.strings.heap_bytes()
    }
}

/// Strings that many secrets share (profile names, disconnect reasons), each held once and
/// named by its index. The empty text is [`EMPTY`].
#[derive(Debug)]
struct Interner {
    texts: Vec<Box<str>>,
    index: HashMap<Box<str>, u32>,
}

impl Default for Interner {
    fn default() -> Self {
        let mut interner = Self {
            texts: Vec::new(),
            index: HashMap::new(),
        };
        interner.intern("");
        interner
    }
}

impl Interner {
    fn intern(&mut self, text: &str) -> u32 {
        if let Some(&at) = self.index.get(text) {
            return at;
        }
        // A handful of profiles and reasons: far from `u32::MAX`.
        let at = u32::try_from(self.texts.len()).unwrap_or(u32::MAX);
        self.texts.push(text.into());
        self.index.insert(text.into(), at);
        at
    }

    fn find(&self, text: &str) -> Option<u32> {
        self.index.get(text).copied()
    }

    fn get(&self, at: u32) -> &str {
        self.texts.get(at as usize).map_or("", |t| t)
    }

    fn heap_bytes(&self) -> usize {
        let texts: usize = self.texts.iter().map(|t| t.len()).sum();
        self.texts.capacity() * size_of::<Box<str>>()
            + 2 * texts
            + map_bytes(self.index.capacity(), size_of::<(Box<str>, u32)>())
    }
}

/// The bytes the table of a standard `HashMap` of this capacity allocates for entries of
/// `entry` bytes: hashbrown keeps a power of two of buckets (7/8 of them usable from 8 up,
/// all but one below), one control byte each and 16 more.
pub(crate) fn map_bytes(capacity: usize, entry: usize) -> usize {
    if capacity == 0 {
        return 0;
    }
    let buckets = if capacity < 8 {
        (capacity + 1).next_power_of_two()
    } else {
        (capacity * 8 / 7).next_power_of_two()
    };
    buckets * entry + buckets + 16
}

/// One of the adapter's own acknowledged writes, as the mirror applies it.
#[derive(Debug, Clone)]
enum Write {
    Added(Fresh),
    Updated(u32, Field),
    Removed(u32),
    SessionEnded(String),
}

/// A secret the adapter created.
#[derive(Debug, Clone)]
struct Fresh {
    id: u32,
    name: String,
    profile: String,
    remote: Option<Ipv4Addr>,
    comment: Option<String>,
}

/// A field the adapter changed (a password is not mirrored).
#[derive(Debug, Clone)]
enum Field {
    Profile(String),
    Remote(Option<Ipv4Addr>),
    Disabled(bool),
    Comment(Option<String>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pairs: &[(&str, &str)]) -> Attributes {
        pairs.iter().copied().collect()
    }

    #[test]
    fn an_entry_reads_a_row_as_the_router_path_does() {
        let rows = [
            row(&[
                (".id", "*1A"),
                ("name", "john123"),
                ("profile", "Premium"),
                ("remote-address", "192.168.1.100"),
                ("comment", "John Doe"),
                ("disabled", "false"),
                ("last-logged-out", "2025-06-01 07:00:00"),
                ("last-disconnect-reason", "peer-request"),
            ]),
            row(&[(".id", "*2"), ("name", "x"), ("disabled", "yes")]),
            row(&[
                (".id", "*3"),
                ("name", "Ünï"),
                ("profile", ""),
                ("remote-address", "nonsense"),
                ("comment", ""),
                ("last-logged-out", "never"),
                ("last-disconnect-reason", ""),
            ]),
            row(&[
                (".id", "*FFFFFFFF"),
                ("name", "last"),
                ("last-logged-out", "dec/15/2024 16:30:25"),
            ]),
        ];
        let mut strings = Interner::default();
        for r in &rows {
            let entry = Entry::from_row(r, &mut strings).unwrap();
            let mut expected = mapping::secret("core-1", r);
            expected.last_caller_id = None;
            assert_eq!(entry.secret("core-1", &strings), expected);
        }
        assert!(Entry::from_row(&row(&[("name", "no-id")]), &mut strings).is_none());
        assert!(Entry::from_row(&row(&[(".id", "7"), ("name", "x")]), &mut strings).is_none());
        assert_eq!(size_of::<Entry>(), 48);
    }

    #[test]
    fn secrets_stay_in_id_order() {
        let mut secrets = Secrets::default();
        for id in ["*5", "*1", "*A", "*3", "*5"] {
            secrets.upsert_row(&row(&[(".id", id), ("name", id)]));
        }
        let ids: Vec<u32> = secrets.rows.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 3, 5, 10]);
        secrets.remove(3);
        secrets.remove(99);
        let ids: Vec<u32> = secrets.rows.iter().map(|e| e.id).collect();
        assert_eq!(ids, [1, 5, 10]);
        secrets.update(5, Field::Comment(Some("hello".into())));
        assert_eq!(secrets.rows[1].name(), "*5");
        assert_eq!(secrets.rows[1].comment(), "hello");
        secrets.update(5, Field::Profile("VIP".into()));
        assert_eq!(secrets.strings.get(secrets.rows[1].profile), "VIP");
    }

    #[test]
    fn name_filter_matches_to_lowercase_contains() {
        for (name, text) in [
            ("John123", "JOHN"),
            ("john123", "n12"),
            ("john", ""),
            ("jo", "john"),
            ("Ünï", "ün"),
            ("kelvin", "\u{212A}EL"),
            ("abc", "ü"),
        ] {
            let needle = text.to_lowercase();
            assert_eq!(
                name_contains(name, &needle, needle.is_ascii()),
                name.to_lowercase().contains(&needle),
                "{name} {text}"
            );
        }
    }

    #[test]
    fn filters() {
        let mut tables = Tables::default();
        for (id, name, profile, disabled) in [
            ("*1", "ann", "Basic", "false"),
            ("*2", "bob", "VIP", "true"),
            ("*3", "cid", "Basic", "false"),
            ("*4", "dan", "VIP", "false"),
        ] {
            tables.secrets.upsert_row(&row(&[
                (".id", id),
                ("name", name),
                ("profile", profile),
                ("disabled", disabled),
            ]));
        }
        tables.sessions = Sessions::from_rows(&[row(&[(".id", "*80"), ("name", "cid")])]);
        let names = |filter: ListFilter| -> (Vec<String>, usize) {
            let (items, total) = tables.page("r", &filter, PageRequest::page(1, 2));
            (items.into_iter().map(|i| i.secret.name).collect(), total)
        };
        let all = names(ListFilter::All);
        assert_eq!(all, (vec!["ann".into(), "bob".into()], 4));
        assert_eq!(names(ListFilter::Profile("VIP".into())).1, 2);
        assert_eq!(names(ListFilter::Profile("Gold".into())).1, 0);
        assert_eq!(names(ListFilter::Enabled).1, 3);
        assert_eq!(names(ListFilter::Disabled).0, ["bob"]);
        assert_eq!(names(ListFilter::Online).0, ["cid"]);
        assert_eq!(names(ListFilter::Offline).1, 3);
        assert_eq!(
            names(ListFilter::Down),
            (vec!["ann".into(), "dan".into()], 2)
        );
        assert_eq!(names(ListFilter::NameContains("A".into())).1, 2);
        let (items, _) = tables.page("r", &ListFilter::Online, PageRequest::page(1, 2));
        assert!(items[0].online);
        let (items, total) = tables.page("r", &ListFilter::All, PageRequest::page(3, 2));
        assert_eq!((items.len(), total), (0, 4), "a page past the end");
    }

    #[test]
    fn writes_apply_as_the_router_would_show_them() {
        let mut tables = Tables::default();
        tables.apply(Write::Added(Fresh {
            id: 0x20,
            name: "budi01".into(),
            profile: "Premium".into(),
            remote: Some(Ipv4Addr::new(10, 9, 0, 1)),
            comment: Some("Budi".into()),
        }));
        tables.apply(Write::Updated(0x20, Field::Disabled(true)));
        tables.apply(Write::Updated(0x20, Field::Remote(None)));
        tables.apply(Write::Updated(0x20, Field::Comment(None)));
        let (items, _) = tables.page("r", &ListFilter::All, PageRequest::page(1, 5));
        let s = &items[0].secret;
        assert_eq!((s.at.id.as_str(), s.name.as_str()), ("*20", "budi01"));
        assert_eq!((s.profile.as_str(), s.disabled), ("Premium", true));
        assert_eq!((s.remote_address, s.comment.as_deref()), (None, None));
        tables.apply(Write::Removed(0x20));
        assert_eq!(tables.counts(), (0, 0));
    }

    #[test]
    fn map_bytes_follows_hashbrown() {
        assert_eq!(map_bytes(0, 8), 0);
        assert_eq!(map_bytes(3, 8), 4 * 8 + 4 + 16);
        assert_eq!(map_bytes(7, 8), 8 * 8 + 8 + 16);
        assert_eq!(map_bytes(14, 8), 16 * 8 + 16 + 16);
        let mut map: HashMap<u32, u32> = HashMap::new();
        map.insert(1, 1);
        assert!([3, 7].contains(&map.capacity()), "{}", map.capacity());
        map.extend((0..1000).map(|i| (i, i)));
        let buckets = map.capacity() * 8 / 7;
        assert!(buckets.is_power_of_two(), "{}", map.capacity());
    }
}
