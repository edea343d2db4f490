//! audit-store over real SQLite files in temporary directories.

use std::collections::HashSet;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use audit_store::{AuditQuery, AuditStore, ChainProblem, GENESIS_HASH, StoreError, StoreOptions};
use chrono::{DateTime, Duration, TimeZone as _, Utc};
use pppoe_core::{AuditError, AuditEvent, AuditSink, Outcome, Role};
use sqlx::{Connection as _, SqliteConnection};
use tempfile::TempDir;

// ---------------------------------------------------------------------------------------------
// Helpers

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap()
}

/// A successful `editpppoe` by a technician, `minutes` after [`t0`].
fn event(id: &str) -> AuditEvent {
    AuditEvent {
        at: t0(),
        actor_phone: "6281234567890".into(),
        actor_lid: None,
        role: Some(Role::Technician),
        command: "editpppoe".into(),
        target: Some("john123".into()),
        router: Some("core-1".into()),
        arguments: "john123 password ***".into(),
        outcome: Outcome::Ok,
        error: None,
        reason: None,
        duration_ms: 12,
        message_id: id.into(),
    }
}

struct TestStore {
    dir: TempDir,
    store: AuditStore,
}

impl TestStore {
    async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let store = AuditStore::open(dir.path().join("audit.db"), StoreOptions::default())
            .await
            .unwrap();
        Self { dir, store }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("audit.db")
    }

    async fn append_all(&self, events: impl IntoIterator<Item = AuditEvent>) {
        for e in events {
            self.store.append(e).await.unwrap();
        }
    }

    /// A connection that bypasses the store, as a tamperer would use.
    async fn raw(&self) -> SqliteConnection {
        SqliteConnection::connect(&format!("sqlite://{}", self.path().display()))
            .await
            .unwrap()
    }
}

async fn execute(conn: &mut SqliteConnection, sql: &str) -> Result<u64, sqlx::Error> {
    sqlx::query(sql)
        .execute(conn)
        .await
        .map(|r| r.rows_affected())
}

fn ids(rows: &[audit_store::AuditRow]) -> Vec<&str> {
    rows.iter().map(|r| r.event.message_id.as_str()).collect()
}

// ---------------------------------------------------------------------------------------------
// Append and read back

#[tokio::test]
async fn append_and_read_back() {
    let t = TestStore::new().await;
    let first = AuditEvent {
        at: t0() + Duration::microseconds(123_456),
        actor_lid: Some("12345@lid".into()),
        role: Some(Role::Admin),
        command: "delpppoe".into(),
        arguments: "john123 pindah rumah".into(),
        reason: Some("pindah rumah".into()),
        ..event("m1")
    };
    let second = AuditEvent {
        at: t0() + Duration::seconds(1),
        role: None,
        command: "-".into(),
        target: None,
        router: None,
        arguments: "halo".into(),
        outcome: Outcome::Denied,
        error: Some("not allowlisted".into()),
        duration_ms: 0,
        ..event("m2")
    };
    t.append_all([first.clone(), second.clone()]).await;

    let rows = t.store.query(&AuditQuery::default()).await.unwrap();
    assert_eq!(ids(&rows), ["m2", "m1"], "newest first");
    let (r2, r1) = (&rows[0], &rows[1]);
    assert_eq!((r1.seq, r2.seq), (1, 2));
    assert_eq!(r1.prev_hash, GENESIS_HASH);
    assert_eq!(r2.prev_hash, r1.hash);
    assert_eq!(r1.hash.len(), 64);
    // Stored at millisecond precision.
    assert_eq!(
        r1.event.clone(),
        AuditEvent {
            at: t0() + Duration::milliseconds(123),
            ..first
        }
    );
    assert_eq!(r2.event.clone(), second);

    assert_eq!(t.store.count().await.unwrap(), 2);
    assert!(t.store.is_handled("m1").await.unwrap());
    assert!(!t.store.is_handled("m3").await.unwrap());
    let found = t.store.row_of_message("m2").await.unwrap().unwrap();
    assert_eq!((found.seq, &found.event), (2, &second));
    assert_eq!(found.hash, r2.hash);
    assert_eq!(t.store.row_of_message("m3").await.unwrap(), None);

    // The raw columns are what the auditor's documentation says.
    let mut raw = t.raw().await;
    let (at, role, outcome): (String, Option<String>, String) =
        sqlx::query_as("SELECT at, role, outcome FROM audit_log WHERE seq = 1")
            .fetch_one(&mut raw)
            .await
            .unwrap();
    assert_eq!(
        (at.as_str(), role.as_deref(), outcome.as_str()),
        ("2024-12-15T09:30:25.123Z", Some("admin"), "ok")
    );
    let view: (i64, String, String, Option<String>, String) = sqlx::query_as(
        r#"SELECT "no", "time", actor, "user", outcome FROM audit_view WHERE "no" = 2"#,
    )
    .fetch_one(&mut raw)
    .await
    .unwrap();
    assert_eq!(
        view,
        (
            2,
            "2024-12-15T09:30:26.000Z".into(),
            "6281234567890".into(),
            None,
            "denied".into()
        )
    );
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(journal, "wal");
}

/// Uses the store only through the engine's port.
async fn exercise_port(sink: &impl AuditSink) {
    sink.append(event("m1")).await.unwrap();
    assert_eq!(
        sink.append(event("m1")).await,
        Err(AuditError::Duplicate("m1".into()))
    );
    assert!(sink.is_handled("m1").await.unwrap());
    assert!(!sink.is_handled("m2").await.unwrap());
}

#[tokio::test]
async fn the_port_works_through_the_trait() {
    let t = TestStore::new().await;
    exercise_port(&t.store).await;
    assert_eq!(t.store.count().await.unwrap(), 1);
}

#[tokio::test]
async fn reopening_continues_the_chain() {
    let t = TestStore::new().await;
    t.append_all([event("m1"), event("m2")]).await;
    t.store.close().await;
    assert!(matches!(
        t.store.append(event("m3")).await,
        Err(StoreError::Closed)
    ));

    let store = AuditStore::open(t.path(), StoreOptions::default())
        .await
        .unwrap();
    store.append(event("m3")).await.unwrap();
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows_checked, 3);
    assert_eq!(report.head.unwrap().seq, 3);
    store.flush().await;
    store.close().await;
}

// ---------------------------------------------------------------------------------------------
// At most once

#[tokio::test]
async fn a_duplicate_message_id_is_refused_and_not_stored() {
    let t = TestStore::new().await;
    t.store.append(event("m1")).await.unwrap();
    let again = AuditEvent {
        outcome: Outcome::Failed,
        ..event("m1")
    };
    let refused = t.store.append(again).await;
    assert!(
        matches!(&refused, Err(StoreError::Duplicate(id)) if id == "m1"),
        "{refused:?}"
    );
    t.store.append(event("m2")).await.unwrap();

    let rows = t.store.query(&AuditQuery::default()).await.unwrap();
    assert_eq!(ids(&rows), ["m2", "m1"]);
    assert_eq!(rows[1].event.outcome, Outcome::Ok, "the first event stays");
    assert_eq!(rows[0].seq, 2, "the refused event took no seq");
    assert!(t.store.verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn duplicates_within_one_batch_fail_alone() {
    let t = TestStore::new().await;
    // join! polls each append once, in order, before the writer task runs (one thread): all five
    // are queued when the writer wakes, so it commits them in one transaction.
    let s = &t.store;
    let results = tokio::join!(
        s.append(event("a")),
        s.append(event("b")),
        s.append(event("a")),
        s.append(event("c")),
        s.append(event("b")),
    );
    assert!(results.0.is_ok() && results.1.is_ok() && results.3.is_ok());
    assert!(matches!(results.2, Err(StoreError::Duplicate(ref id)) if id == "a"));
    assert!(matches!(results.4, Err(StoreError::Duplicate(ref id)) if id == "b"));
    let rows = s.query(&AuditQuery::default()).await.unwrap();
    assert_eq!(ids(&rows), ["c", "b", "a"]);
    assert!(s.verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn a_failing_event_fails_alone() {
    let t = TestStore::new().await;
    // Year 10000 does not fit the `at` format: the CHECK constraint refuses the row, which
    // rolls back the whole batch; the writer then retries the events one by one.
    let bad = AuditEvent {
        at: Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap(),
        ..event("bad")
    };
    let s = &t.store;
    let (a, b, c) = tokio::join!(s.append(event("a")), s.append(bad), s.append(event("c")));
    assert!(a.is_ok() && c.is_ok(), "{a:?} {c:?}");
    let error = b.unwrap_err();
    assert!(matches!(error, StoreError::Database(_)), "{error:?}");
    assert!(
        AuditError::from(error)
            .to_string()
            .contains("CHECK constraint failed"),
        "the port's error carries the cause"
    );
    assert_eq!(ids(&s.query(&AuditQuery::new()).await.unwrap()), ["c", "a"]);
    assert!(s.verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn flush_and_close_wait_for_queued_events() {
    let t = TestStore::new().await;
    let s = &t.store;
    // join! enqueues in this order before the writer runs: a, b, flush, c, close, d.
    let (a, b, count_after_flush, c, (), d) = tokio::join!(
        s.append(event("a")),
        s.append(event("b")),
        async {
            s.flush().await;
            // Not through the store: close() is closing its read pool meanwhile.
            let count: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log")
                .fetch_one(&mut t.raw().await)
                .await
                .unwrap();
            count
        },
        s.append(event("c")),
        s.close(),
        s.append(event("d")),
    );
    assert!(a.is_ok() && b.is_ok() && c.is_ok());
    assert!(count_after_flush >= 2);
    assert!(matches!(d, Err(StoreError::Closed)), "{d:?}");
    assert!(matches!(
        s.append(event("e")).await,
        Err(StoreError::Closed)
    ));
    s.flush().await; // nothing to flush: returns at once

    let reopened = AuditStore::open(t.path(), StoreOptions::default())
        .await
        .unwrap();
    assert_eq!(
        ids(&reopened.query(&AuditQuery::new()).await.unwrap()),
        ["c", "b", "a"]
    );
}

// ---------------------------------------------------------------------------------------------
// Append-only

#[tokio::test]
async fn triggers_refuse_update_delete_and_replace() {
    let t = TestStore::new().await;
    t.append_all([event("m1"), event("m2")]).await;
    let mut raw = t.raw().await;
    for sql in [
        "UPDATE audit_log SET outcome = 'failed' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_log",
        "INSERT OR REPLACE INTO audit_log SELECT * FROM audit_log WHERE seq = 1",
        "INSERT INTO audit_log (seq, at, actor_phone, command, arguments, outcome, duration_ms, \
         message_id, prev_hash, hash) SELECT 5, at, actor_phone, command, arguments, outcome, \
         duration_ms, 'new', prev_hash, hash FROM audit_log WHERE seq = 2",
    ] {
        let error = execute(&mut raw, sql).await.unwrap_err();
        assert!(
            error.to_string().contains("audit_log is append-only"),
            "{sql}: {error}"
        );
    }
    assert_eq!(t.store.count().await.unwrap(), 2);
    assert!(t.store.verify().await.unwrap().is_intact());
}

// ---------------------------------------------------------------------------------------------
// Verify

#[tokio::test]
async fn verify_passes_on_a_fresh_log() {
    let t = TestStore::new().await;
    let empty = t.store.verify().await.unwrap();
    assert!(empty.is_intact());
    assert_eq!((empty.rows_checked, empty.head), (0, None));

    // More than one page of the chain walk.
    for i in 0..1500 {
        t.store.append(event(&format!("m{i}"))).await.unwrap();
    }
    let report = t.store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows_checked, 1500);
    assert_eq!(report.head.unwrap().seq, 1500);
}

#[tokio::test]
async fn verify_names_an_altered_row() {
    let t = TestStore::new().await;
    t.append_all((1..=5).map(|i| event(&format!("m{i}")))).await;
    let mut raw = t.raw().await;
    execute(&mut raw, "DROP TRIGGER audit_log_no_update")
        .await
        .unwrap();
    let changed = execute(
        &mut raw,
        "UPDATE audit_log SET arguments = 'john123 password hunter2' WHERE seq = 3",
    )
    .await
    .unwrap();
    assert_eq!(changed, 1);

    let report = t.store.verify().await.unwrap();
    let broken = report.broken.clone().unwrap();
    assert_eq!(broken.seq, 3);
    assert!(
        matches!(broken.problem, ChainProblem::HashMismatch { .. }),
        "{broken:?}"
    );
    assert_eq!(report.head.unwrap().seq, 2);
    assert_eq!(report.rows_checked, 3);
    assert!(broken.to_string().starts_with("row 3: hash "), "{broken}");
}

#[tokio::test]
async fn verify_names_a_row_whose_prev_hash_was_changed() {
    let t = TestStore::new().await;
    t.append_all((1..=4).map(|i| event(&format!("m{i}")))).await;
    let mut raw = t.raw().await;
    execute(&mut raw, "DROP TRIGGER audit_log_no_update")
        .await
        .unwrap();
    execute(
        &mut raw,
        &format!(
            "UPDATE audit_log SET prev_hash = '{}' WHERE seq = 2",
            "a".repeat(64)
        ),
    )
    .await
    .unwrap();

    let broken = t.store.verify().await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 2);
    assert!(
        matches!(&broken.problem, ChainProblem::PrevHashMismatch { stored, .. } if stored == &"a".repeat(64)),
        "{broken:?}"
    );
}

#[tokio::test]
async fn verify_names_the_row_after_a_deleted_one() {
    let t = TestStore::new().await;
    t.append_all((1..=5).map(|i| event(&format!("m{i}")))).await;
    let mut raw = t.raw().await;
    execute(&mut raw, "DROP TRIGGER audit_log_no_delete")
        .await
        .unwrap();
    execute(&mut raw, "DELETE FROM audit_log WHERE seq = 2")
        .await
        .unwrap();

    let report = t.store.verify().await.unwrap();
    let broken = report.broken.unwrap();
    assert_eq!(broken.seq, 3);
    assert_eq!(broken.problem, ChainProblem::Gap { expected: 2 });
    assert_eq!(broken.to_string(), "row 3: row 2 is missing (deleted)");
    assert_eq!(report.head.unwrap().seq, 1);

    // Deleting the first row is a gap too.
    execute(&mut raw, "DELETE FROM audit_log WHERE seq = 1")
        .await
        .unwrap();
    let broken = t.store.verify().await.unwrap().broken.unwrap();
    assert_eq!(broken.seq, 3);
    assert_eq!(broken.problem, ChainProblem::Gap { expected: 1 });
    assert_eq!(
        broken.to_string(),
        "row 3: rows 1 to 2 are missing (deleted)"
    );
}

// ---------------------------------------------------------------------------------------------
// created_at

#[tokio::test]
async fn created_at_is_the_newest_successful_addpppoe() {
    let t = TestStore::new().await;
    let add = |id: &str, user: &str, minutes: i64, outcome: Outcome| AuditEvent {
        at: t0() + Duration::minutes(minutes),
        command: "addpppoe".into(),
        target: Some(user.into()),
        outcome,
        ..event(id)
    };
    t.append_all([
        add("1", "john", 1, Outcome::Ok),
        add("2", "bob", 2, Outcome::Failed),
        add("3", "alice", 3, Outcome::Ok),
        AuditEvent {
            command: "delpppoe".into(),
            at: t0() + Duration::minutes(4),
            ..event("4")
        },
        add("5", "john", 5, Outcome::Ok),
        add("6", "john", 6, Outcome::Denied),
        AuditEvent {
            at: t0() + Duration::minutes(7),
            target: Some("carol".into()),
            ..event("7")
        },
    ])
    .await;

    let names = ["john", "bob", "alice", "carol", "nobody"].map(String::from);
    let created = t.store.created_at(&names).await.unwrap();
    assert_eq!(created.len(), 2, "{created:?}");
    assert_eq!(created["john"], t0() + Duration::minutes(5));
    assert_eq!(created["alice"], t0() + Duration::minutes(3));
    assert!(t.store.created_at(&[]).await.unwrap().is_empty());

    // More names than one query takes.
    let many: Vec<String> = (0..1200)
        .map(|i| format!("x{i}"))
        .chain(["alice".into()])
        .collect();
    let created = AuditSink::created_at(&t.store, &many).await.unwrap();
    assert_eq!(created.keys().collect::<Vec<_>>(), ["alice"]);
}

// ---------------------------------------------------------------------------------------------
// Queries

async fn populated() -> TestStore {
    let t = TestStore::new().await;
    // 30 events, one a minute: actors alternate, commands cycle, every fifth is denied.
    let commands = ["addpppoe", "editpppoe", "delpppoe"];
    t.append_all((0..30).map(|i| AuditEvent {
        at: t0() + Duration::minutes(i),
        actor_phone: if i % 2 == 0 { "62811" } else { "62822" }.into(),
        command: commands[i as usize % 3].into(),
        target: Some(format!("user{}", i % 4)),
        outcome: if i % 5 == 0 {
            Outcome::Denied
        } else {
            Outcome::Ok
        },
        ..event(&format!("m{i}"))
    }))
    .await;
    t
}

#[tokio::test]
async fn queries_filter_newest_first() {
    let t = populated().await;
    let check = |query: AuditQuery, expected: Vec<usize>| {
        let store = t.store.clone();
        async move {
            let rows = store.query(&query).await.unwrap();
            let got: Vec<String> = rows.iter().map(|r| r.event.message_id.clone()).collect();
            let want: Vec<String> = expected.iter().map(|i| format!("m{i}")).collect();
            assert_eq!(got, want, "{query:?}");
            assert_eq!(
                store.count_matching(&query).await.unwrap(),
                expected.len() as u64
            );
        }
    };
    let newest_first = |keep: &dyn Fn(usize) -> bool| (0..30).rev().filter(|&i| keep(i)).collect();

    check(AuditQuery::new(), newest_first(&|_| true)).await;
    check(
        AuditQuery::new().actor("62822"),
        newest_first(&|i| i % 2 == 1),
    )
    .await;
    check(
        AuditQuery::new().username("user3"),
        newest_first(&|i| i % 4 == 3),
    )
    .await;
    check(
        AuditQuery::new().command("delpppoe"),
        newest_first(&|i| i % 3 == 2),
    )
    .await;
    check(
        AuditQuery::new().outcome(Outcome::Denied),
        newest_first(&|i| i % 5 == 0),
    )
    .await;
    check(
        AuditQuery::new()
            .since(t0() + Duration::minutes(10))
            .until(t0() + Duration::minutes(20)),
        newest_first(&|i| (10..20).contains(&i)),
    )
    .await;
    check(
        AuditQuery {
            actor: Some("62811".into()),
            command: Some("addpppoe".into()),
            outcome: Some(Outcome::Ok),
            since: Some(t0() + Duration::seconds(1)),
            ..AuditQuery::default()
        },
        newest_first(&|i| i % 2 == 0 && i % 3 == 0 && i % 5 != 0),
    )
    .await;
    check(AuditQuery::new().username("nobody"), vec![]).await;
}

#[tokio::test]
async fn queries_page() {
    let t = populated().await;
    let mut seen = Vec::new();
    for page in 0.. {
        let rows = t
            .store
            .query(&AuditQuery::new().limit(7).offset(page * 7))
            .await
            .unwrap();
        if rows.is_empty() {
            break;
        }
        assert!(rows.len() == 7 || page == 4, "page {page}: {}", rows.len());
        seen.extend(rows.into_iter().map(|r| r.seq));
    }
    assert_eq!(seen, (1..=30).rev().collect::<Vec<i64>>());

    // Keyset pages, oldest first, for exports.
    let mut exported = Vec::new();
    let mut after = 0;
    loop {
        let rows = t.store.rows_after(after, 8).await.unwrap();
        let Some(last) = rows.last() else { break };
        after = last.seq;
        if exported.len() == 8 {
            // Appends meanwhile neither shift nor repeat a page.
            t.store.append(event("late")).await.unwrap();
        }
        exported.extend(rows.iter().map(|r| r.seq));
    }
    assert_eq!(exported, (1..=31).collect::<Vec<i64>>());

    let denied_page_2 = t
        .store
        .query(
            &AuditQuery::new()
                .outcome(Outcome::Denied)
                .limit(2)
                .offset(2),
        )
        .await
        .unwrap();
    assert_eq!(ids(&denied_page_2), ["m15", "m10"]);
    // Paging ignores limit and offset in the total.
    assert_eq!(
        t.store
            .count_matching(&AuditQuery::new().limit(1).offset(5))
            .await
            .unwrap(),
        31
    );
}

// ---------------------------------------------------------------------------------------------
// Read-only

#[tokio::test]
async fn read_only_reads_and_never_creates_or_writes() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let error = AuditStore::open_read_only(&missing).await.unwrap_err();
    assert!(matches!(error, StoreError::NotFound { .. }), "{error:?}");
    assert!(error.to_string().contains("does not exist"), "{error}");
    assert!(!missing.exists());

    let t = TestStore::new().await;
    t.append_all([event("m1"), event("m2")]).await;

    // While the bot has it open...
    let reader = AuditStore::open_read_only(t.path()).await.unwrap();
    assert_eq!(reader.count().await.unwrap(), 2);
    assert!(reader.verify().await.unwrap().is_intact());
    assert!(matches!(
        reader.append(event("m3")).await,
        Err(StoreError::ReadOnly)
    ));
    reader.close().await;

    // ...and after it closed it (WAL checkpointed, -wal and -shm removed).
    t.store.close().await;
    let reader = AuditStore::open_read_only(t.path()).await.unwrap();
    assert_eq!(
        ids(&reader.query(&AuditQuery::new()).await.unwrap()),
        ["m2", "m1"]
    );
    reader.close().await;

    // An SQLite file of something else.
    let other = dir.path().join("other.db");
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", other.display()))
        .await
        .unwrap();
    execute(&mut conn, "CREATE TABLE t (x)").await.unwrap();
    conn.close().await.unwrap();
    let error = AuditStore::open_read_only(&other).await.unwrap_err();
    assert!(
        matches!(error, StoreError::NotAnAuditLog { .. }),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_appends_make_one_chain() {
    let t = TestStore::new().await;
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..50 {
        let store = t.store.clone();
        tasks.spawn(async move {
            for n in 0..40 {
                store.append(event(&format!("t{task}-{n}"))).await.unwrap();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }

    assert_eq!(t.store.count().await.unwrap(), 2000);
    let report = t.store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows_checked, 2000);
    let rows = t.store.query(&AuditQuery::new()).await.unwrap();
    let distinct: HashSet<&str> = rows.iter().map(|r| r.event.message_id.as_str()).collect();
    assert_eq!(distinct.len(), 2000);
    assert_eq!(
        rows.iter().map(|r| r.seq).collect::<Vec<_>>(),
        (1..=2000).rev().collect::<Vec<i64>>()
    );
    // Each task's events are in the order it sent them.
    for task in 0..50 {
        let prefix = format!("t{task}-");
        let mine: Vec<&str> = rows
            .iter()
            .rev()
            .filter_map(|r| r.event.message_id.strip_prefix(&prefix))
            .collect();
        let want: Vec<String> = (0..40).map(|n| n.to_string()).collect();
        assert_eq!(mine, want);
    }
}

// ---------------------------------------------------------------------------------------------
// Crash

/// Kills the child when dropped, so a failing test leaves no process behind.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn acknowledged_events_survive_sigkill() {
    const ACKED: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.db");

    let mut acked = HashSet::new();
    for round in 0..2 {
        let mut child = KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_audit-append-loop"))
                .arg(&path)
                .arg(format!("r{round}"))
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        );
        let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
        let before = acked.len();
        while acked.len() < before + ACKED {
            let id = lines
                .next()
                .expect("the child stopped before acknowledging enough events")
                .unwrap();
            acked.insert(id);
        }
        // SIGKILL, in the middle of its appends.
        child.0.kill().unwrap();
        child.0.wait().unwrap();
    }

    let store = AuditStore::open(&path, StoreOptions::default())
        .await
        .unwrap();
    // Each round left at least its held claim without a row; the next start records every
    // such attempt as unknown, once.
    let interrupted = store.interrupted().await.unwrap();
    assert!(interrupted.len() >= 2, "{interrupted:?}");
    let engine = pppoe_core::Engine::new(
        pppoe_core::testing::FakeRouter::new(),
        store.clone(),
        pppoe_core::testing::ManualClock::new(t0()),
        pppoe_core::EngineConfig::default(),
    );
    assert_eq!(
        engine.recover_interrupted().await.unwrap(),
        interrupted.len()
    );
    assert_eq!(engine.recover_interrupted().await.unwrap(), 0);
    let mut raw = SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let (claims, one_row_each): (i64, i64) = sqlx::query_as(
        "SELECT count(*), sum((SELECT count(*) FROM audit_log a WHERE a.message_id = c.message_id) = 1) \
         FROM message_claims c",
    )
    .fetch_one(&mut raw)
    .await
    .unwrap();
    assert_eq!(claims, one_row_each, "every claim has exactly one row");
    let held: Vec<String> = sqlx::query_scalar(
        "SELECT message_id FROM audit_log WHERE outcome = 'unknown' AND message_id LIKE '%-held'",
    )
    .fetch_all(&mut raw)
    .await
    .unwrap();
    assert_eq!(held.len(), 2, "{held:?}");
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.claims_without_row.is_empty());
    let stored: HashSet<String> = store
        .query(&AuditQuery::new())
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.message_id)
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|id| !stored.contains(*id)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(stored.len() >= 2 * ACKED + 2);
    assert_eq!(report.rows_checked, stored.len() as u64);
}

// ---------------------------------------------------------------------------------------------
// The auditor's Python script (docs/auditor.md) agrees with verify

fn auditor_script() -> String {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/auditor.md"
    ))
    .unwrap();
    let start = doc
        .find("```python\n")
        .expect("docs/auditor.md has a python block")
        + 10;
    let len = doc[start..].find("```").unwrap();
    doc[start..start + len].to_owned()
}

fn run_python(script: &str, db: &Path) -> Option<(bool, String)> {
    let out = match Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(db)
        .output()
    {
        Ok(out) => out,
        Err(error) => {
            eprintln!("skipped: python3 is not available ({error})");
            return None;
        }
    };
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    Some((out.status.success(), text))
}

#[tokio::test]
async fn the_documented_python_script_recomputes_the_chain() {
    let t = TestStore::new().await;
    t.append_all([
        AuditEvent {
            actor_lid: Some("1@lid".into()),
            reason: Some("pelanggan berhenti — ganti ISP".into()),
            command: "delpppoe".into(),
            ..event("m1")
        },
        AuditEvent {
            role: None,
            target: None,
            router: None,
            error: Some("ditolak".into()),
            outcome: Outcome::Denied,
            ..event("m2")
        },
        event("m3"),
    ])
    .await;
    t.store.flush().await;
    let script = auditor_script();
    let Some((ok, text)) = run_python(&script, &t.path()) else {
        return;
    };
    assert!(ok, "{text}");
    assert!(text.contains("chain intact: 3 rows"), "{text}");

    let mut raw = t.raw().await;
    execute(&mut raw, "DROP TRIGGER audit_log_no_update")
        .await
        .unwrap();
    execute(
        &mut raw,
        "UPDATE audit_log SET duration_ms = 13 WHERE seq = 2",
    )
    .await
    .unwrap();
    let (ok, text) = run_python(&script, &t.path()).unwrap();
    assert!(!ok, "{text}");
    assert!(text.contains("row 2"), "{text}");
}

#[tokio::test]
async fn claims_are_first_come_durable_and_outside_the_chain() {
    let t = TestStore::new().await;
    assert!(t.store.claim(&event("m1")).await.unwrap(), "a new claim");
    assert!(
        !t.store.claim(&event("m1")).await.unwrap(),
        "claimed before"
    );
    assert!(
        !t.store.is_handled("m1").await.unwrap(),
        "a claim is no audit row"
    );
    t.append_all([event("m1")]).await;
    t.store.close().await;

    let again = AuditStore::open(t.path(), StoreOptions::default())
        .await
        .unwrap();
    assert!(
        !again.claim(&event("m1")).await.unwrap(),
        "claims survive a restart"
    );
    assert!(again.claim(&event("m2")).await.unwrap());
    let report = again.verify().await.unwrap();
    assert!(report.is_intact());
    assert_eq!(again.count().await.unwrap(), 1);
    again.close().await;
    let read_only = AuditStore::open_read_only(t.path()).await.unwrap();
    assert!(matches!(
        read_only.claim(&event("m3")).await,
        Err(StoreError::ReadOnly)
    ));
}

#[tokio::test]
async fn a_claim_keeps_the_attempt_and_verify_reports_claims_without_a_row() {
    let t = TestStore::new().await;
    let mut delete = event("m1");
    delete.command = "delpppoe".into();
    delete.arguments = "john123 pindah".into();
    delete.reason = Some("pindah".into());
    assert!(t.store.claim(&delete).await.unwrap());
    assert!(t.store.claim(&event("m2")).await.unwrap());
    t.append_all([event("m2")]).await;

    // m1 was interrupted: its claim has no row, and says who did what.
    let interrupted = t.store.interrupted().await.unwrap();
    assert_eq!(interrupted.len(), 1);
    let claimed = &interrupted[0];
    assert_eq!(claimed.message_id, "m1");
    assert_eq!(claimed.at, t0());
    assert_eq!(claimed.actor_phone, "6281234567890");
    assert_eq!(claimed.role, Some(Role::Technician));
    assert_eq!(claimed.command, "delpppoe");
    assert_eq!(claimed.target.as_deref(), Some("john123"));
    assert_eq!(claimed.router.as_deref(), Some("core-1"));
    assert_eq!(claimed.arguments, "john123 pindah");
    assert_eq!(claimed.reason.as_deref(), Some("pindah"));
    assert_eq!(claimed.outcome, Outcome::Unknown);
    t.store.close().await;

    let auditor = AuditStore::open_read_only(t.path()).await.unwrap();
    let report = auditor.verify().await.unwrap();
    assert!(
        report.is_intact(),
        "a claim without a row is no broken chain"
    );
    assert_eq!(report.claims_without_row, vec![("m1".to_owned(), t0())]);
    auditor.close().await;

    // Recorded as unknown at the next start: no claim is left without a row.
    let again = AuditStore::open(t.path(), StoreOptions::default())
        .await
        .unwrap();
    let mut row = again.interrupted().await.unwrap().remove(0);
    row.error = Some("interrupted by a stop; effect not confirmed".into());
    again.append(row).await.unwrap();
    let report = again.verify().await.unwrap();
    assert!(report.is_intact());
    assert!(report.claims_without_row.is_empty());
    let rows = again.query(&AuditQuery::new()).await.unwrap();
    assert_eq!(rows[0].event.outcome, Outcome::Unknown);
}

#[tokio::test]
async fn outcome_unknown_is_stored_and_filtered() {
    let t = TestStore::new().await;
    let mut unknown = event("u1");
    unknown.outcome = Outcome::Unknown;
    unknown.error = Some("the result of the change is unknown".into());
    t.append_all([event("a"), unknown, event("b")]).await;
    let rows = t
        .store
        .query(&AuditQuery {
            outcome: Some(Outcome::Unknown),
            ..AuditQuery::new()
        })
        .await
        .unwrap();
    assert_eq!(ids(&rows), ["u1"]);
    assert!(t.store.verify().await.unwrap().is_intact());
    // The constraint still refuses outcomes nobody knows.
    let mut raw = t.raw().await;
    let bad = execute(
        &mut raw,
        "INSERT INTO audit_log SELECT 4, at, actor_phone, actor_lid, role, command, target, \
         router, arguments, 'maybe', error, reason, duration_ms, 'x', prev_hash, hash \
         FROM audit_log WHERE seq = 3",
    )
    .await;
    assert!(bad.is_err());
}

// ---------------------------------------------------------------------------------------------
// Tickets (pppoe_core::ticket::TicketStore over the same database)

mod tickets {
    use super::*;

    use audit_store::sealing_file::{SealingState, sealing_path};
    use pppoe_core::ticket::{
        Actor, NewTicket, Ticket, TicketAction, TicketError, TicketEvent, TicketEventKind,
        TicketFilter, TicketId, TicketState, TicketStore, TicketUpdate,
    };

    const REPORTER: &str = "6289999999999";
    const TECH: &str = "6281111111111";
    const OTHER: &str = "6282222222222";

    fn id(n: u32) -> TicketId {
        TicketId::new(n).unwrap()
    }

    fn minute(m: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(m)
    }

    fn new_ticket(username: Option<&str>, message_id: &str) -> NewTicket {
        NewTicket {
            username: username.map(Into::into),
            complaint: "internet mati sejak pagi".into(),
            reporter: REPORTER.into(),
            at: minute(0),
            message_id: message_id.into(),
        }
    }

    fn tech(phone: &str) -> Actor<'_> {
        Actor {
            phone,
            role: Role::Technician,
        }
    }

    fn admin() -> Actor<'static> {
        Actor {
            phone: REPORTER,
            role: Role::Admin,
        }
    }

    /// `action` on `ticket` as the engine does it: the state machine, then the write.
    fn change(
        ticket: &Ticket,
        action: TicketAction,
        actor: Actor<'_>,
        at: DateTime<Utc>,
        message_id: &str,
    ) -> TicketUpdate {
        let (ticket, event) = ticket.apply(&action, actor, at).unwrap();
        TicketUpdate {
            ticket,
            event: TicketEvent {
                message_id: Some(message_id.into()),
                ..event
            },
        }
    }

    async fn open_n(store: &AuditStore, n: u32) -> Vec<Ticket> {
        let mut opened = Vec::new();
        for i in 1..=n {
            let user = format!("user{i}");
            opened.push(
                store
                    .open(new_ticket(Some(&user), &format!("open-{i}")))
                    .await
                    .unwrap(),
            );
        }
        opened
    }

    fn numbers(tickets: &[Ticket]) -> Vec<u32> {
        tickets.iter().map(|t| t.id.number()).collect()
    }

    async fn scalar(raw: &mut SqliteConnection, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(raw).await.unwrap()
    }

    #[tokio::test]
    async fn a_ticket_opens_as_the_next_number_with_its_opened_event() {
        let t = TestStore::new().await;
        let first = t
            .store
            .open(new_ticket(Some("budi01"), "m-open-1"))
            .await
            .unwrap();
        assert_eq!(
            first,
            Ticket {
                id: id(1),
                state: TicketState::Open,
                username: Some("budi01".into()),
                complaint: "internet mati sejak pagi".into(),
                reporter: REPORTER.into(),
                assignee: None,
                opened_at: minute(0),
                taken_at: None,
                resolved_at: None,
                closed_at: None,
                installed_at: None,
                version: 0,
            }
        );
        assert_eq!(first.id.to_string(), "TR001");
        let second = t.store.open(new_ticket(None, "m-open-2")).await.unwrap();
        assert_eq!(second.id.to_string(), "TR002");
        assert_eq!(second.username, None);

        let (got, events) = t.store.get(id(1)).await.unwrap().unwrap();
        assert_eq!(got, first);
        assert_eq!(
            events,
            [TicketEvent {
                at: minute(0),
                actor: Some(REPORTER.into()),
                kind: TicketEventKind::Opened,
                text: None,
                message_id: Some("m-open-1".into()),
            }]
        );
        assert_eq!(t.store.get(id(3)).await.unwrap(), None);
        // Tickets are no audit rows: the chain is untouched.
        assert_eq!(t.store.count().await.unwrap(), 0);
    }

    /// Numbers are assigned in the writer's order: concurrent opens get 1..=n, none twice, and
    /// each its own `opened` event.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_opens_get_distinct_numbers_in_order() {
        let t = TestStore::new().await;
        let mut tasks = tokio::task::JoinSet::new();
        for task in 0..8 {
            let store = t.store.clone();
            tasks.spawn(async move {
                let mut mine = Vec::new();
                for n in 0..5 {
                    let opened = store
                        .open(new_ticket(None, &format!("t{task}-{n}")))
                        .await
                        .unwrap();
                    mine.push(opened.id.number());
                }
                mine
            });
        }
        let mut all = Vec::new();
        while let Some(mine) = tasks.join_next().await {
            let mine = mine.unwrap();
            assert!(mine.windows(2).all(|w| w[0] < w[1]), "{mine:?}");
            all.extend(mine);
        }
        all.sort_unstable();
        assert_eq!(all, (1..=40).collect::<Vec<u32>>());
        let mut raw = t.raw().await;
        assert_eq!(
            scalar(
                &mut raw,
                "SELECT count(*) FROM ticket_events WHERE kind = 'opened'"
            )
            .await,
            40
        );
    }

    /// Past TR999 the numbers go on: TR1000, TR1001.
    #[tokio::test]
    async fn numbers_go_on_past_999() {
        let t = TestStore::new().await;
        // 998 tickets written as earlier runs of the bot would have (in one transaction, for
        // speed), then the store's own numbering.
        let mut raw = t.raw().await;
        let mut tx = raw.begin().await.unwrap();
        for n in 1..=998 {
            sqlx::query(
                "INSERT INTO tickets (number, state, complaint, reporter, opened_at, version) \
                 VALUES (?, 'open', 'x', '6281', '2024-12-15T09:30:25.000Z', 0)",
            )
            .bind(n)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        let ids: Vec<String> = [
            t.store.open(new_ticket(None, "a")).await.unwrap(),
            t.store.open(new_ticket(None, "b")).await.unwrap(),
            t.store.open(new_ticket(None, "c")).await.unwrap(),
        ]
        .iter()
        .map(|t| t.id.to_string())
        .collect();
        assert_eq!(ids, ["TR999", "TR1000", "TR1001"]);
        let (ticket, _) = t
            .store
            .get("tr1000".parse().unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(ticket.id.number(), 1000);
        let page = t.store.list(&TicketFilter::All, 101, 10).await.unwrap();
        assert_eq!(page.total, 1001);
        assert_eq!(numbers(&page.items), [1001]);
    }

    #[tokio::test]
    async fn listings_filter_and_page_oldest_first() {
        let t = TestStore::new().await;
        let opened = open_n(&t.store, 6).await;
        // TR001 taken by TECH, TR002 given to OTHER, TR003 resolved by TECH, TR004 closed,
        // TR005 and TR006 open; TR001 installed as "budi", TR006 as "Budi".
        let mut at = 1;
        let mut step = |ticket: &Ticket, action: TicketAction, actor: Actor<'_>| {
            at += 1;
            change(ticket, action, actor, minute(at), &format!("step-{at}"))
        };
        let s = &t.store;
        let tr1 = s
            .update(step(&opened[0], TicketAction::Take, tech(TECH)))
            .await
            .unwrap();
        let tr1 = s
            .update(step(&tr1, TicketAction::Install("budi".into()), tech(TECH)))
            .await
            .unwrap();
        s.update(step(
            &opened[1],
            TicketAction::Assign(OTHER.into()),
            admin(),
        ))
        .await
        .unwrap();
        let tr3 = s
            .update(step(&opened[2], TicketAction::Take, tech(TECH)))
            .await
            .unwrap();
        s.update(step(
            &tr3,
            TicketAction::Resolve("ONU diganti".into()),
            tech(TECH),
        ))
        .await
        .unwrap();
        let tr4 = s
            .update(step(&opened[3], TicketAction::Take, tech(TECH)))
            .await
            .unwrap();
        let tr4 = s
            .update(step(&tr4, TicketAction::Resolve("ok".into()), tech(TECH)))
            .await
            .unwrap();
        s.update(step(&tr4, TicketAction::Close, admin()))
            .await
            .unwrap();
        s.update(step(
            &opened[5],
            TicketAction::Install("Budi".into()),
            admin(),
        ))
        .await
        .unwrap();
        assert_eq!(
            (
                tr1.assignee.as_deref(),
                tr1.username.as_deref(),
                tr1.version
            ),
            (Some(TECH), Some("budi"), 2)
        );

        let list = |filter: TicketFilter, page: u32, size: u32| async move {
            let page = s.list(&filter, page, size).await.unwrap();
            (numbers(&page.items), page.total)
        };
        assert_eq!(
            list(TicketFilter::Active, 1, 10).await,
            (vec![1, 2, 5, 6], 4)
        );
        assert_eq!(
            list(TicketFilter::AssignedTo(TECH.into()), 1, 10).await,
            (vec![1], 1),
            "resolved and closed tickets are no work of TECH's"
        );
        assert_eq!(
            list(TicketFilter::AssignedTo(OTHER.into()), 1, 10).await,
            (vec![2], 1)
        );
        assert_eq!(
            list(TicketFilter::Subscriber("BUDI".into()), 1, 10).await,
            (vec![1, 6], 2),
            "any case"
        );
        assert_eq!(
            list(TicketFilter::Subscriber("user3".into()), 1, 10).await,
            (vec![3], 1),
            "any state"
        );
        assert_eq!(
            list(TicketFilter::Subscriber("nobody".into()), 1, 10).await,
            (vec![], 0)
        );
        assert_eq!(
            list(TicketFilter::All, 1, 10).await,
            (vec![1, 2, 3, 4, 5, 6], 6)
        );
        // Pages.
        assert_eq!(list(TicketFilter::All, 1, 4).await, (vec![1, 2, 3, 4], 6));
        assert_eq!(list(TicketFilter::All, 2, 4).await, (vec![5, 6], 6));
        assert_eq!(list(TicketFilter::All, 3, 4).await, (vec![], 6));
        assert_eq!(list(TicketFilter::Active, 2, 3).await, (vec![6], 4));
        assert_eq!(
            list(TicketFilter::All, 0, 2).await,
            (vec![1, 2], 6),
            "page 0 is 1"
        );

        // The history of TR004, oldest first.
        let (tr4, events) = s.get(id(4)).await.unwrap().unwrap();
        assert_eq!((tr4.state, tr4.version), (TicketState::Closed, 3));
        let kinds: Vec<_> = events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            [
                TicketEventKind::Opened,
                TicketEventKind::Taken,
                TicketEventKind::Resolved,
                TicketEventKind::Closed
            ]
        );
        assert_eq!(events[2].text.as_deref(), Some("ok"));
        assert_eq!(events[3].actor.as_deref(), Some(REPORTER));
        let (_, events) = s.get(id(2)).await.unwrap().unwrap();
        assert_eq!(events[1].kind, TicketEventKind::Assigned(OTHER.into()));
        let (tr6, events) = s.get(id(6)).await.unwrap().unwrap();
        assert_eq!(tr6.installed_at, Some(minute(at)));
        assert_eq!(events[1].kind, TicketEventKind::Installed("Budi".into()));
    }

    /// Two technicians take one ticket at once: the second write, made from the same read,
    /// finds the version moved on and writes nothing.
    #[tokio::test]
    async fn an_update_from_a_stale_read_is_a_conflict_and_writes_nothing() {
        let t = TestStore::new().await;
        let read = t.store.open(new_ticket(None, "m-open")).await.unwrap();
        let mine = change(&read, TicketAction::Take, tech(TECH), minute(1), "m-take-1");
        let theirs = change(
            &read,
            TicketAction::Take,
            tech(OTHER),
            minute(1),
            "m-take-2",
        );
        let taken = t.store.update(mine).await.unwrap();
        assert_eq!(
            (taken.state, taken.assignee.as_deref(), taken.version),
            (TicketState::InProgress, Some(TECH), 1)
        );
        assert_eq!(taken.taken_at, Some(minute(1)));
        assert_eq!(
            t.store.update(theirs).await,
            Err(TicketError::Conflict(id(1)))
        );
        let (stored, events) = t.store.get(id(1)).await.unwrap().unwrap();
        assert_eq!(stored, taken);
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].actor.as_deref(), Some(TECH));
        assert_eq!(events[1].message_id.as_deref(), Some("m-take-1"));

        // A write from the fresh read goes through, onto version 2.
        let noted = t
            .store
            .update(change(
                &stored,
                TicketAction::Note("kabel putus".into()),
                tech(OTHER),
                minute(2),
                "m-note",
            ))
            .await
            .unwrap();
        assert_eq!((noted.state, noted.version), (TicketState::InProgress, 2));

        // No such ticket.
        let mut ghost = change(
            &noted,
            TicketAction::Note("x".into()),
            tech(TECH),
            minute(3),
            "g",
        );
        ghost.ticket.id = id(42);
        assert_eq!(
            t.store.update(ghost).await,
            Err(TicketError::NotFound(id(42)))
        );
        // A message id already used by an event: refused, nothing written.
        let again = change(
            &noted,
            TicketAction::Note("dua kali".into()),
            tech(TECH),
            minute(3),
            "m-note",
        );
        assert_eq!(
            t.store.update(again).await,
            Err(TicketError::Store(
                "message m-note is already recorded in a ticket's history".into()
            ))
        );
        let (stored, events) = t.store.get(id(1)).await.unwrap().unwrap();
        assert_eq!((stored.version, events.len()), (2, 3));
    }

    #[tokio::test]
    async fn resolved_before_lists_resolved_tickets_up_to_the_cutoff() {
        let t = TestStore::new().await;
        let opened = open_n(&t.store, 4).await;
        for (k, ticket) in opened.iter().enumerate().take(3) {
            let m = i64::try_from(k).unwrap() * 10;
            let taken = t
                .store
                .update(change(
                    ticket,
                    TicketAction::Take,
                    tech(TECH),
                    minute(m),
                    &format!("t{k}"),
                ))
                .await
                .unwrap();
            let resolved = t
                .store
                .update(change(
                    &taken,
                    TicketAction::Resolve("ok".into()),
                    tech(TECH),
                    minute(m + 1),
                    &format!("r{k}"),
                ))
                .await
                .unwrap();
            if k == 0 {
                t.store
                    .update(change(
                        &resolved,
                        TicketAction::Close,
                        admin(),
                        minute(2),
                        "c0",
                    ))
                    .await
                    .unwrap();
            }
        }
        // TR001 closed, TR002 resolved at minute 11, TR003 at minute 21, TR004 open.
        let s = &t.store;
        let due = |cutoff| async move { numbers(&s.resolved_before(cutoff).await.unwrap()) };
        assert_eq!(due(minute(10)).await, Vec::<u32>::new());
        assert_eq!(due(minute(11)).await, [2], "at the cutoff counts");
        assert_eq!(due(minute(30)).await, [2, 3]);
    }

    /// The database itself refuses what the engine never does, also to a connection that
    /// bypasses the store.
    #[tokio::test]
    async fn the_database_refuses_rewriting_history_and_impossible_moves() {
        let t = TestStore::new().await;
        let opened = t.store.open(new_ticket(Some("budi"), "m1")).await.unwrap();
        let taken = t
            .store
            .update(change(
                &opened,
                TicketAction::Take,
                tech(TECH),
                minute(1),
                "m2",
            ))
            .await
            .unwrap();
        t.store.open(new_ticket(None, "m3")).await.unwrap();
        let mut raw = t.raw().await;
        for (sql, refusal) in [
            (
                "DELETE FROM ticket_events WHERE id = 1",
                "ticket_events is append-only",
            ),
            ("DELETE FROM ticket_events", "ticket_events is append-only"),
            (
                "UPDATE ticket_events SET actor = '6280000000000' WHERE id = 2",
                "ticket_events is append-only",
            ),
            (
                "INSERT OR REPLACE INTO ticket_events SELECT * FROM ticket_events WHERE id = 1",
                "ticket_events is append-only",
            ),
            (
                "INSERT INTO ticket_events (id, ticket, at, kind, message_id) \
                 VALUES (9, 1, '2024-12-15T09:30:25.000Z', 'note', NULL)",
                "ticket_events is append-only",
            ),
            (
                "DELETE FROM tickets WHERE number = 2",
                "tickets are never deleted",
            ),
            (
                "INSERT OR REPLACE INTO tickets SELECT * FROM tickets WHERE number = 1",
                "tickets are opened in number order",
            ),
            (
                // in_progress -> open is only a reopen of a finished ticket.
                "UPDATE tickets SET state = 'open', version = version + 1 WHERE number = 1",
                "not a move of the ticket state machine",
            ),
            (
                "UPDATE tickets SET state = 'closed', version = version + 1 WHERE number = 1",
                "not a move of the ticket state machine",
            ),
            (
                "UPDATE tickets SET state = 'resolved', version = version + 1 WHERE number = 2",
                "not a move of the ticket state machine",
            ),
            (
                "UPDATE tickets SET assignee = '6280000000000' WHERE number = 1",
                "raise its version by one",
            ),
            (
                "UPDATE tickets SET state = 'resolved', version = version + 2 WHERE number = 1",
                "raise its version by one",
            ),
            (
                "UPDATE tickets SET number = 7, version = version + 1 WHERE number = 1",
                "keep its number",
            ),
        ] {
            let error = execute(&mut raw, sql).await.unwrap_err();
            assert!(error.to_string().contains(refusal), "{sql}: {error}");
        }
        // Nothing changed.
        let (stored, events) = t.store.get(id(1)).await.unwrap().unwrap();
        assert_eq!((stored, events.len()), (taken, 2));
        assert_eq!(
            scalar(&mut raw, "SELECT count(*) FROM ticket_events").await,
            3
        );
        // The moves of the state machine are accepted.
        for sql in [
            "UPDATE tickets SET state = 'in_progress', version = version + 1 WHERE number = 2",
            "UPDATE tickets SET state = 'in_progress', version = version + 1 WHERE number = 2",
            "UPDATE tickets SET state = 'resolved', version = version + 1 WHERE number = 2",
            "UPDATE tickets SET state = 'open', version = version + 1 WHERE number = 2",
        ] {
            assert_eq!(execute(&mut raw, sql).await.unwrap(), 1, "{sql}");
        }
    }

    /// The bot restarted: its tickets, their history and the numbering are where they were.
    #[tokio::test]
    async fn a_reopened_store_keeps_its_tickets() {
        let t = TestStore::new().await;
        let opened = open_n(&t.store, 2).await;
        let taken = t
            .store
            .update(change(
                &opened[1],
                TicketAction::Take,
                tech(TECH),
                minute(1),
                "take",
            ))
            .await
            .unwrap();
        let before = t.store.get(id(2)).await.unwrap().unwrap();
        t.store.close().await;

        let store = AuditStore::open(t.path(), StoreOptions::default())
            .await
            .unwrap();
        assert_eq!(store.get(id(2)).await.unwrap(), Some(before));
        assert_eq!(store.get(id(1)).await.unwrap().unwrap().0, opened[0]);
        let third = store.open(new_ticket(None, "after-restart")).await.unwrap();
        assert_eq!(third.id, id(3));
        // A write from a read made before the restart is still checked against the version.
        assert_eq!(
            store
                .update(change(
                    &opened[1],
                    TicketAction::Take,
                    tech(OTHER),
                    minute(2),
                    "late"
                ))
                .await,
            Err(TicketError::Conflict(id(2)))
        );
        assert_eq!(
            store.list(&TicketFilter::All, 1, 10).await.unwrap().total,
            3
        );
        assert_eq!(taken.version, 1);
        store.close().await;
    }

    #[tokio::test]
    async fn a_read_only_store_reads_tickets_and_refuses_writes() {
        let t = TestStore::new().await;
        let opened = t.store.open(new_ticket(Some("budi"), "m1")).await.unwrap();
        let reader = AuditStore::open_read_only(t.path()).await.unwrap();
        assert_eq!(reader.get(id(1)).await.unwrap().unwrap().0, opened);
        assert_eq!(
            reader.open(new_ticket(None, "m2")).await,
            Err(TicketError::Store("read-only".into()))
        );
        assert_eq!(
            reader
                .update(change(
                    &opened,
                    TicketAction::Take,
                    tech(TECH),
                    minute(1),
                    "m3"
                ))
                .await,
            Err(TicketError::Store("read-only".into()))
        );
        reader.close().await;
        // A closed store says so.
        t.store.close().await;
        let closed = t.store.open(new_ticket(None, "m4")).await.unwrap_err();
        assert!(closed.to_string().contains("closed"), "{closed}");
    }

    /// Ticket writes share the writer and the file with a sealed log, and leave its chain, its
    /// MACs, its seals and its start check intact.
    #[tokio::test]
    async fn ticket_writes_leave_a_sealed_log_intact() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("audit.db");
        let setup = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
        let vk = SealingState::setup(&sealing_path(&db), setup.timestamp(), 60, false).unwrap();
        let options = || StoreOptions::default().sealing(sealing_path(&db));
        let store = AuditStore::open(&db, options()).await.unwrap();
        let mut ticket = None;
        for i in 0..6_i64 {
            let at = setup + Duration::seconds(i * 30 + 5);
            store
                .append(AuditEvent {
                    at,
                    ..event(&format!("a{i}"))
                })
                .await
                .unwrap();
            ticket = Some(match ticket {
                None => store
                    .open(NewTicket {
                        at,
                        ..new_ticket(Some("budi"), "lapor")
                    })
                    .await
                    .unwrap(),
                Some(t) => store
                    .update(change(
                        &t,
                        TicketAction::Note(format!("catatan {i}")),
                        tech(TECH),
                        at,
                        &format!("n{i}"),
                    ))
                    .await
                    .unwrap(),
            });
        }
        let now = setup + Duration::seconds(3 * 60 + 10);
        store.seal(now).await.unwrap();
        assert!(store.verify().await.unwrap().is_intact());
        let report = store.verify_sealed(&vk, now).await.unwrap();
        assert!(report.is_intact(), "{report}");
        assert_eq!(report.last_seq, 6);
        store.close().await;

        // The start check of the sealed log passes, and tickets go on.
        let store = AuditStore::open(&db, options()).await.unwrap();
        let (t, events) = store.get(id(1)).await.unwrap().unwrap();
        assert_eq!((t.version, events.len()), (5, 6));
        store
            .update(change(&t, TicketAction::Take, tech(TECH), now, "take"))
            .await
            .unwrap();
        store
            .append(AuditEvent {
                at: now,
                ..event("a6")
            })
            .await
            .unwrap();
        let report = store.verify_sealed(&vk, now).await.unwrap();
        assert!(report.is_intact(), "{report}");
        store.close().await;
    }

    /// The SQL that finds each resolution's report and take agrees with pppoe-core's rule on
    /// the same history, across a reopen; only resolutions from `since` on count.
    #[tokio::test]
    async fn resolutions_by_sql_follow_the_same_rule_as_the_core() {
        let t = TestStore::new().await;
        let store = &t.store;
        let opened = open_n(store, 2).await;
        let mut first = opened[0].clone();
        let steps: Vec<(TicketAction, Actor<'_>, i64)> = vec![
            (TicketAction::Take, tech(TECH), 10),
            (TicketAction::Resolve("a".into()), tech(TECH), 40),
            (TicketAction::Reopen("b".into()), admin(), 50),
            (TicketAction::Assign(OTHER.into()), admin(), 55),
            (TicketAction::Resolve("c".into()), tech(OTHER), 95),
        ];
        for (i, (action, actor, m)) in steps.into_iter().enumerate() {
            first = store
                .update(change(&first, action, actor, minute(m), &format!("s{i}")))
                .await
                .unwrap();
        }
        // The second ticket is resolved without being taken by its resolver's own command.
        let second = store
            .update(change(
                &opened[1],
                TicketAction::Take,
                tech(TECH),
                minute(20),
                "t1",
            ))
            .await
            .unwrap();
        store
            .update(change(
                &second,
                TicketAction::Resolve("d".into()),
                admin(),
                minute(30),
                "t2",
            ))
            .await
            .unwrap();

        let by_sql = store.resolutions(minute(0)).await.unwrap();
        let mut by_rule = Vec::new();
        for n in [1, 2] {
            let (_, events) = store.get(id(n)).await.unwrap().unwrap();
            let evidence = store
                .evidence(&pppoe_core::ticket::EvidenceOf::Ticket(id(n)))
                .await
                .unwrap();
            by_rule.extend(pppoe_core::ticket::resolutions_in(
                id(n),
                &events,
                &evidence,
                minute(0),
            ));
        }
        by_rule.sort_by_key(|r| r.resolved_at);
        assert_eq!(by_sql, by_rule);
        let shown: Vec<_> = by_sql
            .iter()
            .map(|r| {
                (
                    r.ticket.number(),
                    r.resolver.as_deref(),
                    (r.reported_at - minute(0)).num_minutes(),
                    r.taken_at.map(|t| (t - minute(0)).num_minutes()),
                    (r.resolved_at - minute(0)).num_minutes(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (2, Some(REPORTER), 0, Some(20), 30),
                (1, Some(TECH), 0, Some(10), 40),
                (1, Some(OTHER), 50, Some(55), 95),
            ]
        );
        // From minute 41 on, only the second resolution of the first ticket.
        let later = store.resolutions(minute(41)).await.unwrap();
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].resolver.as_deref(), Some(OTHER));
    }

    #[tokio::test]
    async fn activity_counts_ok_attempts_by_actor_and_command_from_a_time_on() {
        let t = TestStore::new().await;
        let mut events = Vec::new();
        for (i, (actor, command, outcome, m)) in [
            ("a", "addpppoe", Outcome::Ok, 0),
            ("a", "addpppoe", Outcome::Ok, 5),
            ("a", "addpppoe", Outcome::Failed, 6),
            ("a", "delpppoe", Outcome::Ok, 7),
            ("b", "editpppoe", Outcome::Ok, 8),
            ("b", "editpppoe", Outcome::Ok, -60),
        ]
        .into_iter()
        .enumerate()
        {
            events.push(AuditEvent {
                at: minute(m),
                actor_phone: actor.into(),
                command: command.into(),
                outcome,
                ..event(&format!("m{i}"))
            });
        }
        t.append_all(events).await;
        let counts: Vec<(String, String, u64)> = t
            .store
            .activity(minute(0))
            .await
            .unwrap()
            .into_iter()
            .map(|c| (c.actor, c.command, c.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("a".to_owned(), "addpppoe".to_owned(), 2),
                ("a".to_owned(), "delpppoe".to_owned(), 1),
                ("b".to_owned(), "editpppoe".to_owned(), 1),
            ]
        );
    }

    #[tokio::test]
    async fn a_customers_number_is_kept_replaced_and_found_in_any_case() {
        let t = TestStore::new().await;
        assert_eq!(t.store.customer("budi01").await.unwrap(), None);
        t.store
            .set_customer("budi01", "6281277778888", minute(0))
            .await
            .unwrap();
        assert_eq!(
            t.store.customer("BUDI01").await.unwrap().as_deref(),
            Some("6281277778888")
        );
        t.store
            .set_customer("Budi01", "6281299990000", minute(1))
            .await
            .unwrap();
        assert_eq!(
            t.store.customer("budi01").await.unwrap().as_deref(),
            Some("6281299990000")
        );
        // Forgotten (the subscriber was deleted), then kept again.
        t.store.forget_customer("BUDI01").await.unwrap();
        assert_eq!(t.store.customer("budi01").await.unwrap(), None);
        t.store
            .set_customer("budi01", "6281299990000", minute(2))
            .await
            .unwrap();
        // Kept across a restart.
        t.store.close().await;
        let again = AuditStore::open(t.path(), StoreOptions::default())
            .await
            .unwrap();
        assert_eq!(
            again.customer("budi01").await.unwrap().as_deref(),
            Some("6281299990000")
        );
        assert!(again.verify().await.unwrap().is_intact());
        again.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Evidence (photos, documents, locations on a ticket or a subscriber)

mod evidence {
    use super::*;

    use pppoe_core::ports::Coordinates;
    use pppoe_core::ticket::{
        Evidence, EvidenceFile, EvidenceKind, EvidenceOf, NewEvidence, NewTicket, TicketError,
        TicketId, TicketStore,
    };
    use sha2::{Digest as _, Sha256};

    const TECH: &str = "6281111111111";
    const JPEG: &[u8] = b"\xff\xd8\xff\xe0 a photo of the ONU \xff\xd9";
    const PDF: &[u8] = b"%PDF-1.7 the installation form";

    fn minute(m: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(m)
    }

    fn tr(n: u32) -> EvidenceOf {
        EvidenceOf::Ticket(TicketId::new(n).unwrap())
    }

    fn sha256(bytes: &[u8]) -> String {
        hex::encode(Sha256::digest(bytes))
    }

    fn file(bytes: &[u8], mime: &str) -> (EvidenceFile, Vec<u8>) {
        (
            EvidenceFile {
                sha256: sha256(bytes),
                size: bytes.len() as u64,
                mime: mime.into(),
            },
            bytes.to_vec(),
        )
    }

    fn photo(of: EvidenceOf, bytes: &[u8], at: DateTime<Utc>, message_id: &str) -> NewEvidence {
        NewEvidence {
            at,
            actor: TECH.into(),
            of,
            kind: EvidenceKind::Photo,
            file: Some(file(bytes, "image/jpeg")),
            location: None,
            caption: Some("ONU diganti".into()),
            message_id: message_id.into(),
        }
    }

    fn location(of: EvidenceOf, at: DateTime<Utc>, message_id: &str) -> NewEvidence {
        NewEvidence {
            at,
            actor: TECH.into(),
            of,
            kind: EvidenceKind::Location,
            file: None,
            location: Some(Coordinates {
                lat_e7: -62_088_000,
                lon_e7: 1_068_456_000,
            }),
            caption: None,
            message_id: message_id.into(),
        }
    }

    /// A store keeping files in `<dir>/media` (not created yet), with ticket TR001.
    async fn with_media() -> (TestStore, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let media = dir.path().join("media");
        let store = AuditStore::open(
            dir.path().join("audit.db"),
            StoreOptions::default().media_dir(&media),
        )
        .await
        .unwrap();
        store
            .open(NewTicket {
                username: Some("budi01".into()),
                complaint: "internet mati".into(),
                reporter: TECH.into(),
                at: t0(),
                message_id: "open-1".into(),
            })
            .await
            .unwrap();
        (TestStore { dir, store }, media)
    }

    /// The names in `dir` (none when it does not exist), sorted.
    fn files_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = match std::fs::read_dir(dir) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => panic!("{e}"),
        };
        names.sort();
        names
    }

    async fn rows(raw: &mut SqliteConnection) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM evidence")
            .fetch_one(raw)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_photo_is_kept_under_its_hash_and_its_record_read_back() {
        let (t, media) = with_media().await;
        let new = photo(tr(1), JPEG, minute(1), "m-photo");
        let kept = t.store.add_evidence(new.clone()).await.unwrap();
        assert_eq!(kept, new.record());
        let name = format!("{}.jpg", sha256(JPEG));
        assert_eq!(files_in(&media), [name.as_str()]);
        let path = media.join(&name);
        assert_eq!(std::fs::read(&path).unwrap(), JPEG);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&path), 0o600);
            assert_eq!(mode(&media), 0o700);
        }
        assert_eq!(t.store.evidence(&tr(1)).await.unwrap(), [kept]);
        // A document is named by its own type.
        let pdf = NewEvidence {
            kind: EvidenceKind::Document,
            file: Some(file(PDF, "application/pdf")),
            ..photo(tr(1), PDF, minute(2), "m-pdf")
        };
        t.store.add_evidence(pdf).await.unwrap();
        assert!(media.join(format!("{}.pdf", sha256(PDF))).is_file());
        // Evidence is no audit row: the chain is untouched.
        assert_eq!(t.store.count().await.unwrap(), 0);
        assert!(t.store.verify().await.unwrap().is_intact());
    }

    #[tokio::test]
    async fn the_same_bytes_twice_keep_one_file_and_two_records() {
        let (t, media) = with_media().await;
        let first = photo(tr(1), JPEG, minute(1), "m1");
        let second = photo(
            EvidenceOf::Subscriber("budi01".into()),
            JPEG,
            minute(2),
            "m2",
        );
        t.store.add_evidence(first.clone()).await.unwrap();
        t.store.add_evidence(second.clone()).await.unwrap();
        assert_eq!(files_in(&media), [format!("{}.jpg", sha256(JPEG))]);
        assert_eq!(t.store.evidence(&tr(1)).await.unwrap(), [first.record()]);
        assert_eq!(
            t.store
                .evidence(&EvidenceOf::Subscriber("budi01".into()))
                .await
                .unwrap(),
            [second.record()]
        );
        // A message brings one piece of evidence: the same message again is refused, by name.
        let again = t
            .store
            .add_evidence(photo(tr(1), PDF, minute(3), "m1"))
            .await
            .unwrap_err();
        assert!(
            matches!(&again, TicketError::Store(text) if text.contains("m1")),
            "{again}"
        );
        assert_eq!(rows(&mut t.raw().await).await, 2);
    }

    #[tokio::test]
    async fn a_wrong_hash_or_size_is_refused_and_writes_nothing() {
        let (t, media) = with_media().await;
        let mut wrong_hash = photo(tr(1), JPEG, minute(1), "m1");
        if let Some((f, _)) = &mut wrong_hash.file {
            f.sha256 = sha256(PDF);
        }
        let mut wrong_size = photo(tr(1), JPEG, minute(1), "m2");
        if let Some((f, _)) = &mut wrong_size.file {
            f.size += 1;
        }
        let mut upper_case = photo(tr(1), JPEG, minute(1), "m3");
        if let Some((f, _)) = &mut upper_case.file {
            f.sha256 = f.sha256.to_uppercase();
        }
        for new in [wrong_hash, wrong_size, upper_case] {
            let refused = t.store.add_evidence(new.clone()).await.unwrap_err();
            assert!(matches!(refused, TicketError::Store(_)), "{refused}");
        }
        // Nor is a file kept for a ticket that does not exist.
        assert_eq!(
            t.store
                .add_evidence(photo(tr(9), JPEG, minute(1), "m4"))
                .await,
            Err(TicketError::NotFound(TicketId::new(9).unwrap()))
        );
        assert_eq!(files_in(&media), Vec::<String>::new());
        assert_eq!(rows(&mut t.raw().await).await, 0);
        assert_eq!(t.store.evidence(&tr(1)).await.unwrap(), []);
    }

    #[tokio::test]
    async fn a_location_needs_no_media_directory() {
        let t = TestStore::new().await;
        let new = location(EvidenceOf::Subscriber("Budi01".into()), minute(1), "m-loc");
        let kept = t.store.add_evidence(new.clone()).await.unwrap();
        assert_eq!(kept, new.record());
        assert_eq!(
            t.store
                .evidence(&EvidenceOf::Subscriber("budi01".into()))
                .await
                .unwrap(),
            [kept]
        );
        // A location with a file (or a photo without one) is refused before anything is kept.
        let both = NewEvidence {
            file: Some(file(JPEG, "image/jpeg")),
            ..location(EvidenceOf::Subscriber("budi01".into()), minute(2), "m-both")
        };
        assert!(matches!(
            t.store.add_evidence(both).await,
            Err(TicketError::Store(_))
        ));
        assert_eq!(rows(&mut t.raw().await).await, 1);
    }

    #[tokio::test]
    async fn without_a_media_directory_a_file_is_refused_clearly() {
        let t = TestStore::new().await;
        let refused = t
            .store
            .add_evidence(photo(
                EvidenceOf::Subscriber("budi01".into()),
                JPEG,
                minute(1),
                "m1",
            ))
            .await;
        assert_eq!(
            refused,
            Err(TicketError::Store(
                "no media directory is configured (paths.media)".into()
            ))
        );
        assert_eq!(rows(&mut t.raw().await).await, 0);
    }

    #[tokio::test]
    async fn evidence_is_found_by_ticket_and_by_subscriber_in_any_case_oldest_first() {
        let (t, _media) = with_media().await;
        let budi = |name: &str| EvidenceOf::Subscriber(name.into());
        // Recorded out of time order: read back by time, then in recorded order.
        let added = [
            location(tr(1), minute(5), "t-late"),
            photo(budi("Budi01"), JPEG, minute(3), "b-1"),
            photo(tr(1), JPEG, minute(1), "t-early"),
            location(budi("BUDI01"), minute(3), "b-2"),
            photo(budi("siti"), PDF, minute(0), "s-1"),
            location(tr(1), minute(5), "t-late-2"),
        ];
        for new in &added {
            t.store.add_evidence(new.clone()).await.unwrap();
        }
        let records: Vec<Evidence> = added.iter().map(NewEvidence::record).collect();
        assert_eq!(
            t.store.evidence(&tr(1)).await.unwrap(),
            [records[2].clone(), records[0].clone(), records[5].clone()]
        );
        for name in ["budi01", "BUDI01", "bUdI01"] {
            assert_eq!(
                t.store.evidence(&budi(name)).await.unwrap(),
                [records[1].clone(), records[3].clone()],
                "{name}"
            );
        }
        assert_eq!(t.store.evidence(&budi("siti")).await.unwrap().len(), 1);
        assert_eq!(t.store.evidence(&budi("nobody")).await.unwrap(), []);
        assert_eq!(t.store.evidence(&tr(2)).await.unwrap(), []);
        // A ticket's evidence is not its subscriber's.
        assert!(
            t.store
                .evidence(&budi("budi01"))
                .await
                .unwrap()
                .iter()
                .all(|e| e.of != tr(1))
        );
    }

    /// The database itself keeps the table append-only and its rows whole, also to a
    /// connection that bypasses the store.
    #[tokio::test]
    async fn the_database_refuses_changing_or_removing_evidence() {
        let (t, _media) = with_media().await;
        t.store
            .add_evidence(photo(tr(1), JPEG, minute(1), "m1"))
            .await
            .unwrap();
        t.store
            .add_evidence(location(tr(1), minute(2), "m2"))
            .await
            .unwrap();
        let mut raw = t.raw().await;
        let insert = |values: &str| {
            format!(
                "INSERT INTO evidence (id, at, actor, ticket, username, kind, sha256, size, mime, \
                 lat_e7, lon_e7, caption, message_id) VALUES ({values})"
            )
        };
        let hash = sha256(JPEG);
        for (sql, refusal) in [
            (
                "UPDATE evidence SET caption = 'edited' WHERE id = 1".to_owned(),
                "evidence is append-only",
            ),
            (
                "UPDATE evidence SET sha256 = NULL, size = NULL, mime = NULL".to_owned(),
                "evidence is append-only",
            ),
            (
                "DELETE FROM evidence WHERE id = 2".to_owned(),
                "evidence is append-only",
            ),
            ("DELETE FROM evidence".to_owned(), "evidence is append-only"),
            (
                "INSERT OR REPLACE INTO evidence SELECT * FROM evidence WHERE id = 1".to_owned(),
                "evidence is append-only",
            ),
            (
                // The next id, but a message id recorded already (would replace row 1).
                insert(&format!(
                    "3, '2024-12-15T09:40:25.000Z', '{TECH}', 1, NULL, 'photo', '{hash}', 1, \
                     'image/jpeg', NULL, NULL, NULL, 'm1'"
                )),
                "evidence is append-only",
            ),
            (
                insert(
                    "9, '2024-12-15T09:40:25.000Z', 'x', 1, NULL, 'location', NULL, NULL, NULL, \
                     1, 1, NULL, 'm9'",
                ),
                "evidence is append-only",
            ),
            (
                // About both a ticket and a subscriber.
                insert(
                    "3, '2024-12-15T09:40:25.000Z', 'x', 1, 'budi', 'location', NULL, NULL, \
                     NULL, 1, 1, NULL, 'm3'",
                ),
                "CHECK constraint failed",
            ),
            (
                // A location with a file.
                insert(&format!(
                    "3, '2024-12-15T09:40:25.000Z', 'x', 1, NULL, 'location', '{hash}', 1, \
                     'image/jpeg', 1, 1, NULL, 'm3'"
                )),
                "CHECK constraint failed",
            ),
            (
                // A photo without its file.
                insert(
                    "3, '2024-12-15T09:40:25.000Z', 'x', 1, NULL, 'photo', NULL, NULL, NULL, \
                     NULL, NULL, NULL, 'm3'",
                ),
                "CHECK constraint failed",
            ),
            (
                // A hash that is no lower-case hex SHA-256.
                insert(&format!(
                    "3, '2024-12-15T09:40:25.000Z', 'x', 1, NULL, 'photo', '{}', 1, \
                     'image/jpeg', NULL, NULL, NULL, 'm3'",
                    hash.to_uppercase()
                )),
                "CHECK constraint failed",
            ),
        ] {
            let error = execute(&mut raw, &sql).await.unwrap_err();
            assert!(error.to_string().contains(refusal), "{sql}: {error}");
        }
        assert_eq!(rows(&mut raw).await, 2);
        assert_eq!(t.store.evidence(&tr(1)).await.unwrap().len(), 2);
    }

    /// The bot restarted: its evidence and the files are where they were, and the ids go on.
    #[tokio::test]
    async fn a_reopened_store_keeps_its_evidence() {
        let (t, media) = with_media().await;
        let before = [
            photo(tr(1), JPEG, minute(1), "m1"),
            location(EvidenceOf::Subscriber("budi01".into()), minute(2), "m2"),
        ];
        for new in &before {
            t.store.add_evidence(new.clone()).await.unwrap();
        }
        t.store.close().await;

        let store = AuditStore::open(t.path(), StoreOptions::default().media_dir(&media))
            .await
            .unwrap();
        assert_eq!(store.evidence(&tr(1)).await.unwrap(), [before[0].record()]);
        assert_eq!(
            store
                .evidence(&EvidenceOf::Subscriber("BUDI01".into()))
                .await
                .unwrap(),
            [before[1].record()]
        );
        assert_eq!(
            std::fs::read(media.join(format!("{}.jpg", sha256(JPEG)))).unwrap(),
            JPEG
        );
        store
            .add_evidence(photo(tr(1), PDF, minute(3), "m3"))
            .await
            .unwrap();
        // A message recorded before the restart is still refused.
        assert!(
            store
                .add_evidence(location(tr(1), minute(4), "m2"))
                .await
                .is_err()
        );
        let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM evidence ORDER BY id")
            .fetch_all(&mut t.raw().await)
            .await
            .unwrap();
        assert_eq!(ids, [1, 2, 3]);
        // A read-only store reads evidence and keeps none.
        let reader = AuditStore::open_read_only(t.path()).await.unwrap();
        assert_eq!(reader.evidence(&tr(1)).await.unwrap().len(), 2);
        assert_eq!(
            reader.add_evidence(location(tr(1), minute(5), "m5")).await,
            Err(TicketError::Store("read-only".into()))
        );
        reader.close().await;
        store.close().await;
    }

    /// An installation resolved with a photo and a location counts as documented, by SQL as
    /// by pppoe-core's rule.
    #[tokio::test]
    async fn a_resolved_installation_with_photo_and_location_is_documented() {
        use pppoe_core::ticket::{
            Actor, EvidenceFile, EvidenceKind, EvidenceOf, NewEvidence, NewTicket, TicketAction,
            TicketEvent, TicketId, TicketStore, TicketUpdate,
        };
        let dir = tempfile::tempdir().unwrap();
        let store = AuditStore::open(
            dir.path().join("a.db"),
            StoreOptions::default().media_dir(dir.path().join("media")),
        )
        .await
        .unwrap();
        let at = |m: i64| t0() + Duration::minutes(m);
        let tech = Actor {
            phone: "6281111111111",
            role: Role::Technician,
        };
        let mut t = store
            .open(NewTicket {
                username: None,
                complaint: "pasang baru".into(),
                reporter: "6289999999999".into(),
                at: at(0),
                message_id: "o".into(),
            })
            .await
            .unwrap();
        for (i, action) in [TicketAction::Take, TicketAction::Install("budi01".into())]
            .into_iter()
            .enumerate()
        {
            let (next, event) = t.apply(&action, tech, at(1 + i as i64)).unwrap();
            t = store
                .update(TicketUpdate {
                    ticket: next,
                    event: TicketEvent {
                        message_id: Some(format!("s{i}")),
                        ..event
                    },
                })
                .await
                .unwrap();
        }
        let id = TicketId::new(1).unwrap();
        let bytes = b"jpeg".to_vec();
        let sha: String = {
            use sha2::{Digest, Sha256};
            Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        for (kind, m) in [(EvidenceKind::Photo, "p"), (EvidenceKind::Location, "l")] {
            store
                .add_evidence(NewEvidence {
                    at: at(5),
                    actor: tech.phone.into(),
                    of: EvidenceOf::Ticket(id),
                    kind,
                    file: (kind == EvidenceKind::Photo).then(|| {
                        (
                            EvidenceFile {
                                sha256: sha.clone(),
                                size: 4,
                                mime: "image/jpeg".into(),
                            },
                            bytes.clone(),
                        )
                    }),
                    location: (kind == EvidenceKind::Location)
                        .then(|| pppoe_core::ports::Coordinates::parse("-6.2,106.8").unwrap()),
                    caption: None,
                    message_id: m.into(),
                })
                .await
                .unwrap();
        }
        let (next, event) = t
            .apply(&TicketAction::Resolve("ok".into()), tech, at(9))
            .unwrap();
        store
            .update(TicketUpdate {
                ticket: next,
                event: TicketEvent {
                    message_id: Some("r".into()),
                    ..event
                },
            })
            .await
            .unwrap();
        let by_sql = store.resolutions(at(0)).await.unwrap();
        assert_eq!(by_sql.len(), 1);
        assert!(by_sql[0].documented_install);
        let (_, events) = store.get(id).await.unwrap().unwrap();
        let evidence = store.evidence(&EvidenceOf::Ticket(id)).await.unwrap();
        assert_eq!(
            by_sql,
            pppoe_core::ticket::resolutions_in(id, &events, &evidence, at(0))
        );
        store.close().await;
    }
}

// ---------------------------------------------------------------------------------------------
// Isolations (`isolir`, `buka`): the snapshot of what isolation changed on the router

mod isolations {
    use super::*;

    use std::net::Ipv4Addr;

    use pppoe_core::isolation::{Isolation, IsolirMethod, SecretFields};
    use pppoe_core::ticket::{TicketError, TicketStore};

    fn minute(m: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(m)
    }

    /// A comment as a subscriber's may be: quotes, a newline, a backslash, SQL wildcards,
    /// non-ASCII, a NUL and trailing blanks.
    const ODD_COMMENT: &str = "Pak \"Budi\" o'Neil; lt.2\nbayar tgl 5 \\ 50%_ — ✓ \0 end  ";

    /// `username` isolated by profile at `minute(m)`, without an address list entry.
    fn by_profile(username: &str, m: i64) -> Isolation {
        Isolation {
            username: username.into(),
            router: "core-1".into(),
            since: minute(m),
            by: "Andi".into(),
            reason: None,
            method: IsolirMethod::Profile,
            before: SecretFields {
                profile: "10M".into(),
                disabled: false,
                comment: None,
            },
            after: SecretFields {
                profile: "isolir".into(),
                disabled: false,
                comment: Some("ISOLIR".into()),
            },
            address_list: None,
        }
    }

    /// `username` (a static IP) disabled at `minute(m)`, added to the address list, with a
    /// reason and the subscriber's own comment kept.
    fn disabled_with_list(username: &str, m: i64) -> Isolation {
        Isolation {
            username: username.into(),
            router: "edge-2".into(),
            since: minute(m),
            by: "6281234567890".into(),
            reason: Some("belum bayar 2 bulan".into()),
            method: IsolirMethod::Disable,
            before: SecretFields {
                profile: "20M-static".into(),
                disabled: false,
                comment: Some(ODD_COMMENT.into()),
            },
            after: SecretFields {
                profile: "20M-static".into(),
                disabled: true,
                comment: Some(String::new()),
            },
            address_list: Some(("isolir".into(), Ipv4Addr::new(10, 20, 30, 40))),
        }
    }

    async fn rows(raw: &mut SqliteConnection, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(raw).await.unwrap()
    }

    #[tokio::test]
    async fn an_isolation_round_trips_with_and_without_address_list_and_comment() {
        let t = TestStore::new().await;
        assert_eq!(t.store.isolation("budi01").await.unwrap(), None);
        let plain = by_profile("budi01", 0);
        let full = disabled_with_list("Sari-02", 1);
        t.store.isolate(&plain).await.unwrap();
        t.store.isolate(&full).await.unwrap();
        assert_eq!(t.store.isolation("budi01").await.unwrap(), Some(plain));
        // Found in any case; the username comes back as the router has it, and the comments
        // exactly (an empty one is no missing one).
        let read = t.store.isolation("SARI-02").await.unwrap().unwrap();
        assert_eq!(read, full);
        assert_eq!(read.before.comment.as_deref(), Some(ODD_COMMENT));
        assert_eq!(read.after.comment.as_deref(), Some(""));
        assert_eq!(t.store.isolation("budi").await.unwrap(), None);
        t.store.close().await;
    }

    #[tokio::test]
    async fn a_second_isolation_of_one_subscriber_in_another_case_is_refused() {
        let t = TestStore::new().await;
        let first = by_profile("budi01", 0);
        t.store.isolate(&first).await.unwrap();
        assert_eq!(
            t.store.isolate(&disabled_with_list("BUDI01", 1)).await,
            Err(TicketError::Store("BUDI01 is isolated already".into()))
        );
        // The first snapshot is the one kept: `buka` restores what was there before it.
        assert_eq!(t.store.isolation("Budi01").await.unwrap(), Some(first));
        let mut raw = t.raw().await;
        assert_eq!(rows(&mut raw, "SELECT count(*) FROM isolations").await, 1);
        t.store.close().await;
    }

    #[tokio::test]
    async fn an_ended_isolation_is_history_and_the_subscriber_may_be_isolated_again() {
        let t = TestStore::new().await;
        // Ending one that does not exist does nothing.
        t.store.end_isolation("budi01", minute(0)).await.unwrap();
        t.store.isolate(&by_profile("budi01", 1)).await.unwrap();
        t.store.end_isolation("BUDI01", minute(2)).await.unwrap();
        assert_eq!(t.store.isolation("budi01").await.unwrap(), None);
        // Ending it again does nothing either: the first end stays.
        t.store.end_isolation("budi01", minute(3)).await.unwrap();
        let again = disabled_with_list("Budi01", 4);
        t.store.isolate(&again).await.unwrap();
        assert_eq!(t.store.isolation("budi01").await.unwrap(), Some(again));
        // The ended isolation stays, with when it ended, for auditors.
        let mut raw = t.raw().await;
        let ended: Vec<(i64, Option<String>)> =
            sqlx::query_as("SELECT id, ended_at FROM isolations ORDER BY id")
                .fetch_all(&mut raw)
                .await
                .unwrap();
        assert_eq!(
            ended,
            [(1, Some("2024-12-15T09:32:25.000Z".to_owned())), (2, None)]
        );
        t.store.close().await;
    }

    #[tokio::test]
    async fn current_isolations_page_oldest_first_with_their_total() {
        let t = TestStore::new().await;
        // Recorded out of time order, and one ended: it is not listed.
        let (a, b, c) = (
            by_profile("andi", 5),
            disabled_with_list("budi", 1),
            by_profile("cici", 3),
        );
        for isolation in [&a, &b, &by_profile("dodi", 0), &c] {
            t.store.isolate(isolation).await.unwrap();
        }
        t.store.end_isolation("dodi", minute(6)).await.unwrap();
        let first = t.store.isolations(1, 2).await.unwrap();
        assert_eq!((first.items, first.total), (vec![b, c], 3));
        let second = t.store.isolations(2, 2).await.unwrap();
        assert_eq!((second.items, second.total), (vec![a], 3));
        let past = t.store.isolations(3, 2).await.unwrap();
        assert_eq!((past.items.len(), past.total), (0, 3));
        // Page 0 is read as page 1.
        assert_eq!(t.store.isolations(0, 2).await.unwrap().items.len(), 2);
        t.store.close().await;
    }

    #[tokio::test]
    async fn a_reopened_store_keeps_its_isolations() {
        let t = TestStore::new().await;
        let kept = disabled_with_list("sari02", 0);
        t.store.isolate(&kept).await.unwrap();
        t.store.isolate(&by_profile("budi01", 1)).await.unwrap();
        t.store.end_isolation("budi01", minute(2)).await.unwrap();
        t.store.close().await;

        let store = AuditStore::open(t.path(), StoreOptions::default())
            .await
            .unwrap();
        assert_eq!(store.isolation("SARI02").await.unwrap(), Some(kept.clone()));
        assert_eq!(store.isolation("budi01").await.unwrap(), None);
        let page = store.isolations(1, 10).await.unwrap();
        assert_eq!((page.items, page.total), (vec![kept.clone()], 1));
        // Still refused after the restart.
        assert!(store.isolate(&by_profile("sari02", 3)).await.is_err());
        // A read-only store reads isolations and writes none.
        let reader = AuditStore::open_read_only(t.path()).await.unwrap();
        assert_eq!(reader.isolation("sari02").await.unwrap(), Some(kept));
        assert_eq!(
            reader.isolate(&by_profile("cici", 4)).await,
            Err(TicketError::Store("read-only".into()))
        );
        assert_eq!(
            reader.end_isolation("sari02", minute(4)).await,
            Err(TicketError::Store("read-only".into()))
        );
        reader.close().await;
        assert!(store.verify().await.unwrap().is_intact());
        store.close().await;
    }

    #[tokio::test]
    async fn the_database_refuses_rewriting_or_removing_isolations() {
        let t = TestStore::new().await;
        t.store.isolate(&by_profile("budi01", 0)).await.unwrap();
        t.store.end_isolation("budi01", minute(1)).await.unwrap();
        t.store
            .isolate(&disabled_with_list("sari02", 2))
            .await
            .unwrap();
        let mut raw = t.raw().await;
        for (sql, refusal) in [
            ("DELETE FROM isolations", "isolations are never deleted"),
            (
                "UPDATE isolations SET ended_at = NULL WHERE id = 1",
                "only ever ended, once",
            ),
            (
                "UPDATE isolations SET ended_at = '2024-12-15T10:00:00.000Z' WHERE id = 1",
                "only ever ended, once",
            ),
            (
                "UPDATE isolations SET before_comment = 'x', \
                 ended_at = '2024-12-15T10:00:00.000Z' WHERE id = 2",
                "only ever ended, once",
            ),
            (
                "UPDATE isolations SET username = 'SARI02', \
                 ended_at = '2024-12-15T10:00:00.000Z' WHERE id = 2",
                "only ever ended, once",
            ),
            (
                // A second current isolation, under any case, even replacing the first.
                "INSERT OR REPLACE INTO isolations SELECT 3, upper(username), router, since, \
                 by_name, reason, method, before_profile, before_disabled, before_comment, \
                 after_profile, after_disabled, after_comment, list_name, list_address, NULL \
                 FROM isolations WHERE id = 2",
                "one per subscriber",
            ),
            (
                "INSERT INTO isolations SELECT 9, 'cici', router, since, by_name, reason, \
                 method, before_profile, before_disabled, before_comment, after_profile, \
                 after_disabled, after_comment, list_name, list_address, NULL \
                 FROM isolations WHERE id = 2",
                "in id order",
            ),
            (
                "INSERT INTO isolations SELECT 3, 'cici', router, since, by_name, reason, \
                 'quarantine', before_profile, before_disabled, before_comment, after_profile, \
                 after_disabled, after_comment, list_name, list_address, NULL \
                 FROM isolations WHERE id = 2",
                "CHECK constraint failed",
            ),
        ] {
            let error = execute(&mut raw, sql).await.unwrap_err();
            assert!(error.to_string().contains(refusal), "{sql}: {error}");
        }
        assert_eq!(rows(&mut raw, "SELECT count(*) FROM isolations").await, 2);
        assert_eq!(t.store.isolations(1, 10).await.unwrap().total, 1);

        // A method this build does not know, written around the CHECK, is refused on reading,
        // not guessed at.
        execute(&mut raw, "PRAGMA ignore_check_constraints = ON")
            .await
            .unwrap();
        execute(
            &mut raw,
            "INSERT INTO isolations SELECT 3, 'cici', router, since, by_name, reason, \
             'quarantine', before_profile, before_disabled, before_comment, after_profile, \
             after_disabled, after_comment, list_name, list_address, NULL \
             FROM isolations WHERE id = 2",
        )
        .await
        .unwrap();
        let refused =
            TicketError::Store("isolation 3 holds an unreadable method: \"quarantine\"".into());
        assert_eq!(t.store.isolation("cici").await, Err(refused.clone()));
        assert_eq!(t.store.isolations(1, 10).await, Err(refused));
        t.store.close().await;
    }
}
