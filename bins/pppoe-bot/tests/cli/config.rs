//! `check-config` and bad config files through the binary.

use routeros_sim::{SimServer, SimState};

use crate::{run, stdout};

fn config_for(port: u16, extra: &str) -> String {
    format!(
        r#"
[[routers]]
name = "core-1"
host = "127.0.0.1"
port = {port}
user = "api"
password_file = "PWFILE"
timeout_secs = 5

[[access]]
phone = "0812-3456-7890"
role = "admin"
{extra}
"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_config_compares_packages_with_the_router() {
    let state = SimState::new().with_user("api", "api-secret");
    let server = SimServer::start(state.clone()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "api-secret\n").unwrap();
    let path = dir.path().join("good.toml");
    std::fs::write(
        &path,
        config_for(server.addr().port(), "").replace("PWFILE", pw.to_str().unwrap()),
    )
    .unwrap();
    let p = path.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&["check-config", "--config", &p], ""))
        .await
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("connected"));
    assert!(text.contains("package \"Premium\": ok (25M/50M)"), "{text}");
    // No isolation profile yet: a warning with the RouterOS commands that create it.
    assert!(
        text.contains("isolir: warning: the router has no /ppp/profile \"isolir\""),
        "{text}"
    );
    assert!(text.contains("/ppp profile add name=isolir "), "{text}");
    assert!(
        text.contains("/ip firewall nat add chain=dstnat src-address-list=isolir"),
        "{text}"
    );
    assert!(text.ends_with("all is well\n"));
    state.add_profile("isolir", None).unwrap();
    let p = path.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&["check-config", "--config", &p], ""))
        .await
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.contains("isolir: /ppp/profile \"isolir\" exists"),
        "{text}"
    );

    // A package whose speed differs from the router's profile.
    let mismatch = config_for(
        server.addr().port(),
        "[[profiles]]\nname = \"Premium\"\nrate_limit = \"30M/60M\"\n\n[[profiles]]\nname = \"Gold\"\nrate_limit = \"50M/100M\"\n",
    )
    .replace("PWFILE", pw.to_str().unwrap());
    std::fs::write(&path, mismatch).unwrap();
    let p = path.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&["check-config", "--config", &p], ""))
        .await
        .unwrap();
    let text = stdout(&out);
    assert!(!out.status.success());
    assert!(
        text.contains("has rate-limit 25M/50M but the table says 30M/60M"),
        "{text}"
    );
    assert!(
        text.contains("the router has no /ppp/profile named \"Gold\""),
        "{text}"
    );

    // A router that refuses the login.
    std::fs::write(&pw, "wrong\n").unwrap();
    std::fs::write(
        &path,
        config_for(server.addr().port(), "").replace("PWFILE", pw.to_str().unwrap()),
    )
    .unwrap();
    let p = path.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || run(&["check-config", "--config", &p], ""))
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        stdout(&out).contains("cannot use the API"),
        "{}",
        stdout(&out)
    );
    server.shutdown().await;
}

#[test]
fn bad_config_files_give_one_clear_error_naming_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown key",
            "language = \"id\"\nlanguag = \"en\"\n",
            "line 2:",
        ),
        (
            "missing router",
            "[[access]]\nphone = \"0812-3456-7890\"\nrole = \"admin\"\n",
            "missing field `routers`",
        ),
        (
            "bad port",
            "[[routers]]\nname = \"a\"\nhost = \"b\"\nport = 70000\nuser = \"u\"\npassword = \"p\"\n",
            "line 4:",
        ),
        (
            "bad rate",
            "[[profiles]]\nname = \"Gold\"\nrate_limit = \"fast\"\n",
            "line 3:",
        ),
        (
            "one number twice",
            "[[routers]]\nname = \"a\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"u\"\npassword = \"p\"\n\n\
             [[access]]\nphone = \"0812-3456-7890\"\nrole = \"technician\"\n\n\
             [[access]]\nphone = \"+62 812 3456 7890\"\nrole = \"admin\"\nrouter = \"a\"\n",
            "line 13: [[access]] phone \"+62 812 3456 7890\" is 6281234567890, the same number as on line 9",
        ),
        (
            "unknown home router",
            "[[routers]]\nname = \"a\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"u\"\npassword = \"p\"\n\n\
             [[access]]\nphone = \"0812-3456-7890\"\nrole = \"technician\"\nrouter = \"b\"\n",
            "line 11: [[access]] router \"b\" is not the name of a [[routers]] entry",
        ),
    ];
    for (name, text, want) in cases {
        let path = dir.path().join(format!("{}.toml", name.replace(' ', "_")));
        std::fs::write(&path, text).unwrap();
        let out = run(&["check-config", "--config", path.to_str().unwrap()], "");
        assert!(!out.status.success(), "{name}");
        let err = crate::stderr(&out);
        assert!(err.contains(want), "{name}: want {want:?} in {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{name}: {err}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_finishes_in_flight_work_and_exits_0_on_sigterm() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::{Command, Stdio};

    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let server = SimServer::start(state).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "api-secret\n").unwrap();
    let db = dir.path().join("audit.db");
    crate::setup_keys(&db);
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        config_for(
            server.addr().port(),
            &format!("\n[paths]\naudit_db = {:?}\n", db.to_str().unwrap()),
        )
        .replace("PWFILE", pw.to_str().unwrap()),
    )
    .unwrap();
    let config = path.to_str().unwrap().to_owned();
    let db_path = db.clone();
    let (code, audit) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(crate::BIN)
            .args(["run", "--config", &config, "--messenger", "console"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        writeln!(stdin, "checkpppoe john123").unwrap();
        // Wait for the whole reply (its last line), then ask the bot to stop.
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        while out.read_line(&mut line).unwrap() > 0 {
            if line.contains("restartpppoe john123 - Restart koneksi") {
                break;
            }
            line.clear();
        }
        // The shell's builtin kill: no procps needed on the machine.
        let status = Command::new("sh")
            .args(["-c", &format!("kill -TERM {}", child.id())])
            .status()
            .unwrap();
        assert!(status.success());
        let code = child.wait().unwrap();
        drop(stdin);
        let audit = crate::run(&["audit", "list", "--db", db_path.to_str().unwrap()], "");
        (code, stdout(&audit))
    })
    .await
    .unwrap();
    assert!(code.success(), "exit status after SIGTERM: {code:?}");
    assert!(audit.contains("checkpppoe  john123  ok"), "{audit}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_routers_are_searched_and_adds_go_to_the_home_router() {
    let one = SimState::new().with_user("api", "api-secret");
    one.add_example_users().unwrap();
    let two = SimState::new().with_user("api", "api-secret");
    let s1 = SimServer::start(one).await.unwrap();
    let s2 = SimServer::start(two).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    crate::setup_keys(&db);
    let path = dir.path().join("config.toml");
    let router = |name: &str, port: u16| {
        format!(
            "[[routers]]\nname = \"{name}\"\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"api\"\npassword = \"api-secret\"\n\n"
        )
    };
    std::fs::write(
        &path,
        format!(
            "[paths]\naudit_db = {:?}\n\n{}{}[[access]]\nphone = \"0812-3456-7890\"\nrole = \"admin\"\nrouter = \"core-2\"\n",
            db.to_str().unwrap(),
            router("core-1", s1.addr().port()),
            router("core-2", s2.addr().port()),
        ),
    )
    .unwrap();
    let config = path.to_str().unwrap().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        run(
            &["run", "--config", &config, "--messenger", "console"],
            "addpppoe budi01 password123 Basic\ncheckpppoe john123\ncheckpppoe budi01\npppoe\n",
        )
    })
    .await
    .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", crate::stderr(&out));
    assert!(
        s2.state().secret("budi01").is_some(),
        "created on the home router"
    );
    assert!(s1.state().secret("budi01").is_none());
    assert!(
        text.contains("👤 *Username:* john123"),
        "found on core-1: {text}"
    );
    assert!(text.contains("👤 *Username:* budi01"));
    assert!(
        text.contains("3. budi01"),
        "the listing spans both routers: {text}"
    );
    s1.shutdown().await;
    s2.shutdown().await;
}

#[test]
fn run_with_whatsapp_but_no_paired_session_says_to_pair_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let session = dir.path().join("wa.db");
    std::fs::write(
        &path,
        format!(
            "[paths]\naudit_db = {:?}\nwhatsapp_session = {:?}\n\n[[routers]]\nname = \"r\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"u\"\npassword = \"p\"\ntimeout_secs = 1\n\n[[access]]\nphone = \"0812-3456-7890\"\nrole = \"admin\"\n",
            dir.path().join("audit.db").to_str().unwrap(),
            session.to_str().unwrap(),
        ),
    )
    .unwrap();
    crate::setup_keys(&dir.path().join("audit.db"));
    let out = run(&["run", "--config", path.to_str().unwrap()], "");
    assert!(!out.status.success());
    let err = crate::stderr(&out);
    assert!(err.contains("pppoe-bot pair"), "{err}");
    assert!(!session.exists(), "no session file is created by run");
}

#[cfg(unix)]
#[test]
fn a_session_file_others_can_read_is_refused_before_it_is_opened() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let session = dir.path().join("wa.db");
    let audit = dir.path().join("audit.db");
    std::fs::write(
        &path,
        format!(
            "[paths]\naudit_db = {:?}\nwhatsapp_session = {:?}\n\n[[routers]]\nname = \"r\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"u\"\npassword = \"p\"\ntimeout_secs = 1\n\n[[access]]\nphone = \"0812-3456-7890\"\nrole = \"admin\"\n",
            audit.to_str().unwrap(),
            session.to_str().unwrap(),
        ),
    )
    .unwrap();
    // Not a database: whatever opened it would fail differently, or change it.
    std::fs::write(&session, "keys").unwrap();
    for mode in [0o644, 0o640, 0o604] {
        std::fs::set_permissions(&session, std::fs::Permissions::from_mode(mode)).unwrap();
        for args in [
            &["run", "--config", path.to_str().unwrap()][..],
            &["pair", "--config", path.to_str().unwrap()][..],
        ] {
            let out = run(args, "");
            assert!(!out.status.success(), "{args:?} {mode:o}");
            let err = crate::stderr(&out);
            assert!(
                err.contains(&format!("chmod 600 {}", session.display())),
                "{args:?} {mode:o}: {err}"
            );
            assert_eq!(
                err.lines().filter(|l| l.starts_with("error:")).count(),
                1,
                "{err}"
            );
            assert_eq!(std::fs::read_to_string(&session).unwrap(), "keys");
            let lock = dir.path().join("wa.db.lock");
            assert!(!lock.exists(), "{args:?}: the session was not locked");
            assert!(!audit.exists(), "{args:?}: nothing else was started");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_password_file_others_can_read_is_warned_about_once() {
    use std::os::unix::fs::PermissionsExt as _;

    let dir = tempfile::tempdir().unwrap();
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "api-secret\n").unwrap();
    let path = dir.path().join("config.toml");
    // Port 1: nothing listens, the check fails at once after the config is read.
    std::fs::write(
        &path,
        config_for(1, "").replace("PWFILE", pw.to_str().unwrap()),
    )
    .unwrap();
    let chmod = format!("chmod 600 {}", pw.display());
    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = run(&["check-config", "--config", path.to_str().unwrap()], "");
    let err = crate::stderr(&out);
    assert_eq!(err.matches(&chmod).count(), 1, "{err}");
    assert!(err.contains("WARN"), "{err}");
    assert!(!err.contains("api-secret") && !stdout(&out).contains("api-secret"));

    std::fs::set_permissions(&pw, std::fs::Permissions::from_mode(0o600)).unwrap();
    let out = run(&["check-config", "--config", path.to_str().unwrap()], "");
    let err = crate::stderr(&out);
    assert!(!err.contains("chmod"), "{err}");
    assert!(
        stdout(&out).contains("cannot use the API"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn an_empty_password_variable_is_named_by_its_line_not_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = config_for(1, "").replace(
        "password_file = \"PWFILE\"",
        "password_env = \"PPPOE_BOT_TEST_EMPTY_PASSWORD\"",
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("password_env"))
        .unwrap()
        + 1;
    std::fs::write(&path, text).unwrap();
    let out = std::process::Command::new(crate::BIN)
        .args(["check-config", "--config", path.to_str().unwrap()])
        .env("PPPOE_BOT_TEST_EMPTY_PASSWORD", "")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "\nrouter \"core-1\": the environment variable named by password_env on line {line} is not set or empty\n"
        )),
        "{text}"
    );
    let all = format!("{text}{}", crate::stderr(&out));
    assert!(!all.contains("PPPOE_BOT_TEST_EMPTY_PASSWORD"), "{all}");
}

/// `run` needs the sealing keys: without them it says which command creates them; and it
/// refuses to append to a log whose append-only triggers were dropped.
#[test]
fn run_refuses_a_log_without_sealing_keys_or_with_a_dropped_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[paths]\naudit_db = {:?}\n\n[[routers]]\nname = \"r\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"u\"\npassword = \"p\"\ntimeout_secs = 1\n\n[[access]]\nphone = \"0812-3456-7890\"\nrole = \"admin\"\n",
            db.to_str().unwrap(),
        ),
    )
    .unwrap();
    let args = [
        "run",
        "--config",
        path.to_str().unwrap(),
        "--messenger",
        "console",
    ];
    let out = run(&args, "");
    assert!(!out.status.success());
    let err = crate::stderr(&out);
    assert!(
        err.contains(&format!("pppoe-bot audit setup-keys --db {}", db.display())),
        "{err}"
    );

    let vk = crate::setup_keys(&db);
    assert!(vk.starts_with("pppoe-bot-audit-vk1:"), "{vk}");
    assert_eq!(vk.lines().count(), 1, "the key alone, on one line");
    // Keys are never replaced by accident.
    let again = run(&["audit", "setup-keys", "--db", db.to_str().unwrap()], "");
    assert!(!again.status.success());
    assert!(crate::stderr(&again).contains("--force-new-keys"));
    let out = run(&args, "help\n");
    assert!(out.status.success(), "{}", crate::stderr(&out));
    // The clean stop sealed the log: its keys are for life, even when forced.
    let forced = run(
        &[
            "audit",
            "setup-keys",
            "--db",
            db.to_str().unwrap(),
            "--force-new-keys",
        ],
        "",
    );
    assert!(!forced.status.success());
    assert!(
        crate::stderr(&forced).contains("already holds seals"),
        "{}",
        crate::stderr(&forced)
    );

    crate::sqlite(&db, "DROP TRIGGER audit_log_no_delete;");
    let out = run(&args, "help\n");
    assert!(!out.status.success());
    let err = crate::stderr(&out);
    assert!(
        err.contains("the trigger audit_log_no_delete is missing"),
        "{err}"
    );
}

/// A clean stop seals what it wrote; a log cut after that is refused at the next start, and
/// under WhatsApp the reason is kept for the admins' notice at the next connect.
#[test]
fn run_refuses_a_truncated_log_and_keeps_the_reason_for_the_admins() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let session = dir.path().join("wa.db");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        format!(
            "[paths]\naudit_db = {:?}\nwhatsapp_session = {:?}\n\n[[routers]]\nname = \"r\"\nhost = \"127.0.0.1\"\nport = 1\nuser = \"u\"\npassword = \"p\"\ntimeout_secs = 1\n\n[[access]]\nphone = \"0812-3456-7890\"\nrole = \"admin\"\n",
            db.to_str().unwrap(),
            session.to_str().unwrap(),
        ),
    )
    .unwrap();
    crate::setup_keys(&db);
    let console = [
        "run",
        "--config",
        path.to_str().unwrap(),
        "--messenger",
        "console",
    ];
    let out = run(&console, "help\nhelp pppoe\n");
    assert!(out.status.success(), "{}", crate::stderr(&out));
    // The newest row deleted, the trigger put back: the chain alone would say intact.
    crate::sqlite(
        &db,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log);
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
         BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
    );
    let out = run(&console, "help\n");
    assert!(!out.status.success());
    let err = crate::stderr(&out);
    assert!(err.contains("tampered with"), "{err}");
    assert!(err.contains("which is gone (the tail was cut)"), "{err}");

    let out = run(&["run", "--config", path.to_str().unwrap()], "");
    assert!(!out.status.success());
    let mut ended = session.as_os_str().to_owned();
    ended.push(".ended");
    let kept = std::fs::read_to_string(std::path::PathBuf::from(ended)).unwrap();
    assert!(kept.contains("pppoe-bot refused to start"), "{kept}");
    assert!(kept.contains("the tail was cut"), "{kept}");
}
