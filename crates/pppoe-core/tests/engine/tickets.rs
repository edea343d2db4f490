//! Trouble tickets through the engine: every command, every refused move, the notices and who
//! they name, `addpppoe ... tiket=`, the automatic close and the audit rows.

use pppoe_core::testing::{CallKind, FakeRouter};
use pppoe_core::ticket::{TicketEventKind, TicketId, TicketState};
use pppoe_core::{Outcome, Outgoing, PhoneNumber, Role};

use crate::harness::{ADMIN, Bot, TECH, config};

const TECH2: &str = "0815-5555-6666";

fn digits(phone: &str) -> String {
    PhoneNumber::parse(phone, "62").unwrap().as_str().to_owned()
}

fn chat(phone: &str) -> String {
    format!("+{}", digits(phone))
}

fn tr(n: u32) -> TicketId {
    TicketId::new(n).unwrap()
}

fn bot() -> Bot {
    let mut cfg = config();
    cfg.access.push(pppoe_core::AccessEntry {
        phone: PhoneNumber::parse(TECH2, "62").unwrap(),
        role: Role::Technician,
        name: "Joko".into(),
    });
    Bot::new(FakeRouter::with_spec_users(), cfg)
}

/// Sends `text` from `from`; returns every message the engine sends (reply and notices).
fn send(b: &Bot, from: &str, text: &str) -> Vec<Outgoing> {
    let msg = b.message(from, text);
    b.deliver(msg)
}

#[test]
fn lapor_with_a_subscriber_opens_a_linked_ticket_and_tells_the_admins() {
    let b = bot();
    let out = send(&b, TECH, "lapor john123 internet mati sejak pagi");
    assert_eq!(out.len(), 2, "{out:#?}");
    let reply = &out[0].text;
    assert!(reply.starts_with("🎫 *TIKET TR001 DIBUAT*"), "{reply}");
    assert!(reply.contains("👤 *Pelanggan:* john123"), "{reply}");
    assert!(
        reply.contains("📝 *Keluhan:* internet mati sejak pagi"),
        "{reply}"
    );
    assert!(
        reply.contains(&format!("📣 *Diberitahukan ke:* Admin ({})", digits(ADMIN))),
        "{reply}"
    );
    // The notice goes to the admin's own chat, not the reporter's.
    assert_eq!(out[1].chat, chat(ADMIN));
    assert!(
        out[1].text.starts_with("🎫 *TIKET BARU TR001*"),
        "{}",
        out[1].text
    );
    assert!(out[1].text.contains("ambil TR001"));
    let (t, events) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!(t.username.as_deref(), Some("john123"));
    assert_eq!(t.reporter, digits(TECH));
    assert_eq!(events[0].kind, TicketEventKind::Opened);
    let row = b.last_event();
    assert_eq!(
        (row.command.as_str(), row.target.as_deref(), row.outcome),
        ("lapor", Some("TR001"), Outcome::Ok)
    );
    assert!(
        row.arguments
            .ends_with(&format!("[notified {}]", digits(ADMIN))),
        "{}",
        row.arguments
    );
}

#[test]
fn lapor_without_a_subscriber_keeps_every_word_and_says_why() {
    let b = bot();
    let out = send(&b, TECH, "lapor pasang baru Pak Budi Jl. Mawar 3");
    let reply = &out[0].text;
    assert!(
        reply.contains("👤 *Pelanggan:* - (belum ditautkan)"),
        "{reply}"
    );
    assert!(
        reply.contains("Tidak ada user \"pasang\" di router"),
        "{reply}"
    );
    assert!(reply.contains("tiket=TR001"), "{reply}");
    let (t, _) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!(t.username, None);
    assert_eq!(t.complaint, "pasang baru Pak Budi Jl. Mawar 3");
}

#[test]
fn lapor_while_the_router_is_down_still_opens_the_ticket() {
    let b = bot();
    b.router
        .fail_on(CallKind::Find, pppoe_core::RouterError::Timeout);
    let out = send(&b, TECH, "lapor john123 mati total");
    let reply = &out[0].text;
    assert!(reply.starts_with("🎫 *TIKET TR001 DIBUAT*"), "{reply}");
    assert!(reply.contains("Router tidak bisa dihubungi"), "{reply}");
    assert_eq!(
        b.tickets.ticket(tr(1)).unwrap().0.complaint,
        "john123 mati total"
    );
}

#[test]
fn an_admin_reporting_is_not_told_of_their_own_ticket() {
    let b = bot();
    let out = send(&b, ADMIN, "lapor john123 lambat");
    assert_eq!(out.len(), 1, "{out:#?}");
    assert!(
        out[0].text.contains("📣 *Diberitahukan ke:* tidak ada"),
        "{}",
        out[0].text
    );
}

#[test]
fn take_note_resolve_close_in_order_with_the_right_notices() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    let out = send(&b, TECH, "ambil tr1");
    assert_eq!(out.len(), 1);
    assert!(
        out[0].text.starts_with("✅ *TIKET TR001 DIAMBIL*"),
        "{}",
        out[0].text
    );
    assert!(
        out[0].text.contains("🧑‍🔧 *Teknisi:* Teknisi ("),
        "{}",
        out[0].text
    );
    let out = send(&b, TECH, "catatan TR001 kabel drop putus");
    assert!(out[0].text.contains("📝 *Catatan:* kabel drop putus"));
    let out = send(&b, TECH, "selesai TR001 kabel diganti, online lagi");
    // The reporter is the only admin: one notice, and the reply names them.
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(out[0].text.starts_with("✅ *TIKET TR001 SELESAI*"));
    assert!(
        out[0]
            .text
            .contains("📝 *Penyelesaian:* kabel diganti, online lagi")
    );
    assert!(
        out[0]
            .text
            .contains(&format!("📣 *Diberitahukan ke:* Admin ({})", digits(ADMIN)))
    );
    assert_eq!(out[1].chat, chat(ADMIN));
    assert!(out[1].text.starts_with("✅ *TIKET TR001 SELESAI*"));
    let out = send(&b, ADMIN, "tutup TR001");
    assert!(
        out[0].text.starts_with("🔒 *TIKET TR001 DITUTUP*"),
        "{}",
        out[0].text
    );
    let (t, events) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!(t.state, TicketState::Closed);
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["opened", "taken", "note", "resolved", "closed"]);
    // Every note records its author.
    assert_eq!(events[2].actor.as_deref(), Some(digits(TECH).as_str()));
    let commands: Vec<(String, Option<String>)> = b
        .events()
        .into_iter()
        .map(|e| (e.command, e.target))
        .collect();
    assert_eq!(
        commands,
        ["lapor", "ambil", "catatan", "selesai", "tutup"]
            .map(|c| (c.to_owned(), Some("TR001".to_owned())))
    );
}

#[test]
fn refused_moves_change_nothing_and_say_what_to_do() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    let cases = [
        (
            TECH,
            "selesai TR001 beres",
            "belum diambil siapa pun. Ambil dulu: ambil TR001",
        ),
        (
            ADMIN,
            "tutup TR001",
            "hanya tiket yang sudah selesai dapat ditutup",
        ),
        (
            ADMIN,
            "bukaulang TR001 salah",
            "hanya tiket yang selesai atau ditutup",
        ),
    ];
    for (from, text, want) in cases {
        let out = send(&b, from, text);
        assert!(
            out[0].text.starts_with("❌ *TIKET TR001 TIDAK DIUBAH*"),
            "{}",
            out[0].text
        );
        assert!(out[0].text.contains(want), "{text}: {}", out[0].text);
        assert_eq!(b.last_event().outcome, Outcome::Invalid, "{text}");
    }
    send(&b, TECH, "ambil TR001");
    let out = send(&b, TECH2, "ambil TR001");
    assert!(
        out[0].text.contains("sedang dikerjakan oleh Teknisi ("),
        "{}",
        out[0].text
    );
    let out = send(&b, TECH2, "selesai TR001 beres");
    assert!(
        out[0].text.contains("hanya dia atau admin"),
        "{}",
        out[0].text
    );
    // Later than the repeat guard's window, so that it is a new attempt, not a redelivery.
    b.clock.advance(std::time::Duration::from_secs(180));
    let out = send(&b, TECH, "ambil TR001");
    assert!(out[0].text.contains("sudah Anda pegang"), "{}", out[0].text);
    let (t, events) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!((t.state, events.len()), (TicketState::InProgress, 2));
    assert_eq!(t.assignee.as_deref(), Some(digits(TECH).as_str()));
}

#[test]
fn only_admins_assign_close_and_reopen_by_default() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    for text in ["serahkan TR001 Joko", "tutup TR001", "bukaulang TR001 x"] {
        let out = send(&b, TECH, text);
        assert_eq!(
            b.last_event().outcome,
            Outcome::Denied,
            "{text}: {}",
            out[0].text
        );
    }
    assert_eq!(b.tickets.ticket(tr(1)).unwrap().1.len(), 1);
}

#[test]
fn serahkan_takes_a_name_or_any_form_of_the_number_and_tells_the_assignee() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    let out = send(&b, ADMIN, "serahkan TR001 joko");
    assert_eq!(out.len(), 2, "{out:#?}");
    assert!(out[0].text.starts_with("✅ *TIKET TR001 DISERAHKAN*"));
    assert!(
        out[0]
            .text
            .contains(&format!("📣 *Diberitahukan ke:* Joko ({})", digits(TECH2)))
    );
    assert_eq!(out[1].chat, chat(TECH2));
    assert!(
        out[1]
            .text
            .starts_with("🎫 *TIKET TR001 DISERAHKAN KE ANDA*"),
        "{}",
        out[1].text
    );
    let out = send(&b, ADMIN, "serahkan TR001 +62 813 1111 2222");
    assert_eq!(out[1].chat, chat(TECH));
    assert_eq!(
        b.tickets.ticket(tr(1)).unwrap().0.assignee.as_deref(),
        Some(digits(TECH).as_str())
    );
    // Someone not on the allowlist: refused before anything is written, the names listed.
    let out = send(&b, ADMIN, "serahkan TR001 0899-0000-1111");
    assert!(
        out[0].text.starts_with("❌ *TEKNISI TIDAK DIKENAL*"),
        "{}",
        out[0].text
    );
    assert!(
        out[0].text.contains("Admin, Teknisi, Joko"),
        "{}",
        out[0].text
    );
    assert_eq!(b.last_event().outcome, Outcome::Invalid);
    assert_eq!(b.tickets.ticket(tr(1)).unwrap().1.len(), 3);
}

#[test]
fn reopening_needs_a_reason_and_tells_the_previous_technician() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    send(&b, TECH, "ambil TR001");
    send(&b, TECH, "selesai TR001 beres");
    let out = send(&b, ADMIN, "bukaulang TR001");
    assert!(
        out[0].text.starts_with("❌ *Format perintah salah*"),
        "{}",
        out[0].text
    );
    assert!(
        out[0].text.contains("bukaulang: *alasan* belum diisi."),
        "{}",
        out[0].text
    );
    assert!(
        out[0].text.contains("Format: bukaulang [tiket] [alasan]"),
        "{}",
        out[0].text
    );
    let out = send(&b, ADMIN, "bukaulang TR001 pelanggan lapor masih putus");
    assert!(
        out[0].text.starts_with("🔁 *TIKET TR001 DIBUKA ULANG*"),
        "{}",
        out[0].text
    );
    assert!(
        out[0]
            .text
            .contains("📝 *Alasan:* pelanggan lapor masih putus")
    );
    let told: Vec<&str> = out[1..].iter().map(|o| o.chat.as_str()).collect();
    assert_eq!(told, [chat(TECH)]);
    let (t, _) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!((t.state, t.assignee), (TicketState::Open, None));
}

#[test]
fn a_ticket_changed_meanwhile_is_not_overwritten() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    // Another writer moves the ticket on between the engine's read and its write: the store
    // refuses the stale version and nothing is written.
    b.tickets.change_before_next_update(tr(1));
    let out = send(&b, TECH, "ambil TR001");
    assert!(
        out[0].text.starts_with("⚠️ *TIKET BARU SAJA BERUBAH*"),
        "{}",
        out[0].text
    );
    assert!(out[0].text.contains("tiket TR001"), "{}", out[0].text);
    let row = b.last_event();
    assert_eq!(row.outcome, Outcome::Skipped);
    let (t, events) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!((t.state, events.len()), (TicketState::Open, 1));
}

#[test]
fn tiket_lists_pages_and_shows_one_with_its_history_and_live_status() {
    let b = bot();
    for i in 0..3 {
        send(&b, ADMIN, &format!("lapor john123 keluhan {i}"));
    }
    send(&b, ADMIN, "lapor pasang baru di Jl. Melati");
    send(&b, TECH, "ambil TR002");
    let list = send(&b, TECH, "tiket")[0].text.clone();
    assert!(
        list.starts_with("🎫 *DAFTAR TIKET* (terbuka dan dikerjakan)"),
        "{list}"
    );
    assert!(list.contains("1. *TR001* 📌 Terbuka"), "{list}");
    assert!(list.contains("2. *TR002* 📌 Dikerjakan"), "{list}");
    assert!(list.contains("📄 Halaman 1/1 · 4 tiket"), "{list}");
    let mine = send(&b, TECH, "tiket saya")[0].text.clone();
    assert!(
        mine.contains("*TR002*") && !mine.contains("*TR001*"),
        "{mine}"
    );
    let theirs = send(&b, TECH, "tiket john123")[0].text.clone();
    assert!(theirs.contains("📄 Halaman 1/1 · 3 tiket"), "{theirs}");
    let one = send(&b, TECH, "tiket tr2")[0].text.clone();
    assert!(one.starts_with("🎫 *TIKET TR002*"), "{one}");
    assert!(one.contains("📜 *Riwayat:*"), "{one}");
    assert!(one.contains("Diambil · Teknisi ("), "{one}");
    // The live snapshot is checkpppoe's own text.
    assert!(one.contains("📊 *STATUS USER PPPoE*"), "{one}");
    let none = send(&b, TECH, "tiket TR009")[0].text.clone();
    assert!(none.starts_with("❌ *TIKET TIDAK DITEMUKAN*"), "{none}");
}

#[test]
fn listing_pages_point_at_the_next_page() {
    let mut cfg = config();
    cfg.page_size = 2;
    let b = Bot::new(FakeRouter::with_spec_users(), cfg);
    for i in 0..5 {
        send(&b, ADMIN, &format!("lapor keluhan nomor {i}"));
    }
    let first = send(&b, ADMIN, "tiket semua")[0].text.clone();
    assert!(first.contains("📄 Halaman 1/3 · 5 tiket"), "{first}");
    assert!(
        first.contains("➡️ Halaman berikutnya: tiket semua 2"),
        "{first}"
    );
    let last = send(&b, ADMIN, "tiket semua 3")[0].text.clone();
    assert!(
        last.contains("5. *TR005*") && !last.contains("➡️"),
        "{last}"
    );
    let bad = send(&b, ADMIN, "tiket semua 0")[0].text.clone();
    assert!(bad.contains("tiket semua 2"), "{bad}");
}

#[test]
fn addpppoe_with_a_ticket_records_the_installation() {
    let b = bot();
    send(&b, TECH, "lapor pasang baru Pak Budi");
    send(&b, TECH, "ambil TR001");
    let out = send(
        &b,
        TECH,
        "addpppoe budi01 rahasia123 Premium tiket=TR001 \"Pak Budi\"",
    );
    let reply = &out[0].text;
    assert!(
        reply.starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"),
        "{reply}"
    );
    assert!(reply.contains("📱 *Info Pelanggan:* Pak Budi"), "{reply}");
    assert!(
        reply.contains("🎫 User budi01 dicatat di tiket TR001"),
        "{reply}"
    );
    let (t, events) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!(t.username.as_deref(), Some("budi01"));
    assert!(t.installed_at.is_some());
    assert_eq!(
        events.last().unwrap().kind,
        TicketEventKind::Installed("budi01".into())
    );
    let row = b.last_event();
    assert_eq!(row.outcome, Outcome::Ok);
    assert!(row.arguments.contains("tiket=TR001"), "{}", row.arguments);
    assert!(!row.arguments.contains("rahasia123"));
    assert_eq!(
        b.router.secret("budi01").unwrap().secret.comment.as_deref(),
        Some("Pak Budi")
    );
}

#[test]
fn addpppoe_with_a_wrong_or_finished_ticket_does_not_touch_the_router() {
    let b = bot();
    let out = send(&b, TECH, "addpppoe budi01 rahasia123 Premium tiket=TR007");
    assert!(
        out[0].text.starts_with("❌ *TIKET TIDAK DITEMUKAN*"),
        "{}",
        out[0].text
    );
    assert!(b.router.secret("budi01").is_none());
    let out = send(&b, TECH, "addpppoe budi01 rahasia123 Premium tiket=TRx");
    assert!(
        out[0].text.starts_with("❌ *NOMOR TIKET TIDAK VALID*"),
        "{}",
        out[0].text
    );
    send(&b, TECH, "lapor pasang baru");
    send(&b, TECH, "ambil TR001");
    send(&b, TECH, "selesai TR001 batal");
    let out = send(&b, TECH, "addpppoe budi01 rahasia123 Premium tiket=TR001");
    assert!(out[0].text.contains("sudah Selesai"), "{}", out[0].text);
    assert!(b.router.secret("budi01").is_none());
}

#[test]
fn addpppoe_whose_ticket_cannot_be_written_says_the_user_exists_but_the_ticket_is_untold() {
    let b = bot();
    send(&b, TECH, "lapor pasang baru");
    // The ticket changes between the check and the write (another process): the write is
    // refused, the user stays created, and both the reply and the audit row say so.
    let tickets = b.tickets.clone();
    let msg = b.message(TECH, "addpppoe budi01 rahasia123 Premium tiket=TR001");
    b.router
        .before_next(CallKind::Add, move |_| tickets.set_failing(true));
    let out = b.deliver(msg);
    let reply = &out[0].text;
    assert!(
        reply.starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"),
        "{reply}"
    );
    assert!(
        reply.contains("⚠️ User sudah dibuat di router, tetapi tiket TR001 TIDAK diperbarui"),
        "{reply}"
    );
    assert!(b.router.secret("budi01").is_some());
    let row = b.last_event();
    assert_eq!(row.outcome, Outcome::Ok);
    assert!(
        row.error
            .as_deref()
            .unwrap()
            .starts_with("user created; ticket TR001 not updated"),
        "{row:?}"
    );
}

#[test]
fn resolved_tickets_close_on_their_own_after_the_configured_days() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    send(&b, TECH, "ambil TR001");
    send(&b, TECH, "selesai TR001 beres");
    let closed = futures::executor::block_on(b.engine.close_resolved_tickets()).unwrap();
    assert_eq!(closed, 0, "not yet");
    b.clock
        .advance(std::time::Duration::from_secs(7 * 24 * 3600));
    let closed = futures::executor::block_on(b.engine.close_resolved_tickets()).unwrap();
    assert_eq!(closed, 1);
    let (t, events) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!(t.state, TicketState::Closed);
    assert_eq!(events.last().unwrap().actor, None);
    let row = b.last_event();
    assert_eq!(
        (
            row.actor_phone.as_str(),
            row.command.as_str(),
            row.target.as_deref()
        ),
        ("bot", "tutup", Some("TR001"))
    );
    // Idempotent: nothing more to close.
    assert_eq!(
        futures::executor::block_on(b.engine.close_resolved_tickets()).unwrap(),
        0
    );
}

#[test]
fn a_report_sent_while_the_bot_was_offline_is_still_taken() {
    let b = bot();
    let mut msg = b.message(TECH, "lapor john123 mati dari tadi malam");
    msg.sent_at -= chrono::Duration::minutes(30);
    let out = b.deliver(msg);
    assert!(
        out[0].text.starts_with("🎫 *TIKET TR001 DIBUAT*"),
        "{}",
        out[0].text
    );
}

#[test]
fn the_same_note_redelivered_soon_after_is_not_added_twice() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    send(&b, TECH, "catatan TR001 sudah dicek");
    let out = send(&b, TECH, "catatan TR001 sudah dicek");
    assert_eq!(b.last_event().outcome, Outcome::Skipped, "{}", out[0].text);
    assert_eq!(b.tickets.ticket(tr(1)).unwrap().1.len(), 2);
}

#[test]
fn a_ticket_store_failure_is_an_incident_not_a_false_success() {
    let b = bot();
    b.tickets.set_failing(true);
    let out = send(&b, TECH, "lapor john123 internet mati");
    assert_eq!(b.last_event().outcome, Outcome::Failed, "{}", out[0].text);
    assert!(!out[0].text.contains("DIBUAT"));
}

#[test]
fn an_engine_without_tickets_says_so() {
    let router = FakeRouter::with_spec_users();
    let audit = pppoe_core::testing::MemoryAudit::new();
    let clock = pppoe_core::testing::ManualClock::spec();
    let engine = pppoe_core::Engine::new(router, audit.clone(), clock.clone(), config());
    let b = bot();
    let msg = b.message(ADMIN, "tiket");
    let out = futures::executor::block_on(engine.handle(msg));
    assert!(
        out[0].text.starts_with("❌ *TIKET TIDAK AKTIF*"),
        "{}",
        out[0].text
    );
    assert_eq!(audit.events()[0].outcome, Outcome::Failed);
}

#[test]
fn laporan_counts_each_technicians_work_and_time_to_resolve() {
    let b = bot();
    b.at(2024, 12, 15, 8, 0, 0);
    send(&b, TECH, "addpppoe budi01 rahasia123 Premium");
    send(&b, TECH, "editpppoe budi01 profile VIP");
    send(&b, TECH2, "restartpppoe john123");
    // A change that failed is not counted.
    send(&b, TECH, "addpppoe budi01 rahasia123 Premium");
    send(&b, ADMIN, "lapor john123 internet mati");
    send(&b, ADMIN, "lapor jane456 lambat");
    b.at(2024, 12, 15, 8, 30, 0);
    send(&b, TECH, "ambil TR001");
    send(&b, TECH, "ambil TR002");
    b.at(2024, 12, 15, 9, 0, 0);
    send(&b, TECH, "selesai TR001 kabel diganti");
    b.at(2024, 12, 15, 10, 30, 0);
    send(&b, TECH, "selesai TR002 ONU reset");
    let report = send(&b, ADMIN, "laporan hari")[0].text.clone();
    assert!(
        report.starts_with("📈 *LAPORAN KINERJA TEKNISI*"),
        "{report}"
    );
    assert!(
        report.contains("🗓️ *Periode:* hari ini (15/12/2024)"),
        "{report}"
    );
    // Joko: one restart; Teknisi: one add, one edit, two tickets in 1 h and 2 h 30 min from
    // the report, 30 min and 2 h from taking them.
    assert!(
        report.contains("*Joko (") && report.contains("🛠️ 0 tambah · 0 edit · 0 hapus · 1 restart"),
        "{report}"
    );
    assert!(
        report.contains("🛠️ 1 tambah · 1 edit · 0 hapus · 0 restart\n   🎫 2 tiket selesai · 📷📍 0 pemasangan dengan foto & lokasi"),
        "{report}"
    );
    assert!(
        report.contains("⏱️ Lapor→selesai: median 1 jam 0 menit, p90 2 jam 30 menit"),
        "{report}"
    );
    assert!(
        report.contains("⏱️ Ambil→selesai: median 30 menit 0 detik, p90 2 jam 0 menit"),
        "{report}"
    );
    assert!(
        report.contains("📊 *Total:* 1 tambah, 1 edit, 0 hapus, 1 restart, 2 tiket selesai, 0 pemasangan dengan foto & lokasi"),
        "{report}"
    );
    // The report is the admins'.
    send(&b, TECH, "laporan");
    assert_eq!(b.last_event().outcome, Outcome::Denied);
    // A period that is none of the three is named.
    let bad = send(&b, ADMIN, "laporan tahun")[0].text.clone();
    assert!(bad.contains("\"tahun\" bukan periode"), "{bad}");
    // Yesterday's work is outside "hari" but inside "minggu".
    b.at(2024, 12, 16, 7, 0, 0);
    let today = send(&b, ADMIN, "laporan hari")[0].text.clone();
    assert!(today.contains("Belum ada aktivitas"), "{today}");
    let week = send(&b, ADMIN, "laporan minggu")[0].text.clone();
    assert!(
        week.contains("🗓️ *Periode:* 7 hari terakhir (10/12/2024 – 16/12/2024)"),
        "{week}"
    );
    assert!(week.contains("2 tiket selesai"), "{week}");
}

#[test]
fn laporan_counts_installations_documented_with_a_photo_and_a_location() {
    use pppoe_core::ports::{Attachment, Coordinates};
    let b = bot();
    send(&b, ADMIN, "lapor pasang baru Pak Budi");
    send(&b, ADMIN, "lapor pasang baru Bu Sri");
    send(&b, TECH, "ambil TR001");
    send(&b, TECH, "ambil TR002");
    send(&b, TECH, "addpppoe budi01 rahasia123 Basic tiket=TR001");
    send(&b, TECH, "addpppoe sri01 rahasia123 Basic tiket=TR002");
    let mut photo = b.message(TECH, "foto TR001 ONU terpasang");
    photo.attachment = Some(Attachment::File {
        bytes: b"jpeg".to_vec(),
        mime: "image/jpeg".into(),
        name: None,
    });
    b.deliver(photo);
    let mut here = b.message(TECH, "lokasi TR001");
    here.attachment = Some(Attachment::Location(
        Coordinates::parse("-6.2,106.8").unwrap(),
    ));
    b.deliver(here);
    // TR002 has no evidence: resolved, but not documented.
    send(&b, TECH, "selesai TR001 terpasang");
    send(&b, TECH, "selesai TR002 terpasang");
    let report = send(&b, ADMIN, "laporan hari")[0].text.clone();
    assert!(
        report.contains("🎫 2 tiket selesai · 📷📍 1 pemasangan dengan foto & lokasi"),
        "{report}"
    );
}

#[test]
fn an_admin_resolving_a_technicians_ticket_tells_the_technician() {
    let b = bot();
    send(&b, TECH2, "lapor john123 lambat");
    send(&b, TECH, "ambil TR001");
    let out = send(&b, ADMIN, "selesai TR001 sudah normal");
    let told: Vec<&str> = out[1..].iter().map(|o| o.chat.as_str()).collect();
    // The reporter and the technician who held it; the admin who resolved it is not told.
    assert_eq!(told, [chat(TECH2), chat(TECH)]);
    assert!(
        out[0].text.contains("📣 *Diberitahukan ke:* Joko ("),
        "{}",
        out[0].text
    );
}

#[test]
fn lapor_with_only_a_username_links_the_subscriber() {
    let b = bot();
    let out = send(&b, TECH, "lapor john123");
    assert!(
        out[0].text.contains("👤 *Pelanggan:* john123"),
        "{}",
        out[0].text
    );
    let (t, _) = b.tickets.ticket(tr(1)).unwrap();
    assert_eq!(
        (t.username.as_deref(), t.complaint.as_str()),
        (Some("john123"), "-")
    );
    // One word that is no user is the complaint, without a remark about it.
    let out = send(&b, TECH, "lapor gangguan");
    assert!(!out[0].text.contains("Tidak ada user"), "{}", out[0].text);
    assert_eq!(b.tickets.ticket(tr(2)).unwrap().0.complaint, "gangguan");
}

#[test]
fn each_ticket_notice_gets_its_own_row_saying_whether_it_arrived() {
    let b = bot();
    send(&b, ADMIN, "lapor john123 internet mati");
    send(&b, TECH, "ambil TR001");
    let out = send(&b, ADMIN, "selesai TR001 beres");
    // The technician who held it is sent a notice; its row records what became of it.
    let notice = out
        .iter()
        .find(|o| o.chat == chat(TECH))
        .expect("the technician is sent a notice");
    let audit = notice.audit.clone().expect("audited on its own");
    assert_eq!(
        audit.message_id,
        format!("{}#notify-{}", b.last_event().message_id, digits(TECH))
    );
    futures::executor::block_on(b.engine.record_delivery(
        &audit,
        &pppoe_core::Delivery::Refused("server error 463".into()),
    ));
    let row = b.last_event();
    assert_eq!(
        (row.command.as_str(), row.target.as_deref(), row.outcome),
        ("notify", Some("TR001"), Outcome::Failed)
    );
    assert_eq!(row.arguments, format!("TR001 notice to {}", digits(TECH)));
}
