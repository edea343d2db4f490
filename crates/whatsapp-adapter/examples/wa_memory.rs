//! Resident memory of the bot's WhatsApp path, connected to the WhatsApp test server: the
//! real whatsapp-rust client with its SQLite session, the adapter, the engine, the RouterOS
//! client over TCP to routeros-sim and the SQLite audit log, wired as `pppoe-bot run` wires
//! them, idle and after N commands from a technician's phone (a second real client).
//!
//! Everything runs in one process, so the figures include the test server, the phone's
//! client and routeros-sim: the line "before the bot" is measured first and the bot's share is
//! the difference. Run by `bench/wa-rss.sh` (release build); not run by CI.

use std::time::Duration;

use audit_store::{AuditStore, StoreOptions};
use pppoe_core::{
    AccessEntry, Engine, EngineConfig, Messenger as _, PhoneNumber, Role, SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};
use wa_testserver::{Account, Peer, TestServer, VERSION};
use whatsapp_adapter::{Endpoint, WhatsApp, WhatsAppConfig};
use whatsapp_rust::Jid;

/// VmRSS of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let commands: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(1000);
    let dir = tempfile::tempdir().expect("a temporary directory");
    let bot = Account::new("628110000001", 7, "100000000000001");
    let tech = Account::new("6281234567890", 0, "123456789012345");

    let server = TestServer::new();
    let session = dir.path().join("wa.db");
    server
        .seed_session(&bot, &session)
        .await
        .expect("the bot's session");
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().expect("the example users");
    let sim = SimServer::start(state).await.expect("routeros-sim");
    let phone = Peer::connect(&server, &tech, dir.path()).await;
    let before = rss_kib();

    let client = ClientConfig::new("127.0.0.1", "api", "api-secret").port(sim.addr().port());
    let router = RouterOs::new(RouterOsConfig::new("core-1", client));
    let store = AuditStore::open(dir.path().join("audit.db"), StoreOptions::default())
        .await
        .expect("the audit log");
    let technician = PhoneNumber::international(&tech.phone).expect("a number");
    let engine = Engine::new(
        router,
        store.clone(),
        SystemClock,
        EngineConfig {
            access: vec![AccessEntry {
                phone: technician.clone(),
                role: Role::Admin,
                name: "Teknisi".into(),
            }],
            // The phone sends as fast as the bot answers; the engine's limit is not measured.
            rate_limit_per_minute: u32::MAX,
            ..EngineConfig::default()
        },
    );
    let mut config = WhatsAppConfig::new(&session);
    config.endpoint = Endpoint::Custom {
        transport: server.transport(),
        http: server.http(),
        version: VERSION,
    };
    config.pacing.per_chat_interval = Duration::ZERO;
    config.pacing.jitter = Duration::ZERO;
    config.pacing.per_minute = u32::MAX;
    let (whatsapp, driver) = WhatsApp::connect(config, &[technician])
        .await
        .expect("connected");
    let device = bot.device_jid();
    server
        .wait_until("the bot's pre-key upload", |s| s.has_keys(&device))
        .await;
    let idle = rss_kib();

    let to = Jid::pn(&bot.phone);
    let texts = [
        "checkpppoe john123",
        "pppoe",
        "checkpppoe jane456",
        "help pppoe",
    ];
    let started = std::time::Instant::now();
    for i in 0..commands {
        phone.send_text(&to, texts[i % texts.len()]).await;
        let incoming = whatsapp.next_message().await.expect("a command");
        for reply in engine.handle(incoming).await {
            whatsapp.send(&reply).await.expect("a reply");
        }
        phone.next_message().await;
    }
    let elapsed = started.elapsed();
    let after = rss_kib();

    println!("resident memory (VmRSS), one process:");
    println!(
        "  test server + phone + routeros-sim, before the bot: {}",
        mb(before)
    );
    println!(
        "  + the bot connected, idle:                          {}",
        mb(idle)
    );
    println!(
        "  + after {commands} commands answered:                   {}",
        mb(after)
    );
    println!(
        "the bot's share: idle {}, after {commands} commands {}",
        mb(idle - before),
        mb(after.saturating_sub(before))
    );
    println!(
        "{commands} commands round trip in {elapsed:.1?} ({:.1} ms each)",
        elapsed.as_secs_f64() * 1000.0 / commands as f64
    );

    whatsapp.shutdown().await;
    let _ = driver.wait().await;
    phone.disconnect().await;
    store.close().await;
    sim.shutdown().await;
}
