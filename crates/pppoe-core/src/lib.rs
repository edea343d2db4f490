//! The heart of pppoe-bot: the domain, the command grammar, validation, reply texts and the
//! [`Engine`]. Pure: no async runtime, no socket, no database, no WhatsApp crate.
//!
//! ```text
//!  Messenger ──Incoming──▶ Engine::handle ──▶ Vec<Outgoing> ──▶ Messenger
//!                            │   normalize sender, at-most-once, authorize, rate limit,
//!                            │   parse, permission, stale check, validate
//!                            ├──▶ Router      (/ppp secret, active, profile, traffic)
//!                            ├──▶ AuditSink   (one event per attempt, passwords redacted)
//!                            └──▶ Clock
//! ```
//!
//! The ports ([`Router`], [`Messenger`], [`AuditSink`], [`Clock`]) are traits; adapters live in
//! other crates, and the `testing` feature provides in-memory fakes.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "testing")] {
//! use pppoe_core::testing::{FakeRouter, ManualClock, MemoryAudit};
//! use pppoe_core::{AccessEntry, Engine, EngineConfig, Incoming, PhoneNumber, Role, Sender};
//!
//! let admin = PhoneNumber::parse("0812-3456-7890", "62").unwrap();
//! let config = EngineConfig {
//!     access: vec![AccessEntry { phone: admin, role: Role::Admin, name: "Admin".into() }],
//!     ..EngineConfig::default()
//! };
//! let clock = ManualClock::spec();
//! let engine = Engine::new(FakeRouter::new(), MemoryAudit::new(), clock.clone(), config);
//! let message = Incoming {
//!     id: "3EB0A1".into(),
//!     chat: "6281234567890@s.whatsapp.net".into(),
//!     sender: Sender::Phone(PhoneNumber::parse("6281234567890@s.whatsapp.net", "62").unwrap()),
//!     sender_lid: None,
//!     text: "addpppoe john123 password123 Premium".into(),
//!     sent_at: pppoe_core::Clock::now(&clock),
//!     received_at: None,
//!     is_group: false,
//! attachment: None,
//! };
//! let replies = futures::executor::block_on(engine.handle(message));
//! assert!(replies[0].text.starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"));
//! assert_eq!(engine.router().secret("john123").unwrap().secret.profile, "Premium");
//! # }
//! ```
#![deny(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod alerts;
pub mod command;
pub mod domain;
pub mod engine;
mod gate;
pub mod isolation;
mod multi;
pub mod ports;
pub mod profile;
pub mod render;
mod rng;
pub mod sample;
pub mod template;
#[cfg(feature = "testing")]
pub mod testing;
pub mod ticket;

pub use alerts::SessionEvent;
pub use command::{Arg, Command, CommandKind, EditField, HelpTopic, ParseError, parse_command};
pub use domain::{
    CustomerInfo, Ipv4Net, Password, PhoneNumber, Role, StaticIp, SubscriberStatus, Username,
};
pub use engine::{
    AccessEntry, CONFIRMATION_TTL, ClientEntry, CustomerSettings, DeleteConfirmation, Engine,
    EngineConfig, FieldError, Permissions, Queued, REPEAT_WINDOW, TicketSettings, ValidCommand,
};
pub use isolation::{Isolation, IsolationPage, IsolirMethod, IsolirSettings, SecretFields};
pub use multi::{NamedRouter, RouterSet, RouterSetError};
pub use ports::{
    ActiveSession, ActivityCount, AuditError, AuditEvent, AuditSink, ChatId, Clock, Delivery,
    DeliveryAudit, Incoming, IpUser, ListFilter, ListedSecret, MessageId, Messenger,
    MessengerError, NewSecret, Outcome, Outgoing, PageRequest, Router, RouterError, RouterProfile,
    Secret, SecretChange, SecretPage, SecretRef, Sender, SystemClock, Traffic,
};
pub use profile::{Profile, ProfileName, ProfileTable, RateLimit};
pub use render::{Language, Renderer, split_message};
pub use rng::SplitMix64;
pub use ticket::{
    NoTickets, Ticket, TicketError, TicketEvent, TicketEventKind, TicketFilter, TicketId,
    TicketState, TicketStore,
};
