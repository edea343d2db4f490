//! `spawn_bot()`-style harness: the real engine over the fakes, driven synchronously.

use chrono::{DateTime, TimeZone, Utc};
use futures::executor::block_on;
use pppoe_core::testing::{FakeRouter, ManualClock, MemoryAudit, MemoryTickets};
use pppoe_core::{
    AccessEntry, AuditEvent, Clock, Engine, EngineConfig, Incoming, Outgoing, PhoneNumber, Role,
    Sender,
};
use std::sync::atomic::{AtomicU32, Ordering};

pub const ADMIN: &str = "081234567890";
pub const TECH: &str = "+62 813-1111-2222";
pub const STRANGER: &str = "6289999999999@s.whatsapp.net";

pub type TestEngine = Engine<FakeRouter, MemoryAudit, ManualClock, MemoryTickets>;

pub struct Bot {
    pub engine: TestEngine,
    pub router: FakeRouter,
    pub audit: MemoryAudit,
    pub tickets: MemoryTickets,
    pub clock: ManualClock,
    next_id: AtomicU32,
}

/// Jakarta local time (UTC+7) as UTC.
pub fn jakarta(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap() - chrono::Duration::hours(7)
}

pub fn config() -> EngineConfig {
    EngineConfig {
        access: vec![
            AccessEntry {
                phone: PhoneNumber::parse(ADMIN, "62").unwrap(),
                role: Role::Admin,
                name: "Admin".into(),
            },
            AccessEntry {
                phone: PhoneNumber::parse(TECH, "62").unwrap(),
                role: Role::Technician,
                name: "Teknisi".into(),
            },
        ],
        ..EngineConfig::default()
    }
}

impl Bot {
    pub fn new(router: FakeRouter, config: EngineConfig) -> Self {
        let audit = MemoryAudit::new();
        let clock = ManualClock::new(jakarta(2024, 12, 15, 16, 30, 25));
        let tickets = MemoryTickets::new();
        let engine = Engine::new(router.clone(), audit.clone(), clock.clone(), config)
            .with_tickets(tickets.clone());
        Self {
            engine,
            router,
            audit,
            tickets,
            clock,
            next_id: AtomicU32::new(1),
        }
    }

    /// The spec's two sample users, default config.
    pub fn spec() -> Self {
        Self::new(FakeRouter::with_spec_users(), config())
    }

    pub fn message(&self, from: &str, text: &str) -> Incoming {
        let n = self.next_id.fetch_add(1, Ordering::Relaxed);
        Incoming {
            id: format!("MSG{n:04}"),
            chat: format!("{}@s.whatsapp.net", from.trim_start_matches('+')),
            sender: Sender::Phone(PhoneNumber::parse(from, "62").unwrap()),
            sender_lid: None,
            text: text.to_owned(),
            sent_at: self.clock.now(),
            received_at: None,
            is_group: false,
            attachment: None,
        }
    }

    pub fn deliver(&self, msg: Incoming) -> Vec<Outgoing> {
        block_on(self.engine.handle(msg))
    }

    /// Sends as the admin; returns the reply texts.
    pub fn say(&self, text: &str) -> Vec<String> {
        self.say_as(ADMIN, text)
    }

    pub fn say_as(&self, from: &str, text: &str) -> Vec<String> {
        let msg = self.message(from, text);
        self.deliver(msg).into_iter().map(|o| o.text).collect()
    }

    /// Sends as the admin; expects exactly one reply.
    pub fn one(&self, text: &str) -> String {
        let mut replies = self.say(text);
        assert_eq!(replies.len(), 1, "replies to {text:?}: {replies:#?}");
        replies.remove(0)
    }

    pub fn at(&self, y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) {
        self.clock.set(jakarta(y, mo, d, h, mi, s));
    }

    /// Claims `msg`'s id as an earlier process would have before it stopped (what the engine
    /// records in a claim: who, what, about whom).
    pub fn claim(&self, msg: &Incoming, command: &str, target: Option<&str>) {
        use pppoe_core::{AuditSink, Outcome};
        let event = AuditEvent {
            at: msg.sent_at,
            actor_phone: PhoneNumber::parse(ADMIN, "62").unwrap().as_str().to_owned(),
            actor_lid: None,
            role: Some(Role::Admin),
            command: command.to_owned(),
            target: target.map(str::to_owned),
            router: None,
            arguments: target.unwrap_or_default().to_owned(),
            outcome: Outcome::Ok,
            error: None,
            reason: None,
            duration_ms: 0,
            message_id: msg.id.clone(),
        };
        assert!(block_on(self.audit.claim(&event)).unwrap());
    }

    pub fn events(&self) -> Vec<AuditEvent> {
        self.audit.events()
    }

    pub fn last_event(&self) -> AuditEvent {
        self.events().pop().expect("an audit event")
    }
}

/// WhatsApp bold markers removed: the spec shows its layouts without them.
pub fn strip_bold(text: &str) -> String {
    text.replace('*', "")
}
