//! Golden tests of the reply texts: every layout of the spec, in Indonesian and English.
//!
//! Each reply is compared with a file under `tests/golden/` (run with `UPDATE_GOLDEN=1` to
//! rewrite them after an intended change, then review the diff). Where the spec shows a layout
//! exactly, the reply without its `*bold*` markers must equal the spec's text; where we show
//! more than the spec (summaries, caller-id, uptime, traffic), the spec's lines must appear in
//! the reply in the spec's order.

use std::path::PathBuf;

use pppoe_core::testing::{CallKind, FakeRouter};
use pppoe_core::{
    AuditEvent, AuditSink, DeleteConfirmation, EngineConfig, Language, Outcome, RouterError,
};

use crate::harness::{ADMIN, Bot, TECH, config, jakarta, strip_bold};

pub(crate) fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(format!("{name}.txt"));
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with UPDATE_GOLDEN=1)", path.display()));
    assert_eq!(actual, expected, "golden {name} differs");
}

/// The incident id (8 hex digits after "Insiden:* " or "Incident:* ") as `XXXXXXXX`: it is a
/// hash of the message id, not part of the layout.
fn mask_incident(text: &str) -> String {
    let mut out = text.to_owned();
    for label in ["Insiden:* ", "Incident:* "] {
        if let Some(i) = out.find(label) {
            let start = i + label.len();
            out.replace_range(start..(start + 8).min(out.len()), "XXXXXXXX");
        }
    }
    out
}

/// Every line of `spec` appears in `actual`, in order.
fn contains_in_order(actual: &str, spec: &str) {
    let actual = strip_bold(actual);
    let mut lines = actual.lines();
    for want in spec.lines() {
        assert!(
            lines.any(|l| l == want),
            "spec line {want:?} missing (or out of order) in:\n{actual}"
        );
    }
}

const SPEC_ADD: &str = "✅ USER PPPoE BERHASIL DITAMBAHKAN

👤 Username: john123
🔑 Password: password123
📊 Profile: Premium
🌐 IP Address: 192.168.1.100
📱 Info Pelanggan: John Doe - Jl. Contoh No. 123
🕒 Dibuat Pada: 15/12/2024 16:30:25

💡 Langkah Selanjutnya:
1. Set username & password di ONU pelanggan
2. Test koneksi PPPoE
3. Verifikasi speed sesuai profile
4. Update status di trouble report jika ada";

const SPEC_EDIT: &str = "✅ USER PPPoE BERHASIL DIUPDATE

👤 Username: john123
📝 Field: profile
🆕 Value Baru: VIP
🕒 Update Pada: 15/12/2024 16:45:30

💡 Langkah Selanjutnya:
1. Restart koneksi PPPoE di ONU
2. Test speed sesuai profile baru
3. Verifikasi bandwidth sesuai paket";

const SPEC_CONFIRM: &str = "⚠️ KONFIRMASI PENGHAPUSAN

Anda yakin ingin menghapus user PPPoE \"john123\"?

Kirim ulang dengan alasan untuk konfirmasi:
delpppoe john123 [alasan_penghapusan]

Contoh:
delpppoe john123 Pelanggan pindah lokasi";

const SPEC_DELETED: &str = "✅ USER PPPoE BERHASIL DIHAPUS

👤 Username: john123
🗑️ Alasan: Pelanggan pindah lokasi
🕒 Dihapus Pada: 15/12/2024 17:00:15

💡 Langkah Selanjutnya:
1. Hapus konfigurasi PPPoE di ONU
2. Pastikan tidak ada koneksi aktif
3. Update status di trouble report jika ada
4. Catat alasan penghapusan untuk audit";

const SPEC_LIST: &str = "📋 DAFTAR USER PPPoE

1. john123
   🟢 Status: Aktif
   📊 Profile: Premium
   🌐 IP: 192.168.1.100
   📱 Customer: John Doe
   🕒 Created: 01/12/2024

2. jane456
   🟢 Status: Aktif
   📊 Profile: Standard
   🌐 IP: 192.168.1.101
   📱 Customer: Jane Smith
   🕒 Created: 05/12/2024

💡 Command yang tersedia:
• addpppoe [user] [pass] [profile] [ip] [info] - Tambah user baru
• editpppoe [user] [field] [value] - Edit user
• delpppoe [user] [alasan] - Hapus user
• pppoe [filter] - Lihat daftar user
• help pppoe - Bantuan PPPoE";

const SPEC_STATUS: &str = "📊 STATUS USER PPPoE

👤 Username: john123
📊 Profile: Premium
🟢 Status: Aktif
🟢 Koneksi: Terhubung
🌐 IP Address: 192.168.1.100
🕒 Last Seen: 15/12/2024 16:30:25
📈 Bandwidth: 50 Mbps↓ / 25 Mbps↑
📱 Customer: John Doe

💡 Command yang tersedia:
• editpppoe john123 [field] [value] - Edit user
• delpppoe john123 [alasan] - Hapus user
• restartpppoe john123 - Restart koneksi";

const SPEC_RESTART: &str = "🔄 KONEKSI PPPoE BERHASIL DIRESTART

👤 Username: john123
🕒 Restart Pada: 15/12/2024 17:15:30

💡 Langkah Selanjutnya:
1. Tunggu 30-60 detik untuk koneksi stabil
2. Test koneksi internet
3. Verifikasi speed sesuai profile
4. Update status di trouble report jika ada";

fn bot(language: Language) -> Bot {
    Bot::new(
        FakeRouter::with_spec_users(),
        EngineConfig {
            language,
            ..config()
        },
    )
}

fn lang_name(language: Language) -> &'static str {
    match language {
        Language::Indonesian => "id",
        Language::English => "en",
    }
}

/// Runs every layout in one language and checks it against its golden file.
fn every_layout(language: Language) {
    let l = lang_name(language);
    let empty = Bot::new(
        FakeRouter::new(),
        EngineConfig {
            language,
            ..config()
        },
    );
    let add = empty.one(
        r#"addpppoe john123 password123 Premium 192.168.1.100 "John Doe - Jl. Contoh No. 123""#,
    );
    golden(&format!("{l}/add"), &add);
    golden(
        &format!("{l}/add_dynamic"),
        &empty.one("addpppoe budi01 rahasia123 basic"),
    );

    let b = bot(language);
    b.at(2024, 12, 15, 16, 30, 25);
    golden(&format!("{l}/status_online"), &b.one("checkpppoe john123"));
    golden(&format!("{l}/status_offline"), &b.one("checkpppoe jane456"));
    b.at(2024, 12, 15, 16, 45, 30);
    golden(
        &format!("{l}/edit_profile"),
        &b.one("editpppoe john123 profile VIP"),
    );
    for (name, cmd) in [
        ("edit_password", "editpppoe jane456 password rahasia456"),
        ("edit_ip", "editpppoe jane456 ip 192.168.1.200"),
        ("edit_ip_clear", "editpppoe jane456 ip -"),
        (
            "edit_info",
            "editpppoe jane456 info Jane Smith - Jl. Mawar 7",
        ),
        ("edit_disable_online", "editpppoe john123 status nonaktif"),
    ] {
        golden(&format!("{l}/{name}"), &b.one(cmd));
    }
    b.at(2024, 12, 15, 17, 0, 15);
    golden(&format!("{l}/delete_confirm"), &b.one("delpppoe jane456"));
    golden(
        &format!("{l}/deleted"),
        &b.one("delpppoe jane456 Pelanggan pindah lokasi"),
    );

    let b = bot(language);
    b.at(2024, 12, 15, 17, 15, 30);
    golden(&format!("{l}/restart"), &b.one("restartpppoe john123"));
    golden(&format!("{l}/repeated"), &b.one("restartpppoe john123"));
    golden(
        &format!("{l}/restart_offline"),
        &b.one("restartpppoe jane456"),
    );
    golden(&format!("{l}/help_pppoe"), &b.one("help pppoe"));
    golden(&format!("{l}/help"), &b.one("help"));
    golden(&format!("{l}/list"), &b.one("pppoe"));
    golden(&format!("{l}/list_empty"), &b.one("pppoe nobody"));
    // john123 hangs up (RouterOS records why), jane456 never logged in.
    b.router.connect(
        "john123",
        "AA:BB:CC:DD:EE:01",
        std::time::Duration::from_secs(60),
    );
    b.router.disconnect_at(
        "john123",
        chrono::NaiveDate::from_ymd_opt(2024, 12, 15)
            .unwrap()
            .and_hms_opt(17, 10, 5)
            .unwrap(),
    );
    golden(&format!("{l}/offline"), &b.one("offline"));
    // Served from a mirror that lost its router: the listing says since when.
    b.router.serve_stale(Some(jakarta(2024, 12, 15, 16, 20, 0)));
    golden(&format!("{l}/list_stale"), &b.one("pppoe"));
    let stale_offline = b.one("offline");
    let since = match language {
        Language::Indonesian => "salinan router per 15/12/2024 16:20:00",
        Language::English => "copy of the router as of 15/12/2024 16:20:00",
    };
    assert!(stale_offline.contains(since), "{stale_offline}");
    b.router.serve_stale(None);
    for (name, cmd) in [
        ("err_unknown_command", "hapuspppoe john123"),
        ("err_missing_password", "addpppoe john123"),
        ("err_too_many", "checkpppoe john doe"),
        ("err_unknown_field", "editpppoe john123 speed 10M"),
        ("err_bad_page", "pppoe john 0"),
        ("err_too_long", &"x".repeat(10_000)),
        ("err_short_password", "addpppoe budi01 pass Basic"),
        ("err_unknown_profile", "addpppoe budi01 password123 Gold"),
        ("err_bad_ip", "addpppoe budi01 password123 Basic 300.1.1.1"),
        (
            "err_cidr_ip",
            "addpppoe budi01 password123 Basic 10.0.0.0/8",
        ),
        (
            "err_loopback_ip",
            "addpppoe budi01 password123 Basic 127.0.0.1",
        ),
        ("err_username_unicode", "addpppoe jöhn password123 Basic"),
        (
            "err_username_space",
            "addpppoe \"john doe\" password123 Basic",
        ),
        (
            "err_ip_conflict",
            "addpppoe budi01 password123 Basic 192.168.1.101",
        ),
        ("err_exists", "addpppoe john123 password123 Basic"),
        ("err_not_found", "checkpppoe ghost99"),
        ("err_status", "editpppoe john123 status maybe"),
    ] {
        golden(&format!("{l}/{name}"), &b.one(cmd));
    }
    let mut msg = b.message(ADMIN, "delpppoe john123 Pelanggan pindah lokasi");
    msg.sent_at -= chrono::Duration::minutes(10);
    let stale = b.deliver(msg);
    golden(&format!("{l}/stale"), &stale[0].text);
    // Past the window in which a resend of the restart above would be held back as a repeat.
    b.clock.advance(pppoe_core::REPEAT_WINDOW);
    let msg = b.message(ADMIN, "restartpppoe john123");
    b.claim(&msg, "restartpppoe", Some("john123"));
    golden(&format!("{l}/interrupted"), &b.deliver(msg)[0].text);

    let strict = Bot::new(
        FakeRouter::with_spec_users(),
        EngineConfig {
            language,
            delete_confirmation: DeleteConfirmation::Code,
            ..config()
        },
    );
    strict.at(2024, 12, 15, 17, 0, 15);
    let code_reply = strict.one("delpppoe john123 Pelanggan pindah lokasi");
    let code = code_reply
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("ya ")
        .to_owned();
    golden(
        &format!("{l}/delete_code"),
        &code_reply.replace(&code, "XXXX"),
    );
    golden(&format!("{l}/err_bad_code"), &strict.one("ya 0000"));

    // What really happened, when it is not simply done or not done.
    let lost = || RouterError::Unconfirmed("the reply was lost".into());
    let b = bot(language);
    b.at(2024, 12, 15, 17, 0, 15);
    b.router.fail_on(
        CallKind::Kick,
        RouterError::Rejected("failure: cannot remove".into()),
    );
    golden(
        &format!("{l}/deleted_session_not_dropped"),
        &b.one("delpppoe john123 Pelanggan pindah lokasi"),
    );
    let b = bot(language);
    b.router.fail_on(CallKind::Kick, lost());
    golden(
        &format!("{l}/edit_disable_session_unconfirmed"),
        &b.one("editpppoe john123 status disable"),
    );
    b.router.fail_after_applying(CallKind::Add, lost());
    golden(
        &format!("{l}/unknown_result"),
        &mask_incident(&b.one("addpppoe budi01 password123 Premium")),
    );
    for (name, err) in [
        (
            "err_router_login",
            RouterError::LoginRefused("invalid user name or password (6)".into()),
        ),
        (
            "err_router_certificate",
            RouterError::Certificate("fingerprint mismatch".into()),
        ),
        (
            "err_router_busy",
            RouterError::Busy(std::time::Duration::from_secs(30)),
        ),
    ] {
        b.router.fail_on(CallKind::Find, err);
        golden(
            &format!("{l}/{name}"),
            &mask_incident(&b.one("checkpppoe john123")),
        );
    }
    let b = bot(language);
    b.router.before_next(CallKind::Add, |r| {
        r.insert("other", "password999", "Basic", Some([10, 9, 0, 5]), None);
    });
    golden(
        &format!("{l}/err_ip_conflict_undone"),
        &b.one("addpppoe budi01 password123 Premium 10.9.0.5"),
    );
    b.router.before_next(CallKind::Update, |r| {
        r.insert("other2", "password999", "Basic", Some([10, 9, 0, 6]), None);
    });
    golden(
        &format!("{l}/err_ip_conflict_put_back"),
        &b.one("editpppoe jane456 ip 10.9.0.6"),
    );
    b.router.before_next(CallKind::Add, |r| {
        r.insert("other3", "password999", "Basic", Some([10, 9, 0, 7]), None);
    });
    b.router.fail_on(
        CallKind::Remove,
        RouterError::Rejected("failure: cannot remove".into()),
    );
    golden(
        &format!("{l}/ip_conflict_not_undone"),
        &b.one("addpppoe budi02 password123 Premium 10.9.0.7"),
    );
    b.router.before_next(CallKind::Add, |r| {
        r.fail_on(CallKind::IpUsers, RouterError::Timeout);
    });
    golden(
        &format!("{l}/add_ip_not_verified"),
        &b.one("addpppoe budi03 password123 Premium 10.9.0.8"),
    );
}

/// Every message `text` from `from` makes the bot send, each with its recipient: the reply and
/// the notices to others.
fn everything(b: &Bot, from: &str, text: &str) -> String {
    let msg = b.message(from, text);
    b.deliver(msg)
        .into_iter()
        .map(|o| format!("[to {}]\n{}", o.chat, o.text))
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Every ticket layout in one language, replies and notices, against golden files.
fn every_ticket_layout(language: Language) {
    let l = lang_name(language);
    let b = bot(language);
    b.at(2024, 12, 15, 8, 0, 0);
    let all = |from: &str, text: &str| everything(&b, from, text);
    golden(
        &format!("{l}/ticket_opened"),
        &all(TECH, "lapor john123 internet mati sejak pagi"),
    );
    golden(
        &format!("{l}/ticket_opened_unlinked"),
        &all(ADMIN, "lapor pasang baru Pak Budi Jl. Mawar 3"),
    );
    b.at(2024, 12, 15, 8, 10, 0);
    golden(&format!("{l}/ticket_taken"), &all(TECH, "ambil TR001"));
    golden(&format!("{l}/ticket_refused"), &all(ADMIN, "tutup TR001"));
    golden(
        &format!("{l}/ticket_note"),
        &all(TECH, "catatan TR001 kabel drop putus, diganti"),
    );
    golden(
        &format!("{l}/ticket_assigned"),
        &all(ADMIN, "serahkan TR002 Teknisi"),
    );
    b.at(2024, 12, 15, 9, 0, 0);
    golden(
        &format!("{l}/ticket_add_installed"),
        &all(
            TECH,
            "addpppoe budi01 rahasia123 Premium tiket=TR002 \"Pak Budi - Jl. Mawar 3\"",
        ),
    );
    golden(
        &format!("{l}/ticket_resolved"),
        &all(TECH, "selesai TR002 User PPPoE berhasil dibuat"),
    );
    golden(&format!("{l}/ticket_closed"), &all(ADMIN, "tutup TR002"));
    golden(
        &format!("{l}/ticket_reopened"),
        &all(ADMIN, "bukaulang TR002 pelanggan lapor masih putus"),
    );
    golden(&format!("{l}/ticket_list"), &all(TECH, "tiket"));
    golden(&format!("{l}/ticket_list_mine"), &all(TECH, "tiket saya"));
    golden(&format!("{l}/ticket_detail"), &all(TECH, "tiket TR001"));
    golden(&format!("{l}/ticket_not_found"), &all(TECH, "tiket TR404"));
    golden(&format!("{l}/ticket_bad_id"), &all(TECH, "ambil T001"));
    golden(
        &format!("{l}/ticket_unknown_technician"),
        &all(ADMIN, "serahkan TR001 Budi"),
    );
    golden(&format!("{l}/help_tickets"), &all(TECH, "help tiket"));
    b.at(2024, 12, 15, 11, 0, 0);
    all(TECH, "ambil TR002");
    b.at(2024, 12, 15, 12, 30, 0);
    all(TECH, "selesai TR002 ONU diganti");
    golden(&format!("{l}/performance"), &all(ADMIN, "laporan hari"));
    golden(
        &format!("{l}/performance_bad_period"),
        &all(ADMIN, "laporan tahun"),
    );
}

/// The customer's messages (login on creation, resolution) in one language.
fn every_customer_layout(language: Language) {
    let l = lang_name(language);
    let mut cfg = EngineConfig {
        language,
        ..config()
    };
    cfg.customer.notify_on_create = true;
    cfg.customer.notify_on_resolve = true;
    let b = Bot::new(FakeRouter::with_spec_users(), cfg);
    b.at(2024, 12, 15, 9, 0, 0);
    let all = |from: &str, text: &str| everything(&b, from, text);
    golden(
        &format!("{l}/customer_add"),
        &all(
            TECH,
            "addpppoe budi01 rahasia123 Premium wa=081277778888 \"Budi Santoso - Jl. Mawar 3\"",
        ),
    );
    all(ADMIN, "lapor budi01 internet putus");
    all(TECH, "ambil TR001");
    golden(
        &format!("{l}/customer_resolved"),
        &all(TECH, "selesai TR001 kabel drop diganti"),
    );
    golden(
        &format!("{l}/customer_bad_wa"),
        &all(TECH, "addpppoe budi02 rahasia123 Premium wa=budi"),
    );
}

#[test]
fn indonesian_customer_layouts_match_their_golden_files() {
    every_customer_layout(Language::Indonesian);
}

#[test]
fn english_customer_layouts_match_their_golden_files() {
    every_customer_layout(Language::English);
}

#[test]
fn indonesian_ticket_layouts_match_their_golden_files() {
    every_ticket_layout(Language::Indonesian);
}

#[test]
fn english_ticket_layouts_match_their_golden_files() {
    every_ticket_layout(Language::English);
}

#[test]
fn indonesian_layouts_match_their_golden_files() {
    every_layout(Language::Indonesian);
}

#[test]
fn english_layouts_match_their_golden_files() {
    every_layout(Language::English);
}

#[test]
fn replies_reproduce_the_spec_layouts() {
    let empty = Bot::new(FakeRouter::new(), config());
    let add = empty.one(
        r#"addpppoe john123 password123 Premium 192.168.1.100 "John Doe - Jl. Contoh No. 123""#,
    );
    assert_eq!(strip_bold(&add), SPEC_ADD);

    let b = Bot::spec();
    // The listing's "Created" comes from the bot's own audit records of the adds.
    for (user, day) in [("john123", 1), ("jane456", 5)] {
        futures::executor::block_on(b.audit.append(AuditEvent {
            at: jakarta(2024, 12, day, 10, 0, 0),
            actor_phone: "6281234567890".into(),
            actor_lid: None,
            role: None,
            command: "addpppoe".into(),
            target: Some(user.into()),
            router: Some("main".into()),
            arguments: format!("{user} *** Premium"),
            outcome: Outcome::Ok,
            error: None,
            reason: None,
            duration_ms: 3,
            message_id: format!("seed-{user}"),
        }))
        .unwrap();
    }
    assert_eq!(strip_bold(&b.one("pppoe")), SPEC_LIST);

    b.at(2024, 12, 15, 16, 30, 25);
    contains_in_order(&b.one("checkpppoe john123"), SPEC_STATUS);

    b.at(2024, 12, 15, 16, 45, 30);
    assert_eq!(
        strip_bold(&b.one("editpppoe john123 profile VIP")),
        SPEC_EDIT
    );

    b.at(2024, 12, 15, 17, 15, 30);
    assert_eq!(strip_bold(&b.one("restartpppoe john123")), SPEC_RESTART);

    b.at(2024, 12, 15, 17, 0, 15);
    contains_in_order(&b.one("delpppoe john123"), SPEC_CONFIRM);
    // john123 is offline after the restart, so the reply is exactly the spec's.
    assert_eq!(
        strip_bold(&b.one("delpppoe john123 Pelanggan pindah lokasi")),
        SPEC_DELETED
    );
}
