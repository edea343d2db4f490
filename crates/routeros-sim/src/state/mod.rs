//! The shared, cloneable state of the simulated router, one concern a module:
//!
//! | module     | concern                                                            |
//! |------------|--------------------------------------------------------------------|
//! | `menu`     | [`Menu`](menu::Menu): items by id, the key index, the changes to announce |
//! | `ppp`      | the menus ([`Db`]), the `/ppp` ones and their rules ([`SimError`])  |
//! | `firewall` | `/ip/firewall/address-list` and its rules                           |
//! | `faults`   | [`Fault`]s and when they fire                                       |
//! | `logs`     | [`WriteRecord`]s and [`RequestRecord`]s, each log capped            |
//! | `clock`    | the simulated clock                                                 |
//! | `settings` | users, emulated version, identity                                   |
//!
//! [`SimState`] is the handle over all of them that the server, its connections and the tests
//! share.

mod clock;
mod faults;
mod firewall;
mod logs;
mod menu;
mod ppp;
mod settings;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pppoe_core::sample::SAMPLE_USERS;
use routeros_api::value::ItemId;
use tokio::sync::broadcast;

use crate::model::{ActiveSession, AddressListEntry, Profile, Secret, SecretSpec, SessionSpec};
use crate::seed;
use clock::{BOOT_UPTIME, Clock, DEFAULT_EPOCH};
pub use faults::Fault;
use faults::Faults;
pub(crate) use faults::RequestFault;
use logs::Logs;
pub use logs::{RequestRecord, WriteRecord};
pub use ppp::SimError;
pub(crate) use ppp::{Change, Db, Table};
use settings::Settings;

#[derive(Debug)]
struct Inner {
    db: Mutex<Db>,
    settings: Mutex<Settings>,
    faults: Mutex<Faults>,
    logs: Mutex<Logs>,
    clock: Mutex<Clock>,
    changes: broadcast::Sender<Change>,
    fatal: broadcast::Sender<String>,
    /// The number of writes logged, for tests that wait for one.
    written: tokio::sync::watch::Sender<usize>,
    /// Rows (`!re`) that `print`, `getall` and `listen` produced, per menu ([`Table::index`]).
    rows_sent: [AtomicU64; 4],
    accepted: AtomicU64,
    open: AtomicU64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The simulated router: a cheap, cloneable handle shared by the server, its connections and
/// the test that inspects or changes it while clients are connected.
///
/// A new state has the built-in `default` and `default-encryption` profiles and the five
/// packages of pppoe-core's default `ProfileTable` (the spec's: Basic `5M/10M` to Enterprise
/// `100M/200M`, as `rate-limit`), no secrets, no sessions, an empty firewall address list and
/// **no API users** (add one with
/// [`add_user`](Self::add_user)). It answers like RouterOS 7.18 (`!empty` on an empty print).
#[derive(Debug, Clone)]
pub struct SimState {
    inner: Arc<Inner>,
}

impl Default for SimState {
    fn default() -> Self {
        Self::new()
    }
}

impl SimState {
    /// An empty router (see the type's documentation).
    #[must_use]
    pub fn new() -> Self {
        let (changes, _) = broadcast::channel(4096);
        let (fatal, _) = broadcast::channel(16);
        Self {
            inner: Arc::new(Inner {
                db: Mutex::new(Db::new()),
                settings: Mutex::new(Settings::default()),
                faults: Mutex::new(Faults::default()),
                logs: Mutex::new(Logs::default()),
                clock: Mutex::new(Clock::new()),
                changes,
                fatal,
                written: tokio::sync::watch::Sender::new(0),
                rows_sent: Default::default(),
                accepted: AtomicU64::new(0),
                open: AtomicU64::new(0),
            }),
        }
    }

    /// A router with `n` generated subscribers over the five profiles, deterministic for a
    /// given `seed`: about 30% online (addresses in 10.20.0.0/16, MACs, uptimes), about 7%
    /// disabled, some with a static `remote-address`, comments with customer names.
    #[must_use]
    pub fn seeded(n: usize, seed: u64) -> Self {
        let state = Self::new();
        state.add_seeded(n, seed);
        state
    }

    /// Adds `n` generated subscribers (see [`seeded`](Self::seeded)); names that exist already
    /// are skipped. Returns how many were added.
    pub fn add_seeded(&self, n: usize, seed: u64) -> usize {
        let now = self.now();
        let subscribers = seed::subscribers(n, seed, now);
        self.change(|db| {
            db.traffic_seed = seed;
            let mut added = 0;
            for (spec, session) in subscribers {
                if db.add_spec(&spec).is_ok() {
                    added += 1;
                    if let Some(session) = session {
                        // Cannot fail: the secret exists, is enabled and has no session yet; a
                        // pool exhausted by absurd sizes just leaves it offline.
                        let _ = db.connect(&spec.name, &session, now);
                    }
                }
            }
            added
        })
    }

    /// Adds the two subscribers of the specification's examples, pppoe-core's
    /// `SAMPLE_USERS`: `john123` (Premium, remote-address 192.168.1.100, "John Doe", online)
    /// and `jane456` (Standard, 192.168.1.101, "Jane Smith", offline).
    ///
    /// # Errors
    ///
    /// [`SimError::DuplicateName`] if they exist already.
    pub fn add_example_users(&self) -> Result<(), SimError> {
        let now = self.now();
        for user in &SAMPLE_USERS {
            let mut spec = SecretSpec::new(user.name, user.password)
                .service("pppoe")
                .profile(user.profile)
                .remote_address(user.remote_address)
                .comment(user.comment);
            if let Some(last) = user.last_session {
                let ago = i64::try_from(last.ended_ago.as_secs()).unwrap_or(i64::MAX);
                spec = spec.last_session(now.saturating_sub(ago), last.caller_id, last.reason);
            }
            self.add_secret(spec)?;
        }
        for user in &SAMPLE_USERS {
            if let Some(session) = user.session {
                self.connect_with(
                    user.name,
                    SessionSpec::new()
                        .caller_id(session.caller_id)
                        .uptime(session.uptime),
                )?;
            }
        }
        Ok(())
    }

    // ---- set-up -------------------------------------------------------------------------

    /// Allows an API user to log in (a user of that name is replaced).
    pub fn add_user(&self, name: &str, password: &str) {
        let mut config = lock(&self.inner.settings);
        config.users.retain(|(n, _)| n != name);
        config.users.push((name.to_owned(), password.to_owned()));
    }

    /// [`add_user`](Self::add_user), for chaining after a constructor.
    #[must_use]
    pub fn with_user(self, name: &str, password: &str) -> Self {
        self.add_user(name, password);
        self
    }

    /// Emulates RouterOS before 6.43: `/login` answers with a `=ret=` MD5 challenge and only
    /// `=name= =response=` logs in.
    pub fn set_legacy_login(&self, legacy: bool) {
        lock(&self.inner.settings).legacy_login = legacy;
    }

    /// `true` (the default) answers an empty print with `!empty` then `!done`, as RouterOS
    /// 7.18+ does; `false` with `!done` alone, as earlier versions do.
    pub fn set_empty_replies(&self, empty: bool) {
        lock(&self.inner.settings).empty_replies = empty;
    }

    /// `/system/identity` name.
    pub fn set_identity(&self, name: &str) {
        name.clone_into(&mut lock(&self.inner.settings).identity);
    }

    /// The `version` that `/system/resource/print` reports.
    pub fn set_version(&self, version: &str) {
        version.clone_into(&mut lock(&self.inner.settings).version);
    }

    /// Interval of `/interface/monitor-traffic` without `once` (default 1 s; an `=interval=`
    /// argument overrides it per command).
    pub fn set_monitor_interval(&self, interval: Duration) {
        lock(&self.inner.settings).monitor_interval = interval;
    }

    /// Adds a secret.
    ///
    /// # Errors
    ///
    /// [`SimError::DuplicateName`], or [`SimError::NoMatch`] for an unknown profile or service.
    pub fn add_secret(&self, spec: SecretSpec) -> Result<ItemId, SimError> {
        Ok(self.change(|db| db.add_spec(&spec))?.id)
    }

    /// Opens an active session for the secret `name` with simulator-chosen details.
    ///
    /// # Errors
    ///
    /// [`SimError::NoSuchItem`] without such a secret, [`SimError::Disabled`],
    /// [`SimError::AlreadyConnected`].
    pub fn connect(&self, name: &str) -> Result<ItemId, SimError> {
        self.connect_with(name, SessionSpec::new())
    }

    /// Opens an active session for the secret `name`.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub fn connect_with(&self, name: &str, spec: SessionSpec) -> Result<ItemId, SimError> {
        let now = self.now();
        Ok(self.change(|db| db.connect(name, &spec, now))?.id)
    }

    /// Ends the session of `name` (reason `peer-request`), as if the subscriber hung up.
    ///
    /// # Errors
    ///
    /// [`SimError::NoSuchItem`] if `name` is not online.
    pub fn disconnect(&self, name: &str) -> Result<(), SimError> {
        let now = self.now();
        self.change(|db| {
            let id = db.session_by_name(name).ok_or(SimError::NoSuchItem)?.id;
            db.remove_sessions(&[id], now, "peer-request")
        })?;
        Ok(())
    }

    /// Adds a `/ppp/profile`.
    ///
    /// # Errors
    ///
    /// [`SimError::InvalidValue`] if the name is taken.
    pub fn add_profile(&self, name: &str, rate_limit: Option<&str>) -> Result<ItemId, SimError> {
        Ok(self.change(|db| db.add_profile(name, rate_limit))?.id)
    }

    /// Adds an `/ip/firewall/address-list` entry (permanent, enabled), as
    /// `/ip/firewall/address-list/add` would, but without logging a write. `address` is
    /// stored as RouterOS stores it (`10.0.0.1/32` becomes `10.0.0.1`).
    ///
    /// # Errors
    ///
    /// [`SimError::DuplicateEntry`] if `list` has `address` already,
    /// [`SimError::NotSpecified`] for an empty `list` or `address`,
    /// [`SimError::InvalidValue`] for an address that is none.
    pub fn add_address_list_entry(
        &self,
        list: &str,
        address: &str,
        comment: Option<&str>,
    ) -> Result<ItemId, SimError> {
        let now = self.now();
        let mut attrs = vec![
            ("list".to_owned(), list.to_owned()),
            ("address".to_owned(), address.to_owned()),
        ];
        if let Some(comment) = comment {
            attrs.push(("comment".to_owned(), comment.to_owned()));
        }
        Ok(self.change(|db| db.add_address_list_entry(&attrs, now))?.id)
    }

    // ---- clock --------------------------------------------------------------------------

    /// The simulated time, in seconds since the Unix epoch. It starts at
    /// 2025-06-01 08:00:00 and runs with `tokio::time` (so it follows a paused test clock)
    /// unless frozen.
    #[must_use]
    pub fn now(&self) -> i64 {
        lock(&self.inner.clock).now()
    }

    /// Sets the simulated time (seconds since the Unix epoch); it keeps running from there
    /// unless frozen.
    pub fn set_time(&self, epoch_secs: i64) {
        lock(&self.inner.clock).set(epoch_secs);
    }

    /// Stops the simulated clock, so uptimes and traffic samples stay the same.
    pub fn freeze_clock(&self) {
        lock(&self.inner.clock).freeze();
    }

    /// Moves the simulated clock forward.
    pub fn advance_clock(&self, by: Duration) {
        let by = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        lock(&self.inner.clock).advance(by);
    }

    /// How long the simulated router has been up.
    pub(crate) fn router_uptime(&self) -> u64 {
        let now = self.now();
        u64::try_from(now - DEFAULT_EPOCH + BOOT_UPTIME).unwrap_or(0)
    }

    // ---- inspection ---------------------------------------------------------------------

    /// All secrets, in `.id` order.
    #[must_use]
    pub fn secrets(&self) -> Vec<Secret> {
        lock(&self.inner.db)
            .secrets
            .values()
            .map(|s| Secret::clone(s))
            .collect()
    }

    /// The secret called `name`.
    #[must_use]
    pub fn secret(&self, name: &str) -> Option<Secret> {
        lock(&self.inner.db)
            .secret_by_name(name)
            .map(|s| Secret::clone(s))
    }

    /// Number of secrets.
    #[must_use]
    pub fn secret_count(&self) -> usize {
        lock(&self.inner.db).secrets.len()
    }

    /// All active sessions, in `.id` order.
    #[must_use]
    pub fn active(&self) -> Vec<ActiveSession> {
        let now = self.now();
        lock(&self.inner.db)
            .sessions
            .values()
            .map(|s| s.to_public(now))
            .collect()
    }

    /// The active session of `name`.
    #[must_use]
    pub fn active_session(&self, name: &str) -> Option<ActiveSession> {
        let now = self.now();
        lock(&self.inner.db)
            .session_by_name(name)
            .map(|s| s.to_public(now))
    }

    /// Number of active sessions.
    #[must_use]
    pub fn active_count(&self) -> usize {
        lock(&self.inner.db).sessions.len()
    }

    /// All profiles, in `.id` order.
    #[must_use]
    pub fn profiles(&self) -> Vec<Profile> {
        lock(&self.inner.db)
            .profiles
            .values()
            .map(|p| Profile::clone(p))
            .collect()
    }

    /// All `/ip/firewall/address-list` entries, in `.id` order. Entries whose timeout has
    /// passed are removed first (and announced to `listen`, as the router would have).
    #[must_use]
    pub fn address_list(&self) -> Vec<AddressListEntry> {
        self.expire_address_list();
        lock(&self.inner.db)
            .address_list
            .values()
            .map(|e| AddressListEntry::clone(e))
            .collect()
    }

    /// The entries of the address list `list`, in `.id` order (see
    /// [`address_list`](Self::address_list)).
    #[must_use]
    pub fn address_list_entries(&self, list: &str) -> Vec<AddressListEntry> {
        self.expire_address_list();
        lock(&self.inner.db)
            .address_list
            .values()
            .filter(|e| e.list == list)
            .map(|e| AddressListEntry::clone(e))
            .collect()
    }

    /// The last 10,000 changes made through the API, oldest first.
    #[must_use]
    pub fn writes(&self) -> Vec<WriteRecord> {
        lock(&self.inner.logs).writes.iter().cloned().collect()
    }

    /// Number of changes made through the API (since the last [`clear_logs`](Self::clear_logs),
    /// those older than the last 10,000 included).
    #[must_use]
    pub fn write_count(&self) -> usize {
        lock(&self.inner.logs).writes_total
    }

    /// How many API changes of `command` (e.g. `/ppp/secret/add`) among the last 10,000
    /// touched an item called `name`: the "no duplicate write" check.
    #[must_use]
    pub fn writes_to(&self, command: &str, name: &str) -> usize {
        lock(&self.inner.logs).writes_to(command, name)
    }

    /// The last 10,000 requests received, oldest first.
    #[must_use]
    pub fn requests(&self) -> Vec<RequestRecord> {
        lock(&self.inner.logs).requests.iter().cloned().collect()
    }

    /// Waits until a write `command` (e.g. `/ppp/secret/add`) touching `name` has been made
    /// through the API: for a test that must act at that moment (kill the client, say)
    /// without sleeping.
    pub async fn wait_for_write(&self, command: &str, name: &str) {
        let mut written = self.inner.written.subscribe();
        while self.writes_to(command, name) == 0 {
            // The sender lives in `Inner`, which this handle holds: `changed` cannot fail.
            let _ = written.changed().await;
        }
    }

    /// Forgets the write and request logs.
    pub fn clear_logs(&self) {
        lock(&self.inner.logs).clear();
    }

    /// Rows (`!re` sentences) that `print`, `getall` and `listen` have produced for `menu`
    /// (`/ppp/secret`, `/ppp/active`, `/ppp/profile` or `/ip/firewall/address-list`) since the
    /// start, on every connection: what the router had to send for it. A listen's `.dead` rows
    /// count; `!done`, `!empty` and `=count-only=` answers do not. 0 for any other menu.
    #[must_use]
    pub fn rows_sent(&self, menu: &str) -> u64 {
        Table::ALL.iter().find(|t| t.path() == menu).map_or(0, |t| {
            self.inner.rows_sent[t.index()].load(Ordering::Relaxed)
        })
    }

    /// Connections accepted since the start.
    #[must_use]
    pub fn connections_accepted(&self) -> u64 {
        self.inner.accepted.load(Ordering::SeqCst)
    }

    /// Connections open now.
    #[must_use]
    pub fn open_connections(&self) -> u64 {
        self.inner.open.load(Ordering::SeqCst)
    }

    // ---- faults -------------------------------------------------------------------------

    /// Arms a one-shot [`Fault`].
    pub fn inject(&self, fault: Fault) {
        lock(&self.inner.faults).inject(fault);
    }

    /// While `true`, every connection, open or new, reads what it is sent and answers nothing,
    /// `/login` included, without closing: the whole router has gone silent.
    pub fn set_silent(&self, silent: bool) {
        lock(&self.inner.faults).silent = silent;
    }

    /// Delays every reply (login included) by `delay`, `None` to stop. The command is
    /// executed at once; only its answer waits (on `tokio::time`, so a paused test clock
    /// applies).
    pub fn set_reply_delay(&self, delay: Option<Duration>) {
        lock(&self.inner.faults).reply_delay = delay.filter(|d| !d.is_zero());
    }

    /// Refuses every login (as with a wrong password) while `true`.
    pub fn set_refuse_login(&self, refuse: bool) {
        lock(&self.inner.faults).refuse_login = refuse;
    }

    /// While `true`, answers every `listen` (any menu) and every `print` with `=follow=` or
    /// `=follow-only=` with `!trap =message=no such command` and `!done`, as a RouterOS that
    /// lacks them (or a restricted one) would, so that a client can be tested falling back to
    /// polling. Plain prints and everything else work as before; a `listen` already running
    /// goes on.
    pub fn set_refuse_listen(&self, refuse: bool) {
        lock(&self.inner.faults).refuse_listen = refuse;
    }

    /// Sends `!fatal <message>` on every open connection and closes them all, as a router does
    /// when it reboots or the API service is disabled.
    pub fn fatal_all(&self, message: &str) {
        let _ = self.inner.fatal.send(message.to_owned());
    }

    /// Disarms all faults: pending one-shot faults, silence, delay, login and listen refusal.
    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = Faults::default();
    }

    // ---- crate-internal ------------------------------------------------------------------

    /// The menus, to read. Changes go through [`change`](Self::change).
    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        lock(&self.inner.db)
    }

    /// Changes the menus; every item added, changed or removed is then announced to `listen`
    /// and `print =follow=`, in the order of the changes.
    pub(crate) fn change<R>(&self, f: impl FnOnce(&mut Db) -> R) -> R {
        let (result, changes) = {
            let mut db = lock(&self.inner.db);
            let result = f(&mut db);
            (result, db.take_changes())
        };
        for change in changes {
            let _ = self.inner.changes.send(change);
        }
        result
    }

    pub(crate) fn settings(&self) -> Settings {
        lock(&self.inner.settings).clone()
    }

    pub(crate) fn reply_delay(&self) -> Option<Duration> {
        lock(&self.inner.faults).reply_delay
    }

    pub(crate) fn login_refused(&self) -> bool {
        lock(&self.inner.faults).refuse_login
    }

    pub(crate) fn listen_refused(&self) -> bool {
        lock(&self.inner.faults).refuse_listen
    }

    /// Removes the address-list entries whose timeout has passed, announcing each.
    pub(crate) fn expire_address_list(&self) {
        let now = self.now();
        self.change(|db| db.expire_address_list(now));
    }

    pub(crate) fn silent(&self) -> bool {
        lock(&self.inner.faults).silent
    }

    /// Counts a request against the armed faults.
    pub(crate) fn on_request(&self, command: &str) -> Option<RequestFault> {
        lock(&self.inner.faults).on_request(command)
    }

    /// Counts `sentences` reply sentences about to be written; `Some(k)` if only the first `k`
    /// may go out before the connection is closed.
    pub(crate) fn on_replies(&self, sentences: usize) -> Option<usize> {
        lock(&self.inner.faults).on_replies(sentences)
    }

    pub(crate) fn log_request(&self, command: &str, words: Vec<String>) {
        lock(&self.inner.logs).request(RequestRecord {
            command: command.to_owned(),
            words,
        });
    }

    pub(crate) fn log_write(&self, command: &str, targets: Vec<String>) {
        let count = lock(&self.inner.logs).write(WriteRecord {
            command: command.to_owned(),
            targets,
        });
        self.inner.written.send_replace(count);
    }

    /// Counts a row produced for `menu`.
    pub(crate) fn count_row(&self, menu: Table) {
        self.inner.rows_sent[menu.index()].fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn subscribe_changes(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }

    pub(crate) fn subscribe_fatal(&self) -> broadcast::Receiver<String> {
        self.inner.fatal.subscribe()
    }

    pub(crate) fn connection_opened(&self) {
        self.inner.accepted.fetch_add(1, Ordering::SeqCst);
        self.inner.open.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn connection_closed(&self) {
        self.inner.open.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pppoe_core::ProfileTable;
    use std::net::Ipv4Addr;

    #[test]
    fn faults_fire_once_at_their_count() {
        let state = SimState::new();
        state.inject(Fault::LoseReply(2));
        state.inject(Fault::CloseOnRequest(3));
        assert_eq!(state.on_request("/x"), None);
        assert_eq!(state.on_request("/x"), Some(RequestFault::LoseReply));
        assert_eq!(state.on_request("/x"), Some(RequestFault::Close));
        assert_eq!(state.on_request("/x"), None);
        // Aimed at a command word: fires on that word only, once.
        state.inject(Fault::ExecuteThenHangOn("/ppp/secret/add".into()));
        state.inject(Fault::SilentFrom {
            command: "/ppp/active/print".into(),
            execute: false,
        });
        assert_eq!(state.on_request("/ppp/secret/print"), None);
        assert_eq!(
            state.on_request("/ppp/secret/add"),
            Some(RequestFault::ExecuteThenHang)
        );
        assert_eq!(state.on_request("/ppp/secret/add"), None);
        assert!(!state.silent());
        assert_eq!(
            state.on_request("/ppp/active/print"),
            Some(RequestFault::Hang)
        );
        assert!(state.silent());
        state.inject(Fault::CloseAfterReplies(5));
        assert_eq!(state.on_replies(3), None);
        assert_eq!(state.on_replies(3), Some(2));
        assert_eq!(state.on_replies(3), None);
    }

    #[test]
    fn seeded_state_is_deterministic_and_shaped_like_the_spec() {
        let a = SimState::seeded(2000, 7);
        let b = SimState::seeded(2000, 7);
        a.freeze_clock();
        b.freeze_clock();
        assert_eq!(a.secrets(), b.secrets());
        assert_eq!(a.active(), b.active());
        assert_ne!(
            SimState::seeded(50, 8).secrets(),
            SimState::seeded(50, 7).secrets()
        );
        let secrets = a.secrets();
        assert_eq!(secrets.len(), 2000);
        let online = a.active_count();
        assert!((450..=750).contains(&online), "{online} online");
        let disabled = secrets.iter().filter(|s| s.disabled).count();
        assert!((60..=250).contains(&disabled), "{disabled} disabled");
        for profile in ProfileTable::default().names() {
            assert!(secrets.iter().any(|s| s.profile == profile), "{profile}");
        }
        assert!(secrets.iter().all(|s| s.comment.is_some()));
        for session in a.active() {
            let octets = session.address.octets();
            assert_eq!(octets[..2], [10, 20]);
            assert_eq!(session.caller_id.len(), 17);
            assert!(!a.secret(&session.name).unwrap().disabled);
        }
        let mut addresses: Vec<_> = a.active().iter().map(|s| s.address).collect();
        addresses.sort();
        addresses.dedup();
        assert_eq!(addresses.len(), online);
    }

    #[test]
    fn example_users() {
        let state = SimState::new();
        state.add_example_users().unwrap();
        let john = state.secret("john123").unwrap();
        assert_eq!(john.profile, "Premium");
        assert_eq!(john.remote_address, Some(Ipv4Addr::new(192, 168, 1, 100)));
        assert_eq!(john.comment.as_deref(), Some("John Doe"));
        let session = state.active_session("john123").unwrap();
        assert_eq!(session.address, Ipv4Addr::new(192, 168, 1, 100));
        let jane = state.secret("jane456").unwrap();
        assert_eq!(jane.profile, "Standard");
        assert!(state.active_session("jane456").is_none());
        assert_eq!(
            state.add_example_users().unwrap_err(),
            SimError::DuplicateName
        );
    }

    #[test]
    fn clock_can_be_frozen_set_and_advanced() {
        let state = SimState::new();
        state.freeze_clock();
        let t = state.now();
        state.advance_clock(Duration::from_secs(61));
        assert_eq!(state.now(), t + 61);
        state.set_time(1_000_000);
        assert_eq!(state.now(), 1_000_000);
    }
}
