//! `kill -9` in the middle of a change, then a restart: the change is on the router and the
//! audit log says so, with exactly one row for every attempt, and never "failed".

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use audit_store::{AuditQuery, AuditStore};
use pppoe_core::Outcome;
use routeros_sim::{Fault, SimServer, SimState};

use crate::{run, stdout};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_cut_by_kill_9_is_recorded_as_unknown_at_the_next_start() {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let server = SimServer::start(state).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::setup_keys(&db);
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[paths]
audit_db = {db:?}

[[routers]]
name = "core-1"
host = "127.0.0.1"
port = {port}
user = "api"
password = "api-secret"
timeout_secs = 30

[[access]]
phone = "0812-3456-7890"
role = "admin"
"#,
            db = db.to_str().unwrap(),
            port = server.addr().port(),
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap().to_owned();

    let mut child = Command::new(crate::BIN)
        .args(["run", "--config", &config, "--messenger", "console"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let out = child.stdout.take().unwrap();
    // A first change, answered and recorded.
    writeln!(stdin, "addpppoe crash01 password123 Basic").unwrap();
    let answered = tokio::task::spawn_blocking(move || {
        let mut out = BufReader::new(out);
        let mut line = String::new();
        while out.read_line(&mut line).unwrap() > 0 {
            if line.contains("BERHASIL DITAMBAHKAN") {
                return true;
            }
            line.clear();
        }
        false
    })
    .await
    .unwrap();
    assert!(answered);
    // The second add reaches the router, which makes it and then goes silent: the bot waits
    // for the reply, having claimed the message, and is killed right then.
    server
        .state()
        .inject(Fault::ExecuteThenHangOn("/ppp/secret/add".into()));
    writeln!(stdin, "addpppoe crash02 password123 Basic").unwrap();
    server
        .state()
        .wait_for_write("/ppp/secret/add", "crash02")
        .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(stdin);

    // The next start records the interrupted attempt before taking any message.
    let db_path = db.clone();
    let restart = tokio::task::spawn_blocking(move || {
        run(
            &["run", "--config", &config, "--messenger", "console"],
            "checkpppoe crash02\n",
        )
    })
    .await
    .unwrap();
    assert!(restart.status.success(), "{restart:?}");
    assert!(stdout(&restart).contains("crash02"));

    let store = AuditStore::open_read_only(&db_path).await.unwrap();
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(
        report.claims_without_row.is_empty(),
        "every claim has its row: {:?}",
        report.claims_without_row
    );
    let rows = store.query(&AuditQuery::new()).await.unwrap();
    let about = |user: &str, command: &str| {
        rows.iter()
            .filter(|r| r.event.target.as_deref() == Some(user) && r.event.command == command)
            .map(|r| r.event.clone())
            .collect::<Vec<_>>()
    };
    let first = about("crash01", "addpppoe");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].outcome, Outcome::Ok);
    let cut = about("crash02", "addpppoe");
    assert_eq!(cut.len(), 1, "exactly one row for the cut change");
    assert_eq!(cut[0].outcome, Outcome::Unknown);
    assert_eq!(cut[0].actor_phone, "6281234567890");
    let error = cut[0].error.as_deref().unwrap();
    assert!(
        error.starts_with(
            "interrupted by a stop; effect not confirmed; the router now has crash02: profile Basic, enabled"
        ),
        "{error}"
    );
    assert_eq!(about("crash02", "checkpppoe")[0].outcome, Outcome::Ok);
    assert!(
        rows.iter().all(|r| r.event.outcome != Outcome::Failed),
        "no change that happened is recorded as failed"
    );
    // The router: both changes made, each once.
    for name in ["crash01", "crash02"] {
        assert!(server.state().secret(name).is_some(), "{name}");
        assert_eq!(server.state().writes_to("/ppp/secret/add", name), 1);
    }
    store.close().await;
    server.shutdown().await;
}
