//! The sealed audit log against an insider: each test builds a log over several epochs (the
//! events' times set the epochs: no sleeps), then tampers with the file directly, as someone
//! with write access would (triggers dropped, the plain chain recomputed with the documented
//! algorithm so that the chain check alone says "intact"), and checks that the verification
//! key names the kind and place of the break.

use audit_store::anchor::{Anchor, AnchoredSeal};
use audit_store::seal::VerificationKey;
use audit_store::sealing_file::{SealingState, sealing_path};
use audit_store::{AuditStore, GENESIS_HASH, SealProblem, StoreOptions};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use pppoe_core::{AuditEvent, Outcome, Role};
use sha2::{Digest, Sha256};
use sqlx::{Connection as _, Row as _, SqliteConnection};
use tempfile::TempDir;

/// The setup time: the start of epoch 0.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

const EPOCH: u32 = 60;

fn event(i: u32, at: DateTime<Utc>) -> AuditEvent {
    AuditEvent {
        at,
        actor_phone: "6281234567890".into(),
        actor_lid: None,
        role: Some(Role::Admin),
        command: "delpppoe".into(),
        target: Some(format!("user{i}")),
        router: Some("core-1".into()),
        arguments: format!("user{i} pindah"),
        outcome: Outcome::Ok,
        error: None,
        reason: Some("pindah alamat".into()),
        duration_ms: 20,
        message_id: format!("m{i}"),
    }
}

struct Sealed {
    dir: TempDir,
    store: AuditStore,
    vk: VerificationKey,
}

impl Sealed {
    /// Ten rows, two per epoch (epochs 0 to 4), and the seals of epochs 0 to 4 (written at
    /// 08:05:10, in epoch 5).
    async fn new() -> Self {
        Self::with_anchors(|_| Vec::new()).await
    }

    /// [`new`](Self::new), each seal also sent to the anchors made from the test directory.
    async fn with_anchors(anchors: impl FnOnce(&std::path::Path) -> Vec<Anchor>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let vk = SealingState::setup(&sealing_path(&db), t0().timestamp(), EPOCH, false).unwrap();
        let options = StoreOptions::default()
            .sealing(sealing_path(&db))
            .anchors(anchors(dir.path()));
        let store = AuditStore::open(&db, options).await.unwrap();
        for i in 1..=10 {
            let at = t0() + Duration::seconds(i64::from(i - 1) * 30 + 5);
            // The engine claims a change before it runs it (two of them here).
            if i <= 2 {
                assert!(store.claim(&event(i, at)).await.unwrap());
            }
            store.append(event(i, at)).await.unwrap();
        }
        store.seal(now()).await.unwrap();
        Self { dir, store, vk }
    }

    async fn raw(&self) -> SqliteConnection {
        let path = self.dir.path().join("audit.db");
        let mut conn = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        for trigger in [
            "audit_log_no_update",
            "audit_log_no_delete",
            "audit_log_insert_appends",
            "audit_seals_no_update",
            "audit_seals_no_delete",
            "audit_seals_insert_appends",
            "message_claims_no_update",
            "message_claims_no_delete",
        ] {
            sql(&mut conn, &format!("DROP TRIGGER {trigger}")).await;
        }
        conn
    }

    async fn problem(&self) -> Option<SealProblem> {
        let report = self.store.verify_sealed(&self.vk, now()).await.unwrap();
        assert!(
            report.chain.is_intact(),
            "the forger recomputed the chain: the chain check alone says intact ({:?})",
            report.chain.broken
        );
        report.problem
    }
}

fn now() -> DateTime<Utc> {
    t0() + Duration::seconds(5 * 60 + 10)
}

async fn sql(conn: &mut SqliteConnection, statement: &str) {
    sqlx::query(statement).execute(&mut *conn).await.unwrap();
}

/// The documented chain (docs/auditor.md), recomputed over the rows as they are now: what a
/// forger with write access does after changing rows.
async fn rechain(conn: &mut SqliteConnection) {
    let rows = sqlx::query(
        "SELECT seq, at, actor_phone, actor_lid, role, command, target, router, arguments, \
         outcome, error, reason, duration_ms, message_id FROM audit_log ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap();
    let mut prev = GENESIS_HASH.to_owned();
    for row in rows {
        let mut input = b"pppoe-bot audit v1\n".to_vec();
        let mut field = |v: Option<String>| match v {
            None => input.push(0),
            Some(v) => {
                input.push(1);
                input.extend_from_slice(&(v.len() as u64).to_be_bytes());
                input.extend_from_slice(v.as_bytes());
            }
        };
        let seq: i64 = row.get("seq");
        field(Some(prev.clone()));
        field(Some(seq.to_string()));
        for column in ["at", "actor_phone"] {
            field(Some(row.get(column)));
        }
        for column in ["actor_lid", "role"] {
            field(row.get(column));
        }
        field(Some(row.get("command")));
        for column in ["target", "router"] {
            field(row.get(column));
        }
        for column in ["arguments", "outcome"] {
            field(Some(row.get(column)));
        }
        for column in ["error", "reason"] {
            field(row.get(column));
        }
        field(Some(row.get::<i64, _>("duration_ms").to_string()));
        field(Some(row.get("message_id")));
        let hash = hex::encode(Sha256::digest(&input));
        sqlx::query("UPDATE audit_log SET prev_hash = ?1, hash = ?2 WHERE seq = ?3")
            .bind(&prev)
            .bind(&hash)
            .bind(seq)
            .execute(&mut *conn)
            .await
            .unwrap();
        prev = hash;
    }
}

#[tokio::test]
async fn the_untouched_log_verifies_and_says_what_is_sealed() {
    let s = Sealed::new().await;
    let report = s.store.verify_sealed(&s.vk, now()).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(
        report.sealed_through.map(|(e, _, last)| (e, last)),
        Some((4, 10))
    );
    let text = report.to_string();
    assert!(
        text.contains("rows 1-10: sealed through epoch 4 (until 2026-12-01 08:05:00 UTC)"),
        "{text}"
    );
    // Two more rows in the open epoch.
    for i in 11..=12 {
        s.store.append(event(i, now())).await.unwrap();
    }
    let report = s.store.verify_sealed(&s.vk, now()).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert!(
        report
            .to_string()
            .contains("rows 11-12: in the open epoch, protected by the chain only"),
        "{report}"
    );
}

#[tokio::test]
async fn an_edited_actor_and_reason_is_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(
        &mut raw,
        "UPDATE audit_log SET actor_phone = '6289999999999', reason = 'diminta pelanggan' \
         WHERE seq = 3",
    )
    .await;
    rechain(&mut raw).await;
    let problem = s.problem().await.unwrap();
    assert_eq!(problem, SealProblem::RowMac { seq: 3, epoch: 1 });
    assert!(
        problem.to_string().starts_with("altered or forged: row 3"),
        "{problem}"
    );
}

#[tokio::test]
async fn a_row_inserted_in_the_middle_or_at_the_end_is_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    // Make room at 5 and insert a row there, copying row 4's MAC.
    sql(
        &mut raw,
        "UPDATE audit_log SET seq = seq + 100 WHERE seq >= 5",
    )
    .await;
    sql(
        &mut raw,
        "UPDATE audit_log SET seq = seq - 99 WHERE seq >= 105",
    )
    .await;
    sql(
        &mut raw,
        "INSERT INTO audit_log SELECT 5, at, actor_phone, actor_lid, role, command, 'victim', \
         router, arguments, outcome, error, reason, duration_ms, 'forged-1', prev_hash, hash, \
         epoch, mac FROM audit_log WHERE seq = 4",
    )
    .await;
    rechain(&mut raw).await;
    assert_eq!(
        s.problem().await,
        Some(SealProblem::RowMac { seq: 5, epoch: 1 })
    );

    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    // At the end, claiming a sealed epoch, without a MAC.
    sql(
        &mut raw,
        "INSERT INTO audit_log SELECT 11, at, actor_phone, actor_lid, role, command, 'victim', \
         router, arguments, outcome, error, reason, duration_ms, 'forged-2', prev_hash, hash, \
         NULL, NULL FROM audit_log WHERE seq = 10",
    )
    .await;
    rechain(&mut raw).await;
    assert_eq!(s.problem().await, Some(SealProblem::Unsealed { seq: 11 }));
}

#[tokio::test]
async fn a_deleted_and_renumbered_row_is_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(&mut raw, "DELETE FROM audit_log WHERE seq = 4").await;
    sql(&mut raw, "UPDATE audit_log SET seq = seq - 1 WHERE seq > 4").await;
    rechain(&mut raw).await;
    assert_eq!(
        s.problem().await,
        Some(SealProblem::RowMac { seq: 4, epoch: 2 })
    );
}

#[tokio::test]
async fn swapped_rows_are_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(&mut raw, "UPDATE audit_log SET seq = 100 WHERE seq = 6").await;
    sql(&mut raw, "UPDATE audit_log SET seq = 6 WHERE seq = 7").await;
    sql(&mut raw, "UPDATE audit_log SET seq = 7 WHERE seq = 100").await;
    rechain(&mut raw).await;
    assert_eq!(
        s.problem().await,
        Some(SealProblem::RowMac { seq: 6, epoch: 3 })
    );
}

#[tokio::test]
async fn a_backdated_row_is_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(
        &mut raw,
        "UPDATE audit_log SET at = '2026-12-01T07:00:00.000Z' WHERE seq = 5",
    )
    .await;
    rechain(&mut raw).await;
    assert_eq!(
        s.problem().await,
        Some(SealProblem::RowMac { seq: 5, epoch: 2 })
    );
}

#[tokio::test]
async fn deleting_the_newest_rows_or_every_row_is_truncation() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(&mut raw, "DELETE FROM audit_log WHERE seq > 7").await;
    let problem = s.problem().await.unwrap();
    assert_eq!(
        problem,
        SealProblem::Truncated {
            epoch: 3,
            last_seq: 8,
            log_end: 7
        }
    );
    assert!(problem.to_string().starts_with("truncated:"), "{problem}");

    sql(&mut raw, "DELETE FROM audit_log").await;
    assert_eq!(
        s.problem().await,
        Some(SealProblem::Truncated {
            epoch: 0,
            last_seq: 2,
            log_end: 0
        })
    );
    // And with the seals: the verification key knows when sealing began.
    sql(&mut raw, "DELETE FROM audit_seals").await;
    let problem = s.problem().await.unwrap();
    assert!(
        matches!(problem, SealProblem::NoSeal { elapsed: 5, .. }),
        "{problem:?}"
    );
    assert!(
        problem
            .to_string()
            .contains("sealing began at 2026-12-01 08:00:00 UTC")
    );
    // The chain check alone, which is all a log without keys has, says intact.
    let chain = s.store.verify().await.unwrap();
    assert!(chain.is_intact());
    assert_eq!(chain.rows_checked, 0);
}

#[tokio::test]
async fn a_deleted_or_forged_seal_is_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(&mut raw, "DELETE FROM audit_seals WHERE epoch = 2").await;
    assert_eq!(
        s.problem().await,
        Some(SealProblem::SealsMissing { from: 2, to: 2 })
    );
    sql(
        &mut raw,
        &format!(
            "INSERT INTO audit_seals VALUES (2, 2, 6, 2, (SELECT hash FROM audit_log WHERE seq = 6), \
             '2026-12-01T08:03:00.000Z', '{}')",
            "0".repeat(64)
        ),
    )
    .await;
    assert_eq!(s.problem().await, Some(SealProblem::SealMac { epoch: 2 }));
}

/// Epochs without rows are sealed too, in one seal for the run, and a store reopened later
/// goes on with the key on disk.
#[tokio::test]
async fn idle_epochs_are_sealed_as_one_run_and_the_key_survives_a_restart() {
    let s = Sealed::new().await;
    s.store.close().await;
    let db = s.dir.path().join("audit.db");
    let store = AuditStore::open(&db, StoreOptions::default().sealing(sealing_path(&db)))
        .await
        .unwrap();
    // Back an hour later: epochs 5 to 64 passed without a row.
    let later = t0() + Duration::minutes(65) + Duration::seconds(1);
    store.append(event(11, later)).await.unwrap();
    let seals: Vec<(i64, i64, i64)> =
        sqlx::query_as("SELECT first_epoch, epoch, last_seq FROM audit_seals ORDER BY epoch")
            .fetch_all(&mut s.raw().await)
            .await
            .unwrap();
    assert_eq!(
        &seals[5..],
        [(5, 5, 10), (6, 64, 10)],
        "epoch 5 alone, then the idle run"
    );
    let report = store.verify_sealed(&s.vk, later).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.open_rows, 1);
    assert_eq!(report.unsealed_since, None);
    // Seen an hour later with the newest seal still that of epoch 64: said, not failed.
    let report = store
        .verify_sealed(&s.vk, later + Duration::minutes(60))
        .await
        .unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.unsealed_since, Some(60));
    assert!(
        report.to_string().contains(
            "warning: no seal since epoch 64 (until 2026-12-01 09:05:00 UTC), 60 epochs ago"
        ),
        "{report}"
    );
    // The key on disk is the one of epoch 65: no earlier MAC can be made with it.
    let state = SealingState::load(&sealing_path(&db), &db).unwrap();
    assert_eq!(state.key().epoch(), 65);
    assert_eq!(state.key(), &s.vk.key_of(65));
}

#[tokio::test]
async fn a_store_without_its_sealing_file_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let err = AuditStore::open(&db, StoreOptions::default().sealing(sealing_path(&db)))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("pppoe-bot audit setup-keys --db"),
        "{err}"
    );
}

/// The bot checks the tail at start and refuses to append onto a cut or altered one, or to a
/// log whose triggers were dropped.
#[tokio::test]
async fn a_sealed_store_refuses_to_open_on_a_cut_or_altered_tail() {
    async fn reopen(s: &Sealed) -> Result<AuditStore, audit_store::StoreError> {
        let db = s.dir.path().join("audit.db");
        AuditStore::open(&db, StoreOptions::default().sealing(sealing_path(&db))).await
    }
    for (tamper, expected) in [
        (
            "DELETE FROM audit_log WHERE seq > 8",
            "closes at row 10, which is gone",
        ),
        (
            "UPDATE audit_log SET arguments = 'x' WHERE seq = 10",
            "row 10 is not the row the seal of epoch 4 closed at",
        ),
        (
            "DELETE FROM audit_seals WHERE epoch = 4",
            "row 9 claims epoch 4, which ended and was sealed without it",
        ),
    ] {
        let s = Sealed::new().await;
        // Two rows of the open epoch, so that the tail has rows after the newest seal.
        s.store.append(event(11, now())).await.unwrap();
        s.store.close().await;
        let mut raw = s.raw().await;
        sql(&mut raw, tamper).await;
        if tamper.contains("audit_seals") {
            // Rows of epoch 4 now come after the newest seal (epoch 3): they claim an epoch
            // that ended.
            rechain(&mut raw).await;
        } else if tamper.contains("UPDATE") {
            rechain(&mut raw).await;
        }
        // The forger puts the triggers back, so that only the content tells.
        for statement in TRIGGER_SQL {
            sql(&mut raw, statement).await;
        }
        let err = reopen(&s).await.unwrap_err();
        let text = err.to_string();
        assert!(text.contains("tampered with"), "{text}");
        assert!(text.contains(expected), "{tamper}: {text}");
    }
    // A dropped trigger alone.
    let s = Sealed::new().await;
    s.store.close().await;
    let mut raw = s.raw().await;
    for statement in &TRIGGER_SQL[..7] {
        sql(&mut raw, statement).await;
    }
    let err = reopen(&s).await.unwrap_err().to_string();
    assert!(
        err.contains("audit_seals_insert_appends is missing"),
        "{err}"
    );
    // Untouched (triggers back): it opens.
    sql(&mut raw, TRIGGER_SQL[7]).await;
    reopen(&s).await.expect("an untouched log opens");
}

/// The triggers as migrations 0003 and 0004 create them.
const TRIGGER_SQL: [&str; 8] = [
    "CREATE TRIGGER message_claims_no_update BEFORE UPDATE ON message_claims \
     BEGIN SELECT RAISE(ABORT, 'message_claims is append-only'); END",
    "CREATE TRIGGER message_claims_no_delete BEFORE DELETE ON message_claims \
     BEGIN SELECT RAISE(ABORT, 'message_claims is append-only'); END",
    "CREATE TRIGGER audit_log_insert_appends BEFORE INSERT ON audit_log \
     WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_log) \
     OR EXISTS (SELECT 1 FROM audit_log WHERE message_id = NEW.message_id) \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log \
     BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER audit_seals_no_update BEFORE UPDATE ON audit_seals \
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END",
    "CREATE TRIGGER audit_seals_no_delete BEFORE DELETE ON audit_seals \
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END",
    "CREATE TRIGGER audit_seals_insert_appends BEFORE INSERT ON audit_seals \
     WHEN NEW.first_epoch IS NOT (SELECT coalesce(max(epoch) + 1, 0) FROM audit_seals) \
     BEGIN SELECT RAISE(ABORT, 'audit_seals is append-only'); END",
];

/// The second Python script of docs/auditor.md: it checks the MACs and seals with the
/// verification key, from the documented encoding alone.
#[tokio::test]
async fn the_documented_python_script_checks_the_seals() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/auditor.md"
    ))
    .unwrap();
    let start = doc
        .find("```python\n# verify_seals.py")
        .expect("docs/auditor.md has the seal script")
        + 10;
    let len = doc[start..].find("```").unwrap();
    let script = &doc[start..start + len];
    let s = Sealed::new().await;
    s.store.flush().await;
    let vk_file = s.dir.path().join("vk.txt");
    std::fs::write(&vk_file, format!("{}\n", s.vk)).unwrap();
    let db = s.dir.path().join("audit.db");
    let python = |db: &std::path::Path| {
        std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(db)
            .arg(&vk_file)
            .output()
    };
    let Ok(out) = python(&db) else {
        eprintln!("skipped: python3 is not available");
        return;
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("seals intact: rows 1-10 sealed through epoch 4"),
        "{text}"
    );

    let mut raw = s.raw().await;
    sql(&mut raw, "UPDATE audit_log SET reason = 'x' WHERE seq = 3").await;
    rechain(&mut raw).await;
    let out = python(&db).unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success());
    assert!(
        text.contains("row 3: its MAC does not verify under epoch 1"),
        "{text}"
    );

    sql(&mut raw, "DELETE FROM audit_log WHERE seq > 2").await;
    sql(&mut raw, "DELETE FROM audit_seals WHERE epoch >= 1").await;
    let out = python(&db).unwrap();
    assert!(
        out.status.success(),
        "rows 1-2 and the seal of epoch 0 are intact"
    );
    sql(&mut raw, "DELETE FROM audit_log WHERE seq = 2").await;
    let out = python(&db).unwrap();
    let text = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(text.contains("closes at row 2, which is gone"), "{text}");
}

/// Deleting the newest seals together with their rows leaves a shorter log whose seals all
/// verify; the copies anchored off the machine show the cut.
#[tokio::test]
async fn anchored_seals_show_a_cut_the_seals_alone_cannot() {
    let s = Sealed::with_anchors(|dir| vec![Anchor::File(dir.join("anchors.log"))]).await;
    let anchored: Vec<AnchoredSeal> = std::fs::read_to_string(s.dir.path().join("anchors.log"))
        .unwrap()
        .lines()
        .filter_map(AnchoredSeal::from_line)
        .collect();
    assert_eq!(
        anchored.iter().map(|a| a.epoch).collect::<Vec<_>>(),
        [0, 1, 2, 3, 4]
    );
    assert_eq!(s.store.check_anchors(&anchored).await.unwrap(), None);

    let mut raw = s.raw().await;
    sql(&mut raw, "DELETE FROM audit_seals WHERE epoch >= 3").await;
    sql(&mut raw, "DELETE FROM audit_log WHERE seq > 6").await;
    let report = s.store.verify_sealed(&s.vk, now()).await.unwrap();
    assert!(
        report.is_intact(),
        "the shorter log verifies on its own: {report}"
    );
    let problem = s.store.check_anchors(&anchored).await.unwrap().unwrap();
    assert!(
        problem.starts_with("truncated: the anchored seal of epoch 3 (closing at row 8)"),
        "{problem}"
    );
}

/// A stop between a seal's commit and the key file's replacement leaves a seal of the key's
/// own epoch: the next start goes on (moving the key past it), not "tampered".
#[tokio::test]
async fn a_stop_between_a_seal_and_the_key_change_is_no_tampering() {
    let s = Sealed::new().await;
    s.store.close().await;
    let db = s.dir.path().join("audit.db");
    assert_eq!(
        SealingState::load(&sealing_path(&db), &db)
            .unwrap()
            .key()
            .epoch(),
        5
    );
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    let head: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = 10")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    // The seal of epoch 5 as the writer makes it (through the triggers).
    sqlx::query("INSERT INTO audit_seals VALUES (5, 5, 10, 2, ?1, '2026-12-01T08:06:00.000Z', ?2)")
        .bind(&head)
        .bind(s.vk.key_of(5).seal_mac(5, 10, 2, &head))
        .execute(&mut conn)
        .await
        .unwrap();
    let store = AuditStore::open(&db, StoreOptions::default().sealing(sealing_path(&db)))
        .await
        .expect("not tampering");
    let later = t0() + Duration::seconds(6 * 60 + 5);
    store.append(event(11, later)).await.unwrap();
    let report = store.verify_sealed(&s.vk, later).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.sealed_through.map(|(e, _, _)| e), Some(5));
}

/// Claims are counted by every seal: deleting one shows.
#[tokio::test]
async fn a_deleted_claim_is_named() {
    let s = Sealed::new().await;
    let mut raw = s.raw().await;
    sql(
        &mut raw,
        "DELETE FROM message_claims WHERE message_id = 'm1'",
    )
    .await;
    let problem = s.problem().await.unwrap();
    assert_eq!(problem, SealProblem::ClaimsDeleted { sealed: 2, now: 1 });
    assert!(
        problem
            .to_string()
            .starts_with("missing: the newest seal counted 2 message claims")
    );
    s.store.close().await;
    let db = s.dir.path().join("audit.db");
    for statement in TRIGGER_SQL {
        sql(&mut raw, statement).await;
    }
    let err = AuditStore::open(&db, StoreOptions::default().sealing(sealing_path(&db)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("counted 2 message claims, the table has 1"),
        "{err}"
    );
}

/// A clean stop seals the epoch still open and moves the key past it: the newest rows are
/// sealed while the bot is stopped, and rows after a restart within that epoch take the next.
#[tokio::test]
async fn a_clean_stop_seals_the_open_epoch() {
    let s = Sealed::new().await;
    // Two rows of epoch 5, the open one.
    for i in 11..=12 {
        s.store.append(event(i, now())).await.unwrap();
    }
    s.store.seal_and_close_epoch(now()).await.unwrap();
    let report = s.store.verify_sealed(&s.vk, now()).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(
        report.sealed_through.map(|(e, _, last)| (e, last)),
        Some((5, 12))
    );
    assert_eq!(report.open_rows, 0);
    s.store.close().await;
    let db = s.dir.path().join("audit.db");
    let state = SealingState::load(&sealing_path(&db), &db).unwrap();
    assert_eq!(
        state.key(),
        &s.vk.key_of(6),
        "the key of epoch 5 is gone from disk"
    );

    // Whoever takes the machine now cannot rewrite row 12 unseen.
    let mut raw = s.raw().await;
    sql(&mut raw, "UPDATE audit_log SET reason = 'x' WHERE seq = 12").await;
    rechain(&mut raw).await;
    let auditor = AuditStore::open_read_only(&db).await.unwrap();
    let report = auditor.verify_sealed(&s.vk, now()).await.unwrap();
    assert!(report.chain.is_intact());
    assert_eq!(
        report.problem,
        Some(SealProblem::RowMac { seq: 12, epoch: 5 })
    );
    sql(
        &mut raw,
        "UPDATE audit_log SET reason = 'pindah alamat' WHERE seq = 12",
    )
    .await;
    rechain(&mut raw).await;
    for statement in TRIGGER_SQL {
        sql(&mut raw, statement).await;
    }

    // Back within epoch 5: the new row takes epoch 6.
    let store = AuditStore::open(&db, StoreOptions::default().sealing(sealing_path(&db)))
        .await
        .unwrap();
    store.append(event(13, now())).await.unwrap();
    let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM audit_log WHERE seq = 13")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(epoch, 6);
    let report = store.verify_sealed(&s.vk, now()).await.unwrap();
    assert!(report.is_intact(), "{report}");
    assert_eq!(report.open_rows, 1);
}
