//! The spec's field workflow (issue 12) end to end through the WhatsApp test server: a
//! ticket reported by an admin, taken and worked by a technician in the field, a subscriber
//! added for it with the customer's number, the customer's credentials, a photo and a
//! location as evidence, and `selesai TR001`, with every notice delivered to a real client.

use std::path::Path;

use audit_store::{AuditQuery, AuditStore, StoreOptions};
use pppoe_core::{
    AccessEntry, CustomerSettings, Engine, EngineConfig, Outcome, PhoneNumber, Role, SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};
use wa_testserver::{Account, Peer, TestServer};
use whatsapp_adapter::WhatsApp;
use whatsapp_rust::Jid;

use crate::server::{account, linked, serve_one, start_with, technician};

fn admin() -> Account {
    Account::new("6281200000001", 0, "200000000000001")
}

fn second_admin() -> Account {
    Account::new("6281200000002", 0, "200000000000002")
}

fn customer() -> Account {
    Account::new("6281298765432", 0, "300000000000001")
}

type TicketEngine = Engine<RouterOs, AuditStore, SystemClock, AuditStore>;

/// Runs the bot on message `id` from `peer`; the peer's next message (its reply).
async fn say(
    server: &TestServer,
    whatsapp: &WhatsApp,
    engine: &TicketEngine,
    peer: &Peer,
    id: String,
) -> String {
    server
        .wait_until("the message at the server", |s| {
            s.routed().iter().any(|r| r.id == id)
        })
        .await;
    serve_one(whatsapp, engine).await;
    let reply = peer.next_message().await;
    assert_eq!(reply.quoting.as_deref(), Some(id.as_str()), "{reply:?}");
    reply.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_from_report_to_selesai_with_customer_notice_photo_and_location() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    let media = dir.path().join("media");
    let (engine, store, sim) = ticket_stack(dir.path(), &media).await;
    let tech = Peer::connect(&server, &technician(), dir.path()).await;
    let boss = Peer::connect(&server, &admin(), dir.path()).await;
    let other = Peer::connect(&server, &second_admin(), dir.path()).await;
    let client = Peer::connect(&server, &customer(), dir.path()).await;
    let allowlisted = [
        number(&technician()),
        number(&admin()),
        number(&second_admin()),
    ];
    let (whatsapp, driver) = start_with(&server, &config, &allowlisted).await;
    let bot = Jid::pn(&account().phone);
    let say = |peer, sent| say(&server, &whatsapp, &engine, peer, sent);

    // The admin reports an installation; a new ticket without an assignee goes to the admins.
    let text = say(
        &boss,
        boss.send_text(&bot, "lapor pasang baru Pak Budi, Jl. Mawar 3")
            .await,
    )
    .await;
    assert!(text.contains("TR001"), "{text}");
    let notice = other.next_message().await;
    assert!(
        notice.text.contains("TR001"),
        "the other admin is told: {notice:?}"
    );
    // The technician takes it.
    let text = say(&tech, tech.send_text(&bot, "ambil TR001").await).await;
    assert!(text.contains("TR001"), "{text}");
    // ... adds the subscriber for it, with the customer's WhatsApp number.
    let add = format!(
        "addpppoe budi01 rahasia123 Premium tiket=TR001 wa=0{}",
        &customer().phone[2..]
    );
    let text = say(&tech, tech.send_text(&bot, &add).await).await;
    assert!(
        text.contains("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"),
        "{text}"
    );
    // The customer gets their login, decrypted by their own phone.
    let credentials = client.next_message().await;
    assert!(credentials.text.contains("budi01"), "{}", credentials.text);
    assert!(
        credentials.text.contains("rahasia123"),
        "{}",
        credentials.text
    );
    assert_eq!(sim.state().secret("budi01").unwrap().profile, "Premium");

    // A photo of the ONU, and the location of the installation.
    let jpeg = test_jpeg();
    let text = say(
        &tech,
        tech.send_photo(&bot, &jpeg, "foto TR001 ONU terpasang")
            .await,
    )
    .await;
    assert!(text.contains("TR001"), "{text}");
    let text = say(
        &tech,
        tech.send_location(&bot, -6.2, 106.816666, "lokasi TR001")
            .await,
    )
    .await;
    assert!(text.contains("TR001"), "{text}");
    assert_eq!(
        server.media().len(),
        1,
        "the photo went through the media server"
    );

    // Resolved with the spec's command: the reporter (an admin) is told.
    let text = say(
        &tech,
        tech.send_text(&bot, "selesai TR001 User PPPoE berhasil dibuat")
            .await,
    )
    .await;
    assert!(text.contains("TR001"), "{text}");
    // The reporter (an admin) and the other admin are told, once each.
    for peer in [&boss, &other] {
        let told = peer.next_message().await.text;
        assert!(told.starts_with("✅ *TIKET TR001 SELESAI*"), "{told}");
        assert!(told.contains("User PPPoE berhasil dibuat"), "{told}");
    }
    // The customer is told it is done.
    let done = client.next_message().await;
    assert!(done.text.contains("TR001"), "{}", done.text);

    // The ticket holds it all: the subscriber, the photo and the location.
    let text = say(&tech, tech.send_text(&bot, "tiket TR001").await).await;
    assert!(text.contains("budi01"), "{text}");
    assert!(text.contains("maps"), "a map link for the location: {text}");

    // The photo on disk is the photo sent, named by its SHA-256.
    let stored: Vec<_> = std::fs::read_dir(&media)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(stored.len(), 1, "{stored:?}");
    let bytes = std::fs::read(&stored[0]).unwrap();
    assert_eq!(bytes, jpeg);
    let name = stored[0].file_stem().unwrap().to_str().unwrap().to_owned();
    assert_eq!(name, sha256_hex(&jpeg));

    // Every step audited, the customer's notice with its delivery, and the log intact.
    store.flush().await;
    let rows = store.query(&AuditQuery::new().limit(100)).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| !format!("{:?}", r.event).contains("rahasia123")),
        "no password in the audit"
    );
    assert!(
        rows.iter()
            .any(|r| r.event.message_id.ends_with("#notify") && r.event.outcome == Outcome::Ok),
        "{rows:#?}"
    );
    assert!(store.verify().await.unwrap().is_intact());

    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
    for peer in [&tech, &boss, &other, &client] {
        peer.disconnect().await;
    }
    store.close().await;
    sim.shutdown().await;
}

fn number(account: &Account) -> PhoneNumber {
    PhoneNumber::international(&account.phone).unwrap()
}

async fn ticket_stack(dir: &Path, media: &Path) -> (TicketEngine, AuditStore, SimServer) {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let sim = SimServer::start(state).await.unwrap();
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret").port(sim.addr().port());
    let router = RouterOs::new(RouterOsConfig::new("core-1", client));
    let store = AuditStore::open(
        dir.join("audit.db"),
        StoreOptions::default().media_dir(media),
    )
    .await
    .unwrap();
    let config = EngineConfig {
        access: vec![
            AccessEntry {
                phone: number(&technician()),
                role: Role::Technician,
                name: "Teknisi".into(),
            },
            AccessEntry {
                phone: number(&admin()),
                role: Role::Admin,
                name: "Admin".into(),
            },
            AccessEntry {
                phone: number(&second_admin()),
                role: Role::Admin,
                name: "Admin 2".into(),
            },
        ],
        customer: CustomerSettings {
            notify_on_create: true,
            notify_on_resolve: true,
            ..CustomerSettings::default()
        },
        ..EngineConfig::default()
    };
    let engine =
        Engine::new(router, store.clone(), SystemClock, config).with_tickets(store.clone());
    (engine, store, sim)
}

/// A small valid JPEG (a 1x1 image).
fn test_jpeg() -> Vec<u8> {
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    jpeg.extend((0u8..200).map(|i| i.wrapping_mul(7)));
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
