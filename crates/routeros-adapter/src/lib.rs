//! `impl pppoe_core::Router` over the RouterOS API ([`routeros_api`]).
//!
//! ```text
//!  Engine ──Router──▶ RouterOs ──Command──▶ routeros_api::Client ──TCP/TLS──▶ RouterOS
//!                      │ one connection, made when a command needs it; a command that finds
//!                      │ none makes one fresh attempt (shared with the commands waiting too)
//!                      │ a timeout discards the connection; an idle one is checked before use
//!                      │ bounded in-flight commands: a bounded wait for a slot, one slot each
//!                      │ server-side queries (?name=) and .proplist; never print-all to find one
//!                      │ a write whose reply was lost is re-read before it is retried; if the
//!                      │ re-read fails too, the result is `Unconfirmed`, never "failed"
//!                      └ listings from the mirror: /ppp/secret and /ppp/active kept by listen
//!                        on a connection of its own (mirror.rs)
//! ```
//!
//! `/ppp/secret` for secrets, `/ppp/active` for sessions (kicking removes every session of a
//! name), `/ppp/profile` for the package check, `/interface/monitor-traffic` on
//! `<pppoe-NAME>` for live traffic, `/ip/firewall/address-list` for the list that suspended
//! (isolir) static-IP subscribers are put in (entries found by `?list=` and `?address=`).
//! Traps are mapped to [`pppoe_core::RouterError`] by their text; unknown traps keep it. A
//! refused login is [`RouterError::LoginRefused`], a certificate that is not the configured
//! one [`RouterError::Certificate`]: not "unreachable".
//!
//! After a failed connection attempt, a background task keeps trying with exponential backoff
//! (`backoff_initial` doubling to `backoff_max`), so that the connection is back before the next
//! command when the router returns; a command never waits for the backoff.
//!
//! **Listings come from a mirror.** A `pppoe` listing, its filters and `offline` would
//! otherwise print the whole `/ppp/secret` table (20,000 rows on a large router, even for a
//! page past the end) on a router whose small CPU also routes. So each `RouterOs` keeps a
//! copy of `/ppp/secret` (only the properties listings show) and of `/ppp/active` (`.id`,
//! `name`), on a connection of its own, started by [`RouterOs::start_mirror`] (for a
//! program's start-up) or else by the first listing: `listen` on both menus, started before
//! a `print` of both that loads them; then each listen row is applied by `.id` (added or
//! replaced; `.dead` removes), so a change made elsewhere shows as soon as its row has
//! arrived. A listing is served from it once loaded, with the router's filter rules and
//! order, and costs the router nothing; before the first load completes it reads the router
//! as before. A router that refuses `listen` is re-read every
//! [`MirrorSettings::resync_every`] instead. Look-ups before a change (`find_secret`) and
//! every change still go to the router, the source of truth; after a change the router
//! acknowledged, the mirror is changed at once, so the next listing shows it. The mirror
//! knows when it last matched the router (its load, then each answered liveness check on
//! its connection); when that is older than [`MirrorSettings::stale_after`] (the router is
//! lost: the mirror keeps serving and reconnects with backoff, loading everything again),
//! pages carry [`SecretPage::stale_as_of`](pppoe_core::SecretPage::stale_as_of) and the
//! engine says so. [`RouterOsConfig::mirror`] `None` turns it off.
//! [`RouterOs::mirror_status`] tells what it is doing.
//!
//! [`RouterOs::watch_sessions`] follows `/ppp/active` for online/offline alerts, on a
//! connection of its own (a `listen` never takes a command slot): after every connect a
//! [`pppoe_core::SessionEvent::Snapshot`] of the names online, then `Up` for a name's first
//! session and `Down` for its last, from `/ppp/active/listen` (whose `.dead` rows carry only
//! the `.id`: the watcher maps ids to names). A router that refuses `listen` is polled
//! (a `Snapshot` every `poll_interval`); a lost router is reported once (`Lost`) and
//! reconnected with backoff; a `/system/identity/print` every `poll_interval` notices a
//! connection gone silent. It returns when the events' receiver is dropped.
//!
//! # Example
//!
//! ```no_run
//! use pppoe_core::{Router, Username};
//! use routeros_adapter::{RouterOs, RouterOsConfig};
//! use routeros_api::ClientConfig;
//!
//! # async fn example() -> Result<(), pppoe_core::RouterError> {
//! let router = RouterOs::new(RouterOsConfig::new(
//!     "core-1",
//!     ClientConfig::new("192.0.2.1", "pppoe-bot", "secret").port(8728),
//! ));
//! let john = router.find_secret(&Username::parse("john123").unwrap()).await?;
//! println!("{john:?}");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod mapping;
mod mirror;
mod watch;

use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use pppoe_core::{
    ActiveSession, IpUser, ListFilter, ListedSecret, NewSecret, PageRequest, Router, RouterError,
    RouterProfile, Secret, SecretChange, SecretPage, SecretRef, Traffic, Username,
};
use routeros_api::client::Phase;
use routeros_api::{Attributes, Client, ClientConfig, ClientError, Command, QueryWord, Response};
use tokio::sync::{Mutex, Semaphore, SemaphorePermit};
use tokio::time::Instant;

pub use crate::mirror::{MirrorMode, MirrorSettings, MirrorStatus};
pub use crate::watch::{WatchSettings, watch_sessions};

use crate::mapping::{
    ACTIVE_PROPS, ADDRESS_LIST_CHECK_PROPS, ADDRESS_LIST_PROPS, LIST_PROPS, SECRET_PROPS, map_error,
};
use crate::mirror::Mirror;

/// Settings of one router.
#[derive(Debug, Clone)]
pub struct RouterOsConfig {
    /// The router's name in the config, the audit log and replies.
    pub name: String,
    /// How to reach and log in to it. Its connect timeout also bounds a whole connection
    /// attempt (TCP, TLS, login) made for a command.
    pub client: ClientConfig,
    /// At most this many commands in flight on the connection (default 16).
    pub max_in_flight: usize,
    /// How long a command waits for one of those slots before it fails with
    /// [`RouterError::Busy`] (default: the client's command timeout).
    pub slot_timeout: Option<Duration>,
    /// A connection unused for this long is health-checked (`/system/identity/print`) before
    /// a command uses it, and replaced if the check fails (default 60 s; `None`: never).
    pub idle_check: Option<Duration>,
    /// First wait of the background reconnection after a failed connection attempt (default
    /// 1 s); doubles up to `backoff_max`. Zero turns background reconnection off. Commands
    /// never wait for it: each one that finds no connection makes its own attempt.
    pub backoff_initial: Duration,
    /// Longest wait between background connection attempts (default 30 s).
    pub backoff_max: Duration,
    /// Serve listings from a mirror of `/ppp/secret` and `/ppp/active` kept current by
    /// `listen` (see the crate's documentation; default: on, with
    /// [`MirrorSettings::default`]). `None`: every listing reads the router.
    pub mirror: Option<MirrorSettings>,
}

impl RouterOsConfig {
    /// Settings with the defaults.
    pub fn new(name: impl Into<String>, client: ClientConfig) -> Self {
        Self {
            name: name.into(),
            client,
            max_in_flight: 16,
            slot_timeout: None,
            idle_check: Some(Duration::from_secs(60)),
            backoff_initial: Duration::from_secs(1),
            backoff_max: Duration::from_secs(30),
            mirror: Some(MirrorSettings::default()),
        }
    }
}

/// What the router says about itself (the health check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// `/system/identity` name.
    pub identity: String,
    /// `/system/resource` version, if reported.
    pub version: Option<String>,
    /// `/system/resource` uptime, if reported.
    pub uptime: Option<String>,
}

/// How the connection has fared: for coalescing attempts, the idle check and the log.
#[derive(Debug, Default)]
struct ConnState {
    /// When the current connection last answered.
    last_answer: Option<Instant>,
    /// Failed attempts in a row, and when the streak began.
    failures: u32,
    down_since: Option<Instant>,
    /// The last failed attempt: when it ended and why.
    last_failure: Option<(Instant, RouterError)>,
    /// A background reconnection task is running.
    reconnecting: bool,
}

/// One RouterOS router behind the [`Router`] port.
#[derive(Debug)]
pub struct RouterOs {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    config: RouterOsConfig,
    /// The connection; its lock is also the connect lock (one attempt at a time).
    current: Mutex<Option<Client>>,
    health: std::sync::Mutex<ConnState>,
    permits: Semaphore,
    /// The mirror, if configured (started by the first listing or by `start_mirror`).
    mirror: Option<Mirror>,
}

/// The outcome of sending a write.
enum Sent {
    Done(Response),
    /// The reply was lost (timeout, dropped connection): the write may or may not have been
    /// applied.
    Lost(ClientError),
}

impl RouterOs {
    /// A router; nothing is connected until the first command.
    pub fn new(config: RouterOsConfig) -> Self {
        let permits = Semaphore::new(config.max_in_flight.max(1));
        let mirror = config.mirror.map(|m| Mirror::new(m, &config.name));
        Self {
            shared: Arc::new(Shared {
                config,
                current: Mutex::new(None),
                health: std::sync::Mutex::default(),
                permits,
                mirror,
            }),
        }
    }

    /// The router's configured name.
    pub fn name(&self) -> &str {
        &self.shared.config.name
    }

    async fn read(&self, command: Command) -> Result<Response, RouterError> {
        self.shared.read(command).await
    }

    /// The secret whose `key` is exactly `value`, if any.
    async fn secret_where(&self, key: &str, value: &str) -> Result<Option<Secret>, RouterError> {
        let r = self
            .read(
                Command::new("/ppp/secret/print")
                    .query(QueryWord::eq(key, value))
                    .proplist(SECRET_PROPS),
            )
            .await?;
        Ok(r.rows.first().map(|row| mapping::secret(self.name(), row)))
    }

    async fn write<F, Fut>(
        &self,
        command: Command,
        applied: F,
    ) -> Result<Option<Response>, RouterError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<bool, RouterError>>,
    {
        self.shared.write(command, applied).await
    }

    /// `/system/identity` and `/system/resource`: a health check that also proves the login.
    pub async fn health(&self) -> Result<Health, RouterError> {
        let identity = self.read(Command::new("/system/identity/print")).await?;
        let resource = self.read(Command::new("/system/resource/print")).await?;
        let res = resource.rows.first();
        Ok(Health {
            identity: identity
                .rows
                .first()
                .and_then(|r| r.get("name"))
                .unwrap_or_default()
                .to_owned(),
            version: res.and_then(|r| r.get("version")).map(str::to_owned),
            uptime: res.and_then(|r| r.get("uptime")).map(str::to_owned),
        })
    }

    async fn secret_by_name(&self, name: &str) -> Result<Option<Secret>, RouterError> {
        self.secret_where("name", name).await
    }

    async fn secret_by_id(&self, id: &str) -> Result<Option<Secret>, RouterError> {
        self.secret_where(".id", id).await
    }

    async fn sessions(&self, name: &str) -> Result<Vec<ActiveSession>, RouterError> {
        let r = self
            .read(
                Command::new("/ppp/active/print")
                    .query(QueryWord::eq("name", name))
                    .proplist(ACTIVE_PROPS),
            )
            .await?;
        Ok(r.rows
            .iter()
            .map(|row| mapping::active(self.name(), row))
            .collect())
    }

    /// Names of the connected users among `names` (one OR query), or of all connected users.
    async fn online_names(&self, names: Option<&[&str]>) -> Result<HashSet<String>, RouterError> {
        let mut command = Command::new("/ppp/active/print").proplist(&["name"]);
        if let Some(names) = names {
            if names.is_empty() {
                return Ok(HashSet::new());
            }
            for name in names {
                command = command.query(QueryWord::eq("name", *name));
            }
            for _ in 1..names.len() {
                command = command.query(QueryWord::or());
            }
        }
        let r = self.read(command).await?;
        Ok(r.rows
            .iter()
            .filter_map(|row| row.get("name").map(str::to_owned))
            .collect())
    }

    /// The entries of the address list `list` for `address` (disabled ones too), with the
    /// properties `props`. RouterOS 7 prints a host (`/32`) as the bare address, so the query
    /// is the dotted address.
    async fn address_list_rows(
        &self,
        list: &str,
        address: Ipv4Addr,
        props: &[&str],
    ) -> Result<Vec<Attributes>, RouterError> {
        let r = self
            .read(
                Command::new("/ip/firewall/address-list/print")
                    .query(QueryWord::eq("list", list))
                    .query(QueryWord::eq("address", address.to_string()))
                    .proplist(props),
            )
            .await?;
        Ok(r.rows)
    }

    /// The port names the router of an address-list operation; a `RouterOs` is one router,
    /// so the name can only be its own (a [`pppoe_core::RouterSet`] routes by it).
    fn serves(&self, router: &str) {
        debug_assert_eq!(
            router,
            self.name(),
            "an address-list operation for another router"
        );
    }

    fn secret_ref(&self, id: String) -> SecretRef {
        SecretRef {
            router: self.name().to_owned(),
            id,
        }
    }
}

impl Shared {
    fn name(&self) -> &str {
        &self.config.name
    }

    fn health(&self) -> std::sync::MutexGuard<'_, ConnState> {
        self.health
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records that the connection answered.
    fn answered(&self) {
        self.health().last_answer = Some(Instant::now());
    }

    /// One in-flight slot, waiting at most `slot_timeout`. Never called while holding one.
    async fn permit(&self) -> Result<SemaphorePermit<'_>, RouterError> {
        let wait = self
            .config
            .slot_timeout
            .unwrap_or_else(|| self.config.client.get_command_timeout());
        match tokio::time::timeout(wait, self.permits.acquire()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed.
            Ok(Err(_)) => Err(RouterError::Unreachable("the router is shut down".into())),
            Err(_) => {
                tracing::warn!(router = %self.name(), waited = ?wait, "every router slot stayed busy; command not sent");
                Err(RouterError::Busy(wait))
            }
        }
    }

    /// The live connection, connecting if needed. A command that finds no connection makes
    /// one fresh attempt, bounded by the connect timeout; commands that waited while another
    /// attempt ran take its result instead of making one each.
    async fn client(self: &Arc<Self>) -> Result<Client, RouterError> {
        let asked = Instant::now();
        let mut current = self.current.lock().await;
        if let Some(client) = current.as_ref() {
            if !client.is_closed() {
                if self.fresh_enough() || self.probe(client).await {
                    return Ok(client.clone());
                }
                client.close().await;
            } else {
                tracing::info!(router = %self.name(), cause = %client_closed_cause(client), "the connection to the router ended; reconnecting");
            }
            *current = None;
        }
        if let Some((at, error)) = &self.health().last_failure
            && *at > asked
        {
            // An attempt ended while this command waited for the lock: its answer is ours.
            return Err(error.clone());
        }
        self.connect(&mut current).await
    }

    /// Whether the connection answered recently enough to be used without a check.
    fn fresh_enough(&self) -> bool {
        let Some(idle) = self.config.idle_check else {
            return true;
        };
        self.health()
            .last_answer
            .is_some_and(|at| at.elapsed() < idle)
    }

    /// Checks an idle connection before a command uses it.
    async fn probe(&self, client: &Client) -> bool {
        let limit = self
            .config
            .client
            .get_command_timeout()
            .min(Duration::from_secs(5));
        match client
            .call_with_timeout(
                Command::new("/system/identity/print").proplist(&["name"]),
                Some(limit),
            )
            .await
        {
            Ok(_) => {
                self.answered();
                true
            }
            Err(e) => {
                tracing::warn!(router = %self.name(), error = %e, "the idle connection to the router failed its health check; reconnecting");
                false
            }
        }
    }

    /// One connection attempt under the connect lock; after a failure, starts the background
    /// reconnection unless it runs already.
    async fn connect(
        self: &Arc<Self>,
        current: &mut Option<Client>,
    ) -> Result<Client, RouterError> {
        let result = self.connect_once(current).await;
        if result.is_err() && !self.config.backoff_initial.is_zero() {
            let start = !std::mem::replace(&mut self.health().reconnecting, true);
            if start {
                tokio::spawn(reconnect(Arc::downgrade(self)));
            }
        }
        result
    }

    /// One connection attempt (TCP, TLS, login) within the connect timeout, under the connect
    /// lock.
    async fn connect_once(&self, current: &mut Option<Client>) -> Result<Client, RouterError> {
        let limit = self.config.client.get_connect_timeout();
        let attempt = tokio::time::timeout(limit, Client::connect(&self.config.client)).await;
        let result = match attempt {
            Ok(result) => result,
            Err(_) => Err(ClientError::Timeout {
                during: Phase::Connect,
                after: limit,
            }),
        };
        match result {
            Ok(client) => {
                let mut health = self.health();
                match health.down_since.take() {
                    Some(since) => tracing::info!(
                        router = %self.name(),
                        failed_attempts = health.failures,
                        down_for = ?since.elapsed(),
                        "the router is reachable again"
                    ),
                    None => {
                        tracing::info!(router = %self.name(), host = %self.config.client.host(), "connected to the router")
                    }
                }
                health.failures = 0;
                health.last_failure = None;
                health.last_answer = Some(Instant::now());
                drop(health);
                *current = Some(client.clone());
                Ok(client)
            }
            Err(e) => {
                let cause = e.to_string();
                let mapped = map_error(e);
                {
                    let mut health = self.health();
                    // The cause is logged once per streak, and again only when it changes.
                    let same = health
                        .last_failure
                        .as_ref()
                        .is_some_and(|(_, last)| *last == mapped);
                    if same {
                        tracing::debug!(router = %self.name(), cause = %cause, "still cannot connect to the router");
                    } else {
                        tracing::warn!(router = %self.name(), cause = %cause, "cannot connect to the router");
                    }
                    health.failures += 1;
                    health.down_since.get_or_insert_with(Instant::now);
                    health.last_failure = Some((Instant::now(), mapped.clone()));
                }
                Err(mapped)
            }
        }
    }

    /// Closes `client` and forgets it if it is still the current connection.
    async fn discard(&self, client: &Client) {
        client.close().await;
        let mut current = self.current.lock().await;
        if current.as_ref().is_some_and(Client::is_closed) {
            *current = None;
        }
    }

    /// A command timed out: the connection is no longer trusted (a router gone silent keeps
    /// the socket open), so it is closed and the next command connects again.
    async fn poison(&self, client: &Client, error: &ClientError) {
        tracing::warn!(router = %self.name(), error = %error, "the router did not answer in time; closing the connection, the next command reconnects");
        self.discard(client).await;
    }

    /// A read: retried once on a fresh connection if the connection was lost.
    async fn read(self: &Arc<Self>, command: Command) -> Result<Response, RouterError> {
        self.reading("a read", |client| {
            let command = command.clone();
            async move { client.call(command).await }
        })
        .await
    }

    /// Runs a read (`op` on the connection) in one slot: a timeout poisons the connection; a
    /// connection lost under it is discarded and the read tried once more on a new one.
    async fn reading<T, F, Fut>(self: &Arc<Self>, what: &str, op: F) -> Result<T, RouterError>
    where
        F: Fn(Client) -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        let _permit = self.permit().await?;
        let mut attempt = 0;
        loop {
            let client = self.client().await?;
            match op(client.clone()).await {
                Ok(answer) => {
                    self.answered();
                    return Ok(answer);
                }
                Err(e @ ClientError::Timeout { .. }) => {
                    self.poison(&client, &e).await;
                    return Err(map_error(e));
                }
                Err(e) if e.is_connection_lost() && attempt == 0 => {
                    tracing::warn!(router = %self.name(), error = %e, "connection lost during {what}; retrying once");
                    self.discard(&client).await;
                    attempt += 1;
                }
                Err(e) => {
                    if e.is_connection_lost() {
                        self.discard(&client).await;
                    }
                    return Err(map_error(e));
                }
            }
        }
    }

    /// Sends a write once. A lost reply is reported as such, not as an error, so that the
    /// caller re-reads before retrying. `Err`: the write was not sent, or the router refused
    /// it.
    async fn send(self: &Arc<Self>, command: Command) -> Result<Sent, RouterError> {
        let _permit = self.permit().await?;
        let client = self.client().await?;
        match client.call(command).await {
            Ok(r) => {
                self.answered();
                Ok(Sent::Done(r))
            }
            Err(e @ ClientError::Timeout { .. }) => {
                self.poison(&client, &e).await;
                Ok(Sent::Lost(e))
            }
            Err(e) if e.is_connection_lost() => {
                self.discard(&client).await;
                Ok(Sent::Lost(e))
            }
            Err(e) => Err(map_error(e)),
        }
    }

    /// Runs a write at most twice: if its reply is lost, `applied` re-reads the router; only if
    /// the write did not take effect is it sent again. Returns the router's reply, or `None`
    /// when the re-read showed that the lost write had been applied. When the re-read fails
    /// too, the write may or may not have been applied: [`RouterError::Unconfirmed`].
    async fn write<F, Fut>(
        self: &Arc<Self>,
        command: Command,
        applied: F,
    ) -> Result<Option<Response>, RouterError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<bool, RouterError>>,
    {
        for attempt in 0..2 {
            let lost = match self.send(command.clone()).await? {
                Sent::Done(r) => return Ok(Some(r)),
                Sent::Lost(e) => e,
            };
            tracing::warn!(router = %self.name(), error = %lost, command = ?command, "reply to a write was lost; re-reading before any retry");
            match applied().await {
                Ok(true) => return Ok(None),
                Ok(false) if attempt == 0 => {}
                // Sent twice, not applied either time (as far as the router shows now).
                Ok(false) => return Err(map_error(lost)),
                Err(read) if read.is_unavailable() => {
                    tracing::error!(router = %self.name(), error = %lost, reread = %read, command = ?command, "a write was sent, its reply was lost and the router cannot be read back: its result is unknown");
                    return Err(RouterError::Unconfirmed(format!(
                        "the reply was lost ({lost}) and reading the router back failed ({read})"
                    )));
                }
                Err(other) => return Err(other),
            }
        }
        Err(RouterError::Timeout)
    }
}

impl Shared {
    /// One page of a `print`, streamed: rows for which `keep` holds are counted, and those of
    /// the page kept. One slot, for the stream only; retried once on a fresh connection if the
    /// connection drops mid-listing; a listing that outlasts the command timeout poisons the
    /// connection like any timeout.
    async fn list_page(
        self: &Arc<Self>,
        command: Command,
        keep: &(dyn Fn(&str) -> bool + Sync),
        page: PageRequest,
    ) -> Result<(Vec<Secret>, usize), RouterError> {
        let deadline = self.config.client.get_command_timeout();
        self.reading("a listing", |client| {
            let command = command.clone();
            async move {
                let collect = async {
                    let mut stream = client.stream(command)?;
                    let mut total = 0usize;
                    let mut items: Vec<Secret> = Vec::with_capacity(page.limit.min(200));
                    while let Some(row) = stream.next_row().await {
                        let row = row?;
                        if !keep(row.get("name").unwrap_or_default()) {
                            continue;
                        }
                        if total >= page.offset && items.len() < page.limit {
                            items.push(mapping::secret(self.name(), &row));
                        }
                        total += 1;
                    }
                    Ok((items, total))
                };
                tokio::time::timeout(deadline, collect)
                    .await
                    .unwrap_or(Err(ClientError::Timeout {
                        during: Phase::Command,
                        after: deadline,
                    }))
            }
        })
        .await
    }
}

/// Why a closed client ended, for the log.
fn client_closed_cause(client: &Client) -> String {
    client
        .close_reason()
        .map_or_else(|| "unknown".to_owned(), |e| e.to_string())
}

/// The background reconnection after a failed attempt: waits `backoff_initial`, doubling up
/// to `backoff_max`, until a connection is up (made by it or by a command) or the router is
/// dropped.
async fn reconnect(shared: Weak<Shared>) {
    let Some(first) = shared.upgrade().map(|s| s.config.backoff_initial) else {
        return;
    };
    let mut delay = first;
    loop {
        tokio::time::sleep(delay).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let up = {
            let mut current = shared.current.lock().await;
            match current.as_ref() {
                Some(client) if !client.is_closed() => true,
                _ => shared.connect_once(&mut current).await.is_ok(),
            }
        };
        if up {
            shared.health().reconnecting = false;
            return;
        }
        delay = delay
            .saturating_mul(2)
            .min(shared.config.backoff_max.max(first));
    }
}

impl RouterOs {
    /// A listing read from the router: `/ppp/secret/print` with [`LIST_PROPS`] (the whole
    /// table streams through, one page is kept), and `/ppp/active` for whether each is
    /// online.
    async fn list_from_router(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Result<SecretPage, RouterError> {
        let mut command = Command::new("/ppp/secret/print").proplist(LIST_PROPS);
        // Server-side where RouterOS can; substring and online filters are applied to the
        // stream row by row, keeping only the page.
        command = match filter {
            ListFilter::Profile(p) => command.query(QueryWord::eq("profile", p)),
            ListFilter::Enabled | ListFilter::Down => {
                command.query(QueryWord::eq("disabled", "false"))
            }
            ListFilter::Disabled => command.query(QueryWord::eq("disabled", "true")),
            _ => command,
        };
        // Each step takes its own slot and gives it back: a listing never waits for a slot
        // while it holds one.
        let online_filter = match filter {
            ListFilter::Online | ListFilter::Offline | ListFilter::Down => Some((
                self.online_names(None).await?,
                matches!(filter, ListFilter::Online),
            )),
            _ => None,
        };
        let needle = match filter {
            ListFilter::NameContains(t) => Some(t.to_lowercase()),
            _ => None,
        };
        let keep = |name: &str| {
            needle
                .as_ref()
                .is_none_or(|n| name.to_lowercase().contains(n.as_str()))
                && online_filter
                    .as_ref()
                    .is_none_or(|(online, want)| online.contains(name) == *want)
        };
        let (items, total) = self.shared.list_page(command, &keep, page).await?;
        let online = match &online_filter {
            Some((_, want)) => {
                let want = *want;
                items
                    .iter()
                    .filter(|_| want)
                    .map(|s| s.name.clone())
                    .collect()
            }
            None => {
                let names: Vec<&str> = items.iter().map(|s| s.name.as_str()).collect();
                self.online_names(Some(&names)).await?
            }
        };
        Ok(SecretPage {
            stale_as_of: None,
            items: items
                .into_iter()
                .map(|secret| ListedSecret {
                    online: online.contains(&secret.name),
                    secret,
                })
                .collect(),
            total,
        })
    }
}

impl pppoe_core::NamedRouter for RouterOs {
    fn name(&self) -> &str {
        &self.shared.config.name
    }
}

impl Router for RouterOs {
    async fn find_secret(&self, name: &Username) -> Result<Option<Secret>, RouterError> {
        self.secret_by_name(name.as_str()).await
    }

    /// From the mirror once it has loaded (started by the first listing if need be); from
    /// the router before that, or without a mirror.
    async fn list_secrets(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Result<SecretPage, RouterError> {
        if let Some(mirror) = &self.shared.mirror {
            self.start_mirror();
            if let Some(page) = mirror.page(self.name(), filter, page) {
                return Ok(page);
            }
        }
        self.list_from_router(filter, page).await
    }

    async fn add_secret(&self, new: &NewSecret) -> Result<SecretRef, RouterError> {
        let mut command = Command::new("/ppp/secret/add")
            .attr("name", new.name.as_str())
            .attr("password", new.password.expose())
            .attr("profile", &new.profile)
            .attr("service", "pppoe");
        if let Some(ip) = new.remote_address {
            command = command.attr("remote-address", ip.to_string());
        }
        if let Some(comment) = &new.comment {
            command = command.attr("comment", comment.as_str());
        }
        let name = new.name.as_str();
        let r = self
            .write(command, || async {
                // Applied if a secret of that name now exists with our profile.
                Ok(self
                    .secret_by_name(name)
                    .await?
                    .is_some_and(|s| s.profile == new.profile))
            })
            .await?;
        let at = match r.as_ref().and_then(Response::ret) {
            Some(id) => self.secret_ref(id.to_owned()),
            None => self
                .secret_by_name(name)
                .await?
                .map(|s| s.at)
                .ok_or_else(|| {
                    RouterError::Rejected("the router did not return the new .id".into())
                })?,
        };
        if let Some(mirror) = &self.shared.mirror {
            mirror.added(&at.id, new);
        }
        Ok(at)
    }

    async fn update_secret(
        &self,
        at: &SecretRef,
        change: &SecretChange,
    ) -> Result<(), RouterError> {
        let base = |path: &str| Command::new(path).attr(".id", &at.id);
        let command = match change {
            SecretChange::Password(p) => base("/ppp/secret/set").attr("password", p.expose()),
            SecretChange::Profile(p) => base("/ppp/secret/set").attr("profile", p),
            SecretChange::RemoteAddress(Some(ip)) => {
                base("/ppp/secret/set").attr("remote-address", ip.to_string())
            }
            SecretChange::RemoteAddress(None) => {
                base("/ppp/secret/unset").attr("value-name", "remote-address")
            }
            SecretChange::Disabled(d) => {
                base("/ppp/secret/set").attr("disabled", if *d { "yes" } else { "no" })
            }
            SecretChange::Comment(Some(c)) => base("/ppp/secret/set").attr("comment", c.as_str()),
            SecretChange::Comment(None) => base("/ppp/secret/set").attr("comment", ""),
        };
        self.write(command, || async {
            let Some(now) = self.secret_by_id(&at.id).await? else {
                return Err(RouterError::NotFound);
            };
            let applied = match change {
                // A password cannot be read back; setting it again is harmless.
                SecretChange::Password(_) => false,
                SecretChange::Profile(p) => &now.profile == p,
                SecretChange::RemoteAddress(ip) => now.remote_address == *ip,
                SecretChange::Disabled(d) => now.disabled == *d,
                SecretChange::Comment(c) => {
                    now.comment.as_deref() == c.as_ref().map(pppoe_core::CustomerInfo::as_str)
                }
            };
            Ok(applied)
        })
        .await?;
        if let Some(mirror) = &self.shared.mirror {
            mirror.updated(&at.id, change);
        }
        Ok(())
    }

    async fn remove_secret(&self, at: &SecretRef) -> Result<(), RouterError> {
        let command = Command::new("/ppp/secret/remove").attr(".id", &at.id);
        let gone = || async { Ok(self.secret_by_id(&at.id).await?.is_none()) };
        self.write(command, gone).await?;
        if let Some(mirror) = &self.shared.mirror {
            mirror.removed(&at.id);
        }
        Ok(())
    }

    async fn active_session(&self, name: &str) -> Result<Option<ActiveSession>, RouterError> {
        Ok(self.sessions(name).await?.into_iter().next())
    }

    async fn kick(&self, name: &str) -> Result<usize, RouterError> {
        let sessions = self.sessions(name).await?;
        let mut kicked = 0;
        for session in &sessions {
            let command = Command::new("/ppp/active/remove").attr(".id", &session.id);
            let id = session.id.clone();
            let gone = || {
                let id = id.clone();
                async move {
                    let r = self
                        .read(
                            Command::new("/ppp/active/print")
                                .query(QueryWord::eq(".id", id))
                                .proplist(&[".id"]),
                        )
                        .await?;
                    Ok(r.rows.is_empty())
                }
            };
            match self.write(command, gone).await {
                Ok(_) => kicked += 1,
                // The session ended on its own in between: nothing to kick.
                Err(RouterError::NotFound) => {}
                Err(e) => return Err(e),
            }
            if let Some(mirror) = &self.shared.mirror {
                mirror.session_ended(&session.id);
            }
        }
        Ok(kicked)
    }

    async fn profiles(&self) -> Result<Vec<RouterProfile>, RouterError> {
        let r = self
            .read(Command::new("/ppp/profile/print").proplist(&["name", "rate-limit"]))
            .await?;
        Ok(r.rows
            .iter()
            .map(|row| RouterProfile {
                name: row.get("name").unwrap_or_default().to_owned(),
                rate_limit: row
                    .get("rate-limit")
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            })
            .collect())
    }

    async fn traffic(&self, name: &str) -> Result<Option<Traffic>, RouterError> {
        let command = Command::new("/interface/monitor-traffic")
            .attr("interface", format!("<pppoe-{name}>"))
            .attr("once", "");
        let r = match self.read(command).await {
            Ok(r) => r,
            Err(RouterError::NotFound | RouterError::InvalidValue(_)) => return Ok(None),
            // An offline user has no `<pppoe-NAME>` interface.
            Err(RouterError::Rejected(t))
                if t.contains("no such")
                    || t.contains("not found")
                    || t.contains("does not match any value of interface") =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        Ok(r.rows.first().and_then(|row| {
            // The interface's rx is what the subscriber sends: their upload.
            let up = row
                .get("rx-bits-per-second")
                .and_then(routeros_api::value::parse_rate)?;
            let down = row
                .get("tx-bits-per-second")
                .and_then(routeros_api::value::parse_rate)?;
            Some(Traffic {
                download_bps: down,
                upload_bps: up,
            })
        }))
    }

    async fn ip_users(&self, ip: Ipv4Addr) -> Result<Vec<IpUser>, RouterError> {
        let text = ip.to_string();
        let secrets = self
            .read(
                Command::new("/ppp/secret/print")
                    .query(QueryWord::eq("remote-address", &text))
                    .proplist(&["name"]),
            )
            .await?;
        let active = self
            .read(
                Command::new("/ppp/active/print")
                    .query(QueryWord::eq("address", &text))
                    .proplist(&["name"]),
            )
            .await?;
        let names = |r: &Response| -> Vec<String> {
            r.rows
                .iter()
                .filter_map(|row| row.get("name").map(str::to_owned))
                .collect()
        };
        Ok(names(&secrets)
            .into_iter()
            .map(IpUser::Secret)
            .chain(names(&active).into_iter().map(IpUser::Active))
            .collect())
    }

    /// Whether `list` has an entry for `address`. A disabled entry counts: it is an entry (the
    /// firewall ignores it, but adding the address again is refused as a duplicate). `router`
    /// must be this router's name.
    async fn in_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<bool, RouterError> {
        self.serves(router);
        Ok(!self
            .address_list_rows(list, address, ADDRESS_LIST_PROPS)
            .await?
            .is_empty())
    }

    /// `/ip/firewall/address-list/add`, without a comment when `comment` is empty. A
    /// duplicate (`failure: already have such entry`) is [`RouterError::AlreadyExists`]. A lost
    /// reply is read back: the entry there with our comment is done; no entry, or one with
    /// another comment (there before: the add was a duplicate), and the add is sent once more
    /// (the router then says what it says).
    async fn add_to_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
        comment: &str,
    ) -> Result<(), RouterError> {
        self.serves(router);
        let mut command = Command::new("/ip/firewall/address-list/add")
            .attr("list", list)
            .attr("address", address.to_string());
        if !comment.is_empty() {
            command = command.attr("comment", comment);
        }
        self.write(command, || async {
            Ok(self
                .address_list_rows(list, address, ADDRESS_LIST_CHECK_PROPS)
                .await?
                .iter()
                .any(|row| row.get("comment").unwrap_or_default() == comment))
        })
        .await?;
        Ok(())
    }

    /// Finds the entries (a query, never a print of the list) and removes each by `.id`; one
    /// that went in between (a timeout ran out) is not counted. RouterOS keeps one entry per
    /// list and address, so this is one remove at most.
    async fn remove_from_address_list(
        &self,
        router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<usize, RouterError> {
        self.serves(router);
        let rows = self
            .address_list_rows(list, address, ADDRESS_LIST_PROPS)
            .await?;
        let mut removed = 0;
        for id in rows.iter().filter_map(|row| row.get(".id")) {
            let command = Command::new("/ip/firewall/address-list/remove").attr(".id", id);
            let gone = || async {
                Ok(!self
                    .address_list_rows(list, address, ADDRESS_LIST_PROPS)
                    .await?
                    .iter()
                    .any(|row| row.get(".id") == Some(id)))
            };
            match self.write(command, gone).await {
                Ok(_) => removed += 1,
                Err(RouterError::NotFound) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}
