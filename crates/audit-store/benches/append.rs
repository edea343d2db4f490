//! Audit append throughput, `synchronous=FULL` in WAL mode on a temporary file, in events per
//! second:
//!
//! - `group_commit`: 64 concurrent appenders; the writer commits whatever is queued (up to 256
//!   events) in one transaction, so one fsync serves many events;
//! - `per_event`: one appender awaiting each acknowledgement, so every event is its own
//!   transaction and its own fsync;
//! - `..._sealed`: the same on a sealed log (a MAC per row under the epoch key), side by
//!   side, for the cost of sealing as a ratio.
//!
//! `cargo bench -p audit-store --bench append -- --warm-up-time 1 --measurement-time 5`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use audit_store::{AuditStore, StoreOptions};
use chrono::{TimeZone as _, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use pppoe_core::{AuditEvent, Outcome, Role};
use tokio::runtime::Runtime;
use tokio::task::JoinSet;

const APPENDERS: u64 = 64;

/// Message ids must be unique across every iteration.
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn event() -> AuditEvent {
    let n = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    AuditEvent {
        at: Utc.with_ymd_and_hms(2024, 12, 15, 9, 30, 25).unwrap(),
        actor_phone: "6281234567890".into(),
        actor_lid: None,
        role: Some(Role::Technician),
        command: "editpppoe".into(),
        target: Some(format!("user{}", n % 5000)),
        router: Some("core-1".into()),
        arguments: format!("user{} profile Premium", n % 5000),
        outcome: Outcome::Ok,
        error: None,
        reason: None,
        duration_ms: 35,
        message_id: format!("3EB0{n:016X}"),
    }
}

async fn group_commit(store: &AuditStore, events: u64) -> Duration {
    let start = Instant::now();
    let mut appenders = JoinSet::new();
    for k in 0..APPENDERS {
        let share = events / APPENDERS + u64::from(k < events % APPENDERS);
        let store = store.clone();
        appenders.spawn(async move {
            for _ in 0..share {
                store.append(event()).await.unwrap();
            }
        });
    }
    while let Some(done) = appenders.join_next().await {
        done.unwrap();
    }
    start.elapsed()
}

async fn per_event(store: &AuditStore, events: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..events {
        store.append(black_box(event())).await.unwrap();
    }
    start.elapsed()
}

fn append(c: &mut Criterion) {
    let runtime = Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = runtime
        .block_on(AuditStore::open(
            dir.path().join("bench.db"),
            StoreOptions::default(),
        ))
        .unwrap();

    let sealed_db = dir.path().join("sealed.db");
    let sealing = audit_store::sealing_file::sealing_path(&sealed_db);
    audit_store::sealing_file::SealingState::setup(&sealing, Utc::now().timestamp(), 60, false)
        .unwrap();
    let sealed = runtime
        .block_on(AuditStore::open(
            &sealed_db,
            StoreOptions::default().sealing(sealing),
        ))
        .unwrap();

    let mut group = c.benchmark_group("audit_append");
    group.throughput(Throughput::Elements(1));
    group.sample_size(10);
    group.bench_function("group_commit", |b| {
        b.iter_custom(|events| runtime.block_on(group_commit(&store, events)));
    });
    group.bench_function("group_commit_sealed", |b| {
        b.iter_custom(|events| runtime.block_on(group_commit(&sealed, events)));
    });
    group.bench_function("per_event", |b| {
        b.iter_custom(|events| runtime.block_on(per_event(&store, events)));
    });
    group.bench_function("per_event_sealed", |b| {
        b.iter_custom(|events| runtime.block_on(per_event(&sealed, events)));
    });
    group.finish();
    runtime.block_on(store.close());
    runtime.block_on(sealed.close());
}

criterion_group!(benches, append);
criterion_main!(benches);
