//! The spec's three flows as WhatsApp messages from a LID-addressed admin through the whole
//! stack: whatsapp-rust message events built by hand, the adapter's translation, the real engine, the
//! RouterOS client over TCP to routeros-sim, and the SQLite audit log.

use audit_store::{AuditQuery, AuditStore, StoreOptions};
use pppoe_core::{
    AccessEntry, Engine, EngineConfig, Outcome, PhoneNumber, Role, Sender, SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};
use whatsapp_adapter::identity::LidMap;
use whatsapp_adapter::translate::{Translation, Translator};
use whatsapp_rust::types::message::{MessageInfo, MessageSource};
use whatsapp_rust::waproto::whatsapp as wa;

const ADMIN_PHONE: &str = "6281234567890";
const ADMIN_LID: &str = "123456789012345";

fn event(n: u32, text: &str) -> (wa::Message, MessageInfo) {
    let info = MessageInfo {
        id: format!("3EB0STACK{n:04}"),
        source: MessageSource {
            chat: format!("{ADMIN_LID}@lid").parse().unwrap(),
            sender: format!("{ADMIN_LID}:7@lid").parse().unwrap(),
            sender_alt: Some(format!("{ADMIN_PHONE}:7@s.whatsapp.net").parse().unwrap()),
            ..Default::default()
        },
        timestamp: pppoe_core::Clock::now(&SystemClock),
        push_name: "Admin".into(),
        ..Default::default()
    };
    let message = wa::Message {
        conversation: Some(text.into()),
        ..Default::default()
    };
    (message, info)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_three_flows_from_a_lid_admin_over_routeros_sim_and_sqlite() {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let server = SimServer::start(state).await.unwrap();
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret").port(server.addr().port());
    let router = RouterOs::new(RouterOsConfig::new("core-1", client));
    let dir = tempfile::tempdir().unwrap();
    let store = AuditStore::open(dir.path().join("audit.db"), StoreOptions::default())
        .await
        .unwrap();
    let config = EngineConfig {
        access: vec![AccessEntry {
            phone: PhoneNumber::parse("0812-3456-7890", "62").unwrap(),
            role: Role::Admin,
            name: "Admin".into(),
        }],
        ..EngineConfig::default()
    };
    let engine = Engine::new(router, store.clone(), SystemClock, config);
    let translator = Translator::new(Vec::<String>::new(), LidMap::new());

    let script = [
        // Pemasangan Baru
        (
            "addpppoe budi01 password123 Premium",
            "✅ *USER PPPoE BERHASIL DITAMBAHKAN*",
        ),
        ("checkpppoe budi01", "📊 *STATUS USER PPPoE*"),
        // Upgrade Paket
        ("checkpppoe john123", "🟢 *Koneksi:* Terhubung"),
        ("editpppoe john123 profile VIP", "🆕 *Value Baru:* VIP"),
        (
            "restartpppoe john123",
            "🔄 *KONEKSI PPPoE BERHASIL DIRESTART*",
        ),
        // Penghapusan User
        ("checkpppoe jane456", "👤 *Username:* jane456"),
        (
            "delpppoe jane456 Pelanggan pindah lokasi",
            "✅ *USER PPPoE BERHASIL DIHAPUS*",
        ),
    ];
    for (n, (text, want)) in script.iter().enumerate() {
        let (message, info) = event(n as u32, text);
        let Translation::Command(incoming) = translator.translate(&message, &info, None) else {
            panic!("{text} was not translated into a command");
        };
        assert_eq!(
            incoming.sender,
            Sender::Phone(pppoe_core::PhoneNumber::international(ADMIN_PHONE).unwrap())
        );
        assert_eq!(incoming.sender_lid.as_deref(), Some("123456789012345@lid"));
        let replies = engine.handle(incoming).await;
        assert!(
            replies[0].text.contains(want),
            "{text}: {}",
            replies[0].text
        );
        assert_eq!(replies[0].quoting.as_deref(), Some(info.id.as_str()));
    }

    let sim = server.state();
    assert_eq!(sim.secret("budi01").unwrap().profile, "Premium");
    assert_eq!(sim.secret("john123").unwrap().profile, "VIP");
    assert!(sim.active_session("john123").is_none(), "restarted: kicked");
    assert!(sim.secret("jane456").is_none());

    store.flush().await;
    let rows = store.query(&AuditQuery::new().limit(50)).await.unwrap();
    assert_eq!(rows.len(), script.len());
    assert!(rows.iter().all(|r| r.event.actor_phone == ADMIN_PHONE));
    assert!(
        rows.iter()
            .all(|r| r.event.actor_lid.as_deref() == Some("123456789012345@lid"))
    );
    assert!(rows.iter().all(|r| r.event.outcome == Outcome::Ok));
    assert!(store.verify().await.unwrap().is_intact());
    store.close().await;
    server.shutdown().await;
}
