//! The spec's three flows and the engine's rules, step by step, asserting on replies, on the
//! router's state and on the audit log.

use futures::executor::block_on;
use futures::future::join;
use pppoe_core::testing::{CallKind, FakeRouter, RouterCall};
use pppoe_core::{
    CommandKind, DeleteConfirmation, EngineConfig, Incoming, Outcome, Permissions, PhoneNumber,
    Role, RouterError, Sender,
};

use crate::harness::{ADMIN, Bot, STRANGER, TECH, config};

#[test]
fn flow_new_installation() {
    // Skenario 1: Pemasangan Baru.
    let b = Bot::new(FakeRouter::new(), config());
    let reply = b.one("addpppoe john123 password123 Premium");
    assert!(
        reply.starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"),
        "{reply}"
    );
    let stored = b.router.secret("john123").expect("created on the router");
    assert_eq!(stored.password, "password123");
    assert_eq!(stored.secret.profile, "Premium");
    assert_eq!(stored.service, "pppoe");
    assert_eq!(stored.secret.remote_address, None);
    let ev = b.last_event();
    assert_eq!(ev.command, "addpppoe");
    assert_eq!(ev.outcome, Outcome::Ok);
    assert_eq!(ev.target.as_deref(), Some("john123"));
    assert_eq!(ev.actor_phone, "6281234567890");
    assert_eq!(ev.role, Some(Role::Admin));
    assert_eq!(ev.router.as_deref(), Some("main"));
    assert_eq!(ev.arguments, "john123 *** Premium");

    // With a static IP and info: the IP goes to remote-address, the info to the comment.
    b.one(r#"addpppoe budi01 rahasia123 VIP 192.168.1.100 "Budi - Jl. Mawar 1""#);
    let budi = b.router.secret("budi01").unwrap();
    assert_eq!(budi.secret.remote_address, Some([192, 168, 1, 100].into()));
    assert_eq!(budi.secret.comment.as_deref(), Some("Budi - Jl. Mawar 1"));

    // Verification step of the flow.
    let status = b.one("checkpppoe john123");
    assert!(status.contains("🔴 *Koneksi:* Terputus"), "{status}");
    assert!(
        !b.events()
            .iter()
            .any(|e| format!("{e:?}").contains("password123"))
    );
    assert!(
        !b.events()
            .iter()
            .any(|e| format!("{e:?}").contains("rahasia123"))
    );
}

#[test]
fn flow_package_upgrade() {
    // Skenario 2: Upgrade Paket.
    let b = Bot::spec();
    let status = b.one("checkpppoe john123");
    assert!(status.contains("📊 *Profile:* Premium"));
    assert!(status.contains("🟢 *Koneksi:* Terhubung"));
    assert!(status.contains("📟 *Caller ID:* AA:BB:CC:DD:EE:01"));
    assert!(status.contains("📶 *Trafik Saat Ini:* 12.3 Mbps↓ / 1.2 Mbps↑"));

    let edit = b.one("editpppoe john123 profile vip");
    assert!(edit.contains("🆕 *Value Baru:* VIP"), "{edit}");
    assert_eq!(b.router.secret("john123").unwrap().secret.profile, "VIP");
    assert!(
        b.router.is_online("john123"),
        "a profile change does not kick"
    );

    let restart = b.one("restartpppoe john123");
    assert!(restart.starts_with("🔄 *KONEKSI PPPoE BERHASIL DIRESTART*"));
    assert!(!b.router.is_online("john123"));
    assert!(
        b.router
            .calls()
            .contains(&RouterCall::Kick("john123".into()))
    );

    let outcomes: Vec<_> = b
        .events()
        .iter()
        .map(|e| (e.command.clone(), e.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("checkpppoe".to_owned(), Outcome::Ok),
            ("editpppoe".to_owned(), Outcome::Ok),
            ("restartpppoe".to_owned(), Outcome::Ok),
        ]
    );
}

#[test]
fn flow_user_removal() {
    // Skenario 3: Penghapusan User.
    let b = Bot::spec();
    b.one("checkpppoe john123");
    let ask = b.one("delpppoe john123");
    assert!(ask.contains("Kirim ulang dengan alasan untuk konfirmasi"));
    assert!(
        ask.contains("🟢 *Koneksi:* Terhubung"),
        "summary shows the session: {ask}"
    );
    assert!(
        b.router.secret("john123").is_some(),
        "nothing deleted without a reason"
    );
    assert_eq!(b.last_event().outcome, Outcome::Skipped);

    let done = b.one("delpppoe john123 Pelanggan pindah lokasi");
    assert!(
        done.starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"),
        "{done}"
    );
    assert!(done.contains("🔌 *Sesi Aktif:* diputus"));
    assert!(b.router.secret("john123").is_none());
    assert!(
        !b.router.is_online("john123"),
        "delete also kicks the session"
    );
    let ev = b.last_event();
    assert_eq!(ev.command, "delpppoe");
    assert_eq!(ev.outcome, Outcome::Ok);
    assert_eq!(ev.reason.as_deref(), Some("Pelanggan pindah lokasi"));

    let status = b.one("checkpppoe john123");
    assert!(status.contains("tidak ditemukan"));
}

#[test]
fn disabling_kicks_the_session() {
    let b = Bot::spec();
    let reply = b.one("editpppoe john123 status disable");
    assert!(reply.contains("🔌 *Sesi Aktif:* diputus"));
    assert!(b.router.secret("john123").unwrap().secret.disabled);
    assert!(!b.router.is_online("john123"));
    b.one("editpppoe john123 status aktif");
    assert!(!b.router.secret("john123").unwrap().secret.disabled);
}

#[test]
fn unknown_sender_gets_no_reply_and_one_audit_row() {
    let b = Bot::spec();
    assert!(b.say_as(STRANGER, "delpppoe john123 iseng").is_empty());
    assert!(b.say_as(STRANGER, "pppoe").is_empty(), "still silent");
    let events = b.events();
    assert_eq!(
        events.len(),
        1,
        "unknown senders are audited once a minute: {events:#?}"
    );
    assert_eq!(events[0].outcome, Outcome::Denied);
    assert_eq!(events[0].actor_phone, "6289999999999");
    assert_eq!(events[0].role, None);
    assert_eq!(events[0].command, "delpppoe");
    assert!(b.router.calls().is_empty(), "nothing reached the router");
    assert!(b.router.secret("john123").is_some());

    b.clock.advance(std::time::Duration::from_secs(61));
    b.say_as(STRANGER, "pppoe");
    assert_eq!(b.events().len(), 2);
}

#[test]
fn an_unresolved_lid_is_refused_and_audited_with_the_lid() {
    let b = Bot::spec();
    let mut msg = b.message(ADMIN, "delpppoe john123 x");
    msg.sender = Sender::UnresolvedLid("123456789012345@lid".into());
    assert!(b.deliver(msg).is_empty());
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Denied);
    assert_eq!(ev.actor_lid.as_deref(), Some("123456789012345@lid"));
    assert!(
        !ev.actor_phone.starts_with("123456789012345"),
        "LID digits are no phone number"
    );
    assert!(b.router.calls().is_empty());
}

#[test]
fn a_resolved_lid_sender_is_the_phone_number() {
    let b = Bot::spec();
    let mut msg = b.message(ADMIN, "checkpppoe john123");
    msg.sender = Sender::Phone(PhoneNumber::parse("6281234567890:7@s.whatsapp.net", "62").unwrap());
    msg.sender_lid = Some("99887766554433@lid".into());
    assert_eq!(b.deliver(msg).len(), 1);
    let ev = b.last_event();
    assert_eq!(ev.actor_phone, "6281234567890");
    assert_eq!(ev.actor_lid.as_deref(), Some("99887766554433@lid"));
}

#[test]
fn a_replayed_message_id_is_not_executed_twice() {
    let b = Bot::new(FakeRouter::new(), config());
    let msg = b.message(ADMIN, "addpppoe john123 password123 Premium");
    assert_eq!(b.deliver(msg.clone()).len(), 1);
    assert!(b.deliver(msg.clone()).is_empty(), "no second reply");
    assert!(b.deliver(msg).is_empty());
    assert_eq!(b.router.writes(), 1);
    assert_eq!(b.events().len(), 1);
}

#[test]
fn a_stale_delete_is_skipped_with_a_notice() {
    let b = Bot::spec();
    let mut msg = b.message(ADMIN, "delpppoe john123 Pelanggan pindah lokasi");
    msg.sent_at -= chrono::Duration::minutes(10);
    let replies = b.deliver(msg);
    assert_eq!(replies.len(), 1);
    assert!(replies[0].text.contains("⏭️ *PERINTAH DILEWATI*"));
    assert!(replies[0].text.contains("delpppoe john123"));
    assert!(replies[0].text.contains("10 menit lalu"));
    assert!(b.router.secret("john123").is_some(), "not deleted");
    assert_eq!(b.router.writes(), 0);
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Skipped);
    assert!(ev.error.unwrap().starts_with("stale"));

    // Read-only commands from the backlog are still answered.
    let mut msg = b.message(ADMIN, "checkpppoe john123");
    msg.sent_at -= chrono::Duration::minutes(10);
    assert!(b.deliver(msg)[0].text.starts_with("📊 *STATUS USER PPPoE*"));

    // Exactly at the limit is not stale.
    let mut msg = b.message(ADMIN, "restartpppoe john123");
    msg.sent_at -= chrono::Duration::seconds(120);
    assert!(b.deliver(msg)[0].text.starts_with("🔄"));
}

#[test]
fn two_commands_of_one_sender_keep_their_order() {
    let b = Bot::new(FakeRouter::new(), config());
    let add = b.message(ADMIN, "addpppoe john123 password123 Premium");
    let edit = b.message(ADMIN, "editpppoe john123 profile VIP");
    // Both futures are created in the order the messages arrived, then polled in the
    // opposite order: the edit must still wait for the add.
    let first = b.engine.handle(add);
    let second = b.engine.handle(edit);
    let (edit_replies, add_replies) = block_on(join(second, first));
    assert!(
        add_replies[0]
            .text
            .starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*")
    );
    assert!(
        edit_replies[0]
            .text
            .starts_with("✅ *USER PPPoE BERHASIL DIUPDATE*")
    );
    assert_eq!(b.router.secret("john123").unwrap().secret.profile, "VIP");
    let commands: Vec<_> = b.events().iter().map(|e| e.command.clone()).collect();
    assert_eq!(commands, ["addpppoe", "editpppoe"]);
}

#[test]
fn different_senders_do_not_wait_for_each_other() {
    let b = Bot::spec();
    let slow = b.message(ADMIN, "checkpppoe john123");
    let other = b.message(TECH, "checkpppoe jane456");
    let first = b.engine.handle(slow);
    // The admin's future is never polled; the technician's still completes.
    let replies = block_on(b.engine.handle(other));
    assert!(replies[0].text.contains("jane456"));
    drop(first);
    // A dropped, never-polled command does not block the sender's next one.
    assert_eq!(b.say("checkpppoe john123").len(), 1);
}

#[test]
fn the_rate_limit_refuses_the_31st_command_of_a_minute() {
    let b = Bot::spec();
    for _ in 0..30 {
        assert_eq!(b.say("checkpppoe john123").len(), 1);
    }
    let refused = b.say("checkpppoe john123");
    assert!(refused[0].contains("Terlalu banyak perintah"));
    assert!(
        b.say("checkpppoe john123").is_empty(),
        "told once per window"
    );
    assert_eq!(b.last_event().outcome, Outcome::Denied);
    assert_eq!(b.events().len(), 32);
    // Other senders are not affected.
    assert_eq!(b.say_as(TECH, "checkpppoe john123").len(), 1);
    b.clock.advance(std::time::Duration::from_secs(60));
    assert!(b.say("checkpppoe john123")[0].starts_with("📊"));
}

#[test]
fn permissions_are_configurable_per_role() {
    let mut permissions = Permissions::default();
    permissions.set(CommandKind::Delete, vec![Role::Admin]);
    let b = Bot::new(
        FakeRouter::with_spec_users(),
        EngineConfig {
            permissions,
            ..config()
        },
    );
    let reply = b.say_as(TECH, "delpppoe jane456 pindah");
    assert!(reply[0].contains("⛔ *Akses ditolak*"), "{reply:?}");
    assert!(b.router.secret("jane456").is_some());
    assert_eq!(b.last_event().outcome, Outcome::Denied);
    assert_eq!(b.last_event().role, Some(Role::Technician));
    assert!(b.say_as(TECH, "checkpppoe jane456")[0].starts_with("📊"));
    assert!(b.say("delpppoe jane456 pindah")[0].starts_with("✅"));
}

#[test]
fn code_mode_deletes_only_on_the_right_code_from_the_same_sender_in_time() {
    let b = Bot::new(
        FakeRouter::with_spec_users(),
        EngineConfig {
            delete_confirmation: DeleteConfirmation::Code,
            ..config()
        },
    );
    // Without a reason: the spec's confirmation.
    assert!(
        b.one("delpppoe john123")
            .contains("Kirim ulang dengan alasan")
    );
    let ask = b.one("delpppoe john123 Pelanggan pindah lokasi");
    let code = ask
        .lines()
        .last()
        .unwrap()
        .strip_prefix("ya ")
        .unwrap()
        .to_owned();
    assert_eq!(code.len(), 4);
    assert!(b.router.secret("john123").is_some());
    assert!(b.one("ya 0000").contains("Kode konfirmasi tidak valid") || code == "0000");
    // Another sender cannot confirm it.
    assert!(b.say_as(TECH, &format!("ya {code}"))[0].contains("tidak valid"));
    assert!(b.router.secret("john123").is_some());
    let done = b.one(&format!("ya {code}"));
    assert!(
        done.starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"),
        "{done}"
    );
    assert!(b.router.secret("john123").is_none());
    let ev = b.last_event();
    assert_eq!((ev.command.as_str(), ev.outcome), ("delpppoe", Outcome::Ok));
    assert_eq!(ev.reason.as_deref(), Some("Pelanggan pindah lokasi"));
    assert_eq!(ev.target.as_deref(), Some("john123"));
    // Used codes do not work twice.
    assert!(b.one(&format!("ya {code}")).contains("tidak valid"));

    // Expired codes do not work.
    let ask = b.one("delpppoe jane456 berhenti langganan");
    let code = ask
        .lines()
        .last()
        .unwrap()
        .strip_prefix("ya ")
        .unwrap()
        .to_owned();
    b.clock.advance(std::time::Duration::from_secs(301));
    assert!(b.one(&format!("ya {code}")).contains("kedaluwarsa"));
    assert!(b.router.secret("jane456").is_some());
}

#[test]
fn router_failures_give_an_incident_id_and_are_audited() {
    let b = Bot::spec();
    b.router.fail_on(
        CallKind::Find,
        RouterError::Unreachable("connection refused".into()),
    );
    let reply = b.one("checkpppoe john123");
    assert!(reply.contains("Router tidak dapat dihubungi"), "{reply}");
    assert!(reply.contains("🆔 *Insiden:*"));
    assert!(
        !reply.contains("connection refused"),
        "no internal text for technicians"
    );
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Failed);
    assert!(ev.error.unwrap().contains("connection refused"));

    b.router.fail_on(
        CallKind::Find,
        RouterError::Rejected("failure: already have such address".into()),
    );
    let reply = b.one("checkpppoe john123");
    assert!(reply.contains("Router menolak perintah"));
    assert!(
        reply.contains("already have such address"),
        "router refusals in plain words"
    );
}

#[test]
fn an_audit_failure_is_told_not_hidden() {
    let b = Bot::spec();
    b.audit.set_failing(true);
    let reply = b.one("checkpppoe john123");
    assert!(
        reply.contains("Terjadi gangguan"),
        "at-most-once cannot be checked: {reply}"
    );
    assert!(
        b.router.calls().is_empty(),
        "nothing runs without the audit log"
    );
}

#[test]
fn group_chatter_is_ignored_but_commands_are_answered() {
    let b = Bot::spec();
    let mut msg = b.message(ADMIN, "selamat pagi semua");
    msg.is_group = true;
    msg.chat = "120363000000000000@g.us".into();
    assert!(b.deliver(msg).is_empty());
    let mut msg: Incoming = b.message(ADMIN, "checkpppoe john123");
    msg.is_group = true;
    msg.chat = "120363000000000000@g.us".into();
    let replies = b.deliver(msg.clone());
    assert_eq!(replies[0].chat, msg.chat);
    assert_eq!(replies[0].quoting.as_deref(), Some(msg.id.as_str()));
    // In a direct chat an unknown command gets a hint.
    assert!(b.one("halo bot").contains("help pppoe"));
}

#[test]
fn listing_is_paged_and_split_below_4000_characters() {
    let router = FakeRouter::new();
    for i in 0..120 {
        router.insert(
            &format!("user{i:03}"),
            "password123",
            "Basic",
            None,
            Some("Pelanggan"),
        );
    }
    let b = Bot::new(
        router,
        EngineConfig {
            page_size: 100,
            ..config()
        },
    );
    let replies = b.say("pppoe user 1");
    assert!(replies.len() > 1, "a 100-user page is split");
    assert!(replies.iter().all(|r| r.chars().count() <= 4000));
    let all = replies.join("\n\n");
    assert!(all.contains("1. user000"));
    assert!(all.contains("100. user099"));
    assert!(all.contains("📄 Menampilkan 1-100 dari 120"));
    assert!(all.contains("➡️ Halaman berikutnya: pppoe user 2"));
    let page2 = b.say("pppoe user 2").join("\n\n");
    assert!(page2.contains("101. user100"));
    assert!(page2.contains("📄 Menampilkan 101-120 dari 120"));
    assert!(!page2.contains("Halaman berikutnya"));
    assert!(b.say("pppoe user 9")[0].contains("Halaman 9 kosong"));
    // Status and profile filters.
    assert!(b.say("pppoe online")[0].contains("Tidak ada user"));
    let basic = b.say("pppoe basic 2").join("\n");
    assert!(basic.contains("101-120 dari 120"));
}

#[test]
fn replies_are_delivered_in_the_order_the_commands_arrived() {
    use std::sync::Mutex;
    let b = Bot::new(FakeRouter::new(), config());
    let delivered = Mutex::new(Vec::new());
    let first = b
        .engine
        .enqueue(b.message(ADMIN, "addpppoe john123 password123 Premium"));
    let second = b.engine.enqueue(b.message(ADMIN, "checkpppoe john123"));
    let deliver = |replies: Vec<pppoe_core::Outgoing>| {
        delivered
            .lock()
            .unwrap()
            .extend(replies.into_iter().map(|r| r.text));
        std::future::ready(())
    };
    // Run the second first: its delivery still comes after the first's.
    block_on(join(
        b.engine.run(second, deliver),
        b.engine.run(first, deliver),
    ));
    let texts = delivered.into_inner().unwrap();
    assert!(texts[0].starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"));
    assert!(texts[1].starts_with("📊 *STATUS USER PPPoE*"));
}

#[test]
fn a_rate_limited_add_does_not_leak_its_password() {
    let b = Bot::new(
        FakeRouter::new(),
        EngineConfig {
            rate_limit_per_minute: 1,
            ..config()
        },
    );
    b.say("help");
    b.say("addpppoe budi01 Rahasia-99x Basic");
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Denied);
    assert_eq!(ev.arguments, "addpppoe budi01 *** Basic");
    assert_eq!(b.router.writes(), 0);
}

#[test]
fn group_chatter_uses_no_rate_slot() {
    let b = Bot::new(
        FakeRouter::with_spec_users(),
        EngineConfig {
            rate_limit_per_minute: 2,
            ..config()
        },
    );
    for _ in 0..10 {
        let mut msg = b.message(ADMIN, "ok siap, otw lokasi");
        msg.is_group = true;
        assert!(b.deliver(msg).is_empty());
    }
    assert!(b.events().is_empty(), "chatter is not an attempt");
    assert!(b.say("checkpppoe john123")[0].starts_with("📊"));
}

#[test]
fn staleness_is_measured_at_arrival_not_after_queueing() {
    let b = Bot::spec();
    let mut msg = b.message(ADMIN, "restartpppoe john123");
    // Sent 5 minutes ago but received 10 s after it was sent: it waited in our queue.
    msg.sent_at -= chrono::Duration::minutes(5);
    msg.received_at = Some(msg.sent_at + chrono::Duration::seconds(10));
    assert!(b.deliver(msg)[0].text.starts_with("🔄"), "not stale");
    let mut msg = b.message(ADMIN, "editpppoe jane456 status disable");
    msg.sent_at -= chrono::Duration::minutes(5);
    msg.received_at = Some(msg.sent_at + chrono::Duration::minutes(3));
    assert!(
        b.deliver(msg)[0].text.contains("PERINTAH DILEWATI"),
        "arrived late: stale"
    );
}

#[test]
fn a_change_interrupted_by_a_crash_is_not_run_again() {
    let b = Bot::new(FakeRouter::with_spec_users(), config());
    let msg = b.message(ADMIN, "delpppoe jane456 Pelanggan pindah lokasi");
    // The earlier process claimed the id, then stopped before writing the audit row.
    b.claim(&msg, "delpppoe", Some("jane456"));
    let replies = b.deliver(msg);
    assert!(
        replies[0].text.contains("PERINTAH TIDAK DIULANG"),
        "{}",
        replies[0].text
    );
    assert!(replies[0].text.contains("checkpppoe jane456"));
    assert_eq!(b.router.writes(), 0);
    assert!(b.router.secret("jane456").is_some());
    assert_eq!(b.last_event().outcome, Outcome::Skipped);
    // Read-only commands claim nothing; a fresh change claims its own id and runs.
    assert!(b.say("checkpppoe jane456")[0].starts_with("📊"));
    assert!(b.say("delpppoe jane456 pindah")[0].starts_with("✅"));
}

#[test]
fn the_engine_decides_once_whom_it_will_answer() {
    let b = Bot::spec();
    let admin = b.message(ADMIN, "checkpppoe john123");
    assert!(b.engine.enqueue(admin).will_answer());
    let admin_typo = b.message(ADMIN, "cekpppoe john123");
    assert!(
        b.engine.enqueue(admin_typo).will_answer(),
        "told it is unknown"
    );
    let stranger = b.message(STRANGER, "checkpppoe john123");
    assert!(!b.engine.enqueue(stranger).will_answer());
    let mut chatter = b.message(ADMIN, "ok siap, otw lokasi");
    chatter.is_group = true;
    assert!(!b.engine.enqueue(chatter).will_answer());
    let mut command = b.message(ADMIN, "checkpppoe john123");
    command.is_group = true;
    assert!(b.engine.enqueue(command).will_answer());
    let mut lid = b.message(ADMIN, "checkpppoe john123");
    lid.sender = Sender::UnresolvedLid("123456789012345@lid".into());
    assert!(!b.engine.enqueue(lid).will_answer());
}

/// `offline`: the enabled subscribers without a session, with when and why they dropped; the
/// connected and the disabled are not listed.
#[test]
fn offline_lists_enabled_subscribers_without_a_session_and_why_they_dropped() {
    let b = Bot::spec();
    b.say("addpppoe budi01 rahasia123 Basic");
    b.say("addpppoe budi02 rahasia123 Basic");
    b.say("editpppoe budi02 status disable");
    b.router.connect(
        "budi01",
        "AA:BB:CC:DD:EE:09",
        std::time::Duration::from_secs(60),
    );
    b.router.disconnect("budi01");
    let page = b.one("offline");
    assert!(
        page.starts_with("🔴 *USER OFFLINE* (aktif tapi tidak terhubung)"),
        "{page}"
    );
    assert!(page.contains("*budi01* - Basic"), "{page}");
    assert!(page.contains("   ⚠️ Alasan putus: peer-request"), "{page}");
    assert!(!page.contains("budi02"), "disabled: {page}");
    assert!(!page.contains("john123"), "connected: {page}");
    let bad = b.one("offline x");
    assert!(bad.starts_with("❌"), "{bad}");
}

#[test]
fn a_configured_client_runs_commands_under_its_name_and_role() {
    let mut config = config();
    config.clients.push(pppoe_core::ClientEntry {
        name: "billing".into(),
        role: Role::Technician,
    });
    let b = Bot::new(FakeRouter::with_spec_users(), config);
    let mut msg = b.message(ADMIN, "checkpppoe john123");
    msg.sender = Sender::client("billing");
    msg.chat = "client:billing".into();
    let replies = b.deliver(msg);
    assert_eq!(replies.len(), 1);
    assert_eq!(replies[0].chat, "client:billing");
    let ev = b.last_event();
    assert_eq!(ev.actor_phone, "client:billing");
    assert_eq!(ev.role, Some(Role::Technician));
    assert_eq!(ev.outcome, Outcome::Ok);

    // Its role limits it like a person's: isolir is for admins by default.
    let mut msg = b.message(ADMIN, "isolir john123 telat bayar");
    msg.sender = Sender::client("billing");
    b.deliver(msg);
    assert_eq!(b.last_event().outcome, Outcome::Denied);
    assert!(b.router.calls().iter().all(|c| !c.is_write()));
}

#[test]
fn an_unknown_client_is_refused_and_audited_under_its_name() {
    let b = Bot::spec();
    let mut msg = b.message(ADMIN, "delpppoe john123 x");
    msg.sender = Sender::client("nobody");
    assert!(b.deliver(msg).is_empty());
    let ev = b.last_event();
    assert_eq!(ev.outcome, Outcome::Denied);
    assert_eq!(ev.actor_phone, "client:nobody");
    assert_eq!(ev.role, None);
    assert!(b.router.calls().is_empty());
}
