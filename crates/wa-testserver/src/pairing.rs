//! Linking a new device, from the server's side: the refs a fresh session gets for its QR
//! codes (`<pair-device>`), the two stages of a pairing code (`link_code_companion_reg`), the
//! `pair-success` a phone's scan (or typed code) produces, and the check of the device's answer
//! (`<pair-device-sign>`) before the account gains the device.

use std::collections::HashMap;

use whatsapp_rust::wacore::libsignal::protocol::PublicKey;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::wacore_binary::{Node, NodeContent};
use whatsapp_rust::waproto::whatsapp as wa;

use crate::Account;

/// How many refs one `<pair-device>` carries, as WhatsApp sends them: the first QR code lasts
/// 60 s, each later one 20 s.
pub(crate) const REFS: usize = 6;

/// The prefix of the device's signature over its identity (`ADV_PREFIX_DEVICE_SIGNATURE_GENERATE`).
const DEVICE_SIGNATURE_PREFIX: [u8; 2] = [6, 1];

/// A `pair-success` sent and not answered yet.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    /// The IQ's id, which the device's answer carries.
    pub(crate) id: String,
    /// The device the account gains once the answer checks out.
    pub(crate) companion: Account,
    /// The device's identity key, from the QR code.
    pub(crate) device_identity: [u8; 32],
    /// The `ADVDeviceIdentity` the phone signed.
    pub(crate) details: Vec<u8>,
    /// The phone's identity key, which signed it.
    pub(crate) account_key: [u8; 32],
}

/// The server's pairing records.
#[derive(Debug, Default)]
pub(crate) struct Pairings {
    /// The refs sent, with the connection each went out on.
    pub(crate) offered: Vec<(usize, String)>,
    /// By connection.
    pub(crate) pending: HashMap<usize, Pending>,
    /// The devices linked so far.
    pub(crate) linked: Vec<Account>,
    /// Why each refused pairing was refused.
    pub(crate) failures: Vec<String>,
    /// The pairing codes asked for (`companion_hello`), in order.
    pub(crate) code_hellos: Vec<CodeHello>,
    /// The key bundles devices sent once the phone took their code (`companion_finish`).
    pub(crate) code_finishes: Vec<CodeFinish>,
}

/// A device's request for a pairing code (stage `companion_hello`).
#[derive(Debug, Clone)]
pub(crate) struct CodeHello {
    /// The connection it came on.
    pub(crate) connection: usize,
    /// The number whose phone is to type the code (digits).
    pub(crate) phone: String,
    /// The device's ephemeral key, encrypted under the code.
    pub(crate) wrapped_ephemeral: Vec<u8>,
    /// The ref the server gave it.
    pub(crate) pairing_ref: Vec<u8>,
}

/// A device's key bundle for the phone (stage `companion_finish`).
#[derive(Debug, Clone)]
pub(crate) struct CodeFinish {
    /// The connection it came on.
    pub(crate) connection: usize,
    /// The bundle, encrypted for the phone.
    pub(crate) wrapped_bundle: Vec<u8>,
    /// The device's identity key.
    pub(crate) identity: Vec<u8>,
}

/// A `<link_code_companion_reg>` IQ from a device on `connection`: its request for a pairing
/// code or its key bundle, recorded for the phone; the children of the server's answer, or
/// `None` for another stage.
pub(crate) fn code_stage(
    pairings: &mut Pairings,
    connection: usize,
    iq: &Node,
) -> Option<Vec<Node>> {
    let reg = iq.get_optional_child("link_code_companion_reg")?;
    let bytes = |tag: &str| match reg.get_optional_child(tag).and_then(|n| n.content.as_ref()) {
        Some(NodeContent::Bytes(b)) => b.clone(),
        _ => Vec::new(),
    };
    match reg
        .attrs
        .get("stage")
        .map(|v| v.as_str().into_owned())
        .as_deref()
    {
        Some("companion_hello") => {
            let pairing_ref = format!("3@wa-testserver/{connection}/code").into_bytes();
            let phone = reg
                .attrs
                .get("jid")
                .and_then(|j| j.to_jid())
                .map(|j| j.user.to_string())
                .unwrap_or_default();
            pairings.code_hellos.push(CodeHello {
                connection,
                phone,
                wrapped_ephemeral: bytes("link_code_pairing_wrapped_companion_ephemeral_pub"),
                pairing_ref: pairing_ref.clone(),
            });
            Some(vec![
                NodeBuilder::new("link_code_companion_reg")
                    .children([NodeBuilder::new("link_code_pairing_ref")
                        .bytes(pairing_ref)
                        .build()])
                    .build(),
            ])
        }
        Some("companion_finish") => {
            pairings.code_finishes.push(CodeFinish {
                connection,
                wrapped_bundle: bytes("link_code_pairing_wrapped_key_bundle"),
                identity: bytes("companion_identity_public"),
            });
            Some(vec![])
        }
        _ => None,
    }
}

/// The refs for connection `connection` and the `<iq xmlns="md" type="set"><pair-device>` that
/// carries them.
pub(crate) fn offer(connection: usize) -> (Vec<String>, Node) {
    let refs: Vec<String> = (0..REFS)
        .map(|i| format!("2@wa-testserver/{connection}/{i}"))
        .collect();
    let iq = NodeBuilder::new("iq")
        .attr("from", "s.whatsapp.net")
        .attr("type", "set")
        .attr("id", format!("pair-device-{connection}"))
        .attr("xmlns", "md")
        .children([NodeBuilder::new("pair-device")
            .children(refs.iter().map(|r| {
                NodeBuilder::new("ref")
                    .bytes(r.clone().into_bytes())
                    .build()
            }))
            .build()])
        .build();
    (refs, iq)
}

/// Checks the device's answer to `pending`'s `pair-success`: an `<iq type="result">` whose
/// `<pair-device-sign><device-identity>` is the identity the phone signed, now also signed by
/// the device's own identity key (over `[6, 1]`, the details, the device's key and the
/// phone's key), as WhatsApp checks it before it lists the device.
pub(crate) fn check(pending: &Pending, answer: &Node) -> Result<(), String> {
    if answer.attrs.get("type").map(|t| t.as_str().into_owned()) != Some("result".into()) {
        let error = answer
            .get_optional_child("error")
            .map(|e| whatsapp_rust::wacore::xml::DisplayableNode(e).to_string())
            .unwrap_or_default();
        return Err(format!("the device refused the pair-success: {error}"));
    }
    let identity = answer
        .get_optional_child("pair-device-sign")
        .and_then(|s| s.get_optional_child("device-identity"))
        .ok_or("the answer has no <pair-device-sign><device-identity>")?;
    let Some(NodeContent::Bytes(bytes)) = &identity.content else {
        return Err("<device-identity> carries no bytes".into());
    };
    let signed =
        <wa::ADVSignedDeviceIdentity as whatsapp_rust::buffa::Message>::decode_from_slice(bytes)
            .map_err(|e| format!("<device-identity>: {e}"))?;
    if signed.details.as_deref() != Some(pending.details.as_slice()) {
        return Err("the device signed other details than the phone's".into());
    }
    if signed.account_signature_key.as_deref() != Some(pending.account_key.as_slice()) {
        return Err("the device changed the account's signature key".into());
    }
    let message = [
        &DEVICE_SIGNATURE_PREFIX[..],
        &pending.details,
        &pending.device_identity,
        &pending.account_key,
    ]
    .concat();
    let key = PublicKey::from_djb_public_key_bytes(&pending.device_identity)
        .map_err(|e| format!("the device's identity key: {e}"))?;
    let signature = signed.device_signature.unwrap_or_default();
    if !key.verify_signature(&message, &signature) {
        return Err("the device's signature does not verify with its identity key".into());
    }
    Ok(())
}
