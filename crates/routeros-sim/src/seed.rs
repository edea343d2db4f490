//! Deterministic generation of subscribers: a small PRNG (SplitMix64), Indonesian-style
//! customer names, MACs, addresses and session histories. No wall clock, no OS randomness.

use std::net::Ipv4Addr;
use std::time::Duration;

use crate::model::{SecretSpec, SessionSpec};
use crate::state::PROFILES;

/// SplitMix64: tiny, fast, good enough for test data, and the same on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`hi > lo`).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }

    /// `true` with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.range(0, items.len() as u64)).unwrap_or(0)]
    }
}

const FIRST: &[&str] = &[
    "Budi", "Siti", "Agus", "Dewi", "Rina", "Eko", "Andi", "Putri", "Joko", "Sri", "Ahmad", "Nur",
    "Dian", "Wahyu", "Fitri", "Hendra", "Lestari", "Bambang", "Yuni", "Rizky", "Ayu", "Dodi",
    "Indah", "Teguh", "Maya", "Fajar", "Ratna", "Arif", "Wulan", "Yusuf", "Intan", "Bayu",
];
const LAST: &[&str] = &[
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kurniawan",
    "Pratama",
    "Susanto",
    "Rahmawati",
    "Setiawan",
    "Nugroho",
    "Purnomo",
    "Halim",
    "Gunawan",
    "Siregar",
    "Nasution",
    "Harahap",
    "Tanjung",
    "Lubis",
    "Wibowo",
    "Firmansyah",
    "Permana",
    "Utami",
    "Syahputra",
    "Maharani",
];
/// OUIs of ONU vendors common at small ISPs (Huawei, ZTE, FiberHome, TP-Link, Tenda).
const OUIS: &[[u8; 3]] = &[
    [0xE4, 0x8D, 0x8C],
    [0x48, 0x8E, 0xEF],
    [0xF8, 0xDF, 0xA8],
    [0x34, 0x4B, 0x50],
    [0x98, 0xDA, 0xC4],
    [0xC8, 0x3A, 0x35],
];
const REASONS: &[&str] = &[
    "peer-request",
    "hung-up",
    "lost-carrier",
    "lcp-echo-timeout",
    "admin-disconnect",
];
/// Cumulative weights of [`PROFILES`]: Basic 35%, Standard 30%, Premium 20%, VIP 10%,
/// Enterprise 5%.
const PROFILE_WEIGHTS: [u64; 5] = [35, 65, 85, 95, 100];

/// The `i`-th usable host address of 10.20.0.0/16 and onwards (x.y.z.1 to x.y.z.254).
pub(crate) fn address(i: u32) -> Ipv4Addr {
    let block = i / 254;
    let host = (i % 254 + 1) as u8;
    let [_, _, hi, lo] = block.to_be_bytes();
    Ipv4Addr::new(10, 20u8.wrapping_add(hi), lo, host)
}

fn mac(rng: &mut Rng) -> String {
    let oui = rng.pick(OUIS);
    let tail = rng.next_u64().to_be_bytes();
    format!(
        "{:02X}:{:02X}:{:02X}:{:02X}:{:02X}:{:02X}",
        oui[0], oui[1], oui[2], tail[0], tail[1], tail[2]
    )
}

/// A MAC derived from a name, for sessions opened without one.
pub(crate) fn mac_for(name: &str, seed: u64) -> String {
    let hash = name.bytes().fold(0xCBF2_9CE4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    mac(&mut Rng::new(hash ^ seed))
}

fn password(rng: &mut Rng) -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let len = rng.range(8, 13);
    (0..len).map(|_| char::from(*rng.pick(CHARS))).collect()
}

/// `n` subscribers, each with the session to open if online. Subscriber `i` is called
/// `<first name><i + 1>` (lower case), so names are unique.
pub(crate) fn subscribers(n: usize, seed: u64, now: i64) -> Vec<(SecretSpec, Option<SessionSpec>)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let first = *rng.pick(FIRST);
        let last = *rng.pick(LAST);
        let name = format!("{}{}", first.to_lowercase(), i + 1);
        let weight = rng.range(0, 100);
        let profile = PROFILE_WEIGHTS
            .iter()
            .position(|w| weight < *w)
            .map_or("Basic", |p| PROFILES[p].0);
        let mut spec = SecretSpec::new(name, password(&mut rng))
            .service(if rng.chance(90) { "pppoe" } else { "any" })
            .profile(profile)
            .comment(format!("{first} {last}"));
        // Every subscriber owns one address of the plan, so no two ever collide.
        let own_address = address(u32::try_from(i).unwrap_or(u32::MAX));
        if rng.chance(15) {
            spec = spec.remote_address(own_address);
        }
        let disabled = rng.chance(7);
        let online = !disabled && rng.chance(32);
        spec = spec.disabled(disabled);
        let session = if online {
            // Skewed towards short sessions: up to an hour, a day or a month.
            let max = *rng.pick(&[3600u64, 86_400, 30 * 86_400]);
            Some(
                SessionSpec::new()
                    .caller_id(mac(&mut rng))
                    .address(own_address)
                    .uptime(Duration::from_secs(rng.range(60, max))),
            )
        } else {
            if rng.chance(95) {
                let ago = i64::try_from(rng.range(600, 60 * 86_400)).unwrap_or(0);
                let caller = mac(&mut rng);
                let reason = *rng.pick(REASONS);
                spec = spec.last_session(now - ago, caller, reason);
            }
            None
        };
        out.push((spec, session));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_skip_network_and_broadcast() {
        assert_eq!(address(0), Ipv4Addr::new(10, 20, 0, 1));
        assert_eq!(address(253), Ipv4Addr::new(10, 20, 0, 254));
        assert_eq!(address(254), Ipv4Addr::new(10, 20, 1, 1));
        assert_eq!(address(254 * 256), Ipv4Addr::new(10, 21, 0, 1));
    }

    #[test]
    fn generation_is_deterministic() {
        let a = subscribers(100, 42, 1_000_000);
        let b = subscribers(100, 42, 1_000_000);
        assert_eq!(a, b);
        assert_eq!(mac_for("john", 1), mac_for("john", 1));
        assert_ne!(mac_for("john", 1), mac_for("jane", 1));
        assert_eq!(Rng::new(1).next_u64(), Rng::new(1).next_u64());
    }
}
