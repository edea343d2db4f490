//! The auditor's CLI on rows holding hostile chat text.

use std::path::Path;

use audit_store::{AuditStore, StoreOptions};
use chrono::{TimeZone as _, Utc};
use pppoe_core::{AuditEvent, Outcome, Role};

use crate::{run, stderr, stdout};

/// Clears the screen.
const CLEAR: &str = "\x1b[2J";
/// An OSC 8 hyperlink whose visible text hides where it points.
const LINK: &str = "\x1b]8;;https://evil.example/\x07open me\x1b]8;;\x07";
/// Right-to-left override: `exe.txt` shown as `txt.exe`.
const RLO: &str = "\u{202e}";

fn event(n: u8, arguments: &str, error: Option<&str>, reason: Option<&str>) -> AuditEvent {
    AuditEvent {
        at: Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, n.into()).unwrap(),
        actor_phone: "6281100000000".into(),
        actor_lid: None,
        role: Some(Role::Technician),
        command: "delpppoe".into(),
        target: Some("john123".into()),
        router: None,
        arguments: arguments.into(),
        outcome: Outcome::Invalid,
        error: error.map(str::to_owned),
        reason: reason.map(str::to_owned),
        duration_ms: 1,
        message_id: format!("m{n}"),
    }
}

/// An audit log with control characters in the arguments, the error and the reason; the
/// table shows the reason, else the error, else the arguments, so each gets its own row.
fn hostile_log(db: &Path) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let store = AuditStore::open(db, StoreOptions::default()).await.unwrap();
        let events = [
            event(
                1,
                &format!("john123 {CLEAR}{LINK} nul\0 del\x7f csi\u{9b}"),
                None,
                None,
            ),
            event(2, "john123", Some(&format!("bad {LINK} cr\rlf\n")), None),
            event(
                3,
                "john123",
                None,
                Some(&format!("pindah {RLO}exe.txt\u{2066} tab\t \\x1b forged")),
            ),
        ];
        for e in events {
            store.append(e).await.unwrap();
        }
        store.close().await;
    });
}

/// Bytes a terminal would act on: C0 controls other than the line feed ending a line, DEL,
/// and the UTF-8 forms of C1 controls and bidi formatting characters.
fn raw_controls(out: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(out);
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}')
                || ('\u{202a}'..='\u{202e}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .map(|c| c.escape_unicode().to_string())
        .collect()
}

#[test]
fn audit_list_shows_control_characters_as_visible_escapes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    hostile_log(&db);
    let db = db.to_str().unwrap();

    let table = run(&["audit", "list", "--db", db], "");
    assert!(table.status.success(), "{}", stderr(&table));
    assert_eq!(raw_controls(&table.stdout), Vec::<String>::new(), "table");
    let text = stdout(&table);
    assert!(
        text.contains(r"\x1b[2J\x1b]8;;https://evil.example/\x07open"),
        "{text}"
    );
    assert!(
        text.contains(r"\u{202e}exe.txt\u{2066} tab\t \\x1b forged"),
        "{text}"
    );
    assert!(text.contains(r"cr\rlf\n"), "{text}");
    assert_eq!(
        text.lines().count(),
        4,
        "header + 3 rows, one line each: {text}"
    );

    let csv = run(&["audit", "list", "--db", db, "--format", "csv"], "");
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert_eq!(raw_controls(&csv.stdout), Vec::<String>::new(), "csv");
    let text = stdout(&csv);
    assert!(text.contains(r"del\x7f csi\x9b"), "{text}");
    assert!(text.contains(r"\\x1b forged"), "{text}");
    assert_eq!(
        text.lines().count(),
        4,
        "header + 3 rows, one line each: {text}"
    );

    // JSON escapes by its own rules, and what it escapes reads back unchanged.
    for args in [
        &["audit", "list", "--db", db, "--format", "json"][..],
        &["audit", "export", "--db", db][..],
    ] {
        let json = run(args, "");
        assert!(json.status.success(), "{}", stderr(&json));
        assert_eq!(raw_controls(&json.stdout), Vec::<String>::new(), "{args:?}");
        let rows: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        let reasons: Vec<_> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["reason"].as_str())
            .collect();
        assert_eq!(
            reasons,
            [format!("pindah {RLO}exe.txt\u{2066} tab\t \\x1b forged")]
        );
        // The store drops NUL characters (tools that stop at a NUL would show less).
        let arguments: Vec<_> = rows
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["arguments"].as_str())
            .filter(|a| a.contains("nul"))
            .collect();
        assert_eq!(
            arguments,
            [format!("john123 {CLEAR}{LINK} nul del\x7f csi\u{9b}")]
        );
    }

    let verify = run(&["audit", "verify", "--db", db], "");
    assert!(verify.status.success(), "{}", stdout(&verify));
}
