//! The live driver (`WhatsApp::connect`, whatsapp-rust's real client) against the
//! protocol-level test server of `wa-testserver`: the Noise handshake, the login and its
//! answers, the IQs of a connect, and WhatsApp's ways of ending a session.

use std::path::Path;
use std::time::Duration;

use audit_store::{AuditQuery, AuditStore, StoreOptions};
use pppoe_core::{
    AccessEntry, Engine, EngineConfig, Messenger as _, Outcome, PhoneNumber, Role, SystemClock,
};
use routeros_adapter::{RouterOs, RouterOsConfig};
use routeros_api::ClientConfig;
use routeros_sim::{SimServer, SimState};
use wa_testserver::{Account, NodeBuilder, OnLogin, Pattern, Peer, TestServer, VERSION};
use whatsapp_adapter::{Driver, Endpoint, TerminalError, WaError, WhatsApp, WhatsAppConfig};
use whatsapp_rust::Jid;

pub(crate) fn account() -> Account {
    Account::new("628110000001", 7, "100000000000001")
}

/// A server and a session linked to its account, with the config that reaches it.
pub(crate) async fn linked(dir: &Path) -> (TestServer, WhatsAppConfig) {
    logs();
    let server = TestServer::new();
    let session = dir.join("wa.db");
    server.seed_session(&account(), &session).await.unwrap();
    let config = reaching(&server, session);
    (server, config)
}

/// `WA_LOG=debug` shows the library's and the adapter's logs in a test's output
/// (`WA_TESTSERVER_TRACE=1` the stanzas).
pub(crate) fn logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("WA_LOG"))
        .with_test_writer()
        .try_init();
}

/// The adapter's settings for session file `session`, connecting to `server`.
pub(crate) fn reaching(server: &TestServer, session: std::path::PathBuf) -> WhatsAppConfig {
    let mut config = WhatsAppConfig::new(session);
    config.endpoint = Endpoint::Custom {
        transport: server.transport(),
        http: server.http(),
        version: VERSION,
    };
    // Replies unpaced: these tests are about the protocol, pacing has its own.
    config.pacing.per_chat_interval = Duration::ZERO;
    config.pacing.jitter = Duration::ZERO;
    config
}

fn admins() -> Vec<PhoneNumber> {
    vec![PhoneNumber::parse("081234567890", "62").unwrap()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_linked_session_logs_in_with_noise_ik_and_goes_active() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    let (whatsapp, driver) = WhatsApp::connect(config, &admins()).await.unwrap();
    {
        let state = server.state();
        let login = &state.logins()[0];
        assert_eq!(login.pattern, Pattern::Ik, "a linked session knows the key");
        assert_eq!(login.username, Some(628110000001));
        assert_eq!(login.device, Some(7));
        // The backlog waits for <active/>.
        assert!(state.went_active(1), "{:#?}", state.received());
        assert_eq!(state.connections(), 1);
    }
    // The pre-key upload: peers can start sessions with the bot.
    server
        .wait_until("the pre-key upload", |s| s.iqs("encrypt").next().is_some())
        .await;
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logged_out_on_connect_ends_for_the_operator_and_is_kept_for_the_admins() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    server.script(OnLogin::Fail {
        reason: 401,
        code: None,
        expire: None,
    });
    let ended = config.ended_path();
    let err = WhatsApp::connect(config, &admins()).await.unwrap_err();
    let WaError::Terminal(TerminalError::LoggedOut { reason }) = &err else {
        panic!("{err:?}");
    };
    assert!(
        reason.contains("401") || reason.to_lowercase().contains("logged out"),
        "{reason}"
    );
    assert!(err.to_string().contains("pppoe-bot pair"), "{err}");
    // Fault 9: the reason is kept for the notice at the next connect.
    let kept = std::fs::read_to_string(ended).unwrap();
    assert!(kept.contains("logged"), "{kept}");
    // Not retried: one connection, one login.
    assert_eq!(server.state().logins().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_temporary_ban_says_until_when() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    server.script(OnLogin::Fail {
        reason: 402,
        code: Some(101),
        expire: Some(3600),
    });
    let err = WhatsApp::connect(config, &admins()).await.unwrap_err();
    let WaError::Terminal(TerminalError::TemporaryBan { expires_in, .. }) = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*expires_in, Duration::from_secs(3600));
    assert!(err.to_string().contains("until"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replaced_by_another_connection_ends_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    let (whatsapp, driver) = WhatsApp::connect(config, &admins()).await.unwrap();
    let conflict = NodeBuilder::new("stream:error")
        .children([NodeBuilder::new("conflict")
            .attr("type", "replaced")
            .build()])
        .build();
    assert!(server.send(conflict));
    let err = driver.wait().await.unwrap_err();
    assert!(
        matches!(err, WaError::Terminal(TerminalError::StreamReplaced)),
        "{err:?}"
    );
    assert_eq!(
        whatsapp.terminal_error(),
        Some(TerminalError::StreamReplaced)
    );
    assert_eq!(
        server.state().connections(),
        1,
        "no reconnect after replaced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_is_reconnected_not_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    let (whatsapp, driver) = WhatsApp::connect(config, &admins()).await.unwrap();
    assert!(server.end_connection());
    server
        .wait_until("the second connection to go active", |s| s.went_active(2))
        .await;
    assert_eq!(server.state().logins()[1].pattern, Pattern::Ik);
    assert_eq!(whatsapp.terminal_error(), None);
    // A 515 (the server's "restart the stream") is routine too.
    assert!(server.send(NodeBuilder::new("stream:error").attr("code", "515").build()));
    server
        .wait_until("the third connection to go active", |s| s.went_active(3))
        .await;
    assert_eq!(whatsapp.terminal_error(), None);
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
}

/// The technician's phone: an account of the test server, allowlisted as an admin.
pub(crate) fn technician() -> Account {
    Account::new("6281234567890", 0, "123456789012345")
}

/// The bot's engine over routeros-sim (TCP) and a SQLite audit log, as `pppoe-bot run` wires
/// them.
struct Stack {
    engine: Engine<RouterOs, AuditStore, SystemClock>,
    store: AuditStore,
    sim: SimServer,
}

async fn stack(dir: &Path) -> Stack {
    let state = SimState::new().with_user("api", "api-secret");
    state.add_example_users().unwrap();
    let sim = SimServer::start(state).await.unwrap();
    let client = ClientConfig::new("127.0.0.1", "api", "api-secret").port(sim.addr().port());
    let router = RouterOs::new(RouterOsConfig::new("core-1", client));
    let store = AuditStore::open(dir.join("audit.db"), StoreOptions::default())
        .await
        .unwrap();
    let config = EngineConfig {
        access: vec![AccessEntry {
            phone: PhoneNumber::international(&technician().phone).unwrap(),
            role: Role::Admin,
            name: "Teknisi".into(),
        }],
        ..EngineConfig::default()
    };
    Stack {
        engine: Engine::new(router, store.clone(), SystemClock, config),
        store,
        sim,
    }
}

/// Takes the bot's next message, runs it through the engine and delivers what it answers as
/// the binary's serve loop does: replies sent; notices sent with `send_confirmed` and their
/// delivery audited.
pub(crate) async fn serve_one<T: pppoe_core::TicketStore>(
    whatsapp: &WhatsApp,
    engine: &Engine<RouterOs, AuditStore, SystemClock, T>,
) {
    let incoming = whatsapp
        .next_message()
        .await
        .expect("a message for the bot");
    for out in engine.handle(incoming).await {
        match out.audit.clone() {
            Some(audit) => {
                let delivery = whatsapp.send_confirmed(&out).await;
                engine.record_delivery(&audit, &delivery).await;
            }
            None => whatsapp.send(&out).await.expect("the reply is sent"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spec_flows_from_a_phone_through_the_test_server_to_the_router_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    let stack = stack(dir.path()).await;
    let phone = Peer::connect(&server, &technician(), dir.path()).await;
    let (whatsapp, driver) = start(&server, &config).await;

    let bot = Jid::pn(&account().phone);
    let script = [
        // Addressed by phone number.
        (
            false,
            "addpppoe budi01 password123 Premium",
            "✅ *USER PPPoE BERHASIL DITAMBAHKAN*",
        ),
        (false, "checkpppoe john123", "🟢 *Koneksi:* Terhubung"),
        // By LID, as WhatsApp addresses most chats now.
        (
            true,
            "editpppoe john123 profile VIP",
            "🆕 *Value Baru:* VIP",
        ),
        (
            true,
            "restartpppoe john123",
            "🔄 *KONEKSI PPPoE BERHASIL DIRESTART*",
        ),
        (
            true,
            "delpppoe jane456 Pelanggan pindah lokasi",
            "✅ *USER PPPoE BERHASIL DIHAPUS*",
        ),
    ];
    for (by_lid, text, want) in script {
        if by_lid {
            server.address_by_lid(&technician());
        }
        let sent = phone.send_text(&bot, text).await;
        serve_one(&whatsapp, &stack.engine).await;
        let reply = phone.next_message().await;
        assert!(reply.text.contains(want), "{text}: {}", reply.text);
        assert_eq!(
            reply.quoting.as_deref(),
            Some(sent.as_str()),
            "{text}: quotes the command"
        );
    }

    // Every reply was encrypted for devices of one addressing namespace (fault 2).
    let replies: Vec<_> = server
        .state()
        .routed()
        .iter()
        .filter(|r| r.from.user == account().phone)
        .cloned()
        .collect();
    assert_eq!(replies.len(), script.len());
    for reply in &replies {
        assert!(!reply.recipients.is_empty(), "{reply:?}");
        assert!(
            reply.recipients.iter().all(|j| j.server == reply.to.server),
            "one namespace: {reply:?}"
        );
        assert_eq!(reply.refused, None);
    }

    let sim = stack.sim.state();
    assert_eq!(sim.secret("budi01").unwrap().profile, "Premium");
    assert_eq!(sim.secret("john123").unwrap().profile, "VIP");
    assert!(sim.secret("jane456").is_none());
    stack.store.flush().await;
    let rows = stack
        .store
        .query(&AuditQuery::new().limit(50))
        .await
        .unwrap();
    assert_eq!(rows.len(), script.len());
    assert!(
        rows.iter()
            .all(|r| r.event.actor_phone == technician().phone)
    );
    assert!(rows.iter().all(|r| r.event.outcome == Outcome::Ok));

    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
    phone.disconnect().await;
    stack.store.close().await;
    stack.sim.shutdown().await;
}

/// A linked bot and the technician's phone (also the admin told of the bot's stops).
async fn connected(dir: &Path) -> (TestServer, WhatsAppConfig, Peer) {
    let (server, mut config) = linked(dir).await;
    config.admins = vec![PhoneNumber::international(&technician().phone).unwrap()];
    let phone = Peer::connect(&server, &technician(), dir).await;
    (server, config, phone)
}

/// Connects the bot with the technician allowlisted; see [`start_with`].
pub(crate) async fn start(server: &TestServer, config: &WhatsAppConfig) -> (WhatsApp, Driver) {
    let allowlisted = [PhoneNumber::international(&technician().phone).unwrap()];
    start_with(server, config, &allowlisted).await
}

/// Connects the bot and waits until its keys are on the server (so that phones can write to
/// it).
pub(crate) async fn start_with(
    server: &TestServer,
    config: &WhatsAppConfig,
    allowlisted: &[PhoneNumber],
) -> (WhatsApp, Driver) {
    let started = WhatsApp::connect(config.clone(), allowlisted)
        .await
        .unwrap();
    let bot_device = account().device_jid();
    server
        .wait_until("the bot's pre-key upload", |s| s.has_keys(&bot_device))
        .await;
    started
}

/// Sends `text` from `phone` and waits until the server has taken it.
pub(crate) async fn command(server: &TestServer, phone: &Peer, text: &str) -> String {
    let id = phone.send_text(&Jid::pn(&account().phone), text).await;
    server
        .wait_until("the command at the server", |s| {
            s.routed().iter().any(|r| r.id == id)
        })
        .await;
    id
}

/// Stops the bot (it must end cleanly), the phone and the router.
async fn stop(whatsapp: WhatsApp, driver: Driver, phone: &Peer, stack: Stack) {
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
    phone.disconnect().await;
    stack.sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_the_server_refuses_is_sent_once_more_and_a_second_refusal_is_counted() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config, phone) = connected(dir.path()).await;
    let stack = stack(dir.path()).await;
    let (whatsapp, driver) = start(&server, &config).await;

    // Refused once (479): the retry gets through, quoting the command as the reply did.
    let sent = command(&server, &phone, "checkpppoe john123").await;
    server.refuse_next_message(479);
    serve_one(&whatsapp, &stack.engine).await;
    let reply = phone.next_message().await;
    assert!(reply.text.contains("john123"), "{}", reply.text);
    assert_eq!(reply.quoting.as_deref(), Some(sent.as_str()));

    // Refused twice: a delivery failure, counted (the audit row stays as it was).
    command(&server, &phone, "checkpppoe jane456").await;
    server.refuse_next_message(463);
    server.refuse_next_message(463);
    serve_one(&whatsapp, &stack.engine).await;
    server
        .wait_until("the retry refused too", |s| {
            s.routed().iter().filter(|r| r.refused.is_some()).count() == 3
        })
        .await;
    // The adapter reads the server's acks in order: once it hands out the next command, it
    // has judged the acks that came before it.
    command(&server, &phone, "checkpppoe budi01").await;
    let _ = whatsapp.next_message().await.expect("the next command");
    let stats = whatsapp.delivery_stats();
    assert_eq!(
        (stats.delivered, stats.retried, stats.failed),
        (1, 2, 1),
        "{stats:?}"
    );
    let refused: Vec<_> = server
        .state()
        .routed()
        .iter()
        .filter_map(|r| r.refused)
        .collect();
    assert_eq!(refused, [479, 463, 463]);

    stop(whatsapp, driver, &phone, stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backlog_comes_before_connected_and_an_old_write_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config, phone) = connected(dir.path()).await;
    let stack = stack(dir.path()).await;
    // Linked and online once (its keys are on the server), then away.
    let (whatsapp, driver) = start(&server, &config).await;
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
    drop(whatsapp);

    // Sent while the bot was away, ten minutes ago.
    let bot = Jid::pn(&account().phone);
    let delete = phone
        .send_text(&bot, "delpppoe jane456 Pelanggan pindah lokasi")
        .await;
    let check = phone.send_text(&bot, "checkpppoe john123").await;
    let device = account().device_jid();
    server
        .wait_until("both waiting for the bot", |s| s.queued(&device) == 2)
        .await;
    server.age_queued(&device, 600);

    let (whatsapp, driver) = start(&server, &config).await;
    serve_one(&whatsapp, &stack.engine).await;
    serve_one(&whatsapp, &stack.engine).await;
    let first = phone.next_message().await;
    let second = phone.next_message().await;
    assert_eq!(first.quoting.as_deref(), Some(delete.as_str()));
    assert!(first.text.contains("PERINTAH DILEWATI"), "{}", first.text);
    assert_eq!(second.quoting.as_deref(), Some(check.as_str()));
    assert!(
        second.text.contains("🟢 *Koneksi:* Terhubung"),
        "{}",
        second.text
    );
    assert!(
        stack.sim.state().secret("jane456").is_some(),
        "a ten-minute-old delete is not run"
    );
    // Both came in the offline queue (the bot's receipt names both ids).
    let receipted: Vec<String> = server
        .state()
        .received()
        .iter()
        .filter(|r| r.node.tag == "receipt" && r.connection == 3)
        .flat_map(|r| {
            let listed = r
                .node
                .get_optional_child("list")
                .and_then(|l| l.children())
                .unwrap_or_default()
                .iter()
                .filter_map(|item| wa_testserver::attr(item, "id"));
            wa_testserver::attr(&r.node, "id")
                .into_iter()
                .chain(listed)
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        receipted.contains(&delete) && receipted.contains(&check),
        "{receipted:?}"
    );

    stop(whatsapp, driver, &phone, stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resent_write_is_not_run_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config, phone) = connected(dir.path()).await;
    let stack = stack(dir.path()).await;
    let (whatsapp, driver) = start(&server, &config).await;
    command(&server, &phone, "editpppoe john123 profile VIP").await;
    serve_one(&whatsapp, &stack.engine).await;
    assert!(phone.next_message().await.text.contains("VIP"));
    // The same text again under a new message id (a late retry, or a second tap).
    command(&server, &phone, "editpppoe john123 profile VIP").await;
    serve_one(&whatsapp, &stack.engine).await;
    let again = phone.next_message().await;
    assert!(again.text.contains("SUDAH DIJALANKAN"), "{}", again.text);
    stack.store.flush().await;
    let rows = stack
        .store
        .query(&AuditQuery::new().limit(10))
        .await
        .unwrap();
    assert_eq!(rows[0].event.outcome, Outcome::Skipped);
    assert_eq!(rows[1].event.outcome, Outcome::Ok);

    stop(whatsapp, driver, &phone, stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_from_a_companion_device_is_answered() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    // WhatsApp Desktop: device 3 of the technician's account, addressed by LID.
    let desktop = Account::new(&technician().phone, 3, &technician().lid);
    let phone = Peer::connect(&server, &desktop, dir.path()).await;
    server.address_by_lid(&desktop);
    let stack = stack(dir.path()).await;
    let (whatsapp, driver) = start(&server, &config).await;
    let sent = command(&server, &phone, "checkpppoe john123").await;
    serve_one(&whatsapp, &stack.engine).await;
    let reply = phone.next_message().await;
    assert_eq!(reply.quoting.as_deref(), Some(sent.as_str()));
    assert!(reply.text.contains("john123"), "{}", reply.text);
    // It came from `USER:3@lid`; the reply went to the companion.
    let reply_routed = server.state().routed().last().cloned().unwrap();
    assert!(
        reply_routed.recipients.iter().any(|j| j.device == 3),
        "{reply_routed:?}"
    );
    stack.store.flush().await;
    let rows = stack
        .store
        .query(&AuditQuery::new().limit(1))
        .await
        .unwrap();
    assert_eq!(rows[0].event.actor_phone, technician().phone);

    stop(whatsapp, driver, &phone, stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_logout_the_admins_are_told_at_the_next_connect() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config, phone) = connected(dir.path()).await;
    server.script(OnLogin::Fail {
        reason: 401,
        code: None,
        expire: None,
    });
    let allowlisted = [PhoneNumber::international(&technician().phone).unwrap()];
    let err = WhatsApp::connect(config.clone(), &allowlisted)
        .await
        .unwrap_err();
    assert!(
        matches!(err, WaError::Terminal(TerminalError::LoggedOut { .. })),
        "{err:?}"
    );
    // Linked again (`pppoe-bot pair`), and started.
    server
        .seed_session(&account(), &config.session_path)
        .await
        .unwrap();
    let (whatsapp, driver) = start(&server, &config).await;
    // Fault 9: the notice the logout could not send goes out now, saying when and why.
    let notice = phone.next_message().await;
    assert!(
        notice.text.starts_with("ℹ️ *pppoe-bot aktif kembali*"),
        "{}",
        notice.text
    );
    assert!(notice.text.contains("pppoe-bot pair"), "{}", notice.text);
    assert!(!config.ended_path().exists(), "told: forgotten");
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
    phone.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_connection_is_replaced_and_the_bot_goes_on() {
    // Fault 1: the keepalive gives up on a connection that answers nothing (up to 50 s of
    // the library's own clock); the bot connects again instead of ending.
    let dir = tempfile::tempdir().unwrap();
    let (server, config, phone) = connected(dir.path()).await;
    let stack = stack(dir.path()).await;
    let (whatsapp, driver) = start(&server, &config).await;
    assert!(server.stall_connection());
    server
        .wait_until("a new connection after the stall", |s| s.went_active(3))
        .await;
    assert_eq!(whatsapp.terminal_error(), None);
    let sent = command(&server, &phone, "checkpppoe john123").await;
    serve_one(&whatsapp, &stack.engine).await;
    let reply = phone.next_message().await;
    assert_eq!(reply.quoting.as_deref(), Some(sent.as_str()));
    stop(whatsapp, driver, &phone, stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undecryptable_message_gets_a_retry_receipt_and_the_sender_is_asked_to_resend() {
    let dir = tempfile::tempdir().unwrap();
    let (server, mut config, phone) = connected(dir.path()).await;
    config.undecryptable_grace = Duration::from_millis(200);
    let stack = stack(dir.path()).await;
    let (whatsapp, driver) = start(&server, &config).await;
    // A first message sets up the Signal session.
    command(&server, &phone, "checkpppoe john123").await;
    serve_one(&whatsapp, &stack.engine).await;
    phone.next_message().await;
    // The second arrives damaged: the library asks the sender's device to resend it (a retry
    // receipt); no resend comes (the stand-in does not pass retry receipts on), so after the
    // grace the bot asks the technician.
    server.corrupt_next_message();
    let lost = command(&server, &phone, "checkpppoe jane456").await;
    let asked = phone.next_message().await;
    assert_eq!(asked.text, "⚠️ Pesan tidak terbaca, kirim ulang.");
    let retried = server.state().received().iter().any(|r| {
        r.node.tag == "receipt"
            && wa_testserver::attr(&r.node, "type").as_deref() == Some("retry")
            && wa_testserver::attr(&r.node, "id").as_deref() == Some(lost.as_str())
    });
    assert!(retried, "a retry receipt for the damaged message");
    // Nothing ran for it.
    stack.store.flush().await;
    let rows = stack
        .store
        .query(&AuditQuery::new().limit(10))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1, "{rows:#?}");

    stop(whatsapp, driver, &phone, stack).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pair_with_a_phone_on_a_linked_session_says_so_and_asks_for_no_code() {
    // Fault 8: `pair --phone` on a linked session used to ask for a pairing code, and fail.
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = linked(dir.path()).await;
    let mut out = Vec::new();
    let bot = PhoneNumber::international(&account().phone).unwrap();
    let outcome = whatsapp_adapter::pair::pair_with_output(
        &config,
        Some(&bot),
        &mut out,
        Duration::from_secs(120),
    )
    .await
    .unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(
        out.contains("already linked to +628110000001; no pairing code is asked for"),
        "{out}"
    );
    assert!(
        matches!(outcome, whatsapp_adapter::PairOutcome::AlreadyPaired { .. }),
        "{outcome:?}"
    );
    // It checked the session with a login, and asked for no code.
    let state = server.state();
    assert_eq!(state.logins()[0].username, Some(628110000001));
    assert!(state.iqs("md").next().is_none(), "{:#?}", state.received());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_error_loop_trips_the_breaker_and_the_client_waits_before_trying_again() {
    // Fault 4: a server that ends every connection with a stream error must not be hammered
    // (that is how numbers get banned). The library backs off 1, 1, 2, 3, 5 s; the adapter's
    // breaker stops the client for 30 s after more than 5 failures in a minute.
    let dir = tempfile::tempdir().unwrap();
    let (server, mut config) = linked(dir.path()).await;
    // No connection ever gets to `Connected`: do not wait for one.
    config.connect_timeout = Duration::from_millis(100);
    let error = || NodeBuilder::new("stream:error").attr("code", "503").build();
    for _ in 0..12 {
        server.script(OnLogin::AcceptThenEnd(error()));
    }
    let allowlisted = admins();
    let connect = WhatsApp::connect(config, &allowlisted);
    let (whatsapp, driver) = connect.await.unwrap();
    server
        .wait_until("the connection after the breaker's pause", |s| {
            s.connections() >= 8
        })
        .await;
    let opened = server.state().opened_at().to_vec();
    let gaps: Vec<Duration> = opened.windows(2).map(|w| w[1] - w[0]).collect();
    let pause = gaps
        .iter()
        .position(|g| *g >= whatsapp_adapter::breaker::FIRST_PAUSE)
        .unwrap_or_else(|| panic!("no pause of 30 s between connections: {gaps:?}"));
    assert!(
        pause < whatsapp_adapter::breaker::MAX_FAILURES + 1,
        "the pause came after at most 6 failures: {gaps:?}"
    );
    assert!(
        gaps[..pause].iter().all(|g| *g < Duration::from_secs(20)),
        "{gaps:?}"
    );
    eprintln!("gaps between connections: {gaps:?}");
    // Not the end: the bot is still running.
    assert_eq!(whatsapp.terminal_error(), None);
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
}
