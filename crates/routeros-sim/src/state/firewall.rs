//! `/ip/firewall/address-list` as RouterOS 7 keeps it: entries are unique by list *and*
//! address together (a second one is `failure: already have such entry`), the address is
//! stored in its canonical form (`10.0.0.1/32` is `10.0.0.1`, so it is a duplicate of it), and
//! an entry added with a `timeout` goes once the simulated clock has passed it: at the next
//! request to the menu or look by the test (and `listen` hears of it then).

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::Duration;

use routeros_api::value::{self, ItemId};

use super::SimError;
use super::ppp::Db;
use crate::model::AddressListEntry;

impl Db {
    /// `/ip/firewall/address-list/add`.
    pub(crate) fn add_address_list_entry(
        &mut self,
        attrs: &[(String, String)],
        now: i64,
    ) -> Result<Arc<AddressListEntry>, SimError> {
        let mut entry = AddressListEntry::new(self.address_list.peek_id(), now);
        for (key, value) in attrs {
            apply_attr(&mut entry, key, value, now)?;
        }
        complete(&entry)?;
        let key = AddressListEntry::key_of(&entry.list, &entry.address);
        if self.address_list.id_of(&key).is_some() {
            return Err(SimError::DuplicateEntry);
        }
        self.address_list.allocate();
        Ok(self.address_list.insert(entry))
    }

    /// `/ip/firewall/address-list/set` (and `enable`, `disable`): all entries are validated
    /// before any is changed. Returns the entries' addresses.
    pub(crate) fn set_address_list(
        &mut self,
        ids: &[ItemId],
        attrs: &[(String, String)],
        now: i64,
    ) -> Result<Vec<String>, SimError> {
        let mut updated = Vec::with_capacity(ids.len());
        for id in ids {
            let old = self.address_list.get(*id).ok_or(SimError::NoSuchItem)?;
            let mut entry = AddressListEntry::clone(old);
            for (key, value) in attrs {
                apply_attr(&mut entry, key, value, now)?;
            }
            complete(&entry)?;
            updated.push(entry);
        }
        let mut keys = Vec::with_capacity(updated.len());
        for entry in &updated {
            let key = AddressListEntry::key_of(&entry.list, &entry.address);
            let taken = self
                .address_list
                .id_of(&key)
                .is_some_and(|owner| owner != entry.id);
            if taken || keys.contains(&key) {
                return Err(SimError::DuplicateEntry);
            }
            keys.push(key);
        }
        Ok(updated
            .into_iter()
            .map(|entry| self.address_list.insert(entry).address.clone())
            .collect())
    }

    /// `/ip/firewall/address-list/remove`. Returns the entries' addresses.
    pub(crate) fn remove_address_list(&mut self, ids: &[ItemId]) -> Result<Vec<String>, SimError> {
        if ids.iter().any(|id| !self.address_list.contains(*id)) {
            return Err(SimError::NoSuchItem);
        }
        Ok(ids
            .iter()
            .filter_map(|id| self.address_list.remove(*id))
            .map(|entry| entry.address.clone())
            .collect())
    }

    /// Removes the entries whose timeout has passed at `now`.
    pub(crate) fn expire_address_list(&mut self, now: i64) {
        let expired: Vec<ItemId> = self
            .address_list
            .values()
            .filter(|entry| entry.expires_at.is_some_and(|at| at <= now))
            .map(|entry| entry.id)
            .collect();
        for id in expired {
            self.address_list.remove(id);
        }
    }
}

/// An entry must have a list and an address.
fn complete(entry: &AddressListEntry) -> Result<(), SimError> {
    for (required, value) in [("address", &entry.address), ("list", &entry.list)] {
        if value.is_empty() {
            return Err(SimError::NotSpecified(required.to_owned()));
        }
    }
    Ok(())
}

fn apply_attr(
    entry: &mut AddressListEntry,
    key: &str,
    value: &str,
    now: i64,
) -> Result<(), SimError> {
    match key {
        "list" => value.clone_into(&mut entry.list),
        "address" => {
            entry.address = if value.is_empty() {
                String::new()
            } else {
                canonical_address(value)?
            };
        }
        "comment" => entry.comment = (!value.is_empty()).then(|| value.to_owned()),
        "disabled" => {
            entry.disabled =
                value::parse_bool(value).ok_or_else(|| SimError::InvalidValue(key.to_owned()))?;
        }
        "timeout" => {
            let timeout = if value.is_empty() {
                Duration::ZERO
            } else {
                value::parse_duration_arg(value)
                    .ok_or_else(|| SimError::InvalidValue(key.to_owned()))?
            };
            let secs = i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX);
            entry.expires_at = (secs > 0).then(|| now.saturating_add(secs));
        }
        _ => return Err(SimError::UnknownParameter(key.to_owned())),
    }
    Ok(())
}

/// An `address` as RouterOS stores it: an IPv4 address, a network with its host bits cleared
/// (`/32` dropped), a range (a network if it is exactly one), or a DNS name as given.
fn canonical_address(text: &str) -> Result<String, SimError> {
    let invalid = || SimError::InvalidValue("address".to_owned());
    if let Some((ip, prefix)) = text.split_once('/') {
        let ip: Ipv4Addr = ip.parse().map_err(|_| invalid())?;
        let prefix: u32 = prefix
            .parse()
            .ok()
            .filter(|p| *p <= 32)
            .ok_or_else(invalid)?;
        return Ok(network(u32::from(ip), prefix));
    }
    if let Some((first, last)) = text.split_once('-')
        && let (Ok(first), Ok(last)) = (first.parse::<Ipv4Addr>(), last.parse::<Ipv4Addr>())
    {
        let (a, b) = (u32::from(first), u32::from(last));
        if a > b {
            return Err(invalid());
        }
        let size = u64::from(b - a) + 1;
        if size.is_power_of_two() && u64::from(a) % size == 0 {
            return Ok(network(a, 32 - size.trailing_zeros()));
        }
        return Ok(format!("{first}-{last}"));
    }
    if let Ok(ip) = text.parse::<Ipv4Addr>() {
        return Ok(ip.to_string());
    }
    if is_dns_name(text) {
        return Ok(text.to_owned());
    }
    Err(invalid())
}

/// `ip/prefix` with the host bits cleared, the bare address for `/32`.
fn network(ip: u32, prefix: u32) -> String {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    let net = Ipv4Addr::from(ip & mask);
    if prefix == 32 {
        net.to_string()
    } else {
        format!("{net}/{prefix}")
    }
}

/// Labels of letters, digits and inner hyphens, a letter somewhere (so that `10.0.0.300` is
/// no name).
fn is_dns_name(text: &str) -> bool {
    let text = text.strip_suffix('.').unwrap_or(text);
    !text.is_empty()
        && text.len() <= 253
        && text.bytes().any(|b| b.is_ascii_alphabetic())
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
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
    fn addresses_are_stored_as_routeros_prints_them() {
        for (given, stored) in [
            ("10.0.0.1", "10.0.0.1"),
            ("10.0.0.1/32", "10.0.0.1"),
            ("10.0.0.77/24", "10.0.0.0/24"),
            ("0.0.0.0/0", "0.0.0.0/0"),
            ("192.168.0.0-192.168.1.255", "192.168.0.0/23"),
            ("10.0.0.1-10.0.0.5", "10.0.0.1-10.0.0.5"),
            ("10.0.0.9-10.0.0.9", "10.0.0.9"),
            ("www.example.com", "www.example.com"),
        ] {
            assert_eq!(canonical_address(given).as_deref(), Ok(stored), "{given}");
        }
        for bad in [
            "10.0.0.300",
            "10.0.0.1/33",
            "10.0.0.5-10.0.0.1",
            "-bad.example",
            "a b",
        ] {
            assert_eq!(
                canonical_address(bad),
                Err(SimError::InvalidValue("address".to_owned())),
                "{bad}"
            );
        }
    }

    #[test]
    fn entries_are_unique_by_list_and_address_together() {
        let mut db = Db::new();
        let a = db
            .add_address_list_entry(&attrs(&[("list", "isolir"), ("address", "10.0.0.1")]), 100)
            .unwrap();
        assert_eq!((a.id, a.creation_time), (ItemId(1), 100));
        // The same address in another list, another address in the same list: fine.
        db.add_address_list_entry(&attrs(&[("list", "vip"), ("address", "10.0.0.1")]), 100)
            .unwrap();
        db.add_address_list_entry(&attrs(&[("list", "isolir"), ("address", "10.0.0.2")]), 100)
            .unwrap();
        // The same pair, however written: refused, and no id is used up.
        let again = attrs(&[("list", "isolir"), ("address", "10.0.0.1/32")]);
        let err = db.add_address_list_entry(&again, 100).unwrap_err();
        assert_eq!(err.to_string(), "failure: already have such entry");
        let missing = db
            .add_address_list_entry(&attrs(&[("list", "isolir")]), 100)
            .unwrap_err();
        assert_eq!(missing.to_string(), "failure: address not specified");
        let missing = db
            .add_address_list_entry(&attrs(&[("address", "10.0.0.9")]), 100)
            .unwrap_err();
        assert_eq!(missing.to_string(), "failure: list not specified");
        // Moving an entry onto another's pair is refused too; nothing changes.
        let onto = attrs(&[("address", "10.0.0.2")]);
        assert_eq!(
            db.set_address_list(&[a.id], &onto, 100),
            Err(SimError::DuplicateEntry)
        );
        assert_eq!(db.address_list.get(a.id).unwrap().address, "10.0.0.1");
        let added = db
            .add_address_list_entry(&attrs(&[("list", "x"), ("address", "10.0.0.3")]), 100)
            .unwrap();
        assert_eq!(added.id, ItemId(4));
    }

    #[test]
    fn timed_entries_expire_and_permanent_ones_stay() {
        let mut db = Db::new();
        let timed = attrs(&[("list", "l"), ("address", "10.0.0.1"), ("timeout", "1m")]);
        let t = db.add_address_list_entry(&timed, 1000).unwrap();
        assert_eq!(t.expires_at, Some(1060));
        db.add_address_list_entry(&attrs(&[("list", "l"), ("address", "10.0.0.2")]), 1000)
            .unwrap();
        db.take_changes();
        db.expire_address_list(1059);
        assert_eq!(db.address_list.len(), 2);
        db.expire_address_list(1060);
        assert_eq!(db.address_list.len(), 1);
        assert!(db.address_list.get(t.id).is_none());
        // Announced like a removal.
        assert_eq!(db.take_changes().len(), 1);
    }
}
