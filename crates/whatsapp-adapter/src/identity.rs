//! Who sent a message: the sender's phone number, resolved from a LID when WhatsApp hides it.
//!
//! WhatsApp addresses a sender either by phone number (`6281234567890:3@s.whatsapp.net`) or by
//! a LID (`123456789012345:3@lid`), an opaque id whose digits are **not** a phone number. The
//! phone number behind a LID comes, in this order of trust, from:
//!
//! 1. the message's `sender_alt` (WhatsApp sends the phone number along with the LID),
//! 2. the [`LidMap`] built at start-up from the contacts API for every allowlisted number,
//! 3. the library's own LID->phone store (learned from earlier messages, kept in the session file).
//!
//! Comparison is on the user part only: the device (`:3`) and agent suffixes are dropped.
//! A LID that none of them resolves yields [`Sender::UnresolvedLid`]: the engine refuses and
//! audits it.

use std::collections::{HashMap, HashSet};

use pppoe_core::{PhoneNumber, Sender};
use whatsapp_rust::Jid;

/// Server of phone-number JIDs.
pub const PHONE_SERVER: &str = "s.whatsapp.net";
const LEGACY_PHONE_SERVER: &str = "c.us";
const HOSTED_SERVER: &str = "hosted";
/// Server of LID JIDs.
pub const LID_SERVER: &str = "lid";
const HOSTED_LID_SERVER: &str = "hosted.lid";

/// What kind of address a JID is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    /// A phone number (`@s.whatsapp.net`, `@c.us`, `@hosted`).
    Phone,
    /// A LID (`@lid`, `@hosted.lid`).
    Lid,
    /// Anything else (groups, broadcasts, newsletters, bots, ...).
    Other,
}

/// The kind of `jid`.
pub fn address_kind(jid: &Jid) -> AddressKind {
    match jid.server.as_str() {
        PHONE_SERVER | LEGACY_PHONE_SERVER | HOSTED_SERVER => AddressKind::Phone,
        LID_SERVER | HOSTED_LID_SERVER => AddressKind::Lid,
        _ => AddressKind::Other,
    }
}

/// The user part of a JID without device or agent suffix (`62812:3@s.whatsapp.net` ->
/// `62812`). [`Jid`]'s parser already splits them off; this also copes with a JID built by
/// hand with the suffix left in the user.
pub fn user_part(jid: &Jid) -> &str {
    let user = jid.user.as_str();
    let user = user.split(':').next().unwrap_or(user);
    match address_kind(jid) {
        // LID users may contain dots that belong to the id.
        AddressKind::Lid => user,
        _ => user.split(['.', '_']).next().unwrap_or(user),
    }
}

/// `user` if it is a plausible phone number: 8 to 15 ASCII digits.
fn phone_digits(user: &str) -> Option<&str> {
    ((8..=15).contains(&user.len()) && user.bytes().all(|b| b.is_ascii_digit())).then_some(user)
}

/// `<digits>@s.whatsapp.net`, the JID of a phone number.
pub fn phone_jid_string(digits: &str) -> String {
    format!("{digits}@{PHONE_SERVER}")
}

/// The sender with these phone digits (a JID's user part), normalized once, here.
fn phone_sender(digits: &str) -> Sender {
    PhoneNumber::international(digits).map_or_else(
        |_| Sender::Unrecognized(phone_jid_string(digits)),
        Sender::Phone,
    )
}

fn lid_string(jid: &Jid) -> String {
    format!("{}@{}", user_part(jid), jid.server)
}

/// The LIDs of allowlisted numbers, learned at start-up through the contacts API
/// (`get_info`): LID user part -> phone digits.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LidMap {
    phones: HashMap<String, String>,
}

impl LidMap {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `lid` is `phone`. Ignores (returns `false`) a pair that is not a LID and a
    /// phone number.
    pub fn insert(&mut self, lid: &Jid, phone: &Jid) -> bool {
        if address_kind(lid) != AddressKind::Lid || address_kind(phone) != AddressKind::Phone {
            return false;
        }
        let Some(digits) = phone_digits(user_part(phone)) else {
            return false;
        };
        self.phones
            .insert(user_part(lid).to_owned(), digits.to_owned());
        true
    }

    /// The phone digits of a LID (user part, any device).
    pub fn phone_of(&self, lid: &Jid) -> Option<&str> {
        self.phones.get(user_part(lid)).map(String::as_str)
    }

    /// How many LIDs are known.
    pub fn len(&self) -> usize {
        self.phones.len()
    }

    /// Whether no LID is known.
    pub fn is_empty(&self) -> bool {
        self.phones.is_empty()
    }
}

/// The sender of a message, as the engine takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The phone number, or the LID that could not be resolved.
    pub sender: Sender,
    /// The sender's LID (`<user>@lid`), when WhatsApp used or gave one.
    pub lid: Option<String>,
}

impl Identity {
    /// The phone digits, when resolved.
    pub fn phone(&self) -> Option<&str> {
        match &self.sender {
            Sender::Phone(phone) => Some(phone.as_str()),
            Sender::UnresolvedLid(_) | Sender::Unrecognized(_) | Sender::Client(_) => None,
        }
    }
}

/// Resolves a message's sender (see the module documentation). `library` is what the library's
/// LID->phone store answered for the sender's LID (`get_phone_number_from_lid`), if asked.
/// Returns `None` for a sender that is neither a phone number nor a LID.
///
/// ```
/// use whatsapp_adapter::identity::{LidMap, resolve_sender};
/// use pppoe_core::Sender;
///
/// let lid: whatsapp_rust::Jid = "123456789012345:7@lid".parse().unwrap();
/// let phone: whatsapp_rust::Jid = "6281234567890@s.whatsapp.net".parse().unwrap();
/// let id = resolve_sender(&lid, Some(&phone), &LidMap::new(), None).unwrap();
/// assert_eq!(id.phone(), Some("6281234567890"));
/// assert_eq!(id.lid.as_deref(), Some("123456789012345@lid"));
///
/// // Without any source of the phone number, a LID stays a LID.
/// let id = resolve_sender(&lid, None, &LidMap::new(), None).unwrap();
/// assert_eq!(id.sender, Sender::UnresolvedLid("123456789012345@lid".into()));
/// ```
pub fn resolve_sender(
    sender: &Jid,
    sender_alt: Option<&Jid>,
    map: &LidMap,
    library: Option<&str>,
) -> Option<Identity> {
    let alt_of_kind = |kind| sender_alt.filter(|alt| address_kind(alt) == kind);
    match address_kind(sender) {
        AddressKind::Phone => {
            let digits = phone_digits(user_part(sender))?;
            Some(Identity {
                sender: phone_sender(digits),
                lid: alt_of_kind(AddressKind::Lid).map(lid_string),
            })
        }
        AddressKind::Lid => {
            let lid = lid_string(sender);
            let phone = alt_of_kind(AddressKind::Phone)
                .and_then(|alt| phone_digits(user_part(alt)))
                .or_else(|| map.phone_of(sender))
                .or_else(|| library.and_then(|l| phone_digits(l.split('@').next()?)));
            Some(Identity {
                sender: match phone {
                    Some(digits) => phone_sender(digits),
                    None => Sender::UnresolvedLid(lid.clone()),
                },
                lid: Some(lid),
            })
        }
        AddressKind::Other => None,
    }
}

/// The allowlisted phone numbers: whose LIDs the adapter resolves at start-up, and who gets the
/// adapter's own "please resend" notice for a message it could not decrypt (a message the
/// engine never sees). Commands are authorized by the engine alone, which also decides when
/// to show "typing" ([`pppoe_core::Messenger::working_on`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist {
    phones: HashSet<String>,
}

impl Allowlist {
    /// The allowlist of these numbers.
    pub fn new<'a>(phones: impl IntoIterator<Item = &'a PhoneNumber>) -> Self {
        Self {
            phones: phones.into_iter().map(|p| p.as_str().to_owned()).collect(),
        }
    }

    /// Whether the identity is a resolved, allowlisted number.
    pub fn allows(&self, identity: &Identity) -> bool {
        identity.phone().is_some_and(|p| self.phones.contains(p))
    }

    /// Whether `sender` is an allowlisted number.
    pub fn has(&self, sender: &pppoe_core::Sender) -> bool {
        matches!(sender, pppoe_core::Sender::Phone(p) if self.phones.contains(p.as_str()))
    }

    /// The numbers, digits only, sorted.
    pub fn phones(&self) -> Vec<String> {
        let mut v: Vec<String> = self.phones.iter().cloned().collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> Jid {
        s.parse().unwrap()
    }

    const PHONE: &str = "6281234567890";
    const LID: &str = "123456789012345";

    fn phone_sender() -> Sender {
        Sender::Phone(PhoneNumber::international(PHONE).unwrap())
    }

    #[test]
    fn phone_senders_drop_the_device() {
        for s in [
            "6281234567890@s.whatsapp.net",
            "6281234567890:12@s.whatsapp.net",
            "6281234567890@c.us",
        ] {
            let id = resolve_sender(&jid(s), None, &LidMap::new(), None).unwrap();
            assert_eq!(id.sender, phone_sender(), "{s}");
            assert_eq!(id.lid, None);
            assert_eq!(id.phone(), Some(PHONE));
        }
        // A hand-built JID with the suffix in the user part.
        let odd = Jid::pn("6281234567890:4");
        let id = resolve_sender(&odd, None, &LidMap::new(), None).unwrap();
        assert_eq!(id.sender, phone_sender());
    }

    #[test]
    fn phone_sender_keeps_its_lid_for_the_audit() {
        let id = resolve_sender(
            &jid("6281234567890:2@s.whatsapp.net"),
            Some(&jid("123456789012345:2@lid")),
            &LidMap::new(),
            None,
        )
        .unwrap();
        assert_eq!(id.sender, phone_sender());
        assert_eq!(id.lid.as_deref(), Some("123456789012345@lid"));
    }

    #[test]
    fn lid_with_sender_alt() {
        let id = resolve_sender(
            &jid("123456789012345:9@lid"),
            Some(&jid("6281234567890:9@s.whatsapp.net")),
            &LidMap::new(),
            None,
        )
        .unwrap();
        assert_eq!(id.sender, phone_sender());
        assert_eq!(id.lid.as_deref(), Some("123456789012345@lid"));
    }

    #[test]
    fn lid_without_sender_alt_resolved_by_the_startup_map() {
        let mut map = LidMap::new();
        assert!(map.insert(
            &jid("123456789012345@lid"),
            &jid("6281234567890@s.whatsapp.net")
        ));
        // The message comes from another device of the same LID.
        let id = resolve_sender(&jid("123456789012345:33@lid"), None, &map, None).unwrap();
        assert_eq!(id.sender, phone_sender());
        assert_eq!(id.lid.as_deref(), Some("123456789012345@lid"));
    }

    #[test]
    fn lid_without_sender_alt_resolved_by_the_library() {
        for answer in ["6281234567890", "6281234567890@s.whatsapp.net"] {
            let id = resolve_sender(
                &jid("123456789012345@lid"),
                None,
                &LidMap::new(),
                Some(answer),
            )
            .unwrap();
            assert_eq!(id.sender, phone_sender(), "{answer}");
        }
    }

    #[test]
    fn unresolved_lid_is_never_a_phone_number() {
        let id = resolve_sender(&jid("123456789012345:1@lid"), None, &LidMap::new(), None).unwrap();
        assert_eq!(
            id.sender,
            Sender::UnresolvedLid(format!("{LID}@lid")),
            "the LID's digits must not become a phone number"
        );
        assert_eq!(id.lid.as_deref(), Some("123456789012345@lid"));
        assert_eq!(id.phone(), None);
        // The engine refuses it as a phone number too.
        assert!(PhoneNumber::parse(&format!("{LID}@lid"), "62").is_err());
    }

    #[test]
    fn a_sender_alt_that_is_no_phone_number_is_not_trusted() {
        // A LID as the "alternative" of a LID, or garbage digits.
        for alt in [
            "999999999999999@lid",
            "12ab@s.whatsapp.net",
            "123@s.whatsapp.net",
        ] {
            let id = resolve_sender(
                &jid("123456789012345@lid"),
                Some(&jid(alt)),
                &LidMap::new(),
                None,
            )
            .unwrap();
            assert!(
                matches!(id.sender, Sender::UnresolvedLid(_)),
                "{alt}: {:?}",
                id.sender
            );
        }
        // And the library's answer is checked the same way.
        let id = resolve_sender(
            &jid("123456789012345@lid"),
            None,
            &LidMap::new(),
            Some("12"),
        )
        .unwrap();
        assert!(matches!(id.sender, Sender::UnresolvedLid(_)));
    }

    #[test]
    fn sender_alt_wins_over_the_map_and_the_library() {
        let mut map = LidMap::new();
        map.insert(
            &jid("123456789012345@lid"),
            &jid("6280000000001@s.whatsapp.net"),
        );
        let id = resolve_sender(
            &jid("123456789012345@lid"),
            Some(&jid("6281234567890@s.whatsapp.net")),
            &map,
            Some("6280000000002"),
        )
        .unwrap();
        assert_eq!(id.sender, phone_sender());
        // The map wins over the library.
        let id = resolve_sender(
            &jid("123456789012345@lid"),
            None,
            &map,
            Some("6280000000002"),
        )
        .unwrap();
        assert_eq!(
            id.sender,
            Sender::Phone(PhoneNumber::international("6280000000001").unwrap())
        );
    }

    #[test]
    fn other_senders_are_not_people() {
        for s in [
            "120363012345678901@g.us",
            "status@broadcast",
            "1234@newsletter",
            "1@bot",
        ] {
            assert_eq!(
                resolve_sender(&jid(s), None, &LidMap::new(), None),
                None,
                "{s}"
            );
        }
    }

    #[test]
    fn map_rejects_wrong_pairs() {
        let mut map = LidMap::new();
        assert!(!map.insert(&jid("6281234567890@s.whatsapp.net"), &jid("123@lid")));
        assert!(!map.insert(&jid("123@lid"), &jid("123@lid")));
        assert!(map.is_empty());
    }

    #[test]
    fn allowlist_compares_resolved_numbers() {
        let admin = PhoneNumber::parse("0812-3456-7890", "62").unwrap();
        let list = Allowlist::new([&admin]);
        let ok = resolve_sender(
            &jid("6281234567890:5@s.whatsapp.net"),
            None,
            &LidMap::new(),
            None,
        )
        .unwrap();
        assert!(list.allows(&ok));
        let lid = resolve_sender(&jid("6281234567890@lid"), None, &LidMap::new(), None).unwrap();
        assert!(
            !list.allows(&lid),
            "LID digits equal to an allowlisted number are still not that number"
        );
        assert_eq!(list.phones(), vec![PHONE.to_owned()]);
    }
}
