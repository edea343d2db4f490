//! Forward-secure sealing of the audit log: the keys, their one-way evolution, and the MACs.
//! Pure: no database, no clock, no file (see [`crate::sealing_file`] for the state on disk).
//!
//! The scheme (after Bellare and Yee's forward-secure MACs, as in the systemd journal's
//! Forward Secure Sealing, with short epochs):
//!
//! - At setup a random 32-byte secret `K[0]` is drawn; time is cut into epochs of `epoch_secs`
//!   seconds from the setup time `start` (epoch `i` covers `[start + i*len, start + (i+1)*len)`).
//! - `K[i+1] = HMAC-SHA256(K[i], "evolve")`. The machine keeps only the current key and
//!   overwrites it when the epoch ends, so whoever takes the machine at epoch `E` holds `K[E]`
//!   and cannot compute any `K[i]` with `i < E`.
//! - Each row carries `HMAC-SHA256(K[epoch], "row" ‖ seq ‖ hash)`, its chain hash standing for
//!   its content and its place. When an epoch has ended a seal records it (with the run of
//!   empty epochs before it, if any), the last row and the chain head, under
//!   `HMAC-SHA256(K[epoch], "seal" ‖ first_epoch ‖ epoch ‖ last_seq ‖ claims ‖ head)`, `claims`
//!   being the number of message claims then (claims are never deleted).
//! - The auditor keeps the [`VerificationKey`] (`K[0]`, `start`, `epoch_secs`) off the machine
//!   and derives every epoch key from it.
//!
//! Integers are encoded as 8 bytes big-endian, hashes as their 64 lowercase hex characters,
//! MACs as 64 lowercase hex characters (docs/auditor.md has the encoding for independent
//! checkers).
//!
//! ```
//! use audit_store::seal::{EpochKey, VerificationKey};
//!
//! let vk = VerificationKey::new([7; 32], 1_733_000_000, 60).unwrap();
//! let line = vk.to_string();
//! assert_eq!(line.parse::<VerificationKey>().unwrap(), vk);
//! // The key of epoch 3, from the machine's side (evolved) and the auditor's (derived).
//! let mut key = EpochKey::initial(&vk);
//! key.evolve_to(3);
//! assert_eq!(key.row_mac(42, &"ab".repeat(32)), vk.key_of(3).row_mac(42, &"ab".repeat(32)));
//! assert_eq!(vk.epoch_at(1_733_000_185), 3);
//! ```

use std::fmt;
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The prefix of a verification key's text form (version 1 of the scheme).
const VK_PREFIX: &str = "pppoe-bot-audit-vk1";

/// How time is cut into epochs: from the setup time `start` (unix seconds), `epoch_secs` long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    /// The setup time (unix seconds): the start of epoch 0.
    pub start: i64,
    /// The epoch length in seconds (at least 1).
    pub epoch_secs: u32,
}

impl Epochs {
    /// The epoch that `unix_secs` falls in (0 before the setup time).
    pub fn epoch_at(&self, unix_secs: i64) -> u64 {
        let since = unix_secs.saturating_sub(self.start).max(0);
        u64::try_from(since).unwrap_or(0) / u64::from(self.epoch_secs.max(1))
    }

    /// When epoch `epoch` starts (unix seconds).
    pub fn epoch_start(&self, epoch: u64) -> i64 {
        let offset = epoch.saturating_mul(u64::from(self.epoch_secs));
        self.start
            .saturating_add(i64::try_from(offset).unwrap_or(i64::MAX))
    }
}

/// What an auditor needs to check every MAC and seal: the initial secret, the setup time and
/// the epoch length. Its text form is one line, e.g.
/// `pppoe-bot-audit-vk1:<64 hex>:<setup unix time>:<epoch seconds>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationKey {
    secret: [u8; 32],
    start: i64,
    epoch_secs: u32,
}

impl fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The secret never reaches a log.
        f.debug_struct("VerificationKey")
            .field("start", &self.start)
            .field("epoch_secs", &self.epoch_secs)
            .finish_non_exhaustive()
    }
}

/// A verification key that does not parse or makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "not a pppoe-bot audit verification key: {0} (expected {VK_PREFIX}:<64 hex digits>:<setup unix time>:<epoch seconds>)"
)]
pub struct BadKey(pub String);

impl VerificationKey {
    /// A key from its parts; the epoch length is at least one second.
    pub fn new(secret: [u8; 32], start: i64, epoch_secs: u32) -> Result<Self, BadKey> {
        if epoch_secs == 0 {
            return Err(BadKey("the epoch length is 0 seconds".into()));
        }
        Ok(Self {
            secret,
            start,
            epoch_secs,
        })
    }

    /// The epochs' layout.
    pub fn epochs(&self) -> Epochs {
        Epochs {
            start: self.start,
            epoch_secs: self.epoch_secs,
        }
    }

    /// The epoch that `unix_secs` falls in (0 before the setup time).
    pub fn epoch_at(&self, unix_secs: i64) -> u64 {
        self.epochs().epoch_at(unix_secs)
    }

    /// When epoch `epoch` starts (unix seconds).
    pub fn epoch_start(&self, epoch: u64) -> i64 {
        self.epochs().epoch_start(epoch)
    }

    /// The key of epoch `epoch`, derived from the initial secret.
    pub fn key_of(&self, epoch: u64) -> EpochKey {
        let mut key = EpochKey::initial(self);
        key.evolve_to(epoch);
        key
    }
}

impl fmt::Display for VerificationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{VK_PREFIX}:{}:{}:{}",
            hex::encode(self.secret),
            self.start,
            self.epoch_secs
        )
    }
}

impl FromStr for VerificationKey {
    type Err = BadKey;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split(':');
        if parts.next() != Some(VK_PREFIX) {
            return Err(BadKey(format!("it does not start with {VK_PREFIX}")));
        }
        let (Some(secret), Some(start), Some(epoch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(BadKey("it does not have four parts".into()));
        };
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(secret, &mut bytes)
            .map_err(|_| BadKey("the secret is not 64 hex digits".into()))?;
        let start = start
            .parse()
            .map_err(|_| BadKey("the setup time is not a number".into()))?;
        let epoch = epoch
            .parse()
            .map_err(|_| BadKey("the epoch length is not a number".into()))?;
        Self::new(bytes, start, epoch)
    }
}

/// The key of one epoch, which can only move forward.
#[derive(Clone, PartialEq, Eq)]
pub struct EpochKey {
    key: [u8; 32],
    epoch: u64,
}

impl fmt::Debug for EpochKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EpochKey")
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

fn hmac(key: &[u8; 32], parts: &[&[u8]]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

impl EpochKey {
    /// `K[0]` of `vk`.
    pub fn initial(vk: &VerificationKey) -> Self {
        Self {
            key: vk.secret,
            epoch: 0,
        }
    }

    /// A key read back from the sealing state.
    pub fn from_parts(key: [u8; 32], epoch: u64) -> Self {
        Self { key, epoch }
    }

    /// The raw key, to store it (and only to store it).
    pub fn bytes(&self) -> &[u8; 32] {
        &self.key
    }

    /// The epoch of this key.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Moves to epoch `epoch` (`K[i+1] = HMAC(K[i], "evolve")`); never backwards: an earlier
    /// epoch leaves the key as it is.
    pub fn evolve_to(&mut self, epoch: u64) {
        while self.epoch < epoch {
            self.key = hmac(&self.key, &[b"evolve"]);
            self.epoch += 1;
        }
    }

    /// The MAC of row `seq` whose chain hash is `hash` (64 hex characters).
    pub fn row_mac(&self, seq: i64, hash: &str) -> String {
        hex::encode(hmac(
            &self.key,
            &[b"row", &seq.to_be_bytes(), hash.as_bytes()],
        ))
    }

    /// The MAC of the seal that closes epochs `first_epoch..=` this key's epoch (one epoch, or
    /// a run without rows): its last row `last_seq` (0 when the log is empty), the number of
    /// message claims `claims` then, and the chain head `head` (that row's hash, or 64 zeros).
    pub fn seal_mac(&self, first_epoch: u64, last_seq: i64, claims: i64, head: &str) -> String {
        hex::encode(hmac(
            &self.key,
            &[
                b"seal",
                &first_epoch.to_be_bytes(),
                &self.epoch.to_be_bytes(),
                &last_seq.to_be_bytes(),
                &claims.to_be_bytes(),
                head.as_bytes(),
            ],
        ))
    }
}

/// Compares two MACs in time independent of where they differ.
pub fn macs_equal(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vk() -> VerificationKey {
        VerificationKey::new([1; 32], 1_733_000_000, 60).unwrap()
    }

    #[test]
    fn the_text_form_round_trips_and_bad_keys_are_named() {
        let vk = vk();
        let line = vk.to_string();
        assert!(line.starts_with("pppoe-bot-audit-vk1:0101"));
        assert_eq!(line.parse::<VerificationKey>().unwrap(), vk);
        assert_eq!(
            format!("  {line}\n").parse::<VerificationKey>().unwrap(),
            vk
        );
        for bad in [
            "",
            "pppoe-bot-audit-vk2:00:1:60",
            "pppoe-bot-audit-vk1:zz:1:60",
            &format!("pppoe-bot-audit-vk1:{}:x:60", "00".repeat(32)),
            &format!("pppoe-bot-audit-vk1:{}:1:0", "00".repeat(32)),
            &format!("pppoe-bot-audit-vk1:{}:1:60:9", "00".repeat(32)),
        ] {
            let err = bad.parse::<VerificationKey>().unwrap_err();
            assert!(
                err.to_string().contains("expected pppoe-bot-audit-vk1"),
                "{err}"
            );
        }
        assert!(
            !format!("{vk:?}").contains("0101"),
            "the secret stays out of Debug"
        );
    }

    #[test]
    fn epochs_are_cut_from_the_setup_time() {
        let vk = vk();
        assert_eq!(vk.epoch_at(1_733_000_000 - 5), 0);
        assert_eq!(vk.epoch_at(1_733_000_059), 0);
        assert_eq!(vk.epoch_at(1_733_000_060), 1);
        assert_eq!(vk.epoch_start(2), 1_733_000_120);
    }

    #[test]
    fn keys_evolve_one_way_and_the_auditor_derives_the_same() {
        let vk = vk();
        let mut machine = EpochKey::initial(&vk);
        let hash = "0".repeat(64);
        let mut macs = Vec::new();
        for epoch in 0..5 {
            machine.evolve_to(epoch);
            assert_eq!(machine, vk.key_of(epoch));
            macs.push(machine.row_mac(1, &hash));
        }
        // Every epoch its own MAC for the same row.
        let mut unique = macs.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 5);
        // Never backwards.
        machine.evolve_to(2);
        assert_eq!(machine.epoch(), 4);
    }

    /// The sealing state after epoch E cannot re-create a MAC of an earlier epoch: every
    /// key reachable from it (by evolving) belongs to epoch E or later.
    #[test]
    fn a_later_key_cannot_make_an_earlier_epochs_mac() {
        let vk = vk();
        let hash = "ab".repeat(32);
        let earlier = vk.key_of(2).row_mac(7, &hash);
        let mut taken = vk.key_of(3);
        for _ in 0..50 {
            assert!(!macs_equal(&taken.row_mac(7, &hash), &earlier));
            let next = taken.epoch() + 1;
            taken.evolve_to(next);
        }
    }

    #[test]
    fn seals_bind_epoch_row_and_head() {
        let k = vk().key_of(4);
        let head = "cd".repeat(32);
        let mac = k.seal_mac(4, 10, 3, &head);
        assert!(macs_equal(&mac, &k.seal_mac(4, 10, 3, &head)));
        assert!(!macs_equal(&mac, &k.seal_mac(4, 9, 3, &head)));
        assert!(!macs_equal(&mac, &k.seal_mac(4, 10, 2, &head)));
        assert!(!macs_equal(&mac, &k.seal_mac(3, 10, 3, &head)));
        assert!(!macs_equal(&mac, &k.seal_mac(4, 10, 3, &"ce".repeat(32))));
        assert!(!macs_equal(&mac, &vk().key_of(5).seal_mac(4, 10, 3, &head)));
        assert!(!macs_equal(&mac, &k.row_mac(10, &head)), "a seal is no row");
    }
}
