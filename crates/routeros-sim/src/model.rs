//! The items of the simulated menus and how RouterOS 7 prints them.

use std::borrow::Cow;
use std::net::Ipv4Addr;
use std::time::Duration;

use pppoe_core::RateLimit;
use routeros_api::value::{self, ItemId};

use crate::wire::Row;

/// An item of a menu, as `print` sees it.
pub(crate) trait Item: Send + Sync + std::fmt::Debug {
    /// A property's value as printed, `None` if the item does not have it. `now` is the
    /// simulated clock (seconds since the Unix epoch), for uptimes.
    fn get(&self, key: &str, now: i64) -> Option<Cow<'_, str>>;
    /// Writes the properties (those that `.proplist` asks for) into a `!re` sentence.
    fn write(&self, row: &mut Row<'_>, now: i64);
}

/// Valid values of a secret's `service`.
pub(crate) const SERVICES: &[&str] = &["any", "async", "l2tp", "ovpn", "pppoe", "pptp", "sstp"];

/// A `/ppp/secret` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Secret {
    /// `.id`, e.g. `*1A`.
    pub id: ItemId,
    /// `name`: the PPP user name.
    pub name: String,
    /// `service`: `any`, `pppoe`, `pptp`, ...
    pub service: String,
    /// `caller-id`: the MAC the secret is bound to, empty for any.
    pub caller_id: String,
    /// `password`.
    pub password: String,
    /// `profile`: a `/ppp/profile` name.
    pub profile: String,
    /// `routes`.
    pub routes: String,
    /// `ipv6-routes`.
    pub ipv6_routes: String,
    /// `limit-bytes-in`.
    pub limit_bytes_in: u64,
    /// `limit-bytes-out`.
    pub limit_bytes_out: u64,
    /// `local-address`: the router's side of the link.
    pub local_address: Option<Ipv4Addr>,
    /// `remote-address`: the subscriber's (static) address.
    pub remote_address: Option<Ipv4Addr>,
    /// `comment`.
    pub comment: Option<String>,
    /// `disabled`.
    pub disabled: bool,
    /// `last-logged-out`, in seconds since the Unix epoch on the simulated clock.
    pub last_logged_out: Option<i64>,
    /// `last-caller-id`.
    pub last_caller_id: Option<String>,
    /// `last-disconnect-reason`.
    pub last_disconnect_reason: Option<String>,
}

impl Secret {
    pub(crate) fn new(id: ItemId, name: String) -> Self {
        Self {
            id,
            name,
            service: "any".to_owned(),
            caller_id: String::new(),
            password: String::new(),
            profile: "default".to_owned(),
            routes: String::new(),
            ipv6_routes: String::new(),
            limit_bytes_in: 0,
            limit_bytes_out: 0,
            local_address: None,
            remote_address: None,
            comment: None,
            disabled: false,
            last_logged_out: None,
            last_caller_id: None,
            last_disconnect_reason: None,
        }
    }
}

impl Item for Secret {
    fn get(&self, key: &str, _now: i64) -> Option<Cow<'_, str>> {
        Some(match key {
            ".id" => Cow::Owned(self.id.to_string()),
            "name" => Cow::Borrowed(&self.name),
            "service" => Cow::Borrowed(&self.service),
            "caller-id" => Cow::Borrowed(&self.caller_id),
            "password" => Cow::Borrowed(&self.password),
            "profile" => Cow::Borrowed(&self.profile),
            "routes" => Cow::Borrowed(&self.routes),
            "ipv6-routes" => Cow::Borrowed(&self.ipv6_routes),
            "limit-bytes-in" => Cow::Owned(self.limit_bytes_in.to_string()),
            "limit-bytes-out" => Cow::Owned(self.limit_bytes_out.to_string()),
            "local-address" => Cow::Owned(self.local_address?.to_string()),
            "remote-address" => Cow::Owned(self.remote_address?.to_string()),
            "comment" => Cow::Borrowed(self.comment.as_deref()?),
            "disabled" => Cow::Borrowed(value::format_bool(self.disabled)),
            "last-logged-out" => Cow::Owned(value::format_datetime(self.last_logged_out?)),
            "last-caller-id" => Cow::Borrowed(self.last_caller_id.as_deref()?),
            "last-disconnect-reason" => Cow::Borrowed(self.last_disconnect_reason.as_deref()?),
            _ => return None,
        })
    }

    fn write(&self, row: &mut Row<'_>, _now: i64) {
        row.attr_with(".id", || self.id.to_string());
        row.attr("name", &self.name);
        row.attr("service", &self.service);
        row.attr("caller-id", &self.caller_id);
        row.attr("password", &self.password);
        row.attr("profile", &self.profile);
        row.attr("routes", &self.routes);
        row.attr("ipv6-routes", &self.ipv6_routes);
        row.attr_with("limit-bytes-in", || self.limit_bytes_in.to_string());
        row.attr_with("limit-bytes-out", || self.limit_bytes_out.to_string());
        if let Some(addr) = self.local_address {
            row.attr_with("local-address", || addr.to_string());
        }
        if let Some(addr) = self.remote_address {
            row.attr_with("remote-address", || addr.to_string());
        }
        if let Some(at) = self.last_logged_out {
            row.attr_with("last-logged-out", || value::format_datetime(at));
        }
        if let Some(caller) = &self.last_caller_id {
            row.attr("last-caller-id", caller);
        }
        if let Some(reason) = &self.last_disconnect_reason {
            row.attr("last-disconnect-reason", reason);
        }
        row.flag("disabled", self.disabled);
        if let Some(comment) = &self.comment {
            row.attr("comment", comment);
        }
    }
}

/// A `/ppp/profile` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Profile {
    /// `.id`.
    pub id: ItemId,
    /// `name`.
    pub name: String,
    /// `rate-limit`, `rx/tx` from the router's side: `25M/50M` is 25 Mbit/s upload and
    /// 50 Mbit/s download for the subscriber.
    pub rate_limit: Option<String>,
    /// `local-address`.
    pub local_address: Option<String>,
    /// `remote-address` (an address or a pool name).
    pub remote_address: Option<String>,
    /// `only-one`: `default`, `yes` or `no`.
    pub only_one: String,
    /// `default`: the built-in `default` and `default-encryption` profiles.
    pub builtin: bool,
}

impl Profile {
    pub(crate) fn new(id: ItemId, name: &str, rate_limit: Option<&str>) -> Self {
        Self {
            id,
            name: name.to_owned(),
            rate_limit: rate_limit.map(str::to_owned),
            local_address: None,
            remote_address: None,
            only_one: "default".to_owned(),
            builtin: false,
        }
    }

    /// `(rx, tx)` of the rate limit in bit/s (subscriber upload, download).
    #[must_use]
    pub fn rates(&self) -> Option<(u64, u64)> {
        let limit = RateLimit::parse(self.rate_limit.as_deref()?).ok()?;
        Some((limit.upload_bps, limit.download_bps))
    }
}

impl Item for Profile {
    fn get(&self, key: &str, _now: i64) -> Option<Cow<'_, str>> {
        Some(match key {
            ".id" => Cow::Owned(self.id.to_string()),
            "name" => Cow::Borrowed(&self.name),
            "local-address" => Cow::Borrowed(self.local_address.as_deref()?),
            "remote-address" => Cow::Borrowed(self.remote_address.as_deref()?),
            "rate-limit" => Cow::Borrowed(self.rate_limit.as_deref()?),
            "only-one" => Cow::Borrowed(&self.only_one),
            "use-compression" | "use-encryption" | "use-mpls" | "use-upnp" | "change-tcp-mss"
            | "bridge-learning" => Cow::Borrowed("default"),
            "use-ipv6" => Cow::Borrowed("yes"),
            "address-list" | "on-up" | "on-down" => Cow::Borrowed(""),
            "default" => Cow::Borrowed(value::format_bool(self.builtin)),
            _ => return None,
        })
    }

    fn write(&self, row: &mut Row<'_>, _now: i64) {
        row.attr_with(".id", || self.id.to_string());
        row.attr("name", &self.name);
        if let Some(v) = &self.local_address {
            row.attr("local-address", v);
        }
        if let Some(v) = &self.remote_address {
            row.attr("remote-address", v);
        }
        row.attr("use-mpls", "default");
        row.attr("use-compression", "default");
        row.attr("use-encryption", "default");
        row.attr("only-one", &self.only_one);
        row.attr("change-tcp-mss", "default");
        row.attr("use-upnp", "default");
        row.attr("address-list", "");
        row.attr("on-up", "");
        row.attr("on-down", "");
        row.attr("use-ipv6", "yes");
        row.attr("bridge-learning", "default");
        if let Some(v) = &self.rate_limit {
            row.attr("rate-limit", v);
        }
        row.flag("default", self.builtin);
    }
}

/// A `/ppp/active` session as stored: the uptime is derived from the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Session {
    pub(crate) id: ItemId,
    pub(crate) name: String,
    pub(crate) service: String,
    pub(crate) caller_id: String,
    pub(crate) address: Ipv4Addr,
    pub(crate) connected_at: i64,
    pub(crate) encoding: String,
    pub(crate) session_id: String,
    pub(crate) limit_bytes_in: u64,
    pub(crate) limit_bytes_out: u64,
    pub(crate) radius: bool,
}

impl Session {
    pub(crate) fn uptime_secs(&self, now: i64) -> u64 {
        u64::try_from(now.saturating_sub(self.connected_at)).unwrap_or(0)
    }

    pub(crate) fn to_public(&self, now: i64) -> ActiveSession {
        ActiveSession {
            id: self.id,
            name: self.name.clone(),
            service: self.service.clone(),
            caller_id: self.caller_id.clone(),
            address: self.address,
            uptime: Duration::from_secs(self.uptime_secs(now)),
            encoding: self.encoding.clone(),
            session_id: self.session_id.clone(),
            limit_bytes_in: self.limit_bytes_in,
            limit_bytes_out: self.limit_bytes_out,
            radius: self.radius,
        }
    }
}

impl Item for Session {
    fn get(&self, key: &str, now: i64) -> Option<Cow<'_, str>> {
        Some(match key {
            ".id" => Cow::Owned(self.id.to_string()),
            "name" => Cow::Borrowed(&self.name),
            "service" => Cow::Borrowed(&self.service),
            "caller-id" => Cow::Borrowed(&self.caller_id),
            "address" => Cow::Owned(self.address.to_string()),
            "uptime" => Cow::Owned(value::format_duration(Duration::from_secs(
                self.uptime_secs(now),
            ))),
            "encoding" => Cow::Borrowed(&self.encoding),
            "session-id" => Cow::Borrowed(&self.session_id),
            "limit-bytes-in" => Cow::Owned(self.limit_bytes_in.to_string()),
            "limit-bytes-out" => Cow::Owned(self.limit_bytes_out.to_string()),
            "radius" => Cow::Borrowed(value::format_bool(self.radius)),
            _ => return None,
        })
    }

    fn write(&self, row: &mut Row<'_>, now: i64) {
        row.attr_with(".id", || self.id.to_string());
        row.attr("name", &self.name);
        row.attr("service", &self.service);
        row.attr("caller-id", &self.caller_id);
        row.attr_with("address", || self.address.to_string());
        row.attr_with("uptime", || {
            value::format_duration(Duration::from_secs(self.uptime_secs(now)))
        });
        row.attr("encoding", &self.encoding);
        row.attr("session-id", &self.session_id);
        row.attr_with("limit-bytes-in", || self.limit_bytes_in.to_string());
        row.attr_with("limit-bytes-out", || self.limit_bytes_out.to_string());
        row.flag("radius", self.radius);
    }
}

/// A `/ppp/active` session, as read by [`SimState::active`](crate::SimState::active).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ActiveSession {
    /// `.id`.
    pub id: ItemId,
    /// `name`: the secret's name.
    pub name: String,
    /// `service`, `pppoe` for the sessions the simulator creates.
    pub service: String,
    /// `caller-id`: the subscriber's MAC (`AA:BB:CC:DD:EE:FF`).
    pub caller_id: String,
    /// `address`: the subscriber's address.
    pub address: Ipv4Addr,
    /// `uptime`, printed as `1d2h3m4s`.
    pub uptime: Duration,
    /// `encoding`.
    pub encoding: String,
    /// `session-id`.
    pub session_id: String,
    /// `limit-bytes-in`.
    pub limit_bytes_in: u64,
    /// `limit-bytes-out`.
    pub limit_bytes_out: u64,
    /// `radius`.
    pub radius: bool,
}

/// An `/ip/firewall/address-list` entry, as read by
/// [`SimState::address_list`](crate::SimState::address_list).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AddressListEntry {
    /// `.id`.
    pub id: ItemId,
    /// `list`: the name of the address list.
    pub list: String,
    /// `address` as RouterOS keeps it: `10.0.0.1` (also for `10.0.0.1/32`), a network
    /// `10.0.0.0/24` (host bits cleared), a range `10.0.0.1-10.0.0.5` (a network if it is
    /// one) or a DNS name.
    pub address: String,
    /// `comment`.
    pub comment: Option<String>,
    /// `disabled`.
    pub disabled: bool,
    /// `creation-time`, in seconds since the Unix epoch on the simulated clock.
    pub creation_time: i64,
    /// When an entry added with a `timeout` goes (seconds since the Unix epoch on the
    /// simulated clock); `None` for a permanent entry.
    pub expires_at: Option<i64>,
}

impl AddressListEntry {
    pub(crate) fn new(id: ItemId, now: i64) -> Self {
        Self {
            id,
            list: String::new(),
            address: String::new(),
            comment: None,
            disabled: false,
            creation_time: now,
            expires_at: None,
        }
    }

    /// `list` and `address`, which are unique together.
    pub(crate) fn key_of(list: &str, address: &str) -> String {
        format!("{list}\0{address}")
    }

    /// `timeout`: what is left of it.
    fn timeout(&self, now: i64) -> Option<String> {
        let left = u64::try_from(self.expires_at?.saturating_sub(now)).unwrap_or(0);
        Some(value::format_duration(Duration::from_secs(left)))
    }

    /// `dynamic`: an entry with a timeout lives in RAM only, and RouterOS flags it dynamic.
    fn dynamic(&self) -> bool {
        self.expires_at.is_some()
    }
}

impl Item for AddressListEntry {
    fn get(&self, key: &str, now: i64) -> Option<Cow<'_, str>> {
        Some(match key {
            ".id" => Cow::Owned(self.id.to_string()),
            "list" => Cow::Borrowed(&self.list),
            "address" => Cow::Borrowed(&self.address),
            "creation-time" => Cow::Owned(value::format_datetime(self.creation_time)),
            "timeout" => Cow::Owned(self.timeout(now)?),
            "dynamic" => Cow::Borrowed(value::format_bool(self.dynamic())),
            "disabled" => Cow::Borrowed(value::format_bool(self.disabled)),
            "comment" => Cow::Borrowed(self.comment.as_deref()?),
            _ => return None,
        })
    }

    fn write(&self, row: &mut Row<'_>, now: i64) {
        row.attr_with(".id", || self.id.to_string());
        row.attr("list", &self.list);
        row.attr("address", &self.address);
        row.attr_with("creation-time", || {
            value::format_datetime(self.creation_time)
        });
        if row.wants("timeout")
            && let Some(timeout) = self.timeout(now)
        {
            row.attr("timeout", &timeout);
        }
        row.flag("dynamic", self.dynamic());
        row.flag("disabled", self.disabled);
        if let Some(comment) = &self.comment {
            row.attr("comment", comment);
        }
    }
}

/// A property list for items that have no type of their own (`/system/resource`,
/// `/system/identity`, `/interface`, monitor samples).
#[derive(Debug, Clone, Default)]
pub(crate) struct Plain(pub(crate) Vec<(String, String)>);

impl Plain {
    pub(crate) fn push(&mut self, key: &str, value: impl Into<String>) {
        self.0.push((key.to_owned(), value.into()));
    }
}

impl Item for Plain {
    fn get(&self, key: &str, _now: i64) -> Option<Cow<'_, str>> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| Cow::Borrowed(v.as_str()))
    }

    fn write(&self, row: &mut Row<'_>, _now: i64) {
        for (k, v) in &self.0 {
            row.attr(k, v);
        }
    }
}

/// A secret to add with [`SimState::add_secret`](crate::SimState::add_secret).
///
/// ```
/// use routeros_sim::SecretSpec;
/// let john = SecretSpec::new("john123", "password123")
///     .service("pppoe")
///     .profile("Premium")
///     .remote_address([192, 168, 1, 100].into())
///     .comment("John Doe");
/// # let _ = john;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSpec {
    pub(crate) name: String,
    pub(crate) password: String,
    pub(crate) service: String,
    pub(crate) profile: String,
    pub(crate) caller_id: String,
    pub(crate) local_address: Option<Ipv4Addr>,
    pub(crate) remote_address: Option<Ipv4Addr>,
    pub(crate) comment: Option<String>,
    pub(crate) disabled: bool,
    pub(crate) last_logged_out: Option<i64>,
    pub(crate) last_caller_id: Option<String>,
    pub(crate) last_disconnect_reason: Option<String>,
}

impl SecretSpec {
    /// A secret with RouterOS defaults: service `any`, profile `default`, enabled.
    #[must_use]
    pub fn new(name: impl Into<String>, password: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            password: password.into(),
            service: "any".to_owned(),
            profile: "default".to_owned(),
            caller_id: String::new(),
            local_address: None,
            remote_address: None,
            comment: None,
            disabled: false,
            last_logged_out: None,
            last_caller_id: None,
            last_disconnect_reason: None,
        }
    }

    /// `service`.
    #[must_use]
    pub fn service(mut self, service: impl Into<String>) -> Self {
        self.service = service.into();
        self
    }

    /// `profile` (must exist when the secret is added).
    #[must_use]
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = profile.into();
        self
    }

    /// `caller-id`.
    #[must_use]
    pub fn caller_id(mut self, caller_id: impl Into<String>) -> Self {
        self.caller_id = caller_id.into();
        self
    }

    /// `local-address`.
    #[must_use]
    pub fn local_address(mut self, address: Ipv4Addr) -> Self {
        self.local_address = Some(address);
        self
    }

    /// `remote-address`: the subscriber's static address.
    #[must_use]
    pub fn remote_address(mut self, address: Ipv4Addr) -> Self {
        self.remote_address = Some(address);
        self
    }

    /// `comment`.
    #[must_use]
    pub fn comment(mut self, comment: impl Into<String>) -> Self {
        self.comment = Some(comment.into());
        self
    }

    /// `disabled`.
    #[must_use]
    pub fn disabled(mut self, disabled: bool) -> Self {
        self.disabled = disabled;
        self
    }

    /// `last-logged-out` (seconds since the Unix epoch), `last-caller-id` and
    /// `last-disconnect-reason`, as if the subscriber had been online before.
    #[must_use]
    pub fn last_session(
        mut self,
        logged_out_at: i64,
        caller_id: impl Into<String>,
        reason: impl Into<String>,
    ) -> Self {
        self.last_logged_out = Some(logged_out_at);
        self.last_caller_id = Some(caller_id.into());
        self.last_disconnect_reason = Some(reason.into());
        self
    }
}

/// Details of a session opened with [`SimState::connect_with`](crate::SimState::connect_with);
/// what is left out is chosen by the simulator (a MAC derived from the name, the secret's
/// `remote-address` or a free pool address, zero uptime).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSpec {
    pub(crate) caller_id: Option<String>,
    pub(crate) address: Option<Ipv4Addr>,
    pub(crate) uptime: Duration,
}

impl SessionSpec {
    /// Defaults for everything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `caller-id` (the ONU's MAC).
    #[must_use]
    pub fn caller_id(mut self, caller_id: impl Into<String>) -> Self {
        self.caller_id = Some(caller_id.into());
        self
    }

    /// `address`.
    #[must_use]
    pub fn address(mut self, address: Ipv4Addr) -> Self {
        self.address = Some(address);
        self
    }

    /// How long the session has been up already.
    #[must_use]
    pub fn uptime(mut self, uptime: Duration) -> Self {
        self.uptime = uptime;
        self
    }
}
