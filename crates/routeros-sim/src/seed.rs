//! Deterministic generation of subscribers: pppoe-core's SplitMix64, Indonesian-style
//! customer names, MACs, addresses and session histories over the spec's profile table. No
//! wall clock, no OS randomness.

use std::net::Ipv4Addr;
use std::time::Duration;

use pppoe_core::{ProfileTable, SplitMix64};

use crate::model::{SecretSpec, SessionSpec};

/// `true` with probability `percent`/100.
fn chance(rng: &mut SplitMix64, percent: u64) -> bool {
    rng.range(0, 100) < percent
}

/// One of `items` (not empty).
fn pick<'a, T>(rng: &mut SplitMix64, items: &'a [T]) -> &'a T {
    &items[usize::try_from(rng.range(0, items.len() as u64)).unwrap_or(0)]
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
/// Cumulative weights of the default profile table's packages, in order: Basic 35%,
/// Standard 30%, Premium 20%, VIP 10%, Enterprise 5%.
const PROFILE_WEIGHTS: [u64; 5] = [35, 65, 85, 95, 100];

/// The `i`-th usable host address of 10.20.0.0/16 and onwards (x.y.z.1 to x.y.z.254).
pub(crate) fn address(i: u32) -> Ipv4Addr {
    let block = i / 254;
    let host = (i % 254 + 1) as u8;
    let [_, _, hi, lo] = block.to_be_bytes();
    Ipv4Addr::new(10, 20u8.wrapping_add(hi), lo, host)
}

fn mac(rng: &mut SplitMix64) -> String {
    let oui = pick(rng, OUIS);
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
    mac(&mut SplitMix64::new(hash ^ seed))
}

fn password(rng: &mut SplitMix64) -> String {
    const CHARS: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let len = rng.range(8, 13);
    (0..len).map(|_| char::from(*pick(rng, CHARS))).collect()
}

/// `n` subscribers, each with the session to open if online. Subscriber `i` is called
/// `<first name><i + 1>` (lower case), so names are unique.
pub(crate) fn subscribers(n: usize, seed: u64, now: i64) -> Vec<(SecretSpec, Option<SessionSpec>)> {
    let mut rng = SplitMix64::new(seed);
    let profiles = ProfileTable::default().names();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let first = *pick(&mut rng, FIRST);
        let last = *pick(&mut rng, LAST);
        let name = format!("{}{}", first.to_lowercase(), i + 1);
        let weight = rng.range(0, 100);
        let profile = PROFILE_WEIGHTS
            .iter()
            .position(|w| weight < *w)
            .and_then(|p| profiles.get(p))
            .map_or("default", String::as_str);
        let mut spec = SecretSpec::new(name, password(&mut rng))
            .service(if chance(&mut rng, 90) { "pppoe" } else { "any" })
            .profile(profile)
            .comment(format!("{first} {last}"));
        // Every subscriber owns one address of the plan, so no two ever collide.
        let own_address = address(u32::try_from(i).unwrap_or(u32::MAX));
        if chance(&mut rng, 15) {
            spec = spec.remote_address(own_address);
        }
        let disabled = chance(&mut rng, 7);
        let online = !disabled && chance(&mut rng, 32);
        spec = spec.disabled(disabled);
        let session = if online {
            // Skewed towards short sessions: up to an hour, a day or a month.
            let max = *pick(&mut rng, &[3600u64, 86_400, 30 * 86_400]);
            Some(
                SessionSpec::new()
                    .caller_id(mac(&mut rng))
                    .address(own_address)
                    .uptime(Duration::from_secs(rng.range(60, max))),
            )
        } else {
            if chance(&mut rng, 95) {
                let ago = i64::try_from(rng.range(600, 60 * 86_400)).unwrap_or(0);
                let caller = mac(&mut rng);
                let reason = *pick(&mut rng, REASONS);
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
    }
}
