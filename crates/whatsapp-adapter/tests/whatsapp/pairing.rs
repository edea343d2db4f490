//! `pppoe-bot pair` on a fresh session through the test server: the session logs in to
//! register (Noise XX), gets the refs for its QR codes, shows the first one (in the terminal
//! and as a PNG), a phone scans it, the session checks and signs what the phone sent, the
//! server restarts the stream (515), and the session logs in as the account's new device; the
//! bot then connects with it as `pppoe-bot run` does (Noise IK). With `--phone`, the phone
//! types the pairing code instead.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use pppoe_core::PhoneNumber;
use tokio::sync::mpsc;
use wa_testserver::{Account, Pattern, Phone, TestServer};
use whatsapp_adapter::pair::{PairOutcome, pair_with_output};
use whatsapp_adapter::{WhatsApp, WhatsAppConfig};
use whatsapp_rust::Jid;
use whatsapp_rust::store::persistence_manager::PersistenceManager;
use whatsapp_rust_sqlite_storage::SqliteStore;

use crate::server::{logs, reaching};

/// The account whose phone links the bot (not linked to anything yet).
fn owner() -> Account {
    Account::new("628110000002", 0, "100000000000002")
}

/// A server, and the config of a session file that does not exist yet.
fn fresh(dir: &Path) -> (TestServer, WhatsAppConfig) {
    logs();
    let server = TestServer::new();
    let config = reaching(&server, dir.join("wa.db"));
    (server, config)
}

/// The terminal `pair` writes to: what it says reaches the test at each flush.
struct Terminal {
    pending: Vec<u8>,
    said: mpsc::UnboundedSender<String>,
}

impl Write for Terminal {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let text = String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
        // The test stopped listening: nothing to do.
        let _ = self.said.send(text);
        Ok(())
    }
}

/// What `pair` said up to and including the first flush that contains `needle`; `None` when
/// it ended first.
async fn until(heard: &mut mpsc::UnboundedReceiver<String>, needle: &str) -> Option<String> {
    let mut printed = String::new();
    while !printed.contains(needle) {
        printed.push_str(&heard.recv().await?);
    }
    Some(printed)
}

/// The text of the QR code in the PNG at `path`, read as a phone's camera would.
fn read_qr(path: &Path) -> String {
    let bytes = std::fs::read(path).expect("the QR code's PNG");
    let mut reader = png::Decoder::new(std::io::Cursor::new(bytes))
        .read_info()
        .expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size().expect("its size")];
    let info = reader.next_frame(&mut pixels).expect("its pixels");
    let (w, h) = (info.width as usize, info.height as usize);
    let mut image = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the PNG");
    grids[0].decode().expect("a readable QR code").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_session_is_linked_by_scanning_its_qr_code_and_then_connects() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = fresh(dir.path());
    let phone = Phone::new(owner());
    let (said, mut heard) = mpsc::unbounded_channel();

    let pairing = async {
        let mut terminal = Terminal {
            pending: Vec::new(),
            said,
        };
        pair_with_output(&config, None, &mut terminal, Duration::from_secs(120)).await
    };
    let scanning = async {
        // The PNG is written before the text that shows the code; `None` when `pair` ended
        // without showing one.
        let printed = until(&mut heard, "Scan with the bot's phone").await?;
        assert!(
            printed.contains("Connecting to WhatsApp to link this device"),
            "{printed}"
        );
        let qr = read_qr(&config.qr_png_path());
        Some((qr.clone(), phone.scan(&server, &qr)))
    };
    let (outcome, scanned) = tokio::join!(pairing, scanning);

    let (qr, scanned) = scanned.unwrap_or_else(|| panic!("no QR code shown: {outcome:?}"));
    let companion = scanned.unwrap();
    // `ref,noise key,identity key,ADV secret,client type`, the ref one the server sent.
    let fields: Vec<&str> = qr.split(',').collect();
    assert_eq!(fields.len(), 5, "{qr}");
    assert_eq!(
        server.state().pairing_refs().next(),
        Some(fields[0]),
        "the first ref's code is shown first"
    );
    assert_eq!(
        companion,
        Account::new("628110000002", 1, "100000000000002")
    );
    let outcome = outcome.unwrap();
    let PairOutcome::Paired {
        phone: number,
        lid,
        platform,
        ..
    } = &outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(number, "628110000002");
    assert_eq!(lid.as_deref(), Some("100000000000002@lid"));
    assert_eq!(platform, "android");
    {
        let state = server.state();
        assert_eq!(
            state.linked(),
            std::slice::from_ref(&companion),
            "{:?}",
            state.pairing_failures()
        );
        // Registration, then the new device's own login after the 515, both with Noise XX
        // (the session kept no server key while unregistered).
        let logins: Vec<_> = state
            .logins()
            .iter()
            .map(|l| (l.pattern, l.username, l.device))
            .collect();
        assert_eq!(
            logins,
            [
                (Pattern::Xx, None, None),
                (Pattern::Xx, Some(628110000002), Some(1)),
            ]
        );
    }
    assert!(
        !config.qr_png_path().exists(),
        "the QR code's PNG is removed"
    );

    // The session file holds the linked device, with the identity the phone and it signed.
    {
        let store = SqliteStore::new(config.session_path.to_str().unwrap())
            .await
            .unwrap();
        let manager = PersistenceManager::new(std::sync::Arc::new(store))
            .await
            .unwrap();
        let device = manager.get_device_snapshot();
        assert_eq!(device.pn, Some(Jid::pn_device("628110000002", 1)));
        let identity = device.account.as_ref().expect("the signed device identity");
        assert_eq!(identity.account_signature.as_ref().map(Vec::len), Some(64));
        assert_eq!(identity.device_signature.as_ref().map(Vec::len), Some(64));
    }

    // `pppoe-bot run` with it: a linked session, which now knows the server's key (IK).
    let admins = [PhoneNumber::parse("081234567890", "62").unwrap()];
    let (whatsapp, driver) = WhatsApp::connect(config, &admins).await.unwrap();
    {
        let state = server.state();
        let login = state.logins().last().unwrap();
        assert_eq!(login.pattern, Pattern::Ik);
        assert_eq!(login.username, Some(628110000002));
        assert_eq!(login.device, Some(1));
        assert!(
            state.went_active(login.connection),
            "{:#?}",
            state.received()
        );
    }
    whatsapp.shutdown().await;
    driver.wait().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fresh_session_is_linked_by_typing_its_pairing_code_on_the_phone() {
    let dir = tempfile::tempdir().unwrap();
    let (server, config) = fresh(dir.path());
    let phone = Phone::new(owner());
    let number = PhoneNumber::international(&owner().phone).unwrap();
    let (said, mut heard) = mpsc::unbounded_channel();

    let pairing = async {
        let mut terminal = Terminal {
            pending: Vec::new(),
            said,
        };
        pair_with_output(
            &config,
            Some(&number),
            &mut terminal,
            Duration::from_secs(120),
        )
        .await
    };
    let typing = async {
        let printed = until(&mut heard, "Pairing code: ").await?;
        let code: String = printed
            .split("Pairing code: ")
            .nth(1)?
            .chars()
            .take(9)
            .collect();
        // A mistyped code first: the bundle the device sends back does not decrypt.
        let wrong = if code.starts_with('Z') {
            "YYYY-YYYY"
        } else {
            "ZZZZ-ZZZZ"
        };
        let refused = phone.enter_code(&server, wrong).await;
        assert!(
            refused.as_ref().is_err_and(|e| e.contains("wrong code")),
            "{refused:?}"
        );
        Some((code.clone(), phone.enter_code(&server, &code).await))
    };
    let (outcome, typed) = tokio::join!(pairing, typing);

    let (code, typed) = typed.unwrap_or_else(|| panic!("no pairing code shown: {outcome:?}"));
    assert!(
        code.len() == 9 && code.as_bytes()[4] == b'-',
        "shown as ABCD-1234: {code:?}"
    );
    let companion = typed.unwrap();
    assert_eq!(
        companion,
        Account::new("628110000002", 1, "100000000000002")
    );
    let outcome = outcome.unwrap();
    assert!(
        matches!(&outcome, PairOutcome::Paired { phone, .. } if phone == "628110000002"),
        "{outcome:?}"
    );
    let state = server.state();
    assert_eq!(
        state.linked(),
        std::slice::from_ref(&companion),
        "{:?}",
        state.pairing_failures()
    );
    let last = state.logins().last().unwrap();
    assert_eq!((last.username, last.device), (Some(628110000002), Some(1)));
}
