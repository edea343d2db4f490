//! A phone that links a new device by scanning its QR code (WhatsApp > Linked devices > Link a
//! device): what the primary device does, done against the test server.
//!
//! The QR code carries `ref,noise_key,identity_key,adv_secret[,client_type]` (base64 keys). The
//! phone signs the new device's identity with its own identity key, seals it with an HMAC under
//! the ADV secret, and the server passes it to the device as `pair-success`; the device checks
//! both, signs the identity itself, and answers; the server checks that and restarts the stream
//! (515) so that the device logs in as itself.

use whatsapp_rust::buffa::Message as _;
use whatsapp_rust::wacore::libsignal::crypto::hmac_sha256;
use whatsapp_rust::wacore::libsignal::protocol::KeyPair;
use whatsapp_rust::wacore_binary::Jid;
use whatsapp_rust::wacore_binary::builder::NodeBuilder;
use whatsapp_rust::waproto::whatsapp as wa;

use crate::pairing::Pending;
use crate::{Account, Control, TestServer, key_pair, public_bytes};

/// The prefix of the phone's signature over a device's identity (`ADV_PREFIX_ACCOUNT_SIGNATURE`).
const ACCOUNT_SIGNATURE_PREFIX: [u8; 2] = [6, 0];

/// What a QR code says.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Qr {
    pairing_ref: String,
    identity: [u8; 32],
    adv_secret: Vec<u8>,
}

/// The primary device (the phone) of an account of the test server, which links new devices.
pub struct Phone {
    account: Account,
    identity: KeyPair,
    platform: String,
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Phone")
            .field("account", &self.account)
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

impl Phone {
    /// The phone of `account` (its `device` is ignored: a phone is device 0), an Android phone
    /// with a fixed identity key.
    pub fn new(account: Account) -> Self {
        Self {
            account: Account {
                device: 0,
                ..account
            },
            identity: key_pair(0x70),
            platform: "android".into(),
        }
    }

    /// The account.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// Scans `qr` (the text of a QR code a fresh session shows) and links that session's
    /// device to the account: the server sends it `pair-success` on the connection the code's
    /// ref went out on. The device joins the account once it has answered and the answer
    /// checks out ([`State::linked`](crate::State::linked)). The new device, or why the code
    /// cannot be scanned.
    pub fn scan(&self, server: &TestServer, qr: &str) -> Result<Account, String> {
        let qr = parse_qr(qr)?;
        let state = server.shared.state();
        let connection = state
            .pairing
            .offered
            .iter()
            .find(|(_, r)| *r == qr.pairing_ref)
            .map(|(c, _)| *c)
            .ok_or_else(|| format!("the server never sent the ref {:?}", qr.pairing_ref))?;
        let control = state
            .controls
            .get(&connection)
            .cloned()
            .ok_or("the connection the code came from has ended")?;
        let device = state.next_device(&self.account.phone);
        let companion = Account::new(&self.account.phone, device, &self.account.lid);
        let details = wa::ADVDeviceIdentity {
            raw_id: Some(0x5EED),
            timestamp: Some(crate::conn::now_secs()),
            key_index: Some(u32::from(device)),
            ..Default::default()
        }
        .encode_to_vec();
        let account_key = public_bytes(&self.identity);
        let message = [&ACCOUNT_SIGNATURE_PREFIX[..], &details, &qr.identity].concat();
        let signature = self
            .identity
            .private_key
            .calculate_signature(&message, &mut rand::make_rng::<rand::rngs::StdRng>())
            .map_err(|e| format!("signing the device's identity: {e}"))?;
        let signed = wa::ADVSignedDeviceIdentity {
            details: Some(details.clone()),
            account_signature_key: Some(account_key.to_vec()),
            account_signature: Some(signature.to_vec()),
            device_signature: None,
        }
        .encode_to_vec();
        let sealed = wa::ADVSignedDeviceIdentityHMAC {
            hmac: Some(hmac_sha256(&qr.adv_secret, &signed).to_vec()),
            details: Some(signed),
            ..Default::default()
        }
        .encode_to_vec();
        let id = format!("pair-success-{connection}");
        let iq = NodeBuilder::new("iq")
            .attr("from", "s.whatsapp.net")
            .attr("type", "set")
            .attr("id", id.clone())
            .attr("xmlns", "md")
            .attr("t", crate::conn::now_secs().to_string())
            .children([NodeBuilder::new("pair-success")
                .children([
                    NodeBuilder::new("device-identity").bytes(sealed).build(),
                    NodeBuilder::new("platform")
                        .attr("name", self.platform.clone())
                        .build(),
                    NodeBuilder::new("device")
                        .attr("jid", companion.device_jid())
                        .attr("lid", Jid::lid_device(&companion.lid, device))
                        .build(),
                ])
                .build()])
            .build();
        drop(state);
        let pending = Pending {
            id,
            companion: companion.clone(),
            device_identity: qr.identity,
            details,
            account_key,
        };
        server
            .shared
            .update(|s| s.pairing.pending.insert(connection, pending));
        control
            .send(Control::Send(iq))
            .map_err(|_| "the connection the code came from has ended")?;
        Ok(companion)
    }
}

/// `ref,noise_key,identity_key,adv_secret[,client_type]`, keys in standard base64.
fn parse_qr(qr: &str) -> Result<Qr, String> {
    let fields: Vec<&str> = qr.split(',').collect();
    let [pairing_ref, noise, identity, adv, ..] = fields[..] else {
        return Err(format!(
            "a QR code has at least 4 comma-separated fields: {qr:?}"
        ));
    };
    let key = |name: &str, text: &str| -> Result<Vec<u8>, String> {
        base64(text).ok_or_else(|| format!("the {name} is not base64: {text:?}"))
    };
    if key("noise key", noise)?.len() != 32 {
        return Err("the noise key is not 32 bytes".into());
    }
    let identity: [u8; 32] = key("identity key", identity)?
        .try_into()
        .map_err(|_| "the identity key is not 32 bytes")?;
    Ok(Qr {
        pairing_ref: pairing_ref.to_owned(),
        identity,
        adv_secret: key("ADV secret", adv)?,
    })
}

/// Standard base64 (with `=` padding), or `None`.
fn base64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for c in text.bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_with_and_without_padding() {
        assert_eq!(base64("aGVsbG8=").unwrap(), b"hello");
        assert_eq!(base64("aGVsbG8").unwrap(), b"hello");
        assert_eq!(base64("+/8=").unwrap(), [0xFB, 0xFF]);
        assert_eq!(base64("a*b"), None);
    }

    #[test]
    fn a_qr_code_gives_its_ref_identity_and_secret() {
        let key = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
        let qr = parse_qr(&format!("2@r,{key},{key},YWR2,1")).unwrap();
        assert_eq!(qr.pairing_ref, "2@r");
        assert_eq!(qr.identity, [0; 32]);
        assert_eq!(qr.adv_secret, b"adv");
        assert!(parse_qr("2@r,x,y").is_err());
    }
}
