//! The live driver (`WhatsApp::connect`, whatsapp-rust's real client) against the
//! protocol-level test server of `wa-testserver`: the Noise handshake, the login and its
//! answers, the IQs of a connect, and WhatsApp's ways of ending a session.

use std::path::Path;
use std::time::Duration;

use pppoe_core::PhoneNumber;
use wa_testserver::{Account, NodeBuilder, OnLogin, Pattern, TestServer, VERSION};
use whatsapp_adapter::{Endpoint, TerminalError, WaError, WhatsApp, WhatsAppConfig};

fn account() -> Account {
    Account::new("628110000001", 7, "100000000000001")
}

/// A server and a session linked to its account, with the config that reaches it.
async fn linked(dir: &Path) -> (TestServer, WhatsAppConfig) {
    // `WA_LOG=debug` shows the library's and the adapter's logs (`WA_TESTSERVER_TRACE=1` the
    // stanzas).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("WA_LOG"))
        .with_test_writer()
        .try_init();
    let server = TestServer::new(account());
    let session = dir.join("wa.db");
    server.seed_session(&session).await.unwrap();
    let mut config = WhatsAppConfig::new(session);
    config.endpoint = Endpoint::Custom {
        transport: server.transport(),
        version: VERSION,
    };
    config.connect_timeout = Duration::from_secs(60);
    (server, config)
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
