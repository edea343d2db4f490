//! Faults across the whole stack (the engine, the RouterOS client over TCP to routeros-sim, the
//! SQLite audit log): for each, the reply, the router's state and the audit row agree on what
//! happened. The router's timeouts are 1 s, so each fault costs about a second of waiting on a
//! timeout (no sleeps).

use std::time::Duration;

use audit_store::{AuditQuery, AuditStore, StoreOptions};
use pppoe_core::{
    AccessEntry, AuditEvent, Clock, Engine, EngineConfig, Incoming, Outcome, PhoneNumber, Role,
    Sender, SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{Fault, SimServer, SimState};

const ADMIN: &str = "081234567890";

struct Stack {
    server: SimServer,
    store: AuditStore,
    engine: Engine<RouterOs, AuditStore, SystemClock>,
    _dir: tempfile::TempDir,
    next: std::cell::Cell<u32>,
}

impl Stack {
    async fn new() -> Self {
        let state = SimState::new().with_user("api", "api-secret");
        state.add_example_users().unwrap();
        let server = SimServer::start(state).await.unwrap();
        let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
            .port(server.addr().port())
            .command_timeout(Duration::from_secs(1))
            .connect_timeout(Duration::from_secs(1));
        let mut router = RouterOsConfig::new("core-1", client);
        router.backoff_initial = Duration::ZERO;
        let dir = tempfile::tempdir().unwrap();
        let store = AuditStore::open(dir.path().join("audit.db"), StoreOptions::default())
            .await
            .unwrap();
        let config = EngineConfig {
            access: vec![AccessEntry {
                phone: PhoneNumber::parse(ADMIN, "62").unwrap(),
                role: Role::Admin,
                name: "Admin".into(),
            }],
            ..EngineConfig::default()
        };
        let engine = Engine::new(RouterOs::new(router), store.clone(), SystemClock, config);
        Self {
            server,
            store,
            engine,
            _dir: dir,
            next: std::cell::Cell::new(0),
        }
    }

    async fn say(&self, text: &str) -> String {
        let n = self.next.get();
        self.next.set(n + 1);
        let replies = self
            .engine
            .handle(Incoming {
                id: format!("fault-{n}"),
                chat: "6281234567890@s.whatsapp.net".into(),
                sender: Sender::Phone(PhoneNumber::parse(ADMIN, "62").unwrap()),
                sender_lid: None,
                text: text.into(),
                sent_at: SystemClock.now(),
                received_at: None,
                is_group: false,
                attachment: None,
            })
            .await;
        assert_eq!(replies.len(), 1, "{replies:?}");
        replies[0].text.clone()
    }

    async fn last_row(&self) -> AuditEvent {
        let rows = self.store.query(&AuditQuery::new().limit(1)).await.unwrap();
        rows[0].event.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_whose_router_goes_silent_before_the_disconnect_is_a_delete() {
    let s = Stack::new().await;
    assert!(s.server.state().active_session("john123").is_some());
    // The router goes silent when the bot looks up the session to drop.
    s.server.state().inject(Fault::SilentFrom {
        command: "/ppp/active/print".into(),
        execute: false,
    });
    let reply = s.say("delpppoe john123 Pelanggan pindah lokasi").await;
    assert!(
        reply.starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"),
        "{reply}"
    );
    assert!(reply.contains("GAGAL diputus"), "{reply}");
    // The router: deleted, session still up.
    assert!(s.server.state().secret("john123").is_none());
    assert!(s.server.state().active_session("john123").is_some());
    // The audit log: done, the failed step named, the reason kept.
    let row = s.last_row().await;
    assert_eq!(row.outcome, Outcome::Ok);
    assert_eq!(row.reason.as_deref(), Some("Pelanggan pindah lokasi"));
    assert!(
        row.error
            .as_deref()
            .unwrap()
            .starts_with("deleted; disconnecting the active session failed"),
        "{row:?}"
    );
    // The router is back: the advice in the reply works.
    s.server.state().set_silent(false);
    assert!(s.say("restartpppoe john123").await.starts_with("🔄"));
    assert!(s.server.state().active_session("john123").is_none());
    s.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_add_whose_router_goes_silent_after_making_it_is_unknown_not_failed() {
    let s = Stack::new().await;
    s.server.state().inject(Fault::SilentFrom {
        command: "/ppp/secret/add".into(),
        execute: true,
    });
    let reply = s.say("addpppoe budi01 password123 Premium").await;
    assert!(reply.starts_with("❓ *HASIL BELUM PASTI*"), "{reply}");
    assert!(reply.contains("checkpppoe budi01"), "{reply}");
    let row = s.last_row().await;
    assert_eq!(row.outcome, Outcome::Unknown);
    // It was made, once.
    assert!(s.server.state().secret("budi01").is_some());
    assert_eq!(s.server.state().writes_to("/ppp/secret/add", "budi01"), 1);
    // Checking, as told, once the router answers again.
    s.server.state().set_silent(false);
    assert!(s.say("checkpppoe budi01").await.starts_with("📊"));
    s.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disconnect_whose_reply_is_lost_is_re_read_and_done_once() {
    let s = Stack::new().await;
    s.server
        .state()
        .inject(Fault::ExecuteThenHangOn("/ppp/active/remove".into()));
    let reply = s.say("editpppoe john123 status disable").await;
    assert!(reply.starts_with("✅"), "{reply}");
    assert!(reply.contains("🔌 *Sesi Aktif:* diputus"), "{reply}");
    assert!(s.server.state().secret("john123").unwrap().disabled);
    assert!(s.server.state().active_session("john123").is_none());
    assert_eq!(
        s.server.state().writes_to("/ppp/active/remove", "john123"),
        1
    );
    let row = s.last_row().await;
    assert_eq!(row.outcome, Outcome::Ok);
    assert_eq!(row.error, None);
    s.store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_adds_of_one_static_ip_over_tcp_give_it_to_one() {
    let s = Stack::new().await;
    let mut config = EngineConfig::default();
    for i in 0..8 {
        config.access.push(AccessEntry {
            phone: PhoneNumber::parse(&format!("0813{:08}", i), "62").unwrap(),
            role: Role::Technician,
            name: format!("t{i}"),
        });
    }
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret")
        .port(s.server.addr().port())
        .command_timeout(Duration::from_secs(10));
    let engine = std::sync::Arc::new(Engine::new(
        RouterOs::new(RouterOsConfig::new("core-1", client)),
        s.store.clone(),
        SystemClock,
        config,
    ));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..8 {
        let engine = std::sync::Arc::clone(&engine);
        tasks.spawn(async move {
            let phone = format!("0813{:08}", i);
            engine
                .handle(Incoming {
                    id: format!("ip-race-{i}"),
                    chat: format!("{phone}@s.whatsapp.net"),
                    sender: Sender::Phone(PhoneNumber::parse(&phone, "62").unwrap()),
                    sender_lid: None,
                    text: format!("addpppoe race{i} password123 Basic 10.9.0.77"),
                    sent_at: SystemClock.now(),
                    received_at: None,
                    is_group: false,
                    attachment: None,
                })
                .await
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.unwrap();
    }
    let holders: Vec<_> = s
        .server
        .state()
        .secrets()
        .into_iter()
        .filter(|x| x.remote_address == Some(std::net::Ipv4Addr::new(10, 9, 0, 77)))
        .map(|x| x.name)
        .collect();
    assert_eq!(holders.len(), 1, "{holders:?}");
    let rows = s
        .store
        .query(&AuditQuery::new().command("addpppoe"))
        .await
        .unwrap();
    let ok: Vec<_> = rows
        .iter()
        .filter(|r| r.event.outcome == Outcome::Ok)
        .collect();
    assert_eq!(ok.len(), 1);
    assert_eq!(ok[0].event.target.as_deref(), Some(holders[0].as_str()));
    assert_eq!(
        rows.iter()
            .filter(|r| r.event.outcome == Outcome::Invalid)
            .count(),
        7
    );
}
