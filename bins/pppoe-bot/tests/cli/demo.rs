//! `pppoe-bot demo` with the spec's three flows, then the audit CLI on its log.

use audit_store::{AuditQuery, AuditStore};
use pppoe_core::Outcome;

use crate::{run, run_bytes, sqlite, stderr, stdout};

const FLOWS: &str = "\
addpppoe budi01 password123 Premium
checkpppoe budi01
checkpppoe john123
editpppoe john123 profile VIP
restartpppoe john123
checkpppoe john123
checkpppoe jane456
delpppoe jane456
delpppoe jane456 Pelanggan pindah lokasi
checkpppoe jane456
pppoe budi01
";

/// Splits the demo's output into replies: a reply starts with its title line, an emoji and a
/// `*bold*` title without a colon (`✅ *USER PPPoE BERHASIL DITAMBAHKAN*`).
fn replies(out: &str) -> Vec<String> {
    let body = out.split_once("Ctrl-D ends.\n\n").map_or(out, |(_, b)| b);
    let mut replies: Vec<String> = Vec::new();
    for block in body.trim_end().split("\n\n") {
        let first = block.lines().next().unwrap_or_default();
        let title = first.ends_with('*') && !first.contains(':') && first.contains(" *");
        match replies.last_mut() {
            Some(last) if !title => {
                last.push_str("\n\n");
                last.push_str(block);
            }
            _ => replies.push(block.to_owned()),
        }
    }
    replies
}

#[test]
fn the_demo_runs_the_spec_flows_over_tcp_and_audits_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(&["demo", "--db", db.to_str().unwrap()], FLOWS);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("pppoe-bot demo: routeros-sim (a RouterOS 7 API server) on 127.0.0.1:")
    );
    assert!(
        !text.contains("\x1b["),
        "no terminal escapes when stdout is a pipe"
    );
    let r = replies(&text);
    assert_eq!(r.len(), 11, "{r:#?}");

    // Scenario 1: new installation.
    assert!(
        r[0].starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"),
        "{}",
        r[0]
    );
    assert!(r[0].contains("🔑 *Password:* password123"));
    assert!(r[1].contains("👤 *Username:* budi01") && r[1].contains("🔴 *Koneksi:* Terputus"));
    // Scenario 2: upgrade (the router's state is read back over TCP).
    assert!(r[2].contains("📊 *Profile:* Premium") && r[2].contains("🟢 *Koneksi:* Terhubung"));
    assert!(r[3].contains("🆕 *Value Baru:* VIP"));
    assert!(r[4].starts_with("🔄 *KONEKSI PPPoE BERHASIL DIRESTART*"));
    assert!(r[5].contains("📊 *Profile:* VIP"), "{}", r[5]);
    assert!(r[5].contains("🔴 *Koneksi:* Terputus"), "kicked: {}", r[5]);
    // Scenario 3: removal.
    assert!(r[6].contains("👤 *Username:* jane456"));
    assert!(r[7].contains("Kirim ulang dengan alasan untuk konfirmasi"));
    assert!(r[8].starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"));
    assert!(r[8].contains("🗑️ *Alasan:* Pelanggan pindah lokasi"));
    assert!(r[9].contains("User \"jane456\" tidak ada di router"));
    // The listing shows the bot's own creation date for budi01.
    assert!(
        r[10].contains("1. budi01") && !r[10].contains("🕒 *Created:* -"),
        "{}",
        r[10]
    );

    // The audit rows, read back from the SQLite file.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(async {
        let store = AuditStore::open_read_only(&db).await.unwrap();
        let report = store.verify().await.unwrap();
        assert!(report.is_intact());
        store.query(&AuditQuery::new().limit(100)).await.unwrap()
    });
    assert_eq!(rows.len(), 11);
    let oldest_first: Vec<_> = rows
        .iter()
        .rev()
        .map(|r| (r.event.command.as_str(), r.event.outcome))
        .collect();
    assert_eq!(oldest_first[0], ("addpppoe", Outcome::Ok));
    assert_eq!(oldest_first[7], ("delpppoe", Outcome::Skipped));
    assert_eq!(oldest_first[8], ("delpppoe", Outcome::Ok));
    let delete = rows
        .iter()
        .find(|r| r.event.outcome == Outcome::Ok && r.event.command == "delpppoe")
        .unwrap();
    assert_eq!(
        delete.event.reason.as_deref(),
        Some("Pelanggan pindah lokasi")
    );
    assert_eq!(delete.event.router.as_deref(), Some("demo-router"));
    assert!(
        rows.iter()
            .all(|r| !r.event.arguments.contains("password123"))
    );

    // The auditor's CLI.
    let list = run(
        &[
            "audit",
            "list",
            "--db",
            db.to_str().unwrap(),
            "--command",
            "delpppoe",
        ],
        "",
    );
    assert!(list.status.success());
    let listed = stdout(&list);
    assert!(
        listed.contains("reason: Pelanggan pindah lokasi"),
        "{listed}"
    );
    assert_eq!(listed.lines().count(), 3, "header + 2 rows: {listed}");
    let csv = run(
        &[
            "audit",
            "list",
            "--db",
            db.to_str().unwrap(),
            "--outcome",
            "ok",
            "--format",
            "csv",
        ],
        "",
    );
    assert!(stdout(&csv).starts_with("seq,time,actor_phone"));
    let json = run(&["audit", "export", "--db", db.to_str().unwrap()], "");
    let exported: serde_json::Value = serde_json::from_str(&stdout(&json)).unwrap();
    let exported = exported.as_array().unwrap();
    assert_eq!(exported.len(), 11);
    assert_eq!(exported[0]["seq"], 1);
    assert_eq!(exported[0]["command"], "addpppoe");
    assert_eq!(exported[0]["hash"].as_str().unwrap().len(), 64);

    let verify = run(&["audit", "verify", "--db", db.to_str().unwrap()], "");
    assert!(verify.status.success());
    assert!(stdout(&verify).starts_with("audit log intact: 11 rows"));
    assert!(
        stdout(&verify).contains("checked the hash chain only"),
        "{}",
        stdout(&verify)
    );
    // The demo sealed its log with keys of its own; its verification key checks every MAC.
    let mut vk_file = db.as_os_str().to_owned();
    vk_file.push(".verification-key");
    let vk_file = std::path::PathBuf::from(vk_file);
    let sealed = run(
        &[
            "audit",
            "verify",
            "--db",
            db.to_str().unwrap(),
            "--verification-key-file",
            vk_file.to_str().unwrap(),
        ],
        "",
    );
    assert!(sealed.status.success(), "{}", stdout(&sealed));
    assert!(
        stdout(&sealed).contains("audit log intact: 11 rows, every MAC and seal verifies"),
        "{}",
        stdout(&sealed)
    );

    // Tampering: an altered row is named.
    sqlite(
        &db,
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;
         UPDATE audit_log SET reason = 'iseng' WHERE seq = 9;",
    );
    let verify = run(&["audit", "verify", "--db", db.to_str().unwrap()], "");
    assert!(
        !verify.status.success(),
        "an altered row must fail verification"
    );
    assert!(stdout(&verify).contains("row 9"), "{}", stdout(&verify));
}

#[test]
fn a_deleted_row_is_named_by_audit_verify() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(
        &["demo", "--db", db.to_str().unwrap()],
        "checkpppoe john123\ncheckpppoe jane456\npppoe\nhelp\n",
    );
    assert!(out.status.success());
    sqlite(
        &db,
        "DROP TRIGGER IF EXISTS audit_log_no_update; DROP TRIGGER IF EXISTS audit_log_no_delete;
         DELETE FROM audit_log WHERE seq = 2;",
    );
    let verify = run(&["audit", "verify", "--db", db.to_str().unwrap()], "");
    assert!(!verify.status.success());
    assert!(
        stdout(&verify).contains("row 2 is missing"),
        "{}",
        stdout(&verify)
    );
}

#[test]
fn an_unknown_number_gets_silence_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(
        &[
            "demo",
            "--db",
            db.to_str().unwrap(),
            "--as",
            "+62 811-0000-0000",
        ],
        "delpppoe john123 iseng\n",
    );
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("not on the allowlist"));
    assert!(!text.contains("BERHASIL"), "{text}");
    let list = run(
        &[
            "audit",
            "list",
            "--db",
            db.to_str().unwrap(),
            "--outcome",
            "denied",
        ],
        "",
    );
    assert!(stdout(&list).contains("6281100000000"), "{}", stdout(&list));
}

#[test]
fn the_demo_speaks_english_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run(
        &["demo", "--db", db.to_str().unwrap(), "--language", "en"],
        "checkpppoe john123\n",
    );
    assert!(stdout(&out).contains("📊 *PPPoE USER STATUS*"));
}

#[cfg(unix)]
#[test]
fn the_audit_log_is_created_readable_by_the_owner_only() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    // Started with the common umask 022, whatever the test runner's is.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "umask 022 && exec \"$0\" \"$@\""])
        .args([crate::BIN, "demo", "--db", db.to_str().unwrap()])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"checkpppoe john123\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("john123"), "{}", stdout(&out));
    let mut checked = 0;
    for suffix in ["", "-wal", "-shm"] {
        let mut path = db.clone().into_os_string();
        path.push(suffix);
        if let Ok(meta) = std::fs::metadata(&path) {
            let mode = meta.permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{path:?} has mode {mode:o}");
            checked += 1;
        }
    }
    assert!(checked >= 1, "the demo wrote no audit log");
}

#[test]
fn a_line_that_is_not_utf8_is_skipped_and_the_batch_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let out = run_bytes(
        &["demo", "--db", db.to_str().unwrap(), "--language", "en"],
        b"checkpppoe john123\ncheckpppoe \xff\xfe\xc3(\ncheckpppoe jane456\n",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("*Username:* john123"), "{text}");
    assert!(text.contains("*Username:* jane456"), "{text}");
    let err = stderr(&out);
    assert!(
        err.contains("line 2") && err.contains("not valid UTF-8"),
        "{err}"
    );
    assert!(
        !err.contains("checkpppoe"),
        "the line's bytes are not logged: {err}"
    );
}

/// The spec's workflow end to end through the binary: a ticket opened by the admin, given to
/// the technician (who is sent a notice), the new subscriber created on the ticket over TCP,
/// resolved, shown, closed; then a second run on the same database continues the numbering.
#[test]
fn the_demo_runs_a_trouble_ticket_from_report_to_close() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let script = "\
lapor pasang baru Pak Budi Jl. Mawar 3
serahkan TR001 081298765432
addpppoe budi01 password123 Premium tiket=tr1 wa=0812-7777-8888 \"Budi Santoso\"
selesai TR001 User PPPoE berhasil dibuat
tiket TR001
tutup TR001
";
    let out = run(&["demo", "--db", db.to_str().unwrap()], script);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("🎫 *TIKET TR001 DIBUAT*"), "{text}");
    assert!(text.contains("✅ *TIKET TR001 DISERAHKAN*"), "{text}");
    // The notice to the technician, shown with its recipient.
    assert!(
        text.contains("📨 → 6281298765432:\n🎫 *TIKET TR001 DISERAHKAN KE ANDA*"),
        "{text}"
    );
    assert!(
        text.contains("🎫 User budi01 dicatat di tiket TR001"),
        "{text}"
    );
    // The customer's login, shown with its recipient.
    assert!(
        text.contains("📨 → 6281277778888:\nHalo Budi Santoso! 👋"),
        "{text}"
    );
    assert!(text.contains("✅ *TIKET TR001 SELESAI*"), "{text}");
    // `tiket TR001`: the history and the live status read from routeros-sim over TCP.
    assert!(
        text.contains("User budi01 dibuat · Demo admin (6281234567890)"),
        "{text}"
    );
    assert!(text.contains("📊 *STATUS USER PPPoE*"), "{text}");
    assert!(text.contains("🔒 *TIKET TR001 DITUTUP*"), "{text}");

    // The ticket and its history in the SQLite file; every command in the audit log.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (ticket, kinds, rows) = rt.block_on(async {
        let store = AuditStore::open_read_only(&db).await.unwrap();
        assert!(store.verify().await.unwrap().is_intact());
        let (ticket, events) =
            pppoe_core::TicketStore::get(&store, pppoe_core::TicketId::new(1).unwrap())
                .await
                .unwrap()
                .unwrap();
        let kinds: Vec<String> = events.iter().map(|e| e.kind.as_str().to_owned()).collect();
        let rows = store.query(&AuditQuery::new().limit(100)).await.unwrap();
        (ticket, kinds, rows)
    });
    assert_eq!(ticket.state, pppoe_core::TicketState::Closed);
    assert_eq!(ticket.username.as_deref(), Some("budi01"));
    assert_eq!(ticket.assignee.as_deref(), Some("6281298765432"));
    assert!(ticket.installed_at.is_some());
    assert_eq!(
        kinds,
        ["opened", "assigned", "installed", "resolved", "closed"]
    );
    // Every notice has a row of its own, written when the messenger has sent it (the
    // console: printed), so its place among the others is not fixed. The technician's: at
    // `serahkan`, and at `selesai` by the admin (the technician held the ticket).
    let technician: Vec<_> = rows
        .iter()
        .filter(|r| r.event.command == "notify" && r.event.target.as_deref() == Some("TR001"))
        .map(|r| (r.event.arguments.as_str(), r.event.outcome))
        .collect();
    assert_eq!(
        technician,
        [
            ("TR001 notice to 6281298765432", Outcome::Ok),
            ("TR001 notice to 6281298765432", Outcome::Ok)
        ]
    );
    // The customer's two: the login at the add, the resolution at `selesai`.
    let mut notify: Vec<&str> = rows
        .iter()
        .filter(|r| r.event.command == "notify" && r.event.arguments.contains("customer"))
        .map(|r| {
            assert_eq!(r.event.outcome, Outcome::Ok, "{:?}", r.event);
            assert_eq!(r.event.target.as_deref(), Some("budi01"));
            r.event.arguments.as_str()
        })
        .collect();
    notify.sort_unstable();
    assert_eq!(
        notify,
        [
            "TR001 resolved, told customer 6281277778888",
            "login of budi01 sent to customer 6281277778888"
        ]
    );
    let oldest_first: Vec<(&str, Option<&str>, Outcome)> = rows
        .iter()
        .rev()
        .filter(|r| r.event.command != "notify")
        .map(|r| {
            (
                r.event.command.as_str(),
                r.event.target.as_deref(),
                r.event.outcome,
            )
        })
        .collect();
    assert_eq!(
        oldest_first,
        [
            ("lapor", Some("TR001"), Outcome::Ok),
            ("serahkan", Some("TR001"), Outcome::Ok),
            ("addpppoe", Some("budi01"), Outcome::Ok),
            ("selesai", Some("TR001"), Outcome::Ok),
            ("tiket", Some("TR001"), Outcome::Ok),
            ("tutup", Some("TR001"), Outcome::Ok),
        ]
    );
    assert!(
        rows.iter()
            .any(|r| r.event.arguments.ends_with("[notified 6281298765432]")),
        "the assignment names whom it told"
    );
    assert!(
        rows.iter()
            .all(|r| !r.event.arguments.contains("password123"))
    );

    // A second run on the same database: the numbering goes on.
    let out = run(
        &["demo", "--db", db.to_str().unwrap()],
        "lapor john123 internet lambat\n",
    );
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    assert!(
        stdout(&out).contains("🎫 *TIKET TR002 DIBUAT*"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("👤 *Pelanggan:* john123"));
}

/// Field evidence from the console, as WhatsApp would bring it: a photo file and a location,
/// kept under the photo's SHA-256 next to the database and shown by `tiket` and `checkpppoe`.
#[test]
fn the_demo_keeps_a_photo_and_a_location_as_evidence() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.db");
    let photo = dir.path().join("onu.jpg");
    let bytes = b"\xff\xd8\xff\xe0 a photo of the ONU".to_vec();
    std::fs::write(&photo, &bytes).unwrap();
    let script = format!(
        "lapor john123 ONU mati\n\
         foto TR001 {} ONU diganti\n\
         lokasi TR001 -6.2088,106.8456\n\
         lokasi -6.2100,106.8400\n\
         lokasi john123\n\
         tiket TR001\n\
         checkpppoe john123\n",
        photo.display()
    );
    let out = run(&["demo", "--db", db.to_str().unwrap()], &script);
    assert!(out.status.success(), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    let sha: String = {
        use sha2::{Digest, Sha256};
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    assert!(text.contains("📷 *FOTO DISIMPAN*"), "{text}");
    assert!(text.contains(&format!("🔐 *SHA-256:* {sha}")), "{text}");
    assert!(text.contains("📍 *LOKASI DISIMPAN*"), "{text}");
    assert!(text.contains("📍 *LOKASI DITERIMA*"), "{text}");
    assert!(text.contains("Foto · Demo admin"), "{text}");
    assert!(
        text.contains("📍 *Lokasi:* https://maps.google.com/?q=-6.21,106.84"),
        "{text}"
    );
    // The file is kept under its hash, for the owner only.
    let kept = dir.path().join("demo.db.media").join(format!("{sha}.jpg"));
    assert_eq!(std::fs::read(&kept).unwrap(), bytes);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&kept).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // Audited with the hash.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let rows = rt.block_on(async {
        let store = AuditStore::open_read_only(&db).await.unwrap();
        store.query(&AuditQuery::new().limit(100)).await.unwrap()
    });
    let foto = rows.iter().find(|r| r.event.command == "foto").unwrap();
    assert_eq!(foto.event.outcome, Outcome::Ok);
    assert!(
        foto.event
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains(&sha),
        "{:?}",
        foto.event
    );
}
