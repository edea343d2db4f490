//! The menus of the simulated router ([`Db`]) and, here, the `/ppp` ones (secrets, active
//! sessions, profiles) as RouterOS 7 keeps them: what `add`, `set`, `unset`, `remove` accept
//! and refuse, sessions that come and go, and the traffic and interfaces derived from them.
//! The address list's rules are in `firewall`.

use std::borrow::Cow;
use std::collections::HashSet;
use std::net::Ipv4Addr;
use std::sync::Arc;

use pppoe_core::{ProfileTable, SplitMix64};
use routeros_api::proto::trap_category;
use routeros_api::value::{self, ItemId};

use super::menu::{Keyed, Menu};
use crate::model::{
    AddressListEntry, Item, Plain, Profile, SERVICES, Secret, SecretSpec, Session, SessionSpec,
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
    /// An address-list entry with this list and address exists already.
    #[error("failure: already have such entry")]
    DuplicateEntry,
    /// A property without which the item cannot exist was not given (an address-list
    /// entry's `list` or `address`).
    #[error("failure: {0} not specified")]
    NotSpecified(String),
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

/// Menus whose changes `listen` and `print =follow=` report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    Secret,
    Active,
    Profile,
    AddressList,
}

impl Table {
    /// Every menu, in the order of [`index`](Self::index).
    pub(crate) const ALL: [Self; 4] =
        [Self::Secret, Self::Active, Self::Profile, Self::AddressList];

    /// The menu's path, e.g. `/ppp/secret`.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Secret => "/ppp/secret",
            Self::Active => "/ppp/active",
            Self::Profile => "/ppp/profile",
            Self::AddressList => "/ip/firewall/address-list",
        }
    }

    /// The menu's place in [`ALL`](Self::ALL).
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Change {
    pub(crate) table: Table,
    pub(crate) id: ItemId,
}

impl Keyed for Secret {
    fn id(&self) -> ItemId {
        self.id
    }
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }
}

impl Keyed for Session {
    fn id(&self) -> ItemId {
        self.id
    }
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }
}

impl Keyed for Profile {
    fn id(&self) -> ItemId {
        self.id
    }
    fn key(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.name)
    }
}

impl Keyed for AddressListEntry {
    /// Entries have no name: `numbers` takes ids only.
    const KEY_IS_NAME: bool = false;
    fn id(&self) -> ItemId {
        self.id
    }
    /// Two entries may share a list or an address, not both.
    fn key(&self) -> Cow<'_, str> {
        Cow::Owned(Self::key_of(&self.list, &self.address))
    }
}

/// The menus.
#[derive(Debug)]
pub(crate) struct Db {
    pub(crate) secrets: Menu<Secret>,
    pub(crate) sessions: Menu<Session>,
    pub(crate) profiles: Menu<Profile>,
    pub(crate) address_list: Menu<AddressListEntry>,
    next_session_number: u32,
    pub(crate) traffic_seed: u64,
}

impl Db {
    pub(crate) fn new() -> Self {
        let mut db = Self {
            secrets: Menu::new(1),
            sessions: Menu::new(0x8000_0001),
            profiles: Menu::new(1),
            address_list: Menu::new(1),
            next_session_number: 0x81A0_0001,
            traffic_seed: 0x5EED,
        };
        let mut default = Profile::new(ItemId(0), "default", None);
        default.builtin = true;
        db.profiles.insert(default);
        let mut encrypted = Profile::new(ItemId(0xFFFF_FFFE), "default-encryption", None);
        encrypted.builtin = true;
        encrypted.only_one = "default".to_owned();
        db.profiles.insert(encrypted);
        for package in ProfileTable::default().iter() {
            let id = db.profiles.allocate();
            let mut p = Profile::new(id, &package.router_profile, Some(&package.rate_limit()));
            p.local_address = Some("10.20.0.1".to_owned());
            p.remote_address = Some("pppoe-pool".to_owned());
            p.only_one = "yes".to_owned();
            db.profiles.insert(p);
        }
        // The factory set-up is no change to report.
        db.take_changes();
        db
    }

    /// The items changed since the last call, menu by menu.
    pub(crate) fn take_changes(&mut self) -> Vec<Change> {
        let changed = [
            (Table::Secret, self.secrets.take_changed()),
            (Table::Active, self.sessions.take_changed()),
            (Table::Profile, self.profiles.take_changed()),
            (Table::AddressList, self.address_list.take_changed()),
        ];
        changed
            .into_iter()
            .flat_map(|(table, ids)| ids.into_iter().map(move |id| Change { table, id }))
            .collect()
    }

    pub(crate) fn profile_by_name(&self, name: &str) -> Option<&Arc<Profile>> {
        self.profiles.by_key(name)
    }

    pub(crate) fn secret_by_name(&self, name: &str) -> Option<&Arc<Secret>> {
        self.secrets.by_key(name)
    }

    pub(crate) fn session_by_name(&self, name: &str) -> Option<&Arc<Session>> {
        self.sessions.by_key(name)
    }

    pub(crate) fn item(&self, table: Table, id: ItemId) -> Option<Arc<dyn Item>> {
        fn get<T: Keyed + Item + 'static>(menu: &Menu<T>, id: ItemId) -> Option<Arc<dyn Item>> {
            menu.get(id).map(|item| item.clone() as Arc<dyn Item>)
        }
        match table {
            Table::Secret => get(&self.secrets, id),
            Table::Active => get(&self.sessions, id),
            Table::Profile => get(&self.profiles, id),
            Table::AddressList => get(&self.address_list, id),
        }
    }

    /// All items of a menu in `.id` order; with `name`, only the item of that name (an index
    /// look-up for the common `?name=x` query) in the menus whose items have names.
    pub(crate) fn snapshot(&self, table: Table, name: Option<&str>) -> Vec<Arc<dyn Item>> {
        fn pick<T: Keyed + Item + 'static>(
            menu: &Menu<T>,
            name: Option<&str>,
        ) -> Vec<Arc<dyn Item>> {
            match name.filter(|_| T::KEY_IS_NAME) {
                Some(name) => menu
                    .by_key(name)
                    .map(|item| item.clone() as Arc<dyn Item>)
                    .into_iter()
                    .collect(),
                None => menu
                    .values()
                    .map(|item| item.clone() as Arc<dyn Item>)
                    .collect(),
            }
        }
        match table {
            Table::Secret => pick(&self.secrets, name),
            Table::Active => pick(&self.sessions, name),
            Table::Profile => pick(&self.profiles, name),
            Table::AddressList => pick(&self.address_list, name),
        }
    }

    /// Resolves `.id` / `numbers`: a comma-separated list of `*hex` ids or names.
    pub(crate) fn resolve(&self, table: Table, numbers: &str) -> Result<Vec<ItemId>, SimError> {
        match table {
            Table::Secret => self.secrets.resolve(numbers),
            Table::Active => self.sessions.resolve(numbers),
            Table::Profile => self.profiles.resolve(numbers),
            Table::AddressList => self.address_list.resolve(numbers),
        }
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
        let mut secret = Secret::new(self.secrets.peek_id(), String::new());
        if !attrs.iter().any(|(k, _)| k == "name") {
            return Err(SimError::Missing("name".to_owned()));
        }
        for (key, value) in attrs {
            self.apply_secret_attr(&mut secret, key, value)?;
        }
        if self.secrets.id_of(&secret.name).is_some() {
            return Err(SimError::DuplicateName);
        }
        self.secrets.allocate();
        Ok(self.secrets.insert(secret))
    }

    /// `/ppp/secret/set`: all items are validated before any is changed.
    pub(crate) fn set_secrets(
        &mut self,
        ids: &[ItemId],
        attrs: &[(String, String)],
    ) -> Result<Vec<String>, SimError> {
        let mut updated = Vec::with_capacity(ids.len());
        for id in ids {
            let mut secret = Secret::clone(self.secrets.get(*id).ok_or(SimError::NoSuchItem)?);
            for (key, value) in attrs {
                self.apply_secret_attr(&mut secret, key, value)?;
            }
            updated.push(secret);
        }
        let mut new_names = HashSet::new();
        for secret in &updated {
            let taken = self
                .secrets
                .id_of(&secret.name)
                .is_some_and(|owner| owner != secret.id);
            if taken || !new_names.insert(secret.name.clone()) {
                return Err(SimError::DuplicateName);
            }
        }
        let mut names = Vec::with_capacity(updated.len());
        for secret in updated {
            names.push(secret.name.clone());
            self.secrets.insert(secret);
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
            let mut s = Secret::clone(self.secrets.get(*id).ok_or(SimError::NoSuchItem)?);
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
            .map(|s| self.secrets.insert(s).name.clone())
            .collect())
    }

    /// `/ppp/secret/remove`.
    pub(crate) fn remove_secrets(&mut self, ids: &[ItemId]) -> Result<Vec<String>, SimError> {
        if ids.iter().any(|id| !self.secrets.contains(*id)) {
            return Err(SimError::NoSuchItem);
        }
        let mut names = Vec::new();
        for id in ids {
            if let Some(s) = self.secrets.remove(*id) {
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
        if ids.iter().any(|id| !self.sessions.contains(*id)) {
            return Err(SimError::NoSuchItem);
        }
        let mut out = Vec::new();
        for id in ids {
            let Some(session) = self.sessions.remove(*id) else {
                continue;
            };
            let secret_id = self.secrets.id_of(&session.name);
            if let Some(old) = secret_id.and_then(|id| self.secrets.get(id)) {
                let mut s = Secret::clone(old);
                s.last_logged_out = Some(now);
                s.last_caller_id = Some(session.caller_id.clone());
                s.last_disconnect_reason = Some(reason.to_owned());
                self.secrets.insert(s);
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
        if self.secrets.id_of(&spec.name).is_some() {
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
        let mut s = Secret::new(self.secrets.allocate(), spec.name.clone());
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
        Ok(self.secrets.insert(s))
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
        if self.sessions.id_of(name).is_some() {
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
        let id = self.sessions.allocate();
        let number = self.next_session_number;
        self.next_session_number += 1;
        let uptime = i64::try_from(spec.uptime.as_secs()).unwrap_or(i64::MAX);
        let session = self.sessions.insert(Session {
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
        let id = self.profiles.allocate();
        Ok(self.profiles.insert(Profile::new(id, name, rate_limit)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
}
