//! Malformed commands: each gets a precise error reply that names the field and the rule and
//! shows a correct example, is audited as `invalid`, and nothing reaches the router (or, for
//! rules that need the router, nothing is written).

use pppoe_core::Outcome;
use pppoe_core::testing::FakeRouter;

use crate::harness::{Bot, config};

/// (command, text the reply must contain, example the reply must contain)
const CASES: &[(&str, &str, &str)] = &[
    ("", "Pesan kosong", "help pppoe"),
    (
        "hapuspppoe john123",
        "Perintah \"hapuspppoe\" tidak dikenal",
        "help pppoe",
    ),
    (
        "addpppoe",
        "*username* belum diisi",
        "addpppoe john123 password123 Premium",
    ),
    (
        "addpppoe john123",
        "*password* belum diisi",
        "addpppoe john123 password123",
    ),
    (
        "addpppoe john123 password123",
        "*profile* belum diisi",
        "addpppoe john123 password123",
    ),
    (
        "addpppoe john123 pass Premium",
        "Password hanya 4 karakter. Aturan: minimal 8 karakter.",
        "addpppoe john123 password123",
    ),
    (
        "addpppoe john123 password123 Gold",
        "Profile \"Gold\" tidak ada. Profile yang tersedia: Basic, Standard, Premium, VIP, Enterprise.",
        "addpppoe john123 password123 Premium",
    ),
    (
        "addpppoe john123 password123 Basic 300.1.1.1",
        "\"300.1.1.1\" bukan alamat IPv4.",
        "192.168.1.100",
    ),
    (
        "addpppoe john123 password123 Basic 10.0.0.0/8",
        "\"10.0.0.0/8\" bukan alamat IPv4.",
        "192.168.1.100",
    ),
    (
        "addpppoe john123 password123 Basic 0.0.0.0",
        "0.0.0.0 adalah alamat kosong",
        "192.168.1.100",
    ),
    (
        "addpppoe john123 password123 Basic 255.255.255.255",
        "255.255.255.255 adalah alamat broadcast",
        "192.168.1.100",
    ),
    (
        "addpppoe john123 password123 Basic 127.0.0.1",
        "127.0.0.1 adalah alamat loopback",
        "192.168.1.100",
    ),
    (
        "addpppoe john123 password123 Basic 224.0.0.1",
        "224.0.0.1 adalah alamat multicast",
        "192.168.1.100",
    ),
    (
        "addpppoe \"john doe\" password123 Basic",
        "Username mengandung \" \"",
        "addpppoe john123",
    ),
    (
        "addpppoe jöhn password123 Basic",
        "Username mengandung \"ö\"",
        "addpppoe john123",
    ),
    (
        "editpppoe john123",
        "*field* belum diisi",
        "editpppoe john123 profile VIP",
    ),
    (
        "editpppoe john123 speed 10M",
        "Field \"speed\" tidak bisa diedit",
        "editpppoe john123 profile VIP",
    ),
    (
        "editpppoe john123 password short",
        "Password hanya 5 karakter",
        "editpppoe john123 password password456",
    ),
    (
        "editpppoe john123 profile Gold",
        "Profile \"Gold\" tidak ada",
        "editpppoe john123 profile VIP",
    ),
    (
        "editpppoe john123 ip 999.1.1.1",
        "bukan alamat IPv4",
        "editpppoe john123 ip 192.168.1.200",
    ),
    (
        "editpppoe john123 status maybe",
        "Status \"maybe\" tidak dikenal",
        "editpppoe john123 status disable",
    ),
    (
        "delpppoe",
        "*username* belum diisi",
        "delpppoe john123 Pelanggan pindah lokasi",
    ),
    ("checkpppoe", "*username* belum diisi", "checkpppoe john123"),
    (
        "checkpppoe john doe",
        "kelebihan kata \"doe\"",
        "checkpppoe john123",
    ),
    (
        "restartpppoe",
        "*username* belum diisi",
        "restartpppoe john123",
    ),
    (
        "pppoe john 0",
        "Halaman \"0\" harus angka mulai dari 1",
        "pppoe Premium 2",
    ),
];

#[test]
fn malformed_commands_get_precise_errors_and_never_reach_the_router() {
    for (input, want, example) in CASES {
        let b = Bot::new(FakeRouter::with_spec_users(), config());
        let replies = b.say(input);
        assert_eq!(replies.len(), 1, "{input:?}: {replies:#?}");
        let reply = &replies[0];
        assert!(reply.contains(want), "{input:?}: want {want:?} in\n{reply}");
        assert!(
            reply.contains(example),
            "{input:?}: want example {example:?} in\n{reply}"
        );
        assert!(
            b.router.calls().is_empty(),
            "{input:?} reached the router: {:?}",
            b.router.calls()
        );
        // Checked before anything durable: no claim (an fsync) for a command refused by its
        // words alone.
        assert!(b.audit.claims().is_empty(), "{input:?} was claimed");
        let ev = b.last_event();
        assert_eq!(ev.outcome, Outcome::Invalid, "{input:?}");
        assert!(ev.error.is_some(), "{input:?}");
        assert!(
            !format!("{ev:?}").contains("password123"),
            "{input:?} leaked a password"
        );
    }
}

#[test]
fn a_ten_kilobyte_message_is_refused_without_being_stored() {
    let b = Bot::spec();
    let text = format!(
        "addpppoe john123 password123 Premium {}",
        "x".repeat(10_000)
    );
    let reply = b.say(&text);
    assert!(reply[0].contains("Pesan terlalu panjang"));
    assert!(reply[0].contains("maksimal 1000"));
    let ev = b.last_event();
    assert_eq!(ev.arguments, "(10037 characters)");
    assert!(b.router.calls().is_empty());
}

#[test]
fn rules_that_need_the_router_read_but_never_write() {
    let b = Bot::spec();
    let conflict = b.say("addpppoe budi01 password123 Basic 192.168.1.101")[0].clone();
    assert!(conflict.contains("IP Address Conflict"));
    assert!(conflict.contains("jane456"));
    let exists = b.say("addpppoe john123 password123 Basic")[0].clone();
    assert!(exists.contains("Username sudah dipakai"));
    let missing = b.say("editpppoe ghost99 profile VIP")[0].clone();
    assert!(missing.contains("User \"ghost99\" tidak ada di router"));
    let taken = b.say("editpppoe jane456 ip 192.168.1.100")[0].clone();
    assert!(taken.contains("IP Address Conflict"));
    // Keeping one's own IP is no conflict.
    assert!(b.say("editpppoe jane456 ip 192.168.1.101")[0].starts_with("✅"));
    assert_eq!(b.router.writes(), 1);
    assert!(
        b.events()[..4]
            .iter()
            .all(|e| e.outcome == Outcome::Invalid)
    );
}

#[test]
fn passwords_with_trailing_punctuation_are_kept_verbatim() {
    let b = Bot::new(FakeRouter::new(), config());
    b.say("addpppoe budi01 Rahasia123! Basic");
    assert_eq!(b.router.secret("budi01").unwrap().password, "Rahasia123!");
    assert!(!format!("{:?}", b.events()).contains("Rahasia123!"));
}

#[test]
fn pools_restrict_static_ips() {
    let b = Bot::new(
        FakeRouter::new(),
        pppoe_core::EngineConfig {
            pools: vec![pppoe_core::Ipv4Net::parse("10.20.0.0/16").unwrap()],
            ..config()
        },
    );
    let reply = b.say("addpppoe budi01 password123 Basic 192.168.1.100")[0].clone();
    assert!(
        reply.contains("di luar pool yang diizinkan (10.20.0.0/16)"),
        "{reply}"
    );
    assert!(b.say("addpppoe budi01 password123 Basic 10.20.1.0")[0].starts_with("✅"));
}
