//! No password reaches the audit log or the log, whatever the typo: a property test generates
//! valid, misspelled, truncated, swapped and over-long `addpppoe`/`editpppoe` messages around a
//! random password-like token and checks every column of every audit row, every claim, and
//! every line logged at trace level.

use std::io::Write;
use std::sync::{Arc, Mutex};

use pppoe_core::AuditEvent;
use pppoe_core::testing::FakeRouter;
use proptest::prelude::*;

use crate::harness::{Bot, config};

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn columns(e: &AuditEvent) -> Vec<String> {
    vec![
        e.actor_phone.clone(),
        e.actor_lid.clone().unwrap_or_default(),
        e.command.clone(),
        e.target.clone().unwrap_or_default(),
        e.router.clone().unwrap_or_default(),
        e.arguments.clone(),
        e.error.clone().unwrap_or_default(),
        e.reason.clone().unwrap_or_default(),
        e.message_id.clone(),
    ]
}

/// The messages a technician might send around `p`.
fn messages(p: &str) -> Vec<String> {
    let long = "x".repeat(1000);
    vec![
        // valid
        format!("addpppoe u1 {p} Basic"),
        format!("addpppoe u1 {p} Basic 10.9.0.5 \"Budi - Jl. Mawar\""),
        format!("editpppoe john123 password {p}"),
        format!("editpppoe john123 pass {p}"),
        // the command word misspelled
        format!("adpppoe u1 {p} Basic"),
        format!("addppoe u1 {p} Basic"),
        format!("add pppoe u1 {p} Basic"),
        format!("ADDPPPOE u1 {p} Basic"),
        format!("editppoe john123 password {p}"),
        format!("edit pppoe john123 password {p}"),
        // the field misspelled, or missing
        format!("editpppoe john123 pasword {p}"),
        format!("editpppoe john123 passowrd {p}"),
        format!("editpppoe john123 {p}"),
        format!("editpppoe john123 profile {p}"),
        format!("editpppoe john123 ip {p}"),
        format!("editpppoe john123 status {p}"),
        // swapped
        format!("addpppoe u1 Basic {p}"),
        format!("addpppoe u1 Basic 10.9.0.5 {p}"),
        format!("addpppoe u1 Basic Basic {p}"),
        format!("addpppoe u1 \"{p}\" Basic"),
        // truncated
        format!("addpppoe u1 {p}"),
        format!("addpppoe u1 {p} "),
        // over-long: extra words, a space inside the password, too many characters
        format!("editpppoe john123 password {p} {p}"),
        format!("editpppoe john123 password Sup3r {p}"),
        format!("addpppoe u1 {p} Basic 10.9.0.5 Budi {p}"),
        format!("addpppoe u1 {p} Basic {long}"),
        format!("pppoe Basic {p}"),
        format!("checkpppoe john123 {p}"),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn no_password_reaches_the_audit_log_or_the_log(
        p in "[A-Z][a-z]{2,5}[0-9]{2,4}[a-z#!]{1,3}[0-9]?",
    ) {
        let log = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer({
                let log = log.clone();
                move || log.clone()
            })
            .with_ansi(false)
            .finish();
        let b = Bot::new(FakeRouter::with_spec_users(), config());
        tracing::subscriber::with_default(subscriber, || {
            for text in messages(&p) {
                b.say(&text);
            }
            // The same, for a sender who is not on the allowlist.
            for text in messages(&p) {
                b.say_as("6289999999999", &text);
            }
        });
        for e in b.audit.events().iter().chain(b.audit.claims().iter()) {
            for column in columns(e) {
                prop_assert!(!column.contains(&p), "{p:?} in {column:?} of {e:?}");
            }
            let debug = format!("{e:?}");
            prop_assert!(!debug.contains(&p), "{debug}");
        }
        let logged = String::from_utf8_lossy(&log.0.lock().unwrap()).into_owned();
        prop_assert!(!logged.contains(&p), "{p:?} logged: {logged}");
    }
}
