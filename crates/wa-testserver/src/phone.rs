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
        let connection = server
            .state()
            .pairing
            .offered
            .iter()
            .find(|(_, r)| *r == qr.pairing_ref)
            .map(|(c, _)| *c)
            .ok_or_else(|| format!("the server never sent the ref {:?}", qr.pairing_ref))?;
        self.link(server, connection, qr.identity, &qr.adv_secret)
    }

    /// Types `code` (as the device showed it: `ABCD-1234`) under Link with phone number
    /// instead: takes the device's request for a code for this phone's number, answers it
    /// (`primary_hello`, this phone's ephemeral key encrypted under the code), waits for the
    /// device's key bundle (`companion_finish`), derives the ADV secret from it, and links the
    /// device as [`scan`](Self::scan) does. The new device, or why the code does not work (a
    /// wrong code makes a bundle that does not decrypt).
    pub async fn enter_code(&self, server: &TestServer, code: &str) -> Result<Account, String> {
        use whatsapp_rust::wacore::crypto::hkdf_sha256_into;
        use whatsapp_rust::wacore::libsignal::crypto::aes_256_gcm_decrypt;
        use whatsapp_rust::wacore::libsignal::protocol::PublicKey;
        use whatsapp_rust::wacore::pair_code::PairCodeUtils;

        let code: String = code
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_uppercase();
        let hello = server
            .state()
            .pairing
            .code_hellos
            .iter()
            .rev()
            .find(|h| h.phone == self.account.phone)
            .cloned()
            .ok_or_else(|| format!("no device asked for a code for +{}", self.account.phone))?;
        // The device's ephemeral key, and ours, under the code (PBKDF2: off the runtime).
        let ephemeral = key_pair(0x71);
        let ours = public_bytes(&ephemeral);
        let (theirs, wrapped) = {
            let (code, wrapped) = (code.clone(), hello.wrapped_ephemeral.clone());
            tokio::task::spawn_blocking(move || {
                PairCodeUtils::decrypt_primary_ephemeral_pub(&wrapped, &code)
                    .map(|theirs| (theirs, PairCodeUtils::encrypt_ephemeral_pub(&ours, &code)))
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("the device's ephemeral key: {e}"))?
        };
        let notification = NodeBuilder::new("notification")
            .attr("type", "link_code_companion_reg")
            .attr("from", "s.whatsapp.net")
            .attr("id", format!("primary-hello-{}", hello.connection))
            .attr("t", crate::conn::now_secs().to_string())
            .children([NodeBuilder::new("link_code_companion_reg")
                .attr("stage", "primary_hello")
                .children([
                    NodeBuilder::new("link_code_pairing_wrapped_primary_ephemeral_pub")
                        .bytes(wrapped.to_vec())
                        .build(),
                    NodeBuilder::new("primary_identity_pub")
                        .bytes(public_bytes(&self.identity).to_vec())
                        .build(),
                    NodeBuilder::new("link_code_pairing_ref")
                        .bytes(hello.pairing_ref.clone())
                        .build(),
                ])
                .build()])
            .build();
        let connection = hello.connection;
        let finishes = |s: &crate::State| {
            s.pairing
                .code_finishes
                .iter()
                .filter(|f| f.connection == connection)
                .count()
        };
        // Bundles already sent answered earlier codes (a wrong one, typed first).
        let before = finishes(&server.state());
        let control = server
            .state()
            .controls
            .get(&connection)
            .cloned()
            .ok_or("the connection that asked for the code has ended")?;
        control
            .send(Control::Send(notification))
            .map_err(|_| "the connection that asked for the code has ended")?;
        server
            .wait_until("the device's key bundle (companion_finish)", |s| {
                finishes(s) > before
            })
            .await;
        let finish = server
            .state()
            .pairing
            .code_finishes
            .iter()
            .rev()
            .find(|f| f.connection == connection)
            .cloned()
            .ok_or("no key bundle")?;
        // salt (32) || iv (12) || AES-GCM(companion identity || primary identity || random).
        let wrapped = &finish.wrapped_bundle;
        if wrapped.len() < 32 + 12 + 16 {
            return Err("the key bundle is too short".into());
        }
        let device_ephemeral = PublicKey::from_djb_public_key_bytes(&theirs)
            .map_err(|e| format!("the device's ephemeral key: {e}"))?;
        let ephemeral_shared = ephemeral
            .private_key
            .calculate_agreement(&device_ephemeral)
            .map_err(|e| e.to_string())?;
        let mut key = [0u8; 32];
        hkdf_sha256_into(
            &ephemeral_shared,
            Some(&wrapped[..32]),
            b"link_code_pairing_key_bundle_encryption_key",
            &mut key,
        )
        .map_err(|e| e.to_string())?;
        let iv: [u8; 12] = wrapped[32..44].try_into().map_err(|_| "the bundle's IV")?;
        let mut bundle = Vec::new();
        aes_256_gcm_decrypt(&key, &iv, b"", &wrapped[44..], &mut bundle)
            .map_err(|_| "the key bundle does not decrypt: a wrong code".to_owned())?;
        if bundle.len() != 96
            || bundle[..32] != finish.identity[..]
            || bundle[32..64] != public_bytes(&self.identity)
        {
            return Err("the key bundle names other keys".into());
        }
        let identity: [u8; 32] = bundle[..32].try_into().map_err(|_| "identity length")?;
        let device_identity = PublicKey::from_djb_public_key_bytes(&identity)
            .map_err(|e| format!("the device's identity key: {e}"))?;
        let identity_shared = self
            .identity
            .private_key
            .calculate_agreement(&device_identity)
            .map_err(|e| e.to_string())?;
        let secret = [&ephemeral_shared[..], &identity_shared, &bundle[64..]].concat();
        let mut adv_secret = [0u8; 32];
        hkdf_sha256_into(&secret, None, b"adv_secret", &mut adv_secret)
            .map_err(|e| e.to_string())?;
        self.link(server, connection, identity, &adv_secret)
    }

    /// Sends the device on `connection` (identity key `identity`, sharing `adv_secret` with
    /// the phone) its `pair-success`, signed by this phone; the new device.
    fn link(
        &self,
        server: &TestServer,
        connection: usize,
        identity: [u8; 32],
        adv_secret: &[u8],
    ) -> Result<Account, String> {
        let state = server.shared.state();
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
        let message = [&ACCOUNT_SIGNATURE_PREFIX[..], &details, &identity].concat();
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
            hmac: Some(hmac_sha256(adv_secret, &signed).to_vec()),
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
            device_identity: identity,
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
