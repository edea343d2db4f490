//! Engine::handle for each command with the in-memory fakes: parse + authorize + validate +
//! (fake) router calls + audit + render. Target: under 20 µs median per command.
//!
//! Run: `cargo bench -p pppoe-core --bench engine`.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use pppoe_core::testing::{FakeRouter, ManualClock, MemoryAudit};
use pppoe_core::{
    AccessEntry, AuditError, AuditEvent, AuditSink, Clock, Engine, EngineConfig, Incoming,
    PhoneNumber, Role, Sender,
};

/// An audit sink that forgets: the bench measures the engine, not a growing vector.
#[derive(Debug, Clone, Default)]
struct NullAudit;

impl AuditSink for NullAudit {
    async fn append(&self, event: AuditEvent) -> Result<(), AuditError> {
        black_box(event);
        Ok(())
    }
    async fn is_handled(&self, _id: &str) -> Result<bool, AuditError> {
        Ok(false)
    }
    async fn claim(&self, event: &AuditEvent) -> Result<bool, AuditError> {
        black_box(event);
        Ok(true)
    }
    async fn interrupted(&self) -> Result<Vec<AuditEvent>, AuditError> {
        Ok(Vec::new())
    }
    async fn created_at(
        &self,
        _usernames: &[String],
    ) -> Result<std::collections::HashMap<String, chrono::DateTime<chrono::Utc>>, AuditError> {
        Ok(Default::default())
    }
    async fn activity(
        &self,
        _since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<pppoe_core::ActivityCount>, AuditError> {
        Ok(Vec::new())
    }
}

fn engine() -> Engine<FakeRouter, NullAudit, ManualClock> {
    let router = FakeRouter::with_spec_users();
    for i in 0..200 {
        router.insert(
            &format!("user{i:03}"),
            "password123",
            "Basic",
            None,
            Some("Pelanggan"),
        );
    }
    let config = EngineConfig {
        access: vec![AccessEntry {
            phone: PhoneNumber::parse("081234567890", "62").unwrap(),
            role: Role::Admin,
            name: "Admin".into(),
        }],
        rate_limit_per_minute: u32::MAX,
        ..EngineConfig::default()
    };
    Engine::new(router, NullAudit, ManualClock::spec(), config)
}

fn bench(c: &mut Criterion) {
    let _ = MemoryAudit::new();
    let engine = engine();
    let clock = ManualClock::spec();
    let ids = AtomicU64::new(0);
    let message = |text: &str| Incoming {
        id: format!("M{}", ids.fetch_add(1, Ordering::Relaxed)),
        chat: "6281234567890@s.whatsapp.net".into(),
        sender: Sender::Phone(pppoe_core::PhoneNumber::parse("6281234567890", "62").unwrap()),
        sender_lid: None,
        text: text.to_owned(),
        sent_at: clock.now(),
        received_at: None,
        is_group: false,
        attachment: None,
    };
    let mut group = c.benchmark_group("engine_handle");
    let cases: &[(&str, &[&str])] = &[
        // Each add is undone by a delete so the router's state stays the same size.
        (
            "addpppoe+delpppoe",
            &[
                r#"addpppoe bench01 password123 Premium 10.9.0.1 "Bench - Jl. Uji 1""#,
                "delpppoe bench01 bench",
            ],
        ),
        ("editpppoe profile", &["editpppoe jane456 profile VIP"]),
        ("editpppoe status", &["editpppoe jane456 status enable"]),
        ("delpppoe confirm", &["delpppoe john123"]),
        ("pppoe page (filter)", &["pppoe user 3"]),
        ("pppoe page (all)", &["pppoe 3"]),
        ("checkpppoe", &["checkpppoe john123"]),
        ("restartpppoe", &["restartpppoe jane456"]),
        ("help pppoe", &["help pppoe"]),
        ("invalid ip", &["addpppoe x1 password123 Basic 300.1.1.1"]),
    ];
    for (name, texts) in cases {
        group.bench_function(*name, |b| {
            b.iter(|| {
                for text in *texts {
                    black_box(block_on(engine.handle(message(text))));
                }
            });
        });
    }
    group.finish();

    // The listing's own work without the fake router's scan of 200 secrets: render one page.
    let secrets: Vec<pppoe_core::ListedSecret> = (0..20)
        .map(|i| pppoe_core::ListedSecret {
            secret: pppoe_core::Secret {
                at: pppoe_core::SecretRef {
                    router: "main".into(),
                    id: format!("*{i:X}"),
                },
                name: format!("user{i:03}"),
                profile: "Premium".into(),
                remote_address: Some([10, 20, 0, i as u8 + 1].into()),
                comment: Some("Budi Santoso - Jl. Mawar 1".into()),
                disabled: i % 7 == 0,
                last_logged_out: None,
                last_caller_id: None,
                last_disconnect_reason: None,
            },
            online: i % 3 == 0,
        })
        .collect();
    let renderer =
        pppoe_core::Renderer::new(pppoe_core::Language::Indonesian, chrono_tz::Asia::Jakarta);
    let profiles = pppoe_core::ProfileTable::default();
    let now = clock.now();
    c.bench_function("render/list page of 20", |b| {
        b.iter(|| {
            let view = pppoe_core::render::ListView {
                filter: Some("user"),
                page: 2,
                page_size: 20,
                total: 345,
                items: secrets.iter().map(|s| (s, Some(now))).collect(),
            };
            black_box(pppoe_core::split_message(
                &renderer.list(&view, &profiles),
                4000,
            ))
        });
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
