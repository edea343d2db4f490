//! In-memory fakes of the ports, for tests (feature `testing`). The binary never uses them.
//!
//! [`FakeRouter`] keeps secrets and active sessions like RouterOS would and records every call,
//! so tests can assert that nothing reached the router; [`MemoryAudit`] keeps events in a
//! vector and refuses a second event for a message id; [`MemoryTickets`] keeps tickets like the
//! SQLite store (numbering, compare-and-set on the version); [`ManualClock`] is set by the test.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};

use crate::domain::Username;
use crate::ports::{
    ActiveSession, ActivityCount, AuditError, AuditEvent, AuditSink, Clock, Incoming, IpUser,
    ListFilter, ListedSecret, Messenger, MessengerError, NewSecret, Outcome, Outgoing, PageRequest,
    Router, RouterError, RouterProfile, Secret, SecretChange, SecretPage, SecretRef, Traffic,
};
use crate::ticket::{
    Evidence, EvidenceOf, NewEvidence, NewTicket, Resolution, Ticket, TicketError, TicketEvent,
    TicketEventKind, TicketFilter, TicketId, TicketPage, TicketState, TicketStore, TicketUpdate,
};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A clock the test sets; clones share the time.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock at `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Arc::new(Mutex::new(at)))
    }

    /// The spec's example time: 15/12/2024 16:30:25 in Asia/Jakarta (09:30:25 UTC).
    pub fn spec() -> Self {
        Self::new(Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap())
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        *lock(&self.0) = at;
    }

    /// Moves the time forward.
    pub fn advance(&self, by: Duration) {
        let mut t = lock(&self.0);
        *t += chrono::Duration::from_std(by).unwrap_or_default();
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *lock(&self.0)
    }
}

/// A call that reached the [`FakeRouter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouterCall {
    /// `find_secret`
    Find(String),
    /// `list_secrets`
    List(ListFilter, PageRequest),
    /// `add_secret`
    Add(String),
    /// `update_secret`
    Update(String, String),
    /// `remove_secret`
    Remove(String),
    /// `active_session`
    Active(String),
    /// `kick`
    Kick(String),
    /// `profiles`
    Profiles,
    /// `traffic`
    Traffic(String),
    /// `ip_users`
    IpUsers(Ipv4Addr),
    /// `in_address_list` (list, address)
    InList(String, Ipv4Addr),
    /// `add_to_address_list` (list, address)
    ListAdd(String, Ipv4Addr),
    /// `remove_from_address_list` (list, address)
    ListRemove(String, Ipv4Addr),
}

/// The kind of a [`RouterCall`], to aim a fault at one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CallKind {
    /// `find_secret`
    Find,
    /// `list_secrets`
    List,
    /// `add_secret`
    Add,
    /// `update_secret`
    Update,
    /// `remove_secret`
    Remove,
    /// `active_session`
    Active,
    /// `kick`
    Kick,
    /// `profiles`
    Profiles,
    /// `traffic`
    Traffic,
    /// `ip_users`
    IpUsers,
    /// `in_address_list`
    InList,
    /// `add_to_address_list`
    ListAdd,
    /// `remove_from_address_list`
    ListRemove,
}

impl RouterCall {
    /// The call's kind.
    pub fn kind(&self) -> CallKind {
        match self {
            Self::Find(_) => CallKind::Find,
            Self::List(..) => CallKind::List,
            Self::Add(_) => CallKind::Add,
            Self::Update(..) => CallKind::Update,
            Self::Remove(_) => CallKind::Remove,
            Self::Active(_) => CallKind::Active,
            Self::Kick(_) => CallKind::Kick,
            Self::Profiles => CallKind::Profiles,
            Self::Traffic(_) => CallKind::Traffic,
            Self::IpUsers(_) => CallKind::IpUsers,
            Self::InList(..) => CallKind::InList,
            Self::ListAdd(..) => CallKind::ListAdd,
            Self::ListRemove(..) => CallKind::ListRemove,
        }
    }

    /// Whether the call changes the router.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Self::Add(_)
                | Self::Update(..)
                | Self::Remove(_)
                | Self::Kick(_)
                | Self::ListAdd(..)
                | Self::ListRemove(..)
        )
    }
}

/// A stored secret of the fake, with its password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeSecret {
    /// The secret as the port returns it.
    pub secret: Secret,
    /// Its password.
    pub password: String,
    /// `service`.
    pub service: String,
}

/// A fault aimed at the next call of one kind.
#[derive(Debug)]
struct AimedFault {
    kind: CallKind,
    error: RouterError,
    /// Apply the call first, then fail (a reply lost after the router made the change).
    applied: bool,
}

/// Work to do on the router's state just before the next call of a kind runs (another
/// client's change landing in between two of ours).
type Interjection = Box<dyn FnOnce(&FakeRouter) + Send>;

#[derive(Default)]
struct RouterState {
    secrets: BTreeMap<String, FakeSecret>,
    active: BTreeMap<String, ActiveSession>,
    profiles: Vec<RouterProfile>,
    /// Firewall address lists: (list, address) entries.
    address_lists: std::collections::BTreeSet<(String, Ipv4Addr)>,
    calls: Vec<RouterCall>,
    next_id: u32,
    aimed: Vec<AimedFault>,
    before: Vec<(CallKind, Interjection)>,
    /// Listings claim to come from a copy last in sync at this time.
    stale_as_of: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for RouterState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RouterState")
            .field("secrets", &self.secrets)
            .field("active", &self.active)
            .field("calls", &self.calls.len())
            .field("aimed", &self.aimed)
            .field("before", &self.before.len())
            .finish_non_exhaustive()
    }
}

/// An in-memory router with RouterOS's rules for `/ppp` (unique names, known profiles).
#[derive(Debug, Clone)]
pub struct FakeRouter {
    name: String,
    state: Arc<Mutex<RouterState>>,
}

impl Default for FakeRouter {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeRouter {
    /// A router named `main` with the default profiles (Basic .. Enterprise) and no secrets.
    pub fn new() -> Self {
        Self::named("main")
    }

    /// Listings from now on say they come from a copy of the router last in sync at `as_of`
    /// (as a mirror that lost its router does); `None`: fresh again.
    pub fn serve_stale(&self, as_of: Option<DateTime<Utc>>) {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .stale_as_of = as_of;
    }

    /// A router with that name, the default profiles and no secrets.
    pub fn named(name: &str) -> Self {
        let profiles = crate::profile::ProfileTable::default()
            .iter()
            .map(|p| RouterProfile {
                name: p.router_profile.clone(),
                rate_limit: Some(p.rate_limit()),
            })
            .chain(std::iter::once(RouterProfile {
                name: "default".to_owned(),
                rate_limit: None,
            }))
            .collect();
        Self {
            name: name.to_owned(),
            state: Arc::new(Mutex::new(RouterState {
                profiles,
                next_id: 1,
                ..RouterState::default()
            })),
        }
    }

    /// The spec's sample users ([`SAMPLE_USERS`](crate::sample::SAMPLE_USERS)): john123
    /// (Premium, 192.168.1.100, "John Doe", online) and jane456 (Standard, 192.168.1.101,
    /// "Jane Smith", offline). The fake has no clock, so jane456's last session is left out.
    pub fn with_spec_users() -> Self {
        let r = Self::new();
        let users = crate::sample::SAMPLE_USERS;
        for user in &users {
            r.insert(
                user.name,
                user.password,
                user.profile,
                Some(user.remote_address.octets()),
                Some(user.comment),
            );
        }
        for user in &users {
            if let Some(session) = user.session {
                r.connect(user.name, session.caller_id, session.uptime);
            }
        }
        r
    }

    /// Adds a secret directly (not recorded as a call).
    pub fn insert(
        &self,
        name: &str,
        password: &str,
        profile: &str,
        ip: Option<[u8; 4]>,
        comment: Option<&str>,
    ) {
        let mut s = lock(&self.state);
        let id = format!("*{:X}", s.next_id);
        s.next_id += 1;
        s.secrets.insert(
            name.to_owned(),
            FakeSecret {
                secret: Secret {
                    at: SecretRef {
                        router: self.name.clone(),
                        id,
                    },
                    name: name.to_owned(),
                    profile: profile.to_owned(),
                    remote_address: ip.map(Ipv4Addr::from),
                    comment: comment.map(str::to_owned),
                    disabled: false,
                    last_logged_out: None,
                    last_caller_id: None,
                    last_disconnect_reason: None,
                },
                password: password.to_owned(),
                service: "pppoe".to_owned(),
            },
        );
    }

    /// Brings a session up for an existing secret.
    pub fn connect(&self, name: &str, caller_id: &str, uptime: Duration) {
        let mut s = lock(&self.state);
        let address = s
            .secrets
            .get(name)
            .and_then(|f| f.secret.remote_address)
            .or(Some(Ipv4Addr::new(10, 20, 0, 2)));
        let id = format!("*{:X}", 0x8000_0000u32 + s.next_id);
        s.next_id += 1;
        s.active.insert(
            name.to_owned(),
            ActiveSession {
                router: self.name.clone(),
                id,
                name: name.to_owned(),
                address,
                caller_id: Some(caller_id.to_owned()),
                uptime: Some(uptime),
            },
        );
    }

    /// Makes the next call of `kind` fail with `err`, without doing anything.
    pub fn fail_on(&self, kind: CallKind, err: RouterError) {
        lock(&self.state).aimed.push(AimedFault {
            kind,
            error: err,
            applied: false,
        });
    }

    /// Makes the next call of `kind` do its work and then fail with `err`: the change is on
    /// the router but the caller cannot know it (a lost reply, `RouterError::Unconfirmed`).
    pub fn fail_after_applying(&self, kind: CallKind, err: RouterError) {
        lock(&self.state).aimed.push(AimedFault {
            kind,
            error: err,
            applied: true,
        });
    }

    /// Runs `work` on this router just before the next call of `kind` (e.g. another client
    /// adding a secret between our check and our write).
    pub fn before_next(&self, kind: CallKind, work: impl FnOnce(&Self) + Send + 'static) {
        lock(&self.state).before.push((kind, Box::new(work)));
    }

    /// Ends the session of `name`, if any, as RouterOS would record it: the secret's
    /// `last-disconnect-reason` becomes `peer-request`.
    pub fn disconnect(&self, name: &str) {
        self.drop_session(name, None);
    }

    /// [`disconnect`](Self::disconnect) at `at` (the router's local time), which becomes the
    /// secret's `last-logged-out`.
    pub fn disconnect_at(&self, name: &str, at: chrono::NaiveDateTime) {
        self.drop_session(name, Some(at));
    }

    fn drop_session(&self, name: &str, at: Option<chrono::NaiveDateTime>) {
        let mut s = lock(&self.state);
        if s.active.remove(name).is_some()
            && let Some(f) = s.secrets.get_mut(name)
        {
            f.secret.last_disconnect_reason = Some("peer-request".to_owned());
            if at.is_some() {
                f.secret.last_logged_out = at;
            }
        }
    }

    /// Adds a `/ppp/profile` (e.g. the isolation profile).
    pub fn add_profile(&self, name: &str) {
        lock(&self.state).profiles.push(RouterProfile {
            name: name.to_owned(),
            rate_limit: None,
        });
    }

    /// Whether `address` is in the firewall address list `list`.
    pub fn listed(&self, list: &str, address: Ipv4Addr) -> bool {
        lock(&self.state)
            .address_lists
            .contains(&(list.to_owned(), address))
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<RouterCall> {
        lock(&self.state).calls.clone()
    }

    /// The number of calls that changed the router.
    pub fn writes(&self) -> usize {
        lock(&self.state)
            .calls
            .iter()
            .filter(|c| c.is_write())
            .count()
    }

    /// A stored secret.
    pub fn secret(&self, name: &str) -> Option<FakeSecret> {
        lock(&self.state).secrets.get(name).cloned()
    }

    /// The number of secrets.
    pub fn secret_count(&self) -> usize {
        lock(&self.state).secrets.len()
    }

    /// Whether a session of `name` is up.
    pub fn is_online(&self, name: &str) -> bool {
        lock(&self.state).active.contains_key(name)
    }

    fn begin(
        &self,
        call: RouterCall,
    ) -> Result<std::sync::MutexGuard<'_, RouterState>, RouterError> {
        let kind = call.kind();
        let interjection = {
            let mut s = lock(&self.state);
            s.before
                .iter()
                .position(|(k, _)| *k == kind)
                .map(|i| s.before.remove(i).1)
        };
        if let Some(work) = interjection {
            work(self);
        }
        let mut s = lock(&self.state);
        s.calls.push(call);
        if let Some(i) = s.aimed.iter().position(|f| f.kind == kind && !f.applied) {
            return Err(s.aimed.remove(i).error);
        }
        Ok(s)
    }

    /// The error to report after a call of `kind` did its work, if one is aimed at it.
    fn after(&self, kind: CallKind) -> Result<(), RouterError> {
        let mut s = lock(&self.state);
        match s.aimed.iter().position(|f| f.kind == kind && f.applied) {
            Some(i) => Err(s.aimed.remove(i).error),
            None => Ok(()),
        }
    }
}

impl crate::multi::NamedRouter for FakeRouter {
    fn name(&self) -> &str {
        &self.name
    }
}

impl Router for FakeRouter {
    async fn find_secret(&self, name: &Username) -> Result<Option<Secret>, RouterError> {
        let s = self.begin(RouterCall::Find(name.as_str().to_owned()))?;
        Ok(s.secrets.get(name.as_str()).map(|f| f.secret.clone()))
    }

    async fn list_secrets(
        &self,
        filter: &ListFilter,
        page: PageRequest,
    ) -> Result<SecretPage, RouterError> {
        let s = self.begin(RouterCall::List(filter.clone(), page))?;
        let needle = match filter {
            ListFilter::NameContains(t) => t.to_lowercase(),
            _ => String::new(),
        };
        let mut matching: Vec<(u32, &FakeSecret, bool)> = s
            .secrets
            .values()
            .map(|f| (f, s.active.contains_key(&f.secret.name)))
            .filter(|(f, online)| match filter {
                ListFilter::All => true,
                ListFilter::NameContains(_) => {
                    needle.is_empty()
                        || f.secret
                            .name
                            .as_bytes()
                            .windows(needle.len())
                            .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
                }
                ListFilter::Profile(p) => f.secret.profile.eq_ignore_ascii_case(p),
                ListFilter::Enabled => !f.secret.disabled,
                ListFilter::Disabled => f.secret.disabled,
                ListFilter::Online => *online,
                ListFilter::Offline => !*online,
                ListFilter::Down => !*online && !f.secret.disabled,
            })
            .map(|(f, online)| {
                let order = u32::from_str_radix(f.secret.at.id.trim_start_matches('*'), 16);
                (order.unwrap_or(0), f, online)
            })
            .collect();
        // The router's order: creation order, as `print` shows it.
        matching.sort_unstable_by_key(|(order, ..)| *order);
        let total = matching.len();
        let items = matching
            .into_iter()
            .skip(page.offset)
            .take(page.limit)
            .map(|(_, f, online)| ListedSecret {
                secret: f.secret.clone(),
                online,
            })
            .collect();
        Ok(SecretPage {
            items,
            total,
            stale_as_of: s.stale_as_of,
        })
    }

    async fn add_secret(&self, new: &NewSecret) -> Result<SecretRef, RouterError> {
        let mut s = self.begin(RouterCall::Add(new.name.as_str().to_owned()))?;
        if s.secrets.contains_key(new.name.as_str()) {
            return Err(RouterError::AlreadyExists);
        }
        if !s.profiles.iter().any(|p| p.name == new.profile) {
            return Err(RouterError::UnknownProfile);
        }
        let id = format!("*{:X}", s.next_id);
        s.next_id += 1;
        let at = SecretRef {
            router: self.name.clone(),
            id,
        };
        s.secrets.insert(
            new.name.as_str().to_owned(),
            FakeSecret {
                secret: Secret {
                    at: at.clone(),
                    name: new.name.as_str().to_owned(),
                    profile: new.profile.clone(),
                    remote_address: new.remote_address,
                    comment: new.comment.as_ref().map(|c| c.as_str().to_owned()),
                    disabled: false,
                    last_logged_out: None,
                    last_caller_id: None,
                    last_disconnect_reason: None,
                },
                password: new.password.expose().to_owned(),
                service: "pppoe".to_owned(),
            },
        );
        drop(s);
        self.after(CallKind::Add)?;
        Ok(at)
    }

    async fn update_secret(
        &self,
        at: &SecretRef,
        change: &SecretChange,
    ) -> Result<(), RouterError> {
        let what = match change {
            SecretChange::Password(_) => "password",
            SecretChange::Profile(_) => "profile",
            SecretChange::RemoteAddress(_) => "remote-address",
            SecretChange::Disabled(_) => "disabled",
            SecretChange::Comment(_) => "comment",
        };
        let mut s = self.begin(RouterCall::Update(at.id.clone(), what.to_owned()))?;
        if let SecretChange::Profile(p) = change
            && !s.profiles.iter().any(|q| &q.name == p)
        {
            return Err(RouterError::UnknownProfile);
        }
        let f = s
            .secrets
            .values_mut()
            .find(|f| f.secret.at == *at)
            .ok_or(RouterError::NotFound)?;
        match change {
            SecretChange::Password(p) => f.password = p.expose().to_owned(),
            SecretChange::Profile(p) => f.secret.profile = p.clone(),
            SecretChange::RemoteAddress(ip) => f.secret.remote_address = *ip,
            SecretChange::Disabled(d) => f.secret.disabled = *d,
            SecretChange::Comment(c) => {
                f.secret.comment = c.as_ref().map(|c| c.as_str().to_owned())
            }
        }
        drop(s);
        self.after(CallKind::Update)
    }

    async fn remove_secret(&self, at: &SecretRef) -> Result<(), RouterError> {
        let mut s = self.begin(RouterCall::Remove(at.id.clone()))?;
        let name = s
            .secrets
            .values()
            .find(|f| f.secret.at == *at)
            .map(|f| f.secret.name.clone())
            .ok_or(RouterError::NotFound)?;
        s.secrets.remove(&name);
        drop(s);
        self.after(CallKind::Remove)
    }

    async fn active_session(&self, name: &str) -> Result<Option<ActiveSession>, RouterError> {
        let s = self.begin(RouterCall::Active(name.to_owned()))?;
        Ok(s.active.get(name).cloned())
    }

    async fn kick(&self, name: &str) -> Result<usize, RouterError> {
        let mut s = self.begin(RouterCall::Kick(name.to_owned()))?;
        let kicked = usize::from(s.active.remove(name).is_some());
        drop(s);
        self.after(CallKind::Kick)?;
        Ok(kicked)
    }

    async fn profiles(&self) -> Result<Vec<RouterProfile>, RouterError> {
        let s = self.begin(RouterCall::Profiles)?;
        Ok(s.profiles.clone())
    }

    async fn traffic(&self, name: &str) -> Result<Option<Traffic>, RouterError> {
        let s = self.begin(RouterCall::Traffic(name.to_owned()))?;
        Ok(s.active.get(name).map(|_| Traffic {
            download_bps: 12_300_000,
            upload_bps: 1_200_000,
        }))
    }

    async fn ip_users(&self, ip: Ipv4Addr) -> Result<Vec<IpUser>, RouterError> {
        let s = self.begin(RouterCall::IpUsers(ip))?;
        let secrets = s
            .secrets
            .values()
            .filter(|f| f.secret.remote_address == Some(ip))
            .map(|f| IpUser::Secret(f.secret.name.clone()));
        let sessions = s
            .active
            .values()
            .filter(|a| a.address == Some(ip))
            .map(|a| IpUser::Active(a.name.clone()));
        Ok(secrets.chain(sessions).collect())
    }

    async fn in_address_list(
        &self,
        _router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<bool, RouterError> {
        let s = self.begin(RouterCall::InList(list.to_owned(), address))?;
        Ok(s.address_lists.contains(&(list.to_owned(), address)))
    }

    async fn add_to_address_list(
        &self,
        _router: &str,
        list: &str,
        address: Ipv4Addr,
        _comment: &str,
    ) -> Result<(), RouterError> {
        let mut s = self.begin(RouterCall::ListAdd(list.to_owned(), address))?;
        if !s.address_lists.insert((list.to_owned(), address)) {
            return Err(RouterError::AlreadyExists);
        }
        drop(s);
        self.after(CallKind::ListAdd)
    }

    async fn remove_from_address_list(
        &self,
        _router: &str,
        list: &str,
        address: Ipv4Addr,
    ) -> Result<usize, RouterError> {
        let mut s = self.begin(RouterCall::ListRemove(list.to_owned(), address))?;
        let removed = usize::from(s.address_lists.remove(&(list.to_owned(), address)));
        drop(s);
        self.after(CallKind::ListRemove)?;
        Ok(removed)
    }
}

/// An audit log in memory; refuses a second event for one message id, like the real store.
#[derive(Debug, Clone, Default)]
pub struct MemoryAudit {
    events: Arc<Mutex<Vec<AuditEvent>>>,
    claims: Arc<Mutex<Vec<AuditEvent>>>,
    failing: Arc<Mutex<bool>>,
}

impl MemoryAudit {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<AuditEvent> {
        lock(&self.events).clone()
    }

    /// Every claim so far (see [`AuditSink::claim`]).
    pub fn claims(&self) -> Vec<AuditEvent> {
        lock(&self.claims).clone()
    }

    /// Makes every call fail (or work again).
    pub fn set_failing(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }

    fn check(&self) -> Result<(), AuditError> {
        if *lock(&self.failing) {
            Err(AuditError::Store("disk I/O error".to_owned()))
        } else {
            Ok(())
        }
    }
}

impl AuditSink for MemoryAudit {
    async fn append(&self, event: AuditEvent) -> Result<(), AuditError> {
        self.check()?;
        let mut events = lock(&self.events);
        if events.iter().any(|e| e.message_id == event.message_id) {
            return Err(AuditError::Duplicate(event.message_id));
        }
        events.push(event);
        Ok(())
    }

    async fn is_handled(&self, id: &str) -> Result<bool, AuditError> {
        self.check()?;
        Ok(lock(&self.events).iter().any(|e| e.message_id == id))
    }

    async fn claim(&self, event: &AuditEvent) -> Result<bool, AuditError> {
        self.check()?;
        let mut claims = lock(&self.claims);
        if claims.iter().any(|c| c.message_id == event.message_id) {
            return Ok(false);
        }
        claims.push(event.clone());
        Ok(true)
    }

    async fn interrupted(&self) -> Result<Vec<AuditEvent>, AuditError> {
        self.check()?;
        let events = lock(&self.events);
        Ok(lock(&self.claims)
            .iter()
            .filter(|c| !events.iter().any(|e| e.message_id == c.message_id))
            .cloned()
            .collect())
    }

    async fn created_at(
        &self,
        usernames: &[String],
    ) -> Result<HashMap<String, DateTime<Utc>>, AuditError> {
        self.check()?;
        let events = lock(&self.events);
        let mut out = HashMap::new();
        for e in events.iter() {
            if e.command == "addpppoe"
                && e.outcome == Outcome::Ok
                && let Some(t) = &e.target
                && usernames.contains(t)
            {
                out.insert(t.clone(), e.at);
            }
        }
        Ok(out)
    }

    async fn activity(&self, since: DateTime<Utc>) -> Result<Vec<ActivityCount>, AuditError> {
        self.check()?;
        let mut counts: BTreeMap<(String, String), u64> = BTreeMap::new();
        for e in lock(&self.events).iter() {
            if e.outcome == Outcome::Ok && e.at >= since {
                *counts
                    .entry((e.actor_phone.clone(), e.command.clone()))
                    .or_default() += 1;
            }
        }
        Ok(counts
            .into_iter()
            .map(|((actor, command), count)| ActivityCount {
                actor,
                command,
                count,
            })
            .collect())
    }
}

/// Evidence records, and the files by SHA-256.
type KeptEvidence = (Vec<Evidence>, HashMap<String, Vec<u8>>);

/// A ticket and its history.
type StoredTicket = (Ticket, Vec<TicketEvent>);

/// Tickets in memory, numbered from TR001, each write refused if the ticket changed since it
/// was read (like the SQLite store). Clones share the tickets.
#[derive(Debug, Clone, Default)]
pub struct MemoryTickets {
    tickets: Arc<Mutex<Vec<StoredTicket>>>,
    failing: Arc<Mutex<bool>>,
    /// Tickets another writer changes just before the next update.
    change_before_update: Arc<Mutex<Vec<TicketId>>>,
    /// Customers' numbers by lower-cased username.
    customers: Arc<Mutex<HashMap<String, String>>>,
    /// Evidence records, and the files by SHA-256.
    evidence: Arc<Mutex<KeptEvidence>>,
    /// Current isolations, oldest first.
    isolations: Arc<Mutex<Vec<crate::isolation::Isolation>>>,
}

impl MemoryTickets {
    /// No tickets.
    pub fn new() -> Self {
        Self::default()
    }

    /// Makes every call fail (or work again).
    pub fn set_failing(&self, failing: bool) {
        *lock(&self.failing) = failing;
    }

    /// A ticket and its history, as stored.
    pub fn ticket(&self, id: TicketId) -> Option<(Ticket, Vec<TicketEvent>)> {
        lock(&self.tickets)
            .iter()
            .find(|(t, _)| t.id == id)
            .cloned()
    }

    /// The bytes kept under a SHA-256, if any.
    pub fn file(&self, sha256: &str) -> Option<Vec<u8>> {
        lock(&self.evidence).1.get(sha256).cloned()
    }

    /// Makes another writer change ticket `id` right before the next update, after the
    /// engine read it (a race with a second technician).
    pub fn change_before_next_update(&self, id: TicketId) {
        lock(&self.change_before_update).push(id);
    }

    fn check(&self) -> Result<(), TicketError> {
        if *lock(&self.failing) {
            Err(TicketError::Store("disk I/O error".to_owned()))
        } else {
            Ok(())
        }
    }
}

impl TicketStore for MemoryTickets {
    async fn isolate(&self, isolation: &crate::isolation::Isolation) -> Result<(), TicketError> {
        self.check()?;
        let mut all = lock(&self.isolations);
        if all
            .iter()
            .any(|i| i.username.eq_ignore_ascii_case(&isolation.username))
        {
            return Err(TicketError::Store(format!(
                "{} is isolated already",
                isolation.username
            )));
        }
        all.push(isolation.clone());
        Ok(())
    }

    async fn isolation(
        &self,
        username: &str,
    ) -> Result<Option<crate::isolation::Isolation>, TicketError> {
        self.check()?;
        Ok(lock(&self.isolations)
            .iter()
            .find(|i| i.username.eq_ignore_ascii_case(username))
            .cloned())
    }

    async fn end_isolation(&self, username: &str, _at: DateTime<Utc>) -> Result<(), TicketError> {
        self.check()?;
        lock(&self.isolations).retain(|i| !i.username.eq_ignore_ascii_case(username));
        Ok(())
    }

    async fn isolations(
        &self,
        page: u32,
        page_size: u32,
    ) -> Result<crate::isolation::IsolationPage, TicketError> {
        self.check()?;
        let all = lock(&self.isolations);
        let skip = page.saturating_sub(1) as usize * page_size as usize;
        Ok(crate::isolation::IsolationPage {
            items: all
                .iter()
                .skip(skip)
                .take(page_size as usize)
                .cloned()
                .collect(),
            total: all.len(),
        })
    }

    async fn open(&self, new: NewTicket) -> Result<Ticket, TicketError> {
        self.check()?;
        let mut tickets = lock(&self.tickets);
        let number = u32::try_from(tickets.len() + 1).unwrap_or(u32::MAX);
        let id = TicketId::new(number).ok_or_else(|| TicketError::Store("numbering".into()))?;
        let ticket = Ticket {
            id,
            state: TicketState::Open,
            username: new.username,
            complaint: new.complaint,
            reporter: new.reporter.clone(),
            assignee: None,
            opened_at: new.at,
            taken_at: None,
            resolved_at: None,
            closed_at: None,
            installed_at: None,
            version: 0,
        };
        let opened = TicketEvent {
            at: new.at,
            actor: Some(new.reporter),
            kind: TicketEventKind::Opened,
            text: None,
            message_id: Some(new.message_id),
        };
        tickets.push((ticket.clone(), vec![opened]));
        Ok(ticket)
    }

    async fn get(&self, id: TicketId) -> Result<Option<(Ticket, Vec<TicketEvent>)>, TicketError> {
        self.check()?;
        Ok(self.ticket(id))
    }

    async fn list(
        &self,
        filter: &TicketFilter,
        page: u32,
        page_size: u32,
    ) -> Result<TicketPage, TicketError> {
        self.check()?;
        let matching: Vec<Ticket> = lock(&self.tickets)
            .iter()
            .map(|(t, _)| t)
            .filter(|t| match filter {
                TicketFilter::Active => t.state.is_active(),
                TicketFilter::AssignedTo(p) => {
                    t.state.is_active() && t.assignee.as_deref() == Some(p.as_str())
                }
                TicketFilter::Subscriber(u) => t
                    .username
                    .as_deref()
                    .is_some_and(|n| n.eq_ignore_ascii_case(u)),
                TicketFilter::All => true,
            })
            .cloned()
            .collect();
        let size = page_size.max(1) as usize;
        let start = (page.max(1) as usize - 1) * size;
        Ok(TicketPage {
            total: matching.len(),
            items: matching.into_iter().skip(start).take(size).collect(),
        })
    }

    async fn update(&self, update: TicketUpdate) -> Result<Ticket, TicketError> {
        self.check()?;
        let raced = std::mem::take(&mut *lock(&self.change_before_update));
        let mut tickets = lock(&self.tickets);
        for (t, _) in tickets.iter_mut().filter(|(t, _)| raced.contains(&t.id)) {
            t.version += 1;
        }
        let id = update.ticket.id;
        let (stored, events) = tickets
            .iter_mut()
            .find(|(t, _)| t.id == id)
            .ok_or(TicketError::NotFound(id))?;
        if stored.version != update.ticket.version {
            return Err(TicketError::Conflict(id));
        }
        let mut ticket = update.ticket;
        ticket.version += 1;
        *stored = ticket.clone();
        events.push(update.event);
        Ok(ticket)
    }

    async fn resolved_before(&self, cutoff: DateTime<Utc>) -> Result<Vec<Ticket>, TicketError> {
        self.check()?;
        Ok(lock(&self.tickets)
            .iter()
            .map(|(t, _)| t)
            .filter(|t| {
                t.state == TicketState::Resolved && t.resolved_at.is_some_and(|r| r <= cutoff)
            })
            .cloned()
            .collect())
    }

    async fn set_customer(
        &self,
        username: &str,
        phone: &str,
        _at: DateTime<Utc>,
    ) -> Result<(), TicketError> {
        self.check()?;
        lock(&self.customers).insert(username.to_lowercase(), phone.to_owned());
        Ok(())
    }

    async fn forget_customer(&self, username: &str) -> Result<(), TicketError> {
        self.check()?;
        lock(&self.customers).remove(&username.to_lowercase());
        Ok(())
    }

    async fn customer(&self, username: &str) -> Result<Option<String>, TicketError> {
        self.check()?;
        Ok(lock(&self.customers).get(&username.to_lowercase()).cloned())
    }

    async fn add_evidence(&self, evidence: NewEvidence) -> Result<Evidence, TicketError> {
        self.check()?;
        let record = evidence.record();
        let mut kept = lock(&self.evidence);
        if let Some((file, bytes)) = evidence.file {
            kept.1.insert(file.sha256, bytes);
        }
        kept.0.push(record.clone());
        Ok(record)
    }

    async fn evidence(&self, of: &EvidenceOf) -> Result<Vec<Evidence>, TicketError> {
        self.check()?;
        Ok(lock(&self.evidence)
            .0
            .iter()
            .filter(|e| match (of, &e.of) {
                (EvidenceOf::Ticket(a), EvidenceOf::Ticket(b)) => a == b,
                (EvidenceOf::Subscriber(a), EvidenceOf::Subscriber(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            })
            .cloned()
            .collect())
    }

    async fn resolutions(&self, since: DateTime<Utc>) -> Result<Vec<Resolution>, TicketError> {
        self.check()?;
        let kept = lock(&self.evidence).0.clone();
        let mut out: Vec<Resolution> = lock(&self.tickets)
            .iter()
            .flat_map(|(t, events)| {
                let evidence: Vec<Evidence> = kept
                    .iter()
                    .filter(|e| e.of == EvidenceOf::Ticket(t.id))
                    .cloned()
                    .collect();
                crate::ticket::resolutions_in(t.id, events, &evidence, since)
            })
            .collect();
        out.sort_by_key(|r| r.resolved_at);
        Ok(out)
    }
}

/// A messenger fed from a script: yields the queued messages, records what is sent.
#[derive(Debug, Clone, Default)]
pub struct ScriptedMessenger {
    inbox: Arc<Mutex<VecDeque<Incoming>>>,
    sent: Arc<Mutex<Vec<Outgoing>>>,
}

impl ScriptedMessenger {
    /// A messenger that will deliver `messages` in order, then end.
    pub fn new(messages: impl IntoIterator<Item = Incoming>) -> Self {
        Self {
            inbox: Arc::new(Mutex::new(messages.into_iter().collect())),
            sent: Arc::default(),
        }
    }

    /// Everything sent so far.
    pub fn sent(&self) -> Vec<Outgoing> {
        lock(&self.sent).clone()
    }
}

impl Messenger for ScriptedMessenger {
    async fn next_message(&self) -> Option<Incoming> {
        lock(&self.inbox).pop_front()
    }

    async fn send(&self, message: &Outgoing) -> Result<(), MessengerError> {
        lock(&self.sent).push(message.clone());
        Ok(())
    }
}
