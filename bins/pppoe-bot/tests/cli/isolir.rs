//! `isolir` and `buka` through the binary: the console messenger, routeros-sim over TCP and
//! the SQLite audit log and isolation records.

use std::process::Command;

use routeros_sim::{SimServer, SimState};

use crate::{run, stdout};

/// Rows of `query` on the database, one line each, columns joined by `|`.
pub(crate) fn select(db: &std::path::Path, query: &str) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys\nfor r in sqlite3.connect(sys.argv[1]).execute(sys.argv[2]): print('|'.join('' if v is None else str(v) for v in r))")
        .arg(db)
        .arg(query)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolir_and_buka_change_the_router_and_the_records_exactly() {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    state.add_profile("isolir", Some("256k/256k")).unwrap();
    let before = state.secret("john123").unwrap();
    let ip = before.remote_address.expect("john123 has a static IP");
    let server = SimServer::start(state.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = crate::sim_config(dir.path(), server.addr().port(), "");
    let config = path.to_str().unwrap().to_owned();
    let isolate = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            run(
                &["run", "--config", &config, "--messenger", "console"],
                "isolir john123 telat bayar\nisolir\n",
            )
        })
        .await
        .unwrap()
    };
    let text = stdout(&isolate);
    assert!(
        isolate.status.success(),
        "{text}{}",
        crate::stderr(&isolate)
    );
    assert!(text.contains("User Diisolir"), "{text}");
    let isolated = state.secret("john123").unwrap();
    assert_eq!(isolated.profile, "isolir");
    assert!(
        isolated
            .comment
            .as_deref()
            .is_some_and(|c| c.starts_with("ISOLIR ") && c.contains("telat bayar")),
        "{isolated:?}"
    );
    let listed = state.address_list_entries("isolir");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].address, ip.to_string());
    assert!(state.active_session("john123").is_none(), "kicked");
    assert!(text.contains("1. *john123* (core-1)"), "the list: {text}");
    let rows = select(
        &db,
        "select command, outcome, reason from audit_log where command in ('isolir', 'buka') order by seq",
    );
    assert_eq!(rows, "isolir|ok|telat bayar\n");
    let record = select(
        &db,
        "select username, before_profile, after_profile, list_name, list_address, ended_at from isolations",
    );
    assert_eq!(
        record,
        format!("john123|{}|isolir|isolir|{ip}|\n", before.profile)
    );

    // A second process: the snapshot is in the database, not in memory.
    let lift = tokio::task::spawn_blocking(move || {
        run(
            &["run", "--config", &config, "--messenger", "console"],
            "buka john123 sudah bayar\n",
        )
    })
    .await
    .unwrap();
    let text = stdout(&lift);
    assert!(lift.status.success(), "{text}{}", crate::stderr(&lift));
    assert!(text.contains("Isolir Dibuka"), "{text}");
    let restored = state.secret("john123").unwrap();
    assert_eq!(restored.profile, before.profile);
    assert_eq!(restored.comment, before.comment);
    assert!(state.address_list_entries("isolir").is_empty());
    let rows = select(
        &db,
        "select command, outcome from audit_log where command in ('isolir', 'buka') order by seq",
    );
    assert_eq!(rows, "isolir|ok\nbuka|ok\n");
    let ended = select(
        &db,
        "select count(*) from isolations where ended_at is not null",
    );
    assert_eq!(ended, "1\n");
    server.shutdown().await;
}
