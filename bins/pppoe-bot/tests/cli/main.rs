//! The binary end to end: `pppoe-bot demo` driven through piped stdin, the auditor's CLI on a
//! real SQLite file, `check-config` against routeros-sim, the whole stack under 50
//! concurrent senders, and `pppoe-bot exec` against a running bot.
#![allow(unreachable_pub)]

mod alerts;
mod audit;
mod concurrency;
mod config;
mod crash;
mod demo;
#[cfg(unix)]
mod exec;
mod faults;
mod isolir;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_pppoe-bot");

/// Runs the binary with `stdin` piped in; returns its output.
pub fn run(args: &[&str], stdin: &str) -> Output {
    run_bytes(args, stdin.as_bytes())
}

/// [`run`] with any bytes on stdin, UTF-8 or not.
pub fn run_bytes(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the pppoe-bot binary runs");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

/// A config for `run` in `dir`: the audit log `dir/audit.db` with its sealing keys, routeros-sim
/// on `router_port` as router `core-1` (API user `api`, password `api-secret`), one admin
/// (0812-3456-7890, "NOC"), then `extra` (more tables). Returns the audit log's path and the
/// config's.
pub fn sim_config(
    dir: &Path,
    router_port: u16,
    extra: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let db = dir.join("audit.db");
    setup_keys(&db);
    let path = dir.join("config.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[paths]
audit_db = {db:?}

[[routers]]
name = "core-1"
host = "127.0.0.1"
port = {router_port}
user = "api"
password = "api-secret"

[[access]]
phone = "0812-3456-7890"
role = "admin"
name = "NOC"
{extra}"#,
            db = db.to_str().unwrap(),
        ),
    )
    .unwrap();
    (db, path)
}

/// `audit setup-keys` for `db`: the sealing keys `run` needs. Returns the verification key.
pub fn setup_keys(db: &Path) -> String {
    let out = run(&["audit", "setup-keys", "--db", db.to_str().unwrap()], "");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs Python's sqlite3 on the database (what an auditor or an attacker would use).
pub fn sqlite(db: &Path, script: &str) {
    let status = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()")
        .arg(db)
        .arg(script)
        .status()
        .expect("python3 runs");
    assert!(status.success(), "sqlite script failed: {script}");
}
