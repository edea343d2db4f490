//! `pppoe-bot exec` against a running `pppoe-bot run` (console messenger, routeros-sim over
//! TCP, the SQLite audit log): each exit status, the audit actor `client:NAME`, the JSON
//! answer, the socket's mode, the notices still going through the messenger, and what exec
//! says when no bot runs.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::{FileTypeExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use audit_store::{AuditQuery, AuditRow, AuditStore};
use pppoe_core::{Outcome, Role};
use routeros_sim::{SimServer, SimState};

use crate::{BIN, stderr, stdout};

/// How long the bot may take to start listening (it opens the audit log and the router first).
const START_WAIT: Duration = Duration::from_secs(60);

/// A config with two clients: `billing` (admin) and `kasir` (technician); the socket is the
/// default one, beside the audit database.
fn write_config(dir: &Path, router_port: u16) -> PathBuf {
    let extra = r#"
[[clients]]
name = "billing"
role = "admin"

[[clients]]
name = "kasir"
role = "technician"

[customer]
notify_on_create = true
"#;
    crate::sim_config(dir, router_port, extra).1
}

/// `pppoe-bot run --messenger console`, its stdin held open (closing it stops the bot).
struct Bot {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: std::thread::JoinHandle<String>,
    stderr: std::thread::JoinHandle<String>,
}

impl Bot {
    /// Starts the bot and waits (bounded) for its log line saying the exec socket listens.
    fn start(config: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["run", "--config", config.to_str().unwrap()])
            .args(["--messenger", "console"])
            .env("RUST_LOG", "info")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take();
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            out.read_to_string(&mut text).unwrap();
            text
        });
        let (listening, heard) = mpsc::channel();
        let err = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            for line in BufReader::new(err).lines() {
                let line = line.unwrap();
                if line.contains("listening for pppoe-bot exec") {
                    let _ = listening.send(());
                }
                text.push_str(&line);
                text.push('\n');
            }
            text
        });
        let mut bot = Self {
            child,
            stdin,
            stdout,
            stderr,
        };
        if heard.recv_timeout(START_WAIT).is_err() {
            let (_, out, err) = bot.stop();
            panic!("the bot did not listen for exec: {out}{err}");
        }
        bot
    }

    /// Closes stdin (the console ends, so the bot stops); returns its exit, stdout, stderr.
    fn stop(&mut self) -> (std::process::ExitStatus, String, String) {
        drop(self.stdin.take());
        let status = self.child.wait().unwrap();
        let out = std::mem::replace(&mut self.stdout, std::thread::spawn(String::new));
        let err = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        (status, out.join().unwrap(), err.join().unwrap())
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// `pppoe-bot exec --config CONFIG --client CLIENT [EXTRA...] WORDS...`.
async fn exec(config: &Path, client: &str, extra: &[&str], words: &[&str]) -> Output {
    let mut args: Vec<String> = vec![
        "exec".into(),
        "--config".into(),
        config.to_str().unwrap().into(),
        "--client".into(),
        client.into(),
    ];
    args.extend(extra.iter().map(|a| (*a).to_owned()));
    args.extend(words.iter().map(|w| (*w).to_owned()));
    tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited, not killed")
}

/// The rows of `client:NAME`, oldest first.
async fn rows_of(db: &Path, client: &str) -> Vec<AuditRow> {
    let store = AuditStore::open_read_only(db).await.unwrap();
    let mut rows = store
        .query(&AuditQuery::new().actor(format!("client:{client}")))
        .await
        .unwrap();
    store.close().await;
    rows.reverse();
    rows
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_runs_commands_through_the_running_bot_with_exit_statuses_and_audit_rows() {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let server = SimServer::start(state.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), server.addr().port());
    let db = dir.path().join("audit.db");
    let socket = dir.path().join("pppoe-bot.sock");

    // A socket file left by a bot that was killed: nobody listens, so it is replaced.
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    assert!(socket.exists());

    let mut bot = Bot::start(&config);

    // (e) Only the bot's user may open it.
    let meta = std::fs::symlink_metadata(&socket).unwrap();
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);

    // A second bot with this config refuses to start while the first listens.
    let second = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || {
            crate::run(
                &[
                    "run",
                    "--config",
                    config.to_str().unwrap(),
                    "--messenger",
                    "console",
                ],
                "",
            )
        })
        .await
        .unwrap()
    };
    assert_eq!(code(&second), 1);
    assert!(
        stderr(&second).contains(&format!(
            "another pppoe-bot is listening on {}",
            socket.display()
        )),
        "{}",
        stderr(&second)
    );
    assert!(socket.exists(), "the live bot's socket is left alone");

    // (b) Failed: the router has no isolation profile yet; nothing changed.
    let failed = exec(
        &config,
        "billing",
        &[],
        &["isolir", "jane456", "telat", "bayar"],
    )
    .await;
    assert_eq!(code(&failed), 1, "{}{}", stdout(&failed), stderr(&failed));
    assert!(!stdout(&failed).is_empty());
    assert_eq!(state.secret("jane456").unwrap().profile, "Standard");

    // (a) Ok, the command as one argument: done on the router, reply on stdout.
    state.add_profile("isolir", Some("256k/256k")).unwrap();
    let ok = exec(&config, "billing", &[], &["isolir john123 telat bayar"]).await;
    assert_eq!(code(&ok), 0, "{}{}", stdout(&ok), stderr(&ok));
    assert!(stdout(&ok).contains("User Diisolir"), "{}", stdout(&ok));
    assert_eq!(state.secret("john123").unwrap().profile, "isolir");

    // (c) Invalid: a package that does not exist.
    let invalid = exec(
        &config,
        "billing",
        &[],
        &["editpppoe", "john123", "profile", "Gold"],
    )
    .await;
    assert_eq!(
        code(&invalid),
        2,
        "{}{}",
        stdout(&invalid),
        stderr(&invalid)
    );
    assert!(stdout(&invalid).contains("Gold"), "{}", stdout(&invalid));

    // (c) Denied: a technician client may not isolate.
    let denied = exec(&config, "kasir", &[], &["isolir", "jane456", "telat"]).await;
    assert_eq!(code(&denied), 2, "{}{}", stdout(&denied), stderr(&denied));
    assert!(!stdout(&denied).is_empty());
    assert_eq!(state.secret("jane456").unwrap().profile, "Standard");

    // A name that is not configured is refused as the engine refuses it.
    let stranger = exec(&config, "nobody", &[], &["checkpppoe", "john123"]).await;
    assert_eq!(code(&stranger), 2, "{}", stderr(&stranger));
    assert!(
        stdout(&stranger).contains("no client named \"nobody\""),
        "{}",
        stdout(&stranger)
    );

    // (d) JSON: outcome, reply and the audit row's seq.
    let json = exec(
        &config,
        "billing",
        &["--format", "json"],
        &["checkpppoe", "john123"],
    )
    .await;
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let text = stdout(&json);
    assert_eq!(text.lines().count(), 1, "one line: {text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["outcome"], "ok", "{text}");
    assert!(
        answer["reply"].as_str().unwrap().contains("john123"),
        "{text}"
    );
    let json_seq = answer["audit_seq"].as_i64().expect("a seq");
    let refused = exec(
        &config,
        "kasir",
        &["--format", "json"],
        &["isolir", "jane456"],
    )
    .await;
    assert_eq!(code(&refused), 2);
    let answer: serde_json::Value = serde_json::from_str(&stdout(&refused)).unwrap();
    assert_eq!(answer["outcome"], "denied");
    assert!(answer["audit_seq"].is_i64());

    // Notices to others still go through the messenger: a ticket's to the admins, and the
    // customer's login (audited as its own row once sent).
    let report = exec(
        &config,
        "billing",
        &[],
        &["lapor", "john123", "internet", "mati"],
    )
    .await;
    assert_eq!(code(&report), 0, "{}", stderr(&report));
    assert!(stdout(&report).contains("TR001"), "{}", stdout(&report));
    let add = exec(
        &config,
        "billing",
        &[],
        &["addpppoe budi01 rahasia123 Basic wa=0812-9999-8888"],
    )
    .await;
    assert_eq!(code(&add), 0, "{}", stderr(&add));

    let (status, bot_out, bot_err) = bot.stop();
    assert!(status.success(), "{bot_err}");
    assert!(!socket.exists(), "a stopped bot removes its socket");
    // The clients' own replies went back over the socket, not to the console.
    assert!(!bot_out.contains("User Diisolir"), "{bot_out}");
    assert!(bot_out.contains("📨 → 6281234567890:"), "{bot_out}");
    assert!(bot_out.contains("📨 → 6281299998888:"), "{bot_out}");

    // The audit rows: actor client:NAME, the client's role, one row per command.
    let billing = rows_of(&db, "billing").await;
    let seen: Vec<(&str, Outcome)> = billing
        .iter()
        .map(|r| (r.event.command.as_str(), r.event.outcome))
        .collect();
    assert_eq!(
        seen,
        [
            ("isolir", Outcome::Failed),
            ("isolir", Outcome::Ok),
            ("editpppoe", Outcome::Invalid),
            ("checkpppoe", Outcome::Ok),
            ("lapor", Outcome::Ok),
            ("notify", Outcome::Ok), // the admins told of the ticket
            ("addpppoe", Outcome::Ok),
            ("notify", Outcome::Ok), // the customer's login
        ]
    );
    assert!(
        billing
            .iter()
            .all(|r| r.event.message_id.starts_with("exec-"))
    );
    let isolated = &billing[1].event;
    assert_eq!(isolated.role, Some(Role::Admin));
    assert_eq!(isolated.target.as_deref(), Some("john123"));
    assert_eq!(isolated.reason.as_deref(), Some("telat bayar"));
    assert_eq!(billing[3].seq, json_seq);
    let kasir = rows_of(&db, "kasir").await;
    let seen: Vec<(&str, Outcome, Option<Role>)> = kasir
        .iter()
        .map(|r| (r.event.command.as_str(), r.event.outcome, r.event.role))
        .collect();
    assert_eq!(
        seen,
        [
            ("isolir", Outcome::Denied, Some(Role::Technician)),
            ("isolir", Outcome::Denied, Some(Role::Technician)),
        ]
    );
    let nobody = rows_of(&db, "nobody").await;
    assert_eq!(nobody.len(), 1);
    assert_eq!(
        (nobody[0].event.outcome, nobody[0].event.role),
        (Outcome::Denied, None)
    );

    // (f) No bot: said in words, exit 1.
    let alone = exec(&config, "billing", &[], &["checkpppoe", "john123"]).await;
    assert_eq!(code(&alone), 1);
    assert_eq!(stdout(&alone), "");
    let said = stderr(&alone);
    assert!(
        said.contains(&format!(
            "no bot is running for this config: nothing listens on {}",
            socket.display()
        )) && said.contains("pppoe-bot run --config"),
        "{said}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exec_without_a_running_bot_says_so_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    // A socket left by a bot that was killed: the file is there, nobody listens.
    let config = write_config(dir.path(), 9);
    let socket = dir.path().join("pppoe-bot.sock");
    drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
    for _ in 0..2 {
        let out = exec(&config, "billing", &["--format", "json"], &["help"]).await;
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        assert_eq!(stdout(&out), "");
        assert!(
            stderr(&out).contains(&format!("nothing listens on {}", socket.display())),
            "{}",
            stderr(&out)
        );
        // And with no socket file at all.
        std::fs::remove_file(&socket).ok();
    }
}
