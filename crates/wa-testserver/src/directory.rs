//! What the server knows of accounts and devices: the Signal keys each device uploaded (handed
//! out one one-time pre-key per fetch, as WhatsApp does), device lists and LIDs (usync).

use std::collections::VecDeque;

use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{Jid, Node};
use whatsapp_rust::waproto::whatsapp as wa;

use crate::{Account, DeviceKey, State, attr};

/// One device's uploaded keys, kept as the nodes it sent.
#[derive(Debug, Clone)]
pub(crate) struct Bundle {
    registration: Node,
    identity: Node,
    signed: Node,
    one_time: VecDeque<Node>,
}

/// Takes a pre-key upload (`<iq xmlns="encrypt" type="set">`) from `device`.
pub(crate) fn upload(state: &mut State, device: &DeviceKey, iq: &Node) {
    let child = |tag| iq.get_optional_child(tag).cloned();
    let one_time: Vec<Node> = iq
        .get_optional_child("list")
        .and_then(Node::children)
        .map(<[Node]>::to_vec)
        .unwrap_or_default();
    match (child("registration"), child("identity"), child("skey")) {
        (Some(registration), Some(identity), Some(signed)) => {
            let bundle = state.bundles.entry(device.clone()).or_insert(Bundle {
                registration: registration.clone(),
                identity: identity.clone(),
                signed: signed.clone(),
                one_time: VecDeque::new(),
            });
            bundle.registration = registration;
            bundle.identity = identity;
            bundle.signed = signed;
            bundle.one_time.extend(one_time);
        }
        // A rotated signed pre-key alone.
        (_, _, Some(signed)) => {
            if let Some(bundle) = state.bundles.get_mut(device) {
                bundle.signed = signed;
            }
        }
        _ => {}
    }
}

/// The answer's `<list>` to a key fetch (`<iq xmlns="encrypt" type="get"><key>`): a bundle
/// per user asked for, each with one of its one-time pre-keys (used up), or an error.
pub(crate) fn fetch(state: &mut State, key: &Node) -> Node {
    let users: Vec<Node> = key
        .get_children_by_tag("user")
        .filter_map(|u| u.attrs.get("jid").and_then(|j| j.to_jid()))
        .map(|jid| {
            let bundle = state
                .device_key(&jid)
                .and_then(|k| state.bundles.get_mut(&k));
            match bundle {
                Some(bundle) => {
                    let mut children = vec![
                        bundle.registration.clone(),
                        NodeBuilder::new("type").bytes(vec![5]).build(),
                        bundle.identity.clone(),
                        bundle.signed.clone(),
                    ];
                    children.extend(bundle.one_time.pop_front());
                    NodeBuilder::new("user")
                        .attr("jid", jid)
                        .children(children)
                        .build()
                }
                None => NodeBuilder::new("user")
                    .attr("jid", jid)
                    .children([NodeBuilder::new("error")
                        .attr("code", "404")
                        .attr("text", "item-not-found")
                        .build()])
                    .build(),
            }
        })
        .collect();
    NodeBuilder::new("list").children(users).build()
}

/// How many one-time pre-keys the server holds for `device` (`<count/>`).
pub(crate) fn count(state: &State, device: &DeviceKey) -> usize {
    state.bundles.get(device).map_or(0, |b| b.one_time.len())
}

/// The answer's `<usync>` to a usync query: for each user asked for (by JID, in either
/// namespace, or by `<contact>` number), what the query asks (`devices`, `lid`, `contact`).
pub(crate) fn usync(state: &State, usync: &Node) -> Node {
    let query = usync.get_optional_child("query");
    let asks = |tag| query.and_then(|q| q.get_optional_child(tag)).is_some();
    let users: Vec<Node> = usync
        .get_optional_child("list")
        .and_then(Node::children)
        .unwrap_or_default()
        .iter()
        .map(|user| {
            let asked_jid = user.attrs.get("jid").and_then(|j| j.to_jid());
            let number = user
                .get_optional_child("contact")
                .and_then(Node::content_as_string)
                .map(|c| c.trim_start_matches('+').to_owned());
            let account = asked_jid
                .as_ref()
                .map(|j| j.user.to_string())
                .or(number.clone())
                .and_then(|u| state.account(&u));
            let jid = match (&asked_jid, account) {
                (Some(jid), _) => jid.to_non_ad(),
                (None, Some(a)) => Jid::pn(&a.phone),
                (None, None) => Jid::pn(number.as_deref().unwrap_or("0")),
            };
            let mut children = Vec::new();
            if asks("contact") {
                let mut contact = NodeBuilder::new("contact")
                    .attr("type", if account.is_some() { "in" } else { "out" });
                if let Some(number) = &number {
                    contact = contact.string_content(format!("+{number}"));
                }
                children.push(contact.build());
            }
            if asks("lid")
                && let Some(a) = account
            {
                children.push(NodeBuilder::new("lid").attr("val", a.lid_jid()).build());
            }
            if asks("devices") {
                children.push(devices(state, account));
            }
            NodeBuilder::new("user")
                .attr("jid", jid)
                .children(children)
                .build()
        })
        .collect();
    let mut answer = NodeBuilder::new("usync");
    for key in ["sid", "mode", "context", "index", "last"] {
        if let Some(value) = attr(usync, key) {
            answer = answer.attr(key, value);
        }
    }
    answer
        .children([NodeBuilder::new("list").children(users).build()])
        .build()
}

/// An account's devices: those that uploaded keys, the companions with a key index.
fn devices(state: &State, account: Option<&Account>) -> Node {
    let mut ids: Vec<u16> = account
        .map(|a| {
            state
                .bundles
                .keys()
                .filter(|(phone, _)| *phone == a.phone)
                .map(|(_, device)| *device)
                .collect()
        })
        .unwrap_or_default();
    ids.sort_unstable();
    let list = ids.iter().map(|&id| {
        let device = NodeBuilder::new("device").attr("id", id.to_string());
        if id == 0 {
            device.build()
        } else {
            device.attr("key-index", id.to_string()).build()
        }
    });
    let mut children = vec![NodeBuilder::new("device-list").children(list).build()];
    if ids.iter().any(|&id| id != 0) {
        let details = wa::ADVKeyIndexList {
            raw_id: Some(1),
            timestamp: Some(1_700_000_000),
            current_index: ids.iter().map(|&id| u32::from(id)).max(),
            valid_indexes: ids.iter().map(|&id| u32::from(id)).collect(),
            ..Default::default()
        };
        let signed = wa::ADVSignedKeyIndexList {
            details: Some(details.encode_to_vec()),
            ..Default::default()
        };
        children.push(
            NodeBuilder::new("key-index-list")
                .attr("ts", "1700000000")
                .bytes(signed.encode_to_vec())
                .build(),
        );
    }
    NodeBuilder::new("devices").children(children).build()
}

/// The account's signed identity for one of its devices, as the phone signs it at pairing.
/// Its signatures are zeros: the library sends it with a first message (`<device-identity>`)
/// and does not check its own; the server hands out none with key bundles.
pub(crate) fn device_identity(account: &Account) -> wa::ADVSignedDeviceIdentity {
    let details = wa::ADVDeviceIdentity {
        raw_id: Some(1),
        timestamp: Some(1_700_000_000),
        key_index: Some(u32::from(account.device)),
        ..Default::default()
    };
    wa::ADVSignedDeviceIdentity {
        details: Some(details.encode_to_vec()),
        account_signature_key: Some(vec![0; 32]),
        account_signature: Some(vec![0; 64]),
        device_signature: Some(vec![0; 64]),
    }
}
