//! Alerts through the binary: `pppoe-bot run` with the console messenger, routeros-sim over
//! TCP (the session watcher's `listen`), and the SQLite audit log. The bot keeps running while
//! the test changes the router; every wait is for a line of its output, bounded.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use routeros_sim::{SimServer, SimState};

/// Waits for a line containing `needle` from the bot's output; returns the lines read.
fn wait_for(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let mut seen = Vec::new();
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) => {
                let found = line.contains(needle);
                seen.push(line);
                if found {
                    return seen;
                }
            }
            Err(e) => panic!("no line with {needle:?} ({e}); read:\n{}", seen.join("\n")),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pantau_tells_the_technician_when_the_user_connects_and_audits_it() {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    if state.active_session("john123").is_some() {
        state.disconnect("john123").unwrap();
    }
    let server = SimServer::start(state.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, path) = crate::sim_config(
        dir.path(),
        server.addr().port(),
        "\n[alerts]\npoll_secs = 5\n",
    );
    let mut child = Command::new(crate::BIN)
        .args([
            "run",
            "--config",
            path.to_str().unwrap(),
            "--messenger",
            "console",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, lines) = mpsc::channel();
    let out = child.stdout.take().unwrap();
    let err = child.stderr.take().unwrap();
    for stream in [
        Box::new(out) as Box<dyn std::io::Read + Send>,
        Box::new(err),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
    }
    let mut stdin = child.stdin.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        // The watcher has loaded the sessions: from here on a change is an event.
        wait_for(&lines, "alerts are live");
        stdin.write_all(b"pantau john123\n").unwrap();
        let reply = wait_for(&lines, "stop pantau john123");
        let reply = reply.join("\n");
        assert!(
            reply.contains("PANTAU AKTIF") && reply.contains("🔴 Offline"),
            "{reply}"
        );
        assert!(!reply.contains("belum tersambung"), "{reply}");
        state.connect("john123").unwrap();
        let alert = wait_for(&lines, "USER TERHUBUNG").join("\n");
        drop(stdin);
        (alert, lines)
    })
    .await
    .unwrap();
    let (alert, _lines) = lines;
    assert!(alert.contains("USER TERHUBUNG"), "{alert}");
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();
    assert!(status.success());
    let rows = crate::isolir::select(
        &db,
        "select actor_phone, command, target, router, arguments, outcome from audit_log where command in ('pantau', 'alert') order by seq",
    );
    assert_eq!(
        rows,
        "6281234567890|pantau|john123|core-1|john123|ok\nbot|alert|john123|core-1|connected [notified 6281234567890]|ok\n"
    );
}
