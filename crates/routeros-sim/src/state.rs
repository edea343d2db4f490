//! The shared, cloneable state of the simulated router: menus, users, settings, faults, logs.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use pppoe_core::sample::SAMPLE_USERS;
use pppoe_core::{ProfileTable, SplitMix64};
use tokio::sync::broadcast;

use routeros_api::proto::trap_category;
use routeros_api::value::{self, ItemId};

use crate::model::{
    ActiveSession, Item, Plain, Profile, SERVICES, Secret, SecretSpec, Session, SessionSpec,
};
use crate::seed;

/// Why a change was refused. `Display` is the message of the `!trap` that RouterOS sends.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A secret with this name exists already.
    #[error("failure: secret with the same name already exists")]
    DuplicateName,
    /// A value that must name an existing item or a fixed choice does not (`profile`,
    /// `service`, `interface`).
    #[error("input does not match any value of {0}")]
    NoMatch(String),
    /// No item has this id or name.
    #[error("no such item")]
    NoSuchItem,
    /// A value of the wrong form (`remote-address=abc`).
    #[error("invalid value for argument {0}")]
    InvalidValue(String),
    /// An attribute that the command does not have.
    #[error("unknown parameter {0}")]
    UnknownParameter(String),
    /// A required attribute is missing.
    #[error("missing value(s) of argument(s) {0}")]
    Missing(String),
    /// The subscriber already has an active session.
    #[error("failure: {0} is already connected")]
    AlreadyConnected(String),
    /// A secret is disabled and cannot connect.
    #[error("failure: {0} is disabled")]
    Disabled(String),
}

impl SimError {
    /// The `=category=` RouterOS gives this trap, if any.
    pub(crate) fn category(&self) -> Option<u32> {
        match self {
            Self::NoMatch(_) | Self::InvalidValue(_) | Self::Missing(_) => {
                Some(trap_category::ARGUMENT_VALUE_FAILURE)
            }
            _ => None,
        }
    }
}

/// A fault that fires once, counted from the moment it is injected with
/// [`SimState::inject`]. Request counts include `/login` and are global over all
/// connections (in a test with one connection: "the N-th sentence sent from now on").
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Close the connection that receives the `n`-th request sentence (1 = the next one)
    /// without executing it.
    CloseOnRequest(u64),
    /// Execute the `n`-th request, then close its connection without replying (a reply lost
    /// after the router made the change).
    LoseReply(u64),
    /// Close a connection once the server has written `n` more reply sentences (cuts a long
    /// print in the middle).
    CloseAfterReplies(u64),
    /// Answer the `n`-th request with `!fatal <message>` instead of executing it, then close.
    FatalOnRequest {
        /// Which request.
        n: u64,
        /// The reason word after `!fatal`.
        message: String,
    },
    /// Stop answering on the connection that receives the `n`-th request: neither that
    /// request nor any later one on it is executed or answered, and the connection stays
    /// open (a router gone silent while TCP stays up: power lost behind a NAT, a black-holed
    /// path, a hung API service).
    Hang(u64),
    /// Execute the `n`-th request, then stop answering on its connection as with
    /// [`Fault::Hang`]: a change made whose reply never comes.
    ExecuteThenHang(u64),
    /// As [`Fault::ExecuteThenHang`], for the next request with this command word (e.g.
    /// `/ppp/secret/add`), whatever comes before it.
    ExecuteThenHangOn(String),
    /// The whole router goes silent (as with [`SimState::set_silent`]) at the next request
    /// with this command word, which it executes first if `execute` (the power lost right
    /// after a change) or not (right before).
    SilentFrom {
        /// The command word, e.g. `/ppp/active/print`.
        command: String,
        /// Whether that request is executed first.
        execute: bool,
    },
}

/// What the connection must do with a request, decided by the pending faults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RequestFault {
    Close,
    LoseReply,
    Fatal(String),
    Hang,
    ExecuteThenHang,
}

/// One change made through the API (not by the test set-up methods).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteRecord {
    /// The command, e.g. `/ppp/secret/add`.
    pub command: String,
    /// Names of the items changed (for `add`, the new secret's name).
    pub targets: Vec<String>,
}

/// One request sentence as received (passwords redacted), for tests that check what a
/// client sent (e.g. that a look-up used a query instead of printing everything).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestRecord {
    /// The command word.
    pub command: String,
    /// The other words, `=password=` and `=response=` values replaced by `***`.
    pub words: Vec<String>,
}

/// Menus whose changes `listen` and `print =follow=` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Secret,
    Active,
    Profile,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) table: Table,
    pub(crate) id: ItemId,
}

/// The simulated clock starts here: 2025-06-01 08:00:00.
pub(crate) const DEFAULT_EPOCH: i64 = value::days_from_civil(2025, 6, 1) * 86_400 + 8 * 3600;
/// How long the simulated router has been up when the clock starts.
const BOOT_UPTIME: i64 = 12 * 86_400 + 5 * 3600 + 17 * 60;
/// Requests kept in the request log.
const REQUEST_LOG: usize = 10_000;

#[derive(Debug)]
struct Clock {
    base: i64,
    started: tokio::time::Instant,
    frozen: Option<i64>,
}

impl Clock {
    fn now(&self) -> i64 {
        self.frozen.unwrap_or_else(|| {
            let elapsed = i64::try_from(self.started.elapsed().as_secs()).unwrap_or(i64::MAX);
            self.base.saturating_add(elapsed)
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) users: Vec<(String, String)>,
    pub(crate) legacy_login: bool,
    pub(crate) empty_replies: bool,
    pub(crate) identity: String,
    pub(crate) version: String,
    pub(crate) board_name: String,
    pub(crate) monitor_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            users: Vec::new(),
            legacy_login: false,
            empty_replies: true,
            identity: "MikroTik".to_owned(),
            version: "7.18.2 (stable)".to_owned(),
            board_name: "CCR2004-16G-2S+".to_owned(),
            monitor_interval: Duration::from_secs(1),
        }
    }
}

#[derive(Debug, Default)]
struct FaultState {
    reply_delay: Option<Duration>,
    refuse_login: bool,
    /// Every connection reads requests and answers none.
    silent: bool,
    /// Command words whose next request is executed, then its connection hangs.
    hang_on: Vec<String>,
    /// Command words whose next request makes the router silent (executed first or not).
    silent_from: Vec<(String, bool)>,
    /// Request faults with the number of requests still to come before they fire.
    on_request: Vec<(u64, RequestFault)>,
    /// Reply faults with the number of sentences still allowed.
    on_replies: Vec<u64>,
}

#[derive(Debug, Default)]
struct Logs {
    writes: Vec<WriteRecord>,
    requests: VecDeque<RequestRecord>,
}

/// The menus.
#[derive(Debug)]
pub(crate) struct Db {
    secrets: BTreeMap<ItemId, Arc<Secret>>,
    secret_names: HashMap<String, ItemId>,
    next_secret: u32,
    sessions: BTreeMap<ItemId, Arc<Session>>,
    session_names: HashMap<String, ItemId>,
    next_session: u32,
    next_session_number: u32,
    profiles: BTreeMap<ItemId, Arc<Profile>>,
    next_profile: u32,
    pub(crate) traffic_seed: u64,
}

impl Db {
    fn new() -> Self {
        let mut db = Self {
            secrets: BTreeMap::new(),
            secret_names: HashMap::new(),
            next_secret: 1,
            sessions: BTreeMap::new(),
            session_names: HashMap::new(),
            next_session: 0x8000_0001,
            next_session_number: 0x81A0_0001,
            profiles: BTreeMap::new(),
            next_profile: 1,
            traffic_seed: 0x5EED,
        };
        let mut default = Profile::new(ItemId(0), "default", None);
        default.builtin = true;
        db.profiles.insert(default.id, Arc::new(default));
        let mut encrypted = Profile::new(ItemId(0xFFFF_FFFE), "default-encryption", None);
        encrypted.builtin = true;
        encrypted.only_one = "default".to_owned();
        db.profiles.insert(encrypted.id, Arc::new(encrypted));
        for package in ProfileTable::default().iter() {
            let id = ItemId(db.next_profile);
            db.next_profile += 1;
            let mut p = Profile::new(id, &package.router_profile, Some(&package.rate_limit()));
            p.local_address = Some("10.20.0.1".to_owned());
            p.remote_address = Some("pppoe-pool".to_owned());
            p.only_one = "yes".to_owned();
            db.profiles.insert(id, Arc::new(p));
        }
        db
    }

    pub(crate) fn profile_by_name(&self, name: &str) -> Option<&Arc<Profile>> {
        self.profiles.values().find(|p| p.name == name)
    }

    pub(crate) fn secret_by_name(&self, name: &str) -> Option<&Arc<Secret>> {
        self.secret_names
            .get(name)
            .and_then(|id| self.secrets.get(id))
    }

    pub(crate) fn session_by_name(&self, name: &str) -> Option<&Arc<Session>> {
        self.session_names
            .get(name)
            .and_then(|id| self.sessions.get(id))
    }

    pub(crate) fn item(&self, table: Table, id: ItemId) -> Option<Arc<dyn Item>> {
        match table {
            Table::Secret => self.secrets.get(&id).map(|s| s.clone() as Arc<dyn Item>),
            Table::Active => self.sessions.get(&id).map(|s| s.clone() as Arc<dyn Item>),
            Table::Profile => self.profiles.get(&id).map(|s| s.clone() as Arc<dyn Item>),
        }
    }

    /// All items of a menu in `.id` order; with `name`, only the item of that name (an index
    /// look-up for the common `?name=x` query).
    pub(crate) fn snapshot(&self, table: Table, name: Option<&str>) -> Vec<Arc<dyn Item>> {
        if let Some(name) = name {
            return match table {
                Table::Secret => self
                    .secret_by_name(name)
                    .map(|s| s.clone() as Arc<dyn Item>),
                Table::Active => self
                    .session_by_name(name)
                    .map(|s| s.clone() as Arc<dyn Item>),
                Table::Profile => self
                    .profile_by_name(name)
                    .map(|s| s.clone() as Arc<dyn Item>),
            }
            .into_iter()
            .collect();
        }
        match table {
            Table::Secret => self
                .secrets
                .values()
                .map(|s| s.clone() as Arc<dyn Item>)
                .collect(),
            Table::Active => self
                .sessions
                .values()
                .map(|s| s.clone() as Arc<dyn Item>)
                .collect(),
            Table::Profile => self
                .profiles
                .values()
                .map(|s| s.clone() as Arc<dyn Item>)
                .collect(),
        }
    }

    /// Resolves `.id` / `numbers`: a comma-separated list of `*hex` ids or names.
    pub(crate) fn resolve(&self, table: Table, numbers: &str) -> Result<Vec<ItemId>, SimError> {
        let mut ids = Vec::new();
        for part in numbers.split(',').map(str::trim) {
            let id = if let Some(id) = ItemId::parse(part) {
                let exists = match table {
                    Table::Secret => self.secrets.contains_key(&id),
                    Table::Active => self.sessions.contains_key(&id),
                    Table::Profile => self.profiles.contains_key(&id),
                };
                exists.then_some(id)
            } else {
                match table {
                    Table::Secret => self.secret_names.get(part).copied(),
                    Table::Active => self.session_names.get(part).copied(),
                    Table::Profile => self.profile_by_name(part).map(|p| p.id),
                }
            };
            let id = id.ok_or(SimError::NoSuchItem)?;
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
        if ids.is_empty() {
            return Err(SimError::NoSuchItem);
        }
        Ok(ids)
    }

    fn apply_secret_attr(&self, s: &mut Secret, key: &str, value: &str) -> Result<(), SimError> {
        let address = |value: &str| -> Result<Option<Ipv4Addr>, SimError> {
            if value.is_empty() {
                return Ok(None);
            }
            value
                .parse()
                .map(Some)
                .map_err(|_| SimError::InvalidValue(key.to_owned()))
        };
        let number = |value: &str| -> Result<u64, SimError> {
            value
                .parse()
                .map_err(|_| SimError::InvalidValue(key.to_owned()))
        };
        match key {
            "name" => {
                if value.is_empty() {
                    return Err(SimError::InvalidValue("name".to_owned()));
                }
                value.clone_into(&mut s.name);
            }
            "password" => value.clone_into(&mut s.password),
            "service" => {
                if !SERVICES.contains(&value) {
                    return Err(SimError::NoMatch("service".to_owned()));
                }
                value.clone_into(&mut s.service);
            }
            "profile" => {
                let profile = self
                    .profile_by_name(value)
                    .ok_or_else(|| SimError::NoMatch("profile".to_owned()))?;
                s.profile.clone_from(&profile.name);
            }
            "caller-id" => value.clone_into(&mut s.caller_id),
            "routes" => value.clone_into(&mut s.routes),
            "ipv6-routes" => value.clone_into(&mut s.ipv6_routes),
            "local-address" => s.local_address = address(value)?,
            "remote-address" => s.remote_address = address(value)?,
            "limit-bytes-in" => s.limit_bytes_in = number(value)?,
            "limit-bytes-out" => s.limit_bytes_out = number(value)?,
            "comment" => s.comment = (!value.is_empty()).then(|| value.to_owned()),
            "disabled" => {
                s.disabled = value::parse_bool(value)
                    .ok_or_else(|| SimError::InvalidValue(key.to_owned()))?
            }
            "copy-from" => {}
            _ => return Err(SimError::UnknownParameter(key.to_owned())),
        }
        Ok(())
    }

    /// `/ppp/secret/add`.
    pub(crate) fn add_secret(
        &mut self,
        attrs: &[(String, String)],
    ) -> Result<Arc<Secret>, SimError> {
        let mut secret = Secret::new(ItemId(self.next_secret), String::new());
        if !attrs.iter().any(|(k, _)| k == "name") {
            return Err(SimError::Missing("name".to_owned()));
        }
        for (key, value) in attrs {
            self.apply_secret_attr(&mut secret, key, value)?;
        }
        if self.secret_names.contains_key(&secret.name) {
            return Err(SimError::DuplicateName);
        }
        self.next_secret += 1;
        Ok(self.insert_secret(secret))
    }

    fn insert_secret(&mut self, secret: Secret) -> Arc<Secret> {
        let secret = Arc::new(secret);
        self.secret_names.insert(secret.name.clone(), secret.id);
        self.secrets.insert(secret.id, secret.clone());
        secret
    }

    /// `/ppp/secret/set`: all items are validated before any is changed.
    pub(crate) fn set_secrets(
        &mut self,
        ids: &[ItemId],
        attrs: &[(String, String)],
    ) -> Result<Vec<String>, SimError> {
        let mut updated = Vec::with_capacity(ids.len());
        for id in ids {
            let mut secret = Secret::clone(self.secrets.get(id).ok_or(SimError::NoSuchItem)?);
            for (key, value) in attrs {
                self.apply_secret_attr(&mut secret, key, value)?;
            }
            updated.push(secret);
        }
        let mut new_names = HashSet::new();
        for secret in &updated {
            let taken = self
                .secret_names
                .get(&secret.name)
                .is_some_and(|owner| *owner != secret.id);
            if taken || !new_names.insert(secret.name.clone()) {
                return Err(SimError::DuplicateName);
            }
        }
        let mut names = Vec::with_capacity(updated.len());
        for secret in updated {
            if let Some(old) = self.secrets.get(&secret.id)
                && old.name != secret.name
            {
                self.secret_names.remove(&old.name);
            }
            names.push(secret.name.clone());
            self.insert_secret(secret);
        }
        Ok(names)
    }

    /// `/ppp/secret/unset =value-name=`.
    pub(crate) fn unset_secrets(
        &mut self,
        ids: &[ItemId],
        value_name: &str,
    ) -> Result<Vec<String>, SimError> {
        let mut updated = Vec::with_capacity(ids.len());
        for id in ids {
            let mut s = Secret::clone(self.secrets.get(id).ok_or(SimError::NoSuchItem)?);
            match value_name {
                "caller-id" => s.caller_id.clear(),
                "password" => s.password.clear(),
                "routes" => s.routes.clear(),
                "ipv6-routes" => s.ipv6_routes.clear(),
                "local-address" => s.local_address = None,
                "remote-address" => s.remote_address = None,
                "limit-bytes-in" => s.limit_bytes_in = 0,
                "limit-bytes-out" => s.limit_bytes_out = 0,
                "comment" => s.comment = None,
                _ => return Err(SimError::NoMatch("value-name".to_owned())),
            }
            updated.push(s);
        }
        Ok(updated
            .into_iter()
            .map(|s| self.insert_secret(s).name.clone())
            .collect())
    }

    /// `/ppp/secret/remove`.
    pub(crate) fn remove_secrets(&mut self, ids: &[ItemId]) -> Result<Vec<String>, SimError> {
        if ids.iter().any(|id| !self.secrets.contains_key(id)) {
            return Err(SimError::NoSuchItem);
        }
        let mut names = Vec::new();
        for id in ids {
            if let Some(s) = self.secrets.remove(id) {
                self.secret_names.remove(&s.name);
                names.push(s.name.clone());
            }
        }
        Ok(names)
    }

    /// `/ppp/active/remove`: the sessions end, and their secrets remember the logout.
    pub(crate) fn remove_sessions(
        &mut self,
        ids: &[ItemId],
        now: i64,
        reason: &str,
    ) -> Result<Vec<(String, Option<ItemId>)>, SimError> {
        if ids.iter().any(|id| !self.sessions.contains_key(id)) {
            return Err(SimError::NoSuchItem);
        }
        let mut out = Vec::new();
        for id in ids {
            let Some(session) = self.sessions.remove(id) else {
                continue;
            };
            self.session_names.remove(&session.name);
            let secret_id = self.secret_names.get(&session.name).copied();
            if let Some(old) = secret_id.and_then(|id| self.secrets.get(&id)) {
                let mut s = Secret::clone(old);
                s.last_logged_out = Some(now);
                s.last_caller_id = Some(session.caller_id.clone());
                s.last_disconnect_reason = Some(reason.to_owned());
                self.insert_secret(s);
            }
            out.push((session.name.clone(), secret_id));
        }
        Ok(out)
    }

    /// Adds a secret from a specification (test set-up).
    pub(crate) fn add_spec(&mut self, spec: &SecretSpec) -> Result<Arc<Secret>, SimError> {
        if spec.name.is_empty() {
            return Err(SimError::InvalidValue("name".to_owned()));
        }
        if self.secret_names.contains_key(&spec.name) {
            return Err(SimError::DuplicateName);
        }
        if !SERVICES.contains(&spec.service.as_str()) {
            return Err(SimError::NoMatch("service".to_owned()));
        }
        let profile = self
            .profile_by_name(&spec.profile)
            .ok_or_else(|| SimError::NoMatch("profile".to_owned()))?
            .name
            .clone();
        let mut s = Secret::new(ItemId(self.next_secret), spec.name.clone());
        self.next_secret += 1;
        s.password.clone_from(&spec.password);
        s.service.clone_from(&spec.service);
        s.profile = profile;
        s.caller_id.clone_from(&spec.caller_id);
        s.local_address = spec.local_address;
        s.remote_address = spec.remote_address;
        s.comment.clone_from(&spec.comment);
        s.disabled = spec.disabled;
        s.last_logged_out = spec.last_logged_out;
        s.last_caller_id.clone_from(&spec.last_caller_id);
        s.last_disconnect_reason
            .clone_from(&spec.last_disconnect_reason);
        Ok(self.insert_secret(s))
    }

    /// Opens a session for an existing, enabled secret.
    pub(crate) fn connect(
        &mut self,
        name: &str,
        spec: &SessionSpec,
        now: i64,
    ) -> Result<Arc<Session>, SimError> {
        let secret = self
            .secret_by_name(name)
            .ok_or(SimError::NoSuchItem)?
            .clone();
        if secret.disabled {
            return Err(SimError::Disabled(name.to_owned()));
        }
        if self.session_names.contains_key(name) {
            return Err(SimError::AlreadyConnected(name.to_owned()));
        }
        let address = match spec.address.or(secret.remote_address) {
            Some(addr) => addr,
            None => self.free_pool_address()?,
        };
        let caller_id = spec
            .caller_id
            .clone()
            .unwrap_or_else(|| seed::mac_for(name, self.traffic_seed));
        let id = ItemId(self.next_session);
        self.next_session += 1;
        let number = self.next_session_number;
        self.next_session_number += 1;
        let uptime = i64::try_from(spec.uptime.as_secs()).unwrap_or(i64::MAX);
        let session = Arc::new(Session {
            id,
            name: name.to_owned(),
            service: "pppoe".to_owned(),
            caller_id,
            address,
            connected_at: now.saturating_sub(uptime),
            encoding: String::new(),
            session_id: format!("0x{number:08X}"),
            limit_bytes_in: 0,
            limit_bytes_out: 0,
            radius: false,
        });
        self.session_names.insert(session.name.clone(), id);
        self.sessions.insert(id, session.clone());
        Ok(session)
    }

    /// The first free address of the dynamic pool (10.20.128.0/17).
    fn free_pool_address(&self) -> Result<Ipv4Addr, SimError> {
        let used: HashSet<Ipv4Addr> = self
            .sessions
            .values()
            .map(|s| s.address)
            .chain(self.secrets.values().filter_map(|s| s.remote_address))
            .collect();
        (0..127 * 254u32)
            .map(|j| Ipv4Addr::new(10, 20, 128 + (j / 254) as u8, (j % 254 + 1) as u8))
            .find(|a| !used.contains(a))
            .ok_or_else(|| SimError::InvalidValue("address".to_owned()))
    }

    pub(crate) fn add_profile(
        &mut self,
        name: &str,
        rate_limit: Option<&str>,
    ) -> Result<Arc<Profile>, SimError> {
        if self.profile_by_name(name).is_some() {
            return Err(SimError::InvalidValue("name".to_owned()));
        }
        let id = ItemId(self.next_profile);
        self.next_profile += 1;
        let profile = Arc::new(Profile::new(id, name, rate_limit));
        self.profiles.insert(id, profile.clone());
        Ok(profile)
    }

    /// A traffic sample of a session: rates below its profile's limit, a deterministic function
    /// of the session, the seed and `tick`.
    pub(crate) fn traffic(&self, name: &str, tick: u64) -> Option<Plain> {
        let session = self.session_by_name(name)?;
        let (rx_max, tx_max) = self
            .secret_by_name(name)
            .and_then(|s| self.profile_by_name(&s.profile))
            .and_then(|p| p.rates())
            .unwrap_or((1_000_000, 2_000_000));
        let mut rng = SplitMix64::new(
            self.traffic_seed ^ u64::from(session.id.0) ^ tick.wrapping_mul(0x9E37_79B9),
        );
        let rx = rx_max / 1000 * rng.range(20, 900);
        let tx = tx_max / 1000 * rng.range(50, 950);
        let packets = |bits: u64, size: u64| bits / (size * 8);
        let rx_pps = packets(rx, 600);
        let tx_pps = packets(tx, 1200);
        let mut p = Plain::default();
        p.push("name", format!("<pppoe-{name}>"));
        p.push("rx-packets-per-second", rx_pps.to_string());
        p.push("rx-bits-per-second", rx.to_string());
        p.push("fp-rx-packets-per-second", rx_pps.to_string());
        p.push("fp-rx-bits-per-second", rx.to_string());
        p.push("rx-drops-per-second", "0");
        p.push("rx-errors-per-second", "0");
        p.push("tx-packets-per-second", tx_pps.to_string());
        p.push("tx-bits-per-second", tx.to_string());
        p.push("fp-tx-packets-per-second", tx_pps.to_string());
        p.push("fp-tx-bits-per-second", tx.to_string());
        p.push("tx-drops-per-second", "0");
        p.push("tx-queue-drops-per-second", "0");
        p.push("tx-errors-per-second", "0");
        Some(p)
    }

    /// `/interface/print`: the dynamic PPPoE server interfaces of the sessions.
    pub(crate) fn interfaces(&self) -> Vec<Arc<dyn Item>> {
        self.sessions
            .values()
            .map(|s| {
                let mut p = Plain::default();
                p.push(
                    ".id",
                    ItemId(s.id.0 & 0x00FF_FFFF | 0x0100_0000).to_string(),
                );
                p.push("name", format!("<pppoe-{}>", s.name));
                p.push("type", "pppoe-in");
                p.push("mtu", "1480");
                p.push("actual-mtu", "1480");
                p.push("running", "true");
                p.push("disabled", "false");
                p.push("dynamic", "true");
                Arc::new(p) as Arc<dyn Item>
            })
            .collect()
    }
}

#[derive(Debug)]
struct Inner {
    db: Mutex<Db>,
    config: Mutex<Config>,
    faults: Mutex<FaultState>,
    logs: Mutex<Logs>,
    clock: Mutex<Clock>,
    changes: broadcast::Sender<Change>,
    fatal: broadcast::Sender<String>,
    /// The number of writes logged, for tests that wait for one.
    written: tokio::sync::watch::Sender<usize>,
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
/// `100M/200M`, as `rate-limit`), no secrets, no sessions and **no API users** (add one with
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
                config: Mutex::new(Config::default()),
                faults: Mutex::new(FaultState::default()),
                logs: Mutex::new(Logs::default()),
                clock: Mutex::new(Clock {
                    base: DEFAULT_EPOCH,
                    started: tokio::time::Instant::now(),
                    frozen: None,
                }),
                changes,
                fatal,
                written: tokio::sync::watch::Sender::new(0),
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
        let mut db = lock(&self.inner.db);
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
        let mut config = lock(&self.inner.config);
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
        lock(&self.inner.config).legacy_login = legacy;
    }

    /// `true` (the default) answers an empty print with `!empty` then `!done`, as RouterOS
    /// 7.18+ does; `false` with `!done` alone, as earlier versions do.
    pub fn set_empty_replies(&self, empty: bool) {
        lock(&self.inner.config).empty_replies = empty;
    }

    /// `/system/identity` name.
    pub fn set_identity(&self, name: &str) {
        name.clone_into(&mut lock(&self.inner.config).identity);
    }

    /// The `version` that `/system/resource/print` reports.
    pub fn set_version(&self, version: &str) {
        version.clone_into(&mut lock(&self.inner.config).version);
    }

    /// Interval of `/interface/monitor-traffic` without `once` (default 1 s; an `=interval=`
    /// argument overrides it per command).
    pub fn set_monitor_interval(&self, interval: Duration) {
        lock(&self.inner.config).monitor_interval = interval;
    }

    /// Adds a secret.
    ///
    /// # Errors
    ///
    /// [`SimError::DuplicateName`], or [`SimError::NoMatch`] for an unknown profile or service.
    pub fn add_secret(&self, spec: SecretSpec) -> Result<ItemId, SimError> {
        let secret = lock(&self.inner.db).add_spec(&spec)?;
        self.notify(Table::Secret, secret.id);
        Ok(secret.id)
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
        let session = lock(&self.inner.db).connect(name, &spec, now)?;
        self.notify(Table::Active, session.id);
        Ok(session.id)
    }

    /// Ends the session of `name` (reason `peer-request`), as if the subscriber hung up.
    ///
    /// # Errors
    ///
    /// [`SimError::NoSuchItem`] if `name` is not online.
    pub fn disconnect(&self, name: &str) -> Result<(), SimError> {
        let now = self.now();
        let mut db = lock(&self.inner.db);
        let id = db.session_by_name(name).ok_or(SimError::NoSuchItem)?.id;
        let ended = db.remove_sessions(&[id], now, "peer-request")?;
        drop(db);
        self.notify(Table::Active, id);
        for (_, secret) in ended {
            if let Some(secret) = secret {
                self.notify(Table::Secret, secret);
            }
        }
        Ok(())
    }

    /// Adds a `/ppp/profile`.
    ///
    /// # Errors
    ///
    /// [`SimError::InvalidValue`] if the name is taken.
    pub fn add_profile(&self, name: &str, rate_limit: Option<&str>) -> Result<ItemId, SimError> {
        let profile = lock(&self.inner.db).add_profile(name, rate_limit)?;
        self.notify(Table::Profile, profile.id);
        Ok(profile.id)
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
        let mut clock = lock(&self.inner.clock);
        if clock.frozen.is_some() {
            clock.frozen = Some(epoch_secs);
        } else {
            clock.base = epoch_secs;
            clock.started = tokio::time::Instant::now();
        }
    }

    /// Stops the simulated clock, so uptimes and traffic samples stay the same.
    pub fn freeze_clock(&self) {
        let mut clock = lock(&self.inner.clock);
        clock.frozen = Some(clock.now());
    }

    /// Moves the simulated clock forward.
    pub fn advance_clock(&self, by: Duration) {
        let by = i64::try_from(by.as_secs()).unwrap_or(i64::MAX);
        let mut clock = lock(&self.inner.clock);
        match &mut clock.frozen {
            Some(at) => *at = at.saturating_add(by),
            None => clock.base = clock.base.saturating_add(by),
        }
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

    /// Every change made through the API so far, oldest first.
    #[must_use]
    pub fn writes(&self) -> Vec<WriteRecord> {
        lock(&self.inner.logs).writes.clone()
    }

    /// Number of changes made through the API.
    #[must_use]
    pub fn write_count(&self) -> usize {
        lock(&self.inner.logs).writes.len()
    }

    /// How many API changes of `command` (e.g. `/ppp/secret/add`) touched an item called
    /// `name`: the "no duplicate write" check.
    #[must_use]
    pub fn writes_to(&self, command: &str, name: &str) -> usize {
        lock(&self.inner.logs)
            .writes
            .iter()
            .filter(|w| w.command == command && w.targets.iter().any(|t| t == name))
            .count()
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
        let mut logs = lock(&self.inner.logs);
        logs.writes.clear();
        logs.requests.clear();
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
        let mut faults = lock(&self.inner.faults);
        match fault {
            Fault::CloseOnRequest(n) => faults.on_request.push((n.max(1), RequestFault::Close)),
            Fault::LoseReply(n) => faults.on_request.push((n.max(1), RequestFault::LoseReply)),
            Fault::FatalOnRequest { n, message } => {
                faults
                    .on_request
                    .push((n.max(1), RequestFault::Fatal(message)));
            }
            Fault::CloseAfterReplies(n) => faults.on_replies.push(n),
            Fault::Hang(n) => faults.on_request.push((n.max(1), RequestFault::Hang)),
            Fault::ExecuteThenHang(n) => faults
                .on_request
                .push((n.max(1), RequestFault::ExecuteThenHang)),
            Fault::ExecuteThenHangOn(command) => faults.hang_on.push(command),
            Fault::SilentFrom { command, execute } => faults.silent_from.push((command, execute)),
        }
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

    /// Sends `!fatal <message>` on every open connection and closes them all, as a router does
    /// when it reboots or the API service is disabled.
    pub fn fatal_all(&self, message: &str) {
        let _ = self.inner.fatal.send(message.to_owned());
    }

    /// Disarms all faults: pending one-shot faults, delay, login refusal.
    pub fn clear_faults(&self) {
        *lock(&self.inner.faults) = FaultState::default();
    }

    // ---- crate-internal ------------------------------------------------------------------

    pub(crate) fn db(&self) -> MutexGuard<'_, Db> {
        lock(&self.inner.db)
    }

    pub(crate) fn config(&self) -> Config {
        lock(&self.inner.config).clone()
    }

    pub(crate) fn reply_delay(&self) -> Option<Duration> {
        lock(&self.inner.faults).reply_delay
    }

    pub(crate) fn login_refused(&self) -> bool {
        lock(&self.inner.faults).refuse_login
    }

    pub(crate) fn silent(&self) -> bool {
        lock(&self.inner.faults).silent
    }

    /// Counts a request against the armed faults.
    pub(crate) fn on_request(&self, command: &str) -> Option<RequestFault> {
        let mut faults = lock(&self.inner.faults);
        if let Some(i) = faults.hang_on.iter().position(|c| c == command) {
            faults.hang_on.remove(i);
            return Some(RequestFault::ExecuteThenHang);
        }
        if let Some(i) = faults.silent_from.iter().position(|(c, _)| c == command) {
            let (_, execute) = faults.silent_from.remove(i);
            faults.silent = true;
            return Some(if execute {
                RequestFault::ExecuteThenHang
            } else {
                RequestFault::Hang
            });
        }
        let mut fired = None;
        let mut i = 0;
        while i < faults.on_request.len() {
            let entry = &mut faults.on_request[i];
            entry.0 -= 1;
            if entry.0 == 0 && fired.is_none() {
                fired = Some(faults.on_request.remove(i).1);
                continue;
            }
            // Two faults due on the same request: the later one fires on the next request.
            entry.0 = entry.0.max(1);
            i += 1;
        }
        fired
    }

    /// Counts `sentences` reply sentences about to be written; `Some(k)` if only the first `k`
    /// may go out before the connection is closed.
    pub(crate) fn on_replies(&self, sentences: usize) -> Option<usize> {
        let mut faults = lock(&self.inner.faults);
        if faults.on_replies.is_empty() {
            return None;
        }
        let count = sentences as u64;
        let cut = faults
            .on_replies
            .iter()
            .copied()
            .filter(|n| *n <= count)
            .min();
        if let Some(cut) = cut
            && let Some(pos) = faults.on_replies.iter().position(|n| *n == cut)
        {
            faults.on_replies.remove(pos);
        }
        for n in &mut faults.on_replies {
            *n = n.saturating_sub(cut.unwrap_or(count));
        }
        cut.map(|c| usize::try_from(c).unwrap_or(usize::MAX))
    }

    pub(crate) fn log_request(&self, command: &str, words: Vec<String>) {
        let mut logs = lock(&self.inner.logs);
        if logs.requests.len() >= REQUEST_LOG {
            logs.requests.pop_front();
        }
        logs.requests.push_back(RequestRecord {
            command: command.to_owned(),
            words,
        });
    }

    pub(crate) fn log_write(&self, command: &str, targets: Vec<String>) {
        let count = {
            let mut logs = lock(&self.inner.logs);
            logs.writes.push(WriteRecord {
                command: command.to_owned(),
                targets,
            });
            logs.writes.len()
        };
        self.inner.written.send_replace(count);
    }

    pub(crate) fn notify(&self, table: Table, id: ItemId) {
        let _ = self.inner.changes.send(Change { table, id });
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

    fn attrs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn add_allocates_increasing_hex_ids_and_validates() {
        let mut db = Db::new();
        let a = db
            .add_secret(&attrs(&[("name", "a"), ("profile", "Basic")]))
            .unwrap();
        assert_eq!(a.id.to_string(), "*1");
        for i in 0..30 {
            db.add_secret(&attrs(&[("name", &format!("u{i}"))]))
                .unwrap();
        }
        let b = db.add_secret(&attrs(&[("name", "b")])).unwrap();
        assert_eq!(b.id.to_string(), "*20");
        assert_eq!(b.profile, "default");
        assert_eq!(b.service, "any");
        assert_eq!(
            db.add_secret(&attrs(&[("name", "a")])).unwrap_err(),
            SimError::DuplicateName
        );
        assert_eq!(
            db.add_secret(&attrs(&[("name", "c"), ("profile", "Gold")]))
                .unwrap_err()
                .to_string(),
            "input does not match any value of profile"
        );
        assert_eq!(
            db.add_secret(&attrs(&[("name", "c"), ("remote-address", "10.0.0.300")]))
                .unwrap_err()
                .to_string(),
            "invalid value for argument remote-address"
        );
        assert_eq!(
            db.add_secret(&attrs(&[("name", "c"), ("colour", "red")]))
                .unwrap_err()
                .to_string(),
            "unknown parameter colour"
        );
        assert_eq!(
            db.add_secret(&attrs(&[("name", "c"), ("service", "telnet")]))
                .unwrap_err()
                .to_string(),
            "input does not match any value of service"
        );
        assert_eq!(
            db.add_secret(&attrs(&[("password", "x")])).unwrap_err(),
            SimError::Missing("name".to_owned())
        );
        // Failed adds do not consume ids.
        let c = db.add_secret(&attrs(&[("name", "c")])).unwrap();
        assert_eq!(c.id.to_string(), "*21");
    }

    #[test]
    fn set_resolves_ids_names_and_lists_atomically() {
        let mut db = Db::new();
        for name in ["a", "b", "c"] {
            db.add_secret(&attrs(&[("name", name)])).unwrap();
        }
        let ids = db.resolve(Table::Secret, "*1,b").unwrap();
        assert_eq!(ids, [ItemId(1), ItemId(2)]);
        assert_eq!(
            db.resolve(Table::Secret, "*1,zzz").unwrap_err(),
            SimError::NoSuchItem
        );
        assert_eq!(
            db.resolve(Table::Secret, "*99").unwrap_err(),
            SimError::NoSuchItem
        );
        db.set_secrets(&ids, &attrs(&[("profile", "VIP"), ("disabled", "yes")]))
            .unwrap();
        assert_eq!(db.secret_by_name("a").unwrap().profile, "VIP");
        assert!(db.secret_by_name("b").unwrap().disabled);
        // A bad value changes nothing.
        let err = db
            .set_secrets(&ids, &attrs(&[("comment", "x"), ("profile", "Nope")]))
            .unwrap_err();
        assert_eq!(err, SimError::NoMatch("profile".to_owned()));
        assert_eq!(db.secret_by_name("a").unwrap().comment, None);
        // Rename onto an existing name fails; rename to a free name moves the index.
        assert_eq!(
            db.set_secrets(&[ItemId(1)], &attrs(&[("name", "c")]))
                .unwrap_err(),
            SimError::DuplicateName
        );
        db.set_secrets(&[ItemId(1)], &attrs(&[("name", "z")]))
            .unwrap();
        assert!(db.secret_by_name("a").is_none());
        assert_eq!(db.secret_by_name("z").unwrap().id, ItemId(1));
        // Setting a name on two items at once is a duplicate.
        assert_eq!(
            db.set_secrets(&[ItemId(2), ItemId(3)], &attrs(&[("name", "q")]))
                .unwrap_err(),
            SimError::DuplicateName
        );
        // remote-address cleared by an empty value or unset.
        db.set_secrets(&[ItemId(2)], &attrs(&[("remote-address", "10.1.1.1")]))
            .unwrap();
        assert!(db.secret_by_name("b").unwrap().remote_address.is_some());
        db.unset_secrets(&[ItemId(2)], "remote-address").unwrap();
        assert!(db.secret_by_name("b").unwrap().remote_address.is_none());
    }

    #[test]
    fn remove_and_sessions() {
        let mut db = Db::new();
        db.add_secret(&attrs(&[("name", "a"), ("remote-address", "10.9.9.9")]))
            .unwrap();
        db.add_secret(&attrs(&[("name", "b")])).unwrap();
        db.add_secret(&attrs(&[("name", "off"), ("disabled", "true")]))
            .unwrap();
        let s = db.connect("a", &SessionSpec::new(), 1000).unwrap();
        assert_eq!(s.address, Ipv4Addr::new(10, 9, 9, 9));
        assert_eq!(s.id.to_string(), "*80000001");
        let b = db
            .connect(
                "b",
                &SessionSpec::new().uptime(Duration::from_secs(90)),
                1000,
            )
            .unwrap();
        assert_eq!(b.address, Ipv4Addr::new(10, 20, 128, 1));
        assert_eq!(b.uptime_secs(1000), 90);
        assert_eq!(
            db.connect("a", &SessionSpec::new(), 1000).unwrap_err(),
            SimError::AlreadyConnected("a".to_owned())
        );
        assert_eq!(
            db.connect("off", &SessionSpec::new(), 1000).unwrap_err(),
            SimError::Disabled("off".to_owned())
        );
        let ended = db
            .remove_sessions(&[s.id], 2000, "admin-disconnect")
            .unwrap();
        assert_eq!(ended, [("a".to_owned(), Some(ItemId(1)))]);
        let a = db.secret_by_name("a").unwrap();
        assert_eq!(a.last_logged_out, Some(2000));
        assert_eq!(a.last_caller_id.as_deref(), Some(s.caller_id.as_str()));
        assert_eq!(
            db.remove_sessions(&[s.id], 2000, "x").unwrap_err(),
            SimError::NoSuchItem
        );
        assert_eq!(
            db.remove_secrets(&[ItemId(1), ItemId(77)]).unwrap_err(),
            SimError::NoSuchItem
        );
        assert_eq!(db.secrets.len(), 3);
        assert_eq!(
            db.remove_secrets(&[ItemId(1), ItemId(2)]).unwrap(),
            ["a", "b"]
        );
        assert!(db.secret_by_name("a").is_none());
    }

    #[test]
    fn traffic_stays_under_the_profile_limit_and_is_deterministic() {
        let mut db = Db::new();
        db.add_secret(&attrs(&[("name", "p"), ("profile", "Premium")]))
            .unwrap();
        db.connect("p", &SessionSpec::new(), 0).unwrap();
        for tick in 0..50 {
            let t = db.traffic("p", tick).unwrap();
            let rx: u64 =
                t.0.iter()
                    .find(|(k, _)| k == "rx-bits-per-second")
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
            let tx: u64 =
                t.0.iter()
                    .find(|(k, _)| k == "tx-bits-per-second")
                    .unwrap()
                    .1
                    .parse()
                    .unwrap();
            assert!(rx > 0 && rx <= 25_000_000, "{rx}");
            assert!(tx > 0 && tx <= 50_000_000, "{tx}");
            assert_eq!(db.traffic("p", tick).unwrap().0, t.0);
        }
        assert!(db.traffic("nobody", 0).is_none());
    }

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
