//! The spec's three flows as WhatsApp messages from a LID-addressed admin: whatsapp-rust message events
//! are built by hand, translated by the adapter's pure layer, run by pppoe-core's real engine
//! over the in-memory router and audit log, and the replies are built as WhatsApp messages
//! quoting the command. Plus the offline-backlog rule: a delete sent 10 minutes before a
//! reconnect is not executed, and the sender is told.

use std::time::Duration;

use chrono::{DateTime, Utc};
use pppoe_core::testing::{FakeRouter, ManualClock, MemoryAudit};
use pppoe_core::{
    AccessEntry, AuditEvent, Clock, Engine, EngineConfig, Incoming, Outcome, Outgoing, PhoneNumber,
    Role, Sender,
};
use whatsapp_adapter::identity::LidMap;
use whatsapp_adapter::outgoing::{QuoteCache, Quoted, build_text_message};
use whatsapp_adapter::translate::{Translation, Translator};
use whatsapp_rust::buffa::MessageField;
use whatsapp_rust::types::message::{MessageInfo, MessageSource};
use whatsapp_rust::waproto::whatsapp as wa;

const ADMIN_PHONE: &str = "6281234567890";
const ADMIN_LID: &str = "123456789012345";

/// How the admin's LID is resolved.
#[derive(Clone, Copy)]
enum Resolution {
    /// WhatsApp sends the phone number along (`sender_alt`).
    SenderAlt,
    /// The LID map built at start-up through the contacts API.
    StartupMap,
}

struct Chat {
    engine: Engine<FakeRouter, MemoryAudit, ManualClock>,
    router: FakeRouter,
    audit: MemoryAudit,
    clock: ManualClock,
    translator: Translator,
    quotes: QuoteCache,
    resolution: Resolution,
    next: u32,
}

impl Chat {
    fn new(router: FakeRouter, resolution: Resolution) -> Self {
        let config = EngineConfig {
            access: vec![AccessEntry {
                phone: PhoneNumber::parse("0812-3456-7890", "62").unwrap(),
                role: Role::Admin,
                name: "Admin".into(),
            }],
            ..EngineConfig::default()
        };
        let audit = MemoryAudit::new();
        let clock = ManualClock::spec();
        let engine = Engine::new(router.clone(), audit.clone(), clock.clone(), config);
        let mut lids = LidMap::new();
        if let Resolution::StartupMap = resolution {
            lids.insert(
                &format!("{ADMIN_LID}@lid").parse().unwrap(),
                &format!("{ADMIN_PHONE}@s.whatsapp.net").parse().unwrap(),
            );
        }
        Self {
            engine,
            router,
            audit,
            clock,
            translator: Translator::new(Vec::<String>::new(), lids),
            quotes: QuoteCache::new(64),
            resolution,
            next: 1,
        }
    }

    /// The whatsapp-rust event of the admin's phone (device 12) sending `text` at `sent_at`.
    fn event(&mut self, text: &str, sent_at: DateTime<Utc>) -> (wa::Message, MessageInfo) {
        let id = format!("3EB0{:06X}", self.next);
        self.next += 1;
        let info = MessageInfo {
            id,
            source: MessageSource {
                chat: format!("{ADMIN_LID}@lid").parse().unwrap(),
                sender: format!("{ADMIN_LID}:12@lid").parse().unwrap(),
                sender_alt: match self.resolution {
                    Resolution::SenderAlt => {
                        Some(format!("{ADMIN_PHONE}:12@s.whatsapp.net").parse().unwrap())
                    }
                    Resolution::StartupMap => None,
                },
                ..Default::default()
            },
            timestamp: sent_at,
            push_name: "Admin".into(),
            ..Default::default()
        };
        let message = wa::Message {
            extended_text_message: MessageField::some(wa::message::ExtendedTextMessage {
                text: Some(text.into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        (message, info)
    }

    fn translate(&mut self, message: &wa::Message, info: &MessageInfo) -> Incoming {
        assert!(
            !self.translator.needs_library_lookup(info),
            "resolved without the library's store"
        );
        let Translation::Command(incoming) = self.translator.translate(message, info, None) else {
            panic!("not a command");
        };
        self.quotes.insert(
            incoming.id.clone(),
            Quoted {
                participant: info.source.sender.to_non_ad().to_string(),
                text: incoming.text.clone(),
            },
        );
        incoming
    }

    /// Sends `text` as the admin, now; returns the replies as WhatsApp would show them.
    async fn say(&mut self, text: &str) -> String {
        let sent_at = self.clock.now();
        self.say_at(text, sent_at).await
    }

    async fn say_at(&mut self, text: &str, sent_at: DateTime<Utc>) -> String {
        let (message, info) = self.event(text, sent_at);
        let incoming = self.translate(&message, &info);
        assert_eq!(
            incoming.sender,
            Sender::Phone(pppoe_core::PhoneNumber::international(ADMIN_PHONE).unwrap())
        );
        let replies = self.engine.handle(incoming.clone()).await;
        assert!(!replies.is_empty(), "a reply to {text:?}");
        self.check_wire(&incoming, &replies);
        self.clock.advance(Duration::from_secs(5));
        replies
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The replies go to the LID chat; the first quotes the command with its LID sender.
    fn check_wire(&self, incoming: &Incoming, replies: &[Outgoing]) {
        for (i, reply) in replies.iter().enumerate() {
            assert_eq!(reply.chat, format!("{ADMIN_LID}@lid"));
            let quote = reply
                .quoting
                .as_ref()
                .map(|id| (id.as_str(), self.quotes.get(id).expect("quotable")));
            let message = build_text_message(&reply.text, quote);
            if i == 0 {
                let ctx = message
                    .extended_text_message
                    .as_option()
                    .and_then(|e| e.context_info.as_option())
                    .expect("the first reply quotes the command");
                assert_eq!(ctx.stanza_id.as_deref(), Some(incoming.id.as_str()));
                assert_eq!(
                    ctx.participant.as_deref(),
                    Some(format!("{ADMIN_LID}@lid").as_str())
                );
            }
        }
    }

    fn last_event(&self) -> AuditEvent {
        self.audit.events().last().cloned().expect("an audit event")
    }
}

fn both(test: impl Fn(Resolution)) {
    test(Resolution::SenderAlt);
    test(Resolution::StartupMap);
}

fn run<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn flow_new_installation() {
    both(|resolution| {
        run(async {
            let mut chat = Chat::new(FakeRouter::new(), resolution);
            let reply = chat.say("addpppoe john123 password123 Premium").await;
            assert!(
                reply.starts_with("✅ *USER PPPoE BERHASIL DITAMBAHKAN*"),
                "{reply}"
            );
            let stored = chat
                .router
                .secret("john123")
                .expect("created on the router");
            assert_eq!(stored.secret.profile, "Premium");
            assert_eq!(stored.password, "password123");
            let ev = chat.last_event();
            assert_eq!(ev.command, "addpppoe");
            assert_eq!(ev.outcome, Outcome::Ok);
            assert_eq!(ev.actor_phone, ADMIN_PHONE);
            assert_eq!(
                ev.actor_lid.as_deref(),
                Some("123456789012345@lid"),
                "the audit log keeps the LID"
            );
            assert_eq!(ev.arguments, "john123 *** Premium");
        });
    });
}

#[test]
fn flow_package_upgrade() {
    both(|resolution| {
        run(async {
            let mut chat = Chat::new(FakeRouter::with_spec_users(), resolution);
            let status = chat.say("checkpppoe john123").await;
            assert!(status.contains("📊 *Profile:* Premium"), "{status}");
            let edit = chat.say("editpppoe john123 profile VIP").await;
            assert!(edit.contains("VIP"), "{edit}");
            assert_eq!(chat.router.secret("john123").unwrap().secret.profile, "VIP");
            let restart = chat.say("restartpppoe john123").await;
            assert!(
                restart.starts_with("🔄 *KONEKSI PPPoE BERHASIL DIRESTART*"),
                "{restart}"
            );
            assert!(!chat.router.is_online("john123"));
            let outcomes: Vec<_> = chat
                .audit
                .events()
                .iter()
                .map(|e| (e.command.clone(), e.outcome))
                .collect();
            assert_eq!(
                outcomes,
                [
                    ("checkpppoe".to_owned(), Outcome::Ok),
                    ("editpppoe".to_owned(), Outcome::Ok),
                    ("restartpppoe".to_owned(), Outcome::Ok),
                ]
            );
        });
    });
}

#[test]
fn flow_user_removal() {
    both(|resolution| {
        run(async {
            let mut chat = Chat::new(FakeRouter::with_spec_users(), resolution);
            chat.say("checkpppoe john123").await;
            let ask = chat.say("delpppoe john123").await;
            assert!(chat.router.secret("john123").is_some(), "{ask}");
            let done = chat.say("delpppoe john123 Pelanggan pindah lokasi").await;
            assert!(
                done.starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"),
                "{done}"
            );
            assert!(chat.router.secret("john123").is_none());
            assert!(!chat.router.is_online("john123"));
            let ev = chat.last_event();
            assert_eq!(ev.command, "delpppoe");
            assert_eq!(ev.outcome, Outcome::Ok);
            assert_eq!(ev.reason.as_deref(), Some("Pelanggan pindah lokasi"));
            assert_eq!(ev.actor_lid.as_deref(), Some("123456789012345@lid"));
        });
    });
}

#[test]
fn a_delete_from_the_offline_backlog_is_not_executed_and_the_sender_is_told() {
    run(async {
        let mut chat = Chat::new(FakeRouter::with_spec_users(), Resolution::SenderAlt);
        // Sent while the bot was offline; delivered with its original timestamp after the
        // reconnect, between OfflineSyncPreview and OfflineSyncCompleted.
        let sent_at = chat.clock.now() - chrono::Duration::minutes(10);
        let reply = chat
            .say_at("delpppoe john123 Pelanggan pindah lokasi", sent_at)
            .await;
        assert!(reply.contains("PERINTAH DILEWATI"), "{reply}");
        assert!(reply.contains("delpppoe john123"), "{reply}");
        assert_eq!(chat.router.writes(), 0, "the router saw no write");
        assert!(chat.router.secret("john123").is_some());
        let ev = chat.last_event();
        assert_eq!(ev.outcome, Outcome::Skipped);
        assert_eq!(ev.command, "delpppoe");
        // Resent now, it runs.
        let done = chat.say("delpppoe john123 Pelanggan pindah lokasi").await;
        assert!(
            done.starts_with("✅ *USER PPPoE BERHASIL DIHAPUS*"),
            "{done}"
        );
    });
}

#[test]
fn an_unresolvable_lid_is_refused_and_audited() {
    run(async {
        let chat = Chat::new(FakeRouter::with_spec_users(), Resolution::StartupMap);
        let info = MessageInfo {
            id: "3EB0DEAD".into(),
            source: MessageSource {
                chat: "999999999999999@lid".parse().unwrap(),
                sender: "999999999999999:3@lid".parse().unwrap(),
                ..Default::default()
            },
            timestamp: chat.clock.now(),
            ..Default::default()
        };
        let message = wa::Message {
            conversation: Some("delpppoe john123 bye".into()),
            ..Default::default()
        };
        assert!(chat.translator.needs_library_lookup(&info));
        // the library's store does not know it either.
        let Translation::Command(incoming) = chat.translator.translate(&message, &info, None)
        else {
            panic!()
        };
        assert_eq!(
            incoming.sender,
            Sender::UnresolvedLid("999999999999999@lid".into())
        );
        let replies = chat.engine.handle(incoming).await;
        assert!(
            replies.is_empty(),
            "unknown senders get no reply by default"
        );
        assert_eq!(chat.router.writes(), 0);
        let ev = chat.last_event();
        assert_eq!(ev.outcome, Outcome::Denied);
        assert_eq!(ev.actor_lid.as_deref(), Some("999999999999999@lid"));
    });
}
