//! pppoe-core's [`Messenger`](pppoe_core::Messenger) port over WhatsApp multi-device, with the
//! `whatsapp-rust` library (an unofficial client: see docs/whatsapp.md for the risk and for pairing).
//!
//! ```text
//!                     whatsapp-rust client (websocket, Signal sessions, session file, reconnects)
//!                          │ event bus: handlers run synchronously, in dispatch order
//!                          ▼
//!   EventSink ──push──▶ channel ──▶ pump task ──────────────────────────────────────────┐
//!                                    │ translate: text of plain/extended/caption messages; │
//!                                    │   drop own, status, channels, edits, reactions,     │
//!                                    │   protocol, groups not allowlisted                  │
//!                                    │ identity: sender_alt ▸ start-up LID map ▸ whatsapp-rust store│
//!                                    │   (a LID never becomes a phone number)              │
//!                                    │ reorder (short window): each sender in order sent   │
//!                                    │ undecryptable ▸ grace ▸ "pesan tidak terbaca, kirim │
//!                                    │   ulang" (allowlisted senders only)                 │
//!                                    │ lifecycle: log; LoggedOut/StreamReplaced/ban ▸ end  │
//!                                    ▼                                                     │
//!   WhatsApp::next_message ◀── inbox ◀─┘   (the binary calls engine.enqueue in this order) │
//!   WhatsApp::send ──▶ split ≤4096 ──▶ Pacer (1/s per chat, N/min, jitter) ──▶ whatsapp-rust ◀────┘
//!                       first part quotes the command; "typing…" while it runs
//! ```
//!
//! The live parts ([`WhatsApp::connect`], [`pair()`]) are thin; the decisions are pure and
//! tested with constructed whatsapp-rust values: [`translate`], [`identity`], [`outgoing`],
//! [`pacing`], [`reorder`], [`typing`], [`lifecycle`]. The live parts run in the tests against
//! `wa-testserver`, a protocol-level stand-in for WhatsApp's servers, through
//! [`Endpoint::Custom`]. whatsapp-rust logs through the `log` crate; the
//! binary's `tracing-log` bridge carries those records into its tracing subscriber.
//!
//! # Example: the pure layer
//!
//! A message from a technician whose WhatsApp hides the number behind a LID, resolved through
//! the LID map built at start-up, becomes the engine's [`Incoming`](pppoe_core::Incoming):
//!
//! ```
//! use whatsapp_adapter::identity::LidMap;
//! use whatsapp_adapter::translate::{Translation, Translator};
//! use whatsapp_rust::buffa::MessageField;
//! use whatsapp_rust::types::message::{MessageInfo, MessageSource};
//! use whatsapp_rust::waproto::whatsapp as wa;
//!
//! let mut lids = LidMap::new();
//! lids.insert(&"123456789012345@lid".parse().unwrap(), &"6281234567890@s.whatsapp.net".parse().unwrap());
//! let translator = Translator::new(Vec::<String>::new(), lids);
//!
//! let info = MessageInfo {
//!     id: "3EB0C0FFEE".into(),
//!     source: MessageSource {
//!         chat: "123456789012345@lid".parse().unwrap(),
//!         sender: "123456789012345:12@lid".parse().unwrap(),
//!         ..Default::default()
//!     },
//!     timestamp: chrono::DateTime::from_timestamp(1_734_255_025, 0).unwrap(),
//!     ..Default::default()
//! };
//! let message = wa::Message {
//!     image_message: MessageField::some(wa::message::ImageMessage {
//!         caption: Some("checkpppoe john123".into()),
//!         ..Default::default()
//!     }),
//!     ..Default::default()
//! };
//! let Translation::Command(incoming) = translator.translate(&message, &info, None) else {
//!     panic!("a command");
//! };
//! assert_eq!(incoming.text, "checkpppoe john123");
//! assert_eq!(incoming.sender.key(), "6281234567890");
//! assert_eq!(incoming.sender_lid.as_deref(), Some("123456789012345@lid"));
//!
//! // The bot's own messages are never commands.
//! let mut own = info.clone();
//! own.source.is_from_me = true;
//! assert!(matches!(translator.translate(&message, &own, None), Translation::Ignore(_)));
//! ```
//!
//! # Wiring (the binary)
//!
//! ```no_run
//! # async fn run(engine: std::sync::Arc<()>, allowlisted: Vec<pppoe_core::PhoneNumber>) -> Result<(), whatsapp_adapter::WaError> {
//! use whatsapp_adapter::{WhatsApp, WhatsAppConfig};
//! let config = WhatsAppConfig::new("/var/lib/pppoe-bot/whatsapp.db");
//! let (whatsapp, driver) = WhatsApp::connect(config, &allowlisted).await?;
//! // serve(engine, Arc::new(whatsapp), shutdown_signal()) until next_message() gives None,
//! // then: whatsapp.shutdown().await; and
//! driver.wait().await?; // Err(WaError::Terminal(..)): print it, exit non-zero
//! # Ok(()) }
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod adapter;
pub mod breaker;
pub mod config;
pub mod delivery;
pub mod error;
pub mod identity;
pub mod lifecycle;
mod live;
pub mod outgoing;
pub mod pacing;
pub mod pair;
pub mod reorder;
pub mod translate;
pub mod typing;

// Keeps SQLite bundled (one libsqlite3-sys in the tree, shared with sqlx) even when this crate
// is built alone; see the workspace Cargo.toml.
use libsqlite3_sys as _;

pub use config::{Endpoint, PacingConfig, WhatsAppConfig};
pub use error::{TerminalError, WaError};
pub use live::{Driver, WhatsApp};
pub use pair::{PairOutcome, pair};
