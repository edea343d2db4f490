//! A WhatsApp user for tests: the real whatsapp-rust client, as the primary device (a phone)
//! of an account of the test server, with real Signal sessions built from the keys the
//! server hands out.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::{Mutex, mpsc};
use whatsapp_rust::Client;
use whatsapp_rust::bot::Bot;
use whatsapp_rust::types::events::{Event, EventHandler, EventInterest, EventKind};
use whatsapp_rust::wacore_binary::Jid;
use whatsapp_rust::waproto::whatsapp as wa;
use whatsapp_rust_sqlite_storage::SqliteStore;

use crate::{Account, PATIENCE, TestServer, VERSION};

/// A message the peer received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    /// The message id.
    pub id: String,
    /// The chat it came in.
    pub chat: Jid,
    /// Its text.
    pub text: String,
    /// The id of the message it quotes, if it quotes one.
    pub quoting: Option<String>,
}

/// A WhatsApp user (a device of an account) that sends and receives messages
/// through the test server.
pub struct Peer {
    client: Arc<Client>,
    got: Mutex<mpsc::UnboundedReceiver<Got>>,
    _run: tokio::task::JoinHandle<()>,
}

impl std::fmt::Debug for Peer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peer").finish_non_exhaustive()
    }
}

struct Sink {
    got: mpsc::UnboundedSender<Got>,
    connected: mpsc::UnboundedSender<()>,
}

const KINDS: &[EventKind] = &[EventKind::Messages, EventKind::Connected];

impl EventHandler for Sink {
    fn handle_event(&self, event: Arc<Event>) {
        match &*event {
            Event::Messages(batch) => {
                for m in batch {
                    let text = m
                        .message
                        .conversation
                        .clone()
                        .or_else(|| {
                            m.message
                                .extended_text_message
                                .as_option()
                                .and_then(|e| e.text.clone())
                        })
                        .unwrap_or_default();
                    let quoting = m
                        .message
                        .extended_text_message
                        .as_option()
                        .and_then(|e| e.context_info.as_option())
                        .and_then(|c| c.stanza_id.clone());
                    let _ = self.got.send(Got {
                        id: m.info.id.to_string(),
                        chat: m.info.source.chat.clone(),
                        text,
                        quoting,
                    });
                }
            }
            Event::Connected(_) => {
                let _ = self.connected.send(());
            }
            _ => {}
        }
    }

    fn interest(&self) -> EventInterest {
        EventInterest::of(KINDS)
    }
}

impl Peer {
    /// Links `account`'s device `account.device` (0: the phone itself; another number: a
    /// companion such as WhatsApp Desktop) in a session file in `dir`, connects it to
    /// `server`, and waits until it is connected and its keys are on the server.
    pub async fn connect(server: &TestServer, account: &Account, dir: &Path) -> Self {
        let session = dir.join(format!("peer-{}-{}.db", account.phone, account.device));
        server
            .seed_session(account, &session)
            .await
            .expect("the peer's session");
        let store = SqliteStore::new(session.to_str().expect("UTF-8 path"))
            .await
            .expect("the peer's store");
        let (got_tx, got) = mpsc::unbounded_channel();
        let (connected_tx, mut connected) = mpsc::unbounded_channel();
        let bot = Bot::builder()
            .with_backend(store)
            .with_transport_factory(server.factory())
            .with_http_client(server.media())
            .with_version(VERSION)
            .with_event_handler(Sink {
                got: got_tx,
                connected: connected_tx,
            })
            .skip_history_sync()
            .build()
            .await
            .expect("the peer's client");
        let client = bot.client();
        let run = tokio::spawn(async move {
            bot.run().await;
        });
        tokio::time::timeout(PATIENCE, connected.recv())
            .await
            .expect("the peer connects")
            .expect("the peer's events");
        // A phone uploaded its keys long ago; a fresh client does it just after connecting.
        let device = account.device_jid();
        server
            .wait_until("the peer's pre-key upload", |s| s.has_keys(&device))
            .await;
        Self {
            client,
            got: Mutex::new(got),
            _run: run,
        }
    }

    /// Sends `text` to `to` (an account's JID, in either namespace); the message's id.
    pub async fn send_text(&self, to: &Jid, text: &str) -> String {
        let message = wa::Message {
            conversation: Some(text.to_owned()),
            ..Default::default()
        };
        self.send(to, message).await
    }

    /// Sends a photo (`jpeg`: its bytes) with `caption`, uploaded to the server's media store
    /// as WhatsApp does (encrypted with a fresh media key); the message's id.
    pub async fn send_photo(&self, to: &Jid, jpeg: &[u8], caption: &str) -> String {
        let uploaded = self
            .client
            .upload(
                jpeg.to_vec(),
                whatsapp_rust::download::MediaType::Image,
                Default::default(),
            )
            .await
            .expect("the photo is uploaded");
        let message = wa::Message {
            image_message: whatsapp_rust::buffa::MessageField::some(wa::message::ImageMessage {
                url: Some(uploaded.url),
                direct_path: Some(uploaded.direct_path),
                media_key: Some(uploaded.media_key.to_vec()),
                file_sha256: Some(uploaded.file_sha256.to_vec()),
                file_enc_sha256: Some(uploaded.file_enc_sha256.to_vec()),
                file_length: Some(uploaded.file_length),
                media_key_timestamp: Some(uploaded.media_key_timestamp),
                mimetype: Some("image/jpeg".into()),
                caption: Some(caption.to_owned()),
                ..Default::default()
            }),
            ..Default::default()
        };
        self.send(to, message).await
    }

    /// Shares a location with `comment` (what WhatsApp shows under it); the message's id.
    pub async fn send_location(
        &self,
        to: &Jid,
        latitude: f64,
        longitude: f64,
        comment: &str,
    ) -> String {
        let message = wa::Message {
            location_message: whatsapp_rust::buffa::MessageField::some(
                wa::message::LocationMessage {
                    degrees_latitude: Some(latitude),
                    degrees_longitude: Some(longitude),
                    comment: Some(comment.to_owned()),
                    ..Default::default()
                },
            ),
            ..Default::default()
        };
        self.send(to, message).await
    }

    async fn send(&self, to: &Jid, message: wa::Message) -> String {
        self.client
            .send_message(to.clone(), message)
            .await
            .expect("the peer's message is sent")
            .message_id
            .to_string()
    }

    /// The next message the peer receives; fails the test after a minute without one.
    pub async fn next_message(&self) -> Got {
        let mut got = self.got.lock().await;
        tokio::time::timeout(PATIENCE, got.recv())
            .await
            .expect("a message for the peer within two minutes")
            .expect("the peer's events")
    }

    /// Disconnects.
    pub async fn disconnect(&self) {
        self.client.disconnect().await;
    }
}
