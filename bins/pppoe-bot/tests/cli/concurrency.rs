//! The whole stack in one process under load: 50 concurrent senders x 40 commands through the
//! engine, the RouterOS client over TCP to routeros-sim (16 slots, so listings compete for
//! them), and the SQLite audit store.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use audit_store::{AuditQuery, AuditStore, StoreOptions};
use pppoe_core::{
    AccessEntry, Clock, Engine, EngineConfig, Incoming, PhoneNumber, Role, Sender, SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};

const SENDERS: usize = 50;
const COMMANDS: usize = 40;

fn phone(i: usize) -> String {
    format!("0812{:08}", 10_000 + i)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_senders_times_forty_commands_give_exactly_2000_chained_rows() {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let server = SimServer::start(state).await.unwrap();
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
        .port(server.addr().port())
        .command_timeout(Duration::from_secs(30));
    let router = RouterOs::new(RouterOsConfig::new("core-1", client));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("audit.db");
    let store = AuditStore::open(&db, StoreOptions::default())
        .await
        .unwrap();
    let config = EngineConfig {
        access: (0..SENDERS)
            .map(|i| AccessEntry {
                phone: PhoneNumber::parse(&phone(i), "62").unwrap(),
                role: if i % 2 == 0 {
                    Role::Admin
                } else {
                    Role::Technician
                },
                name: format!("tech {i}"),
            })
            .collect(),
        rate_limit_per_minute: 1000,
        ..EngineConfig::default()
    };
    let engine = Arc::new(Engine::new(router, store.clone(), SystemClock, config));

    let mut senders = Vec::new();
    for s in 0..SENDERS {
        let engine = Arc::clone(&engine);
        senders.push(tokio::spawn(async move {
            let mut ok = 0;
            for c in 0..COMMANDS {
                // Each sender adds, edits, reads and deletes its own subscribers; the reads
                // are listings (all, a name filter, online: each takes slots of its own),
                // checks of a user every sender shares, and checks of its own.
                let user = format!("s{s:02}u{}", c / 4);
                let text = match (c % 4, c / 4) {
                    // All senders reach their first read together: far more listings at
                    // once than the 16 slots.
                    (2, 0 | 4) => "pppoe".to_owned(),
                    (2, 1 | 5) => format!("pppoe s{s:02} 1"),
                    (2, 2) if s % 2 == 0 => "pppoe online".to_owned(),
                    (2, 3 | 7) => "checkpppoe john123".to_owned(),
                    (0, _) => format!("addpppoe {user} password123 Basic"),
                    (1, _) => format!("editpppoe {user} profile VIP"),
                    (2, _) => format!("checkpppoe {user}"),
                    _ => format!("delpppoe {user} load test"),
                };
                let msg = Incoming {
                    id: format!("load-{s}-{c}"),
                    chat: format!("{}@s.whatsapp.net", phone(s)),
                    sender: Sender::Phone(PhoneNumber::parse(&phone(s), "62").unwrap()),
                    sender_lid: None,
                    text,
                    sent_at: SystemClock.now(),
                    received_at: None,
                    is_group: false,
                    attachment: None,
                };
                let replies = engine.handle(msg).await;
                assert_eq!(replies.len(), 1);
                if ['✅', '📊', '📋']
                    .iter()
                    .any(|c| replies[0].text.starts_with(*c))
                {
                    ok += 1;
                }
            }
            ok
        }));
    }
    // A bound, not a synchronisation: listings that wait for a second slot while holding one
    // hung this test for ever.
    let successes = tokio::time::timeout(Duration::from_secs(120), async {
        let mut successes = 0;
        for s in senders {
            successes += s.await.unwrap();
        }
        successes
    })
    .await
    .expect("the load deadlocked");
    store.flush().await;
    assert_eq!(store.count().await.unwrap(), (SENDERS * COMMANDS) as u64);
    let report = store.verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    let rows = store.query(&AuditQuery::new().limit(5000)).await.unwrap();
    let ids: HashSet<_> = rows.iter().map(|r| r.event.message_id.clone()).collect();
    assert_eq!(ids.len(), SENDERS * COMMANDS, "no duplicate message id");
    assert_eq!(successes, SENDERS * COMMANDS, "every command succeeded");
    // Each sender's own users were all deleted again; nothing else changed.
    assert_eq!(server.state().secret_count(), 2);
    // The router and the audit log agree: every write on the router has its ok row, and
    // there is no row that is not ok.
    let writes = rows
        .iter()
        .filter(|r| {
            matches!(
                r.event.command.as_str(),
                "addpppoe" | "editpppoe" | "delpppoe"
            )
        })
        .count();
    assert!(
        rows.iter()
            .all(|r| r.event.outcome == pppoe_core::Outcome::Ok)
    );
    assert_eq!(server.state().write_count(), writes);
    assert_eq!(writes, SENDERS * COMMANDS * 3 / 4);
    let listings = rows.iter().filter(|r| r.event.command == "pppoe").count();
    assert!(listings >= SENDERS * 2, "{listings} listings");
    store.close().await;
    server.shutdown().await;
}
